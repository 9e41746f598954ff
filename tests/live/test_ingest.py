"""Going live for real: ffmpeg pushes a test pattern over RTMP to nginx (RTMP module), nginx
asks the app (on_publish / on_publish_done), writes HLS under the broadcast's public name and
keeps a replay. Nothing is mocked: a real nginx on free ports and a real encoder."""
from __future__ import annotations

import os
import re
import signal
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest

from app import clock
from app.extensions import db
from app.live import ingest as live_ingest
from app.live import replays
from app.live.models import LiveBroadcast, LiveRoom, ReplayStatus
from tests import factories as make
from tests.ingest import pause, release_database, stop_push, wait_until

KEY = "yt_test_key_of_the_jade_studio_0001"


@pytest.fixture
def anchor(ctx):
    """玉匠人's room, announced (预告), with its stream key and two goods."""
    shop = make.merchant("玉匠人", certified=True)
    bangle = make.product(shop, "冰种飘花翡翠手镯", price_fen=128000, stock=5)
    pendant = make.product(shop, "独山玉平安扣吊坠", price_fen=16800, stock=12,
                           category_slug="jade-pendant")
    room = make.live_room(shop, status="scheduled", goods=[bangle, pendant],
                          scheduled_start=clock.now() + timedelta(hours=1))
    live_ingest.set_stream_key(room, KEY)
    db.session.commit()
    return SimpleNamespace(shop=shop, owner=shop.owner, room_id=room.id, bangle=bangle,
                           pendant=pendant)


def shown_key(page: str) -> str:
    """The stream key as the console shows it, once, after it is made."""
    return re.search(r'id="stream-key" class="input mono" readonly value="([^"]+)"', page)[1]


def room(story) -> LiveRoom:
    return db.session.get(LiveRoom, story.room_id)


def broadcasts(story) -> list[LiveBroadcast]:
    return list(db.session.scalars(
        db.select(LiveBroadcast).where(LiveBroadcast.room_id == story.room_id)
        .order_by(LiveBroadcast.id)))


def refused(push, timeout: float = 10.0) -> bool:
    """nginx drops a publisher whose on_publish was refused: ffmpeg gives up with an error."""
    release_database()
    try:
        return push.wait(timeout) != 0
    finally:
        stop_push(push)


def on_air(story) -> LiveBroadcast:
    return wait_until(lambda: next((b for b in broadcasts(story) if b.on_air), None),
                      message="the room never went live")


def playlist_served(ingest, broadcast, timeout: float = 15.0, fragments: int = 1) -> bytes:
    path = f"/hls/{broadcast.stream_name}/index.m3u8"

    def ready():
        status, body = ingest.get(path)
        return body if status == 200 and body.count(b".ts") >= fragments else None

    return wait_until(ready, timeout, message=f"{path} never appeared")


def test_a_bad_key_is_refused_and_nothing_changes(ingest, anchor):
    before = room(anchor).version
    assert refused(ingest.push("yt_forged_key_of_nobody"))
    db.session.expire_all()
    assert room(anchor).status == "scheduled" and room(anchor).version == before
    assert broadcasts(anchor) == []
    assert ingest.hls_entries() == []  # nothing written, not even under the forged name


def test_a_good_key_makes_the_room_live_and_the_key_never_reaches_a_public_url(
        ingest, anchor, client):
    push = ingest.push(KEY)
    try:
        broadcast = on_air(anchor)
        started = time.monotonic()
        assert room(anchor).status == "live" and room(anchor).started_at is not None
        assert broadcast.started_at == room(anchor).started_at
        body = playlist_served(ingest, broadcast, fragments=3)
        assert body.startswith(b"#EXTM3U")
        durations = [float(line[8:].split(",")[0]) for line in body.decode().splitlines()
                     if line.startswith("#EXTINF:")]
        assert all(0.5 <= d <= 2.1 for d in durations), durations  # 1–2 s fragments
        # The HLS files are under the public name only; the key is in no path and no page.
        assert KEY not in broadcast.stream_name
        assert ingest.hls_entries() == [broadcast.stream_name]
        assert ingest.get(f"/hls/{KEY}/index.m3u8")[0] == 404
        page = client.get(f"/live/{anchor.room_id}").get_data(as_text=True)
        assert f'src="/hls/{broadcast.stream_name}/index.m3u8"' in page
        assert KEY not in page and live_ingest.hash_key(KEY) not in page
        # The same page through nginx, as a buyer gets it: same origin as the playlist.
        status, through_proxy = ingest.get(f"/live/{anchor.room_id}")
        assert status == 200 and f"/hls/{broadcast.stream_name}/".encode() in through_proxy
        assert time.monotonic() - started < 15
    finally:
        stop_push(push)


def test_stopping_the_push_ends_the_room_and_keeps_a_replay_with_its_markers(
        ingest, anchor, make_client):
    push = ingest.push(KEY)
    broadcast = on_air(anchor)
    playlist_served(ingest, broadcast)
    owner = make_client()
    make.sign_in(owner, anchor.owner)
    pause(2)
    assert owner.post(f"/live/{anchor.room_id}/pin",
                      data={"product_id": anchor.pendant.id}).status_code == 303
    pause(3)
    stop_push(push)

    wait_until(lambda: room(anchor).status == "ended", message="the room never ended")
    ended = broadcasts(anchor)[0]
    assert ended.ended_at is not None and ended.end_reason == "publisher_done"
    assert 4 <= ended.duration_seconds <= 30
    assert room(anchor).ended_at == ended.ended_at and room(anchor).pinned_product_id is None

    ready = wait_until(lambda: db.session.get(LiveBroadcast, ended.id).replay_status
                       == ReplayStatus.ready, message="the replay never became ready")
    assert ready
    ended = db.session.get(LiveBroadcast, ended.id)
    assert ended.replay_seconds and ended.replay_seconds >= 4
    status, vod = ingest.get(f"/media/replays/{ended.stream_name}/replay.m3u8")
    assert status == 200
    assert b"#EXT-X-PLAYLIST-TYPE:VOD" in vod and vod.rstrip().endswith(b"#EXT-X-ENDLIST")
    first_fragment = next(line for line in vod.decode().splitlines() if line.endswith(".ts"))
    status, fragment = ingest.get(f"/media/replays/{ended.stream_name}/{first_fragment}")
    assert status == 200 and fragment[:1] == b"\x47"  # an MPEG-TS sync byte

    marker = ended.markers[0]
    assert marker.product_id == anchor.pendant.id and 1 <= marker.offset_seconds <= 10
    page = make_client().get(f"/live/{anchor.room_id}/replays/{ended.id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "独山玉平安扣吊坠" in text
    assert f"?t={marker.offset_seconds}#player" in text and "去购买" in text
    assert f"/media/replays/{ended.stream_name}/replay.m3u8" in text
    room_page = make_client().get(f"/live/{anchor.room_id}").get_data(as_text=True)
    assert f"/live/{anchor.room_id}/replays/{ended.id}" in room_page  # 看回放


def test_a_rotated_key_cannot_publish_and_the_new_one_can(ingest, anchor, make_client):
    owner = make_client()
    make.sign_in(owner, anchor.owner)
    answer = owner.post(f"/live/{anchor.room_id}/key")
    assert answer.status_code == 200
    new_key = shown_key(answer.get_data(as_text=True))
    assert new_key.startswith("yt_") and new_key != KEY
    assert refused(ingest.push(KEY))
    assert broadcasts(anchor) == [] and room(anchor).status == "scheduled"
    push = ingest.push(new_key)
    try:
        assert on_air(anchor).key_hash == live_ingest.hash_key(new_key)
    finally:
        stop_push(push)


def test_a_suspended_shop_cannot_go_live(ingest, anchor):
    anchor.shop.suspended_until = clock.now() + timedelta(days=3)
    db.session.commit()
    assert refused(ingest.push(KEY))
    assert broadcasts(anchor) == [] and room(anchor).status == "scheduled"


def test_suspending_the_shop_mid_broadcast_cuts_the_stream_and_ends_the_room(ingest, anchor):
    push = ingest.push(KEY)
    try:
        broadcast = on_air(anchor)
        playlist_served(ingest, broadcast)
        anchor.shop.suspended_until = clock.now() + timedelta(days=3)
        db.session.commit()
        # nginx asks every 2 s here (10 s by default): the refusal drops the publisher.
        wait_until(lambda: room(anchor).status == "ended", timeout=20,
                   message="the suspended shop's room stayed live")
        assert push.wait(10) is not None  # ffmpeg lost its connection
        assert broadcasts(anchor)[0].end_reason == "publisher_done"
    finally:
        stop_push(push)


def test_a_second_publisher_on_a_live_room_is_refused(ingest, anchor):
    first = ingest.push(KEY)
    try:
        broadcast = on_air(anchor)
        playlist_served(ingest, broadcast)
        assert refused(ingest.push(KEY))
        assert [b.id for b in broadcasts(anchor)] == [broadcast.id]
        assert first.poll() is None  # the first anchor keeps broadcasting
        assert room(anchor).status == "live"
    finally:
        stop_push(first)


def test_a_killed_encoder_ends_the_room(ingest, anchor):
    push = ingest.push(KEY)
    broadcast = on_air(anchor)
    playlist_served(ingest, broadcast)
    os.killpg(push.pid, signal.SIGKILL)  # kill -9 ffmpeg: the TCP connection just drops
    push.wait(5)
    wait_until(lambda: room(anchor).status == "ended", timeout=20,
               message="nginx never reported the dropped publisher")
    assert broadcasts(anchor)[0].end_reason == "publisher_done"


def test_a_killed_ingest_ends_the_room_through_tick(ingest, anchor, app, monkeypatch):
    from app import tick

    monkeypatch.setitem(app.config, "LIVE_STALE_SECONDS", 3)
    push = ingest.push(KEY)
    try:
        broadcast = on_air(anchor)
        playlist_served(ingest, broadcast)
        recording = replays.replay_folder(broadcast) / "index.m3u8"
        wait_until(lambda: recording.exists() and ".ts" in recording.read_text(),
                   message="nginx never wrote a replay fragment")
        ingest.server.kill()  # kill -9 nginx: no on_publish_done ever comes
    finally:
        stop_push(push)
    db.session.commit()
    assert tick.run_all()["live.end_dead_broadcasts"] == 0  # stale for 3 s only after a while
    assert room(anchor).status == "live"
    pause(3.5)
    assert tick.run_all()["live.end_dead_broadcasts"] == 1
    db.session.expire_all()
    ended = broadcasts(anchor)[0]
    assert room(anchor).status == "ended" and ended.end_reason == "stale"
    assert ended.duration_seconds is not None
    # The replay is finalized by the tick too, from what nginx had written.
    db.session.commit()
    wait_until(lambda: (tick.run_all(), db.session.get(LiveBroadcast, ended.id).replay_status
                        == ReplayStatus.ready)[1], timeout=15, every=0.5,
               message="the tick never finalized the replay")


def test_after_an_ingest_crash_the_anchor_can_push_again_once_the_old_stream_is_stale(
        ingest, anchor, app, monkeypatch, tmp_path):
    from tests.ingest import start_ingest

    monkeypatch.setitem(app.config, "LIVE_STALE_SECONDS", 2)
    push = ingest.push(KEY)
    old = on_air(anchor)
    playlist_served(ingest, old)
    ingest.server.kill()
    stop_push(push)
    pause(2.5)
    again = start_ingest(app, ingest.layout.app_upstream, tmp_path / "again", monkeypatch)
    monkeypatch.setitem(app.config, "LIVE_HLS_DIR", str(ingest.layout.hls_dir))
    monkeypatch.setitem(app.config, "LIVE_STALE_SECONDS", 2)
    push = again.push(KEY)
    try:
        new = wait_until(lambda: next((b for b in broadcasts(anchor)
                                       if b.on_air and b.id != old.id), None))
        assert db.session.get(LiveBroadcast, old.id).end_reason == "replaced"
        assert room(anchor).status == "live" and new.stream_name != old.stream_name
    finally:
        stop_push(push)
        again.server.stop()


def test_retention_removes_old_replays_files(ingest, anchor, app, monkeypatch, client):
    push = ingest.push(KEY, seconds=3)
    broadcast = on_air(anchor)
    push.wait(20)
    wait_until(lambda: db.session.get(LiveBroadcast, broadcast.id).replay_status
               == ReplayStatus.ready)
    folder = replays.replay_folder(db.session.get(LiveBroadcast, broadcast.id))
    assert (folder / "replay.m3u8").exists()
    monkeypatch.setitem(app.config, "LIVE_REPLAY_DAYS", 7)
    assert replays.expire_old() == 0
    clock.travel(timedelta(days=8))
    assert replays.expire_old() == 1
    assert not folder.exists()
    gone = db.session.get(LiveBroadcast, broadcast.id)
    assert gone.replay_status == ReplayStatus.expired
    page = client.get(f"/live/{anchor.room_id}/replays/{gone.id}")
    assert page.status_code == 410 and "回放已过期" in page.get_data(as_text=True)
