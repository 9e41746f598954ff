"""nginx's callbacks as a hostile client would send them, and the stream key's owner-only
console. The callbacks answer only the configured ingest (the secret in the URL); everything
else gets a clear 4xx and changes nothing."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app import clock
from app.extensions import db
from app.live import ingest, replays
from app.live.models import LiveBroadcast, LiveMarker, LiveRoom, ReplayStatus
from tests.live.conftest import htmx, reload, signed_in

SECRET = "callback-secret-for-tests"
KEY = "yt_callback_test_key_000000000001"


@pytest.fixture
def ingest_on(app, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "LIVE_INGEST_SECRET", SECRET)
    monkeypatch.setitem(app.config, "LIVE_RTMP_URL", "rtmp://live.example.cn:1935/live")
    monkeypatch.setitem(app.config, "LIVE_HLS_DIR", str(tmp_path / "hls"))
    (tmp_path / "hls").mkdir()
    return tmp_path / "hls"


@pytest.fixture
def keyed(studio, ingest_on):
    """The studio's room, announced, with a known key."""
    room = reload(LiveRoom, studio.room.id)
    room.status = "scheduled"
    room.pinned_product_id = None
    ingest.set_stream_key(room, KEY)
    db.session.commit()
    return studio


def nginx(client, endpoint, secret=SECRET, **fields):
    """What nginx-rtmp posts (application/x-www-form-urlencoded) to one of our URLs."""
    body = {"app": "live", "flashver": "FMLE/3.0", "tcurl": "rtmp://127.0.0.1/live",
            "addr": "127.0.0.1", "clientid": "7",
            "call": "publish" if endpoint == "publish" else "publish_done", "name": KEY}
    body.update(fields)
    body = {k: v for k, v in body.items() if v is not None}
    return client.post(f"/live/ingest/{secret}/{endpoint}", data=body, csrf=False)


def state(room_id):
    db.session.expire_all()
    room = db.session.get(LiveRoom, room_id)
    count = db.session.scalar(db.select(db.func.count()).select_from(LiveBroadcast))
    return room.status, room.version, count


def test_a_valid_key_goes_live_under_a_public_name(client, keyed):
    answer = nginx(client, "publish")
    assert answer.status_code == 302
    name = answer.headers["Location"]
    assert re.fullmatch(rf"r{keyed.room.id}-[0-9a-f]{{16}}", name) and KEY not in name
    room = reload(LiveRoom, keyed.room.id)
    assert room.status == "live" and room.started_at == clock.now().replace(microsecond=0) \
        or room.status == "live"
    broadcast = db.session.scalar(db.select(LiveBroadcast))
    assert broadcast.stream_name == name and broadcast.on_air
    assert broadcast.key_hash == ingest.hash_key(KEY) and KEY not in broadcast.key_hash


def test_the_end_of_the_push_ends_the_room_with_its_duration(client, keyed):
    nginx(client, "publish")
    clock.travel(timedelta(minutes=42, seconds=5))
    answer = nginx(client, "publish_done")
    assert answer.status_code == 200
    room = reload(LiveRoom, keyed.room.id)
    broadcast = db.session.scalar(db.select(LiveBroadcast))
    assert room.status == "ended" and room.ended_at == broadcast.ended_at
    assert broadcast.duration_seconds == 42 * 60 + 5 and broadcast.end_reason == "publisher_done"
    # Said again (nginx retries, or the watchdog was first): nothing more happens.
    again = nginx(client, "publish_done")
    assert again.status_code == 200 and reload(LiveRoom, keyed.room.id).version == room.version


@pytest.mark.parametrize("secret", ["wrong-secret", SECRET[:-1], SECRET + "x", "a" * 300])
def test_a_wrong_secret_is_a_plain_404_and_changes_nothing(client, keyed, secret):
    before = state(keyed.room.id)
    answer = nginx(client, "publish", secret=secret)
    assert answer.status_code == 404 and "页面不存在" in answer.get_data(as_text=True)
    assert nginx(client, "publish_done", secret=secret).status_code == 404
    assert state(keyed.room.id) == before


def test_without_a_configured_ingest_the_callbacks_do_not_exist(client, studio, app,
                                                                monkeypatch):
    monkeypatch.setitem(app.config, "LIVE_INGEST_SECRET", "")
    assert nginx(client, "publish", secret="").status_code == 404
    assert client.post("/live/ingest/anything/publish", data={"name": KEY},
                       csrf=False).status_code == 404


@pytest.mark.parametrize("fields", [
    {"name": None}, {"name": ""}, {"clientid": None}, {"call": None}, {"call": "play"},
    {"name": "k" * 301},
])
def test_a_publish_with_missing_or_odd_fields_is_a_400(client, keyed, fields):
    before = state(keyed.room.id)
    answer = nginx(client, "publish", **fields)
    assert answer.status_code == 400 and answer.get_data(as_text=True)
    assert state(keyed.room.id) == before


def test_a_json_body_is_a_400(client, keyed):
    answer = client.post(f"/live/ingest/{SECRET}/publish", json={"name": KEY, "clientid": "1",
                                                                 "call": "publish"}, csrf=False)
    assert answer.status_code == 400
    assert state(keyed.room.id)[0] == "scheduled"


def test_a_get_on_a_callback_is_refused(client, keyed):
    assert client.get(f"/live/ingest/{SECRET}/publish").status_code == 405


@pytest.mark.parametrize("key", ["yt_forged", KEY + "x", KEY.upper(), "", "x" * 250])
def test_forged_keys_are_refused(client, keyed, key):
    before = state(keyed.room.id)
    answer = nginx(client, "publish", name=key)
    assert answer.status_code in (400, 403)
    assert state(keyed.room.id) == before


def test_a_rotated_key_is_refused(client, make_client, keyed):
    owner = signed_in(make_client, keyed.owner)
    assert owner.post(f"/live/{keyed.room.id}/key").status_code == 200
    before = state(keyed.room.id)
    answer = nginx(client, "publish")
    assert answer.status_code == 403 and "推流码无效" in answer.get_data(as_text=True)
    assert state(keyed.room.id) == before


@pytest.mark.parametrize("how", ["suspended", "suspended_until"])
def test_a_suspended_shop_cannot_go_live(client, keyed, how):
    if how == "suspended":
        keyed.shop.status = "suspended"
    else:
        keyed.shop.suspended_until = clock.now() + timedelta(days=1)
    db.session.commit()
    before = state(keyed.room.id)
    answer = nginx(client, "publish")
    assert answer.status_code == 403 and "暂停营业" in answer.get_data(as_text=True)
    assert state(keyed.room.id) == before


def test_a_second_publisher_is_refused_while_the_first_is_alive(client, keyed, ingest_on):
    first = nginx(client, "publish").headers["Location"]
    (ingest_on / first).mkdir()
    (ingest_on / first / "index.m3u8").write_text("#EXTM3U\n")  # nginx is writing it
    clock.travel(timedelta(minutes=5))
    before = state(keyed.room.id)
    answer = nginx(client, "publish", clientid="8")
    assert answer.status_code == 403 and "不能同时推第二路" in answer.get_data(as_text=True)
    assert state(keyed.room.id) == before
    # publish_done of the refused one (nginx does not send it, but if it did) ends nothing.
    assert nginx(client, "publish_done", clientid="8").status_code == 404
    assert state(keyed.room.id) == before


def test_a_dead_publisher_is_replaced(client, keyed, ingest_on):
    first = nginx(client, "publish").headers["Location"]
    clock.travel(timedelta(minutes=5))  # no playlist was ever written for it: dead
    second = nginx(client, "publish", clientid="8")
    assert second.status_code == 302 and second.headers["Location"] != first
    rows = list(db.session.scalars(db.select(LiveBroadcast).order_by(LiveBroadcast.id)))
    assert [r.end_reason for r in rows] == ["replaced", ""] and rows[1].on_air
    assert reload(LiveRoom, keyed.room.id).status == "live"
    # The old publisher's late publish_done does not end the new broadcast.
    assert nginx(client, "publish_done", clientid="7").status_code == 200
    assert reload(LiveRoom, keyed.room.id).status == "live"


def test_publish_done_for_an_unknown_publisher_is_a_404(client, keyed):
    nginx(client, "publish")
    before = state(keyed.room.id)
    assert nginx(client, "publish_done", name="yt_nobody").status_code == 404
    assert nginx(client, "publish_done", clientid="99").status_code == 404
    assert nginx(client, "publish_done", clientid=None).status_code == 400
    assert state(keyed.room.id) == before


def test_replay_done_for_an_unknown_stream_is_a_404(client, keyed):
    answer = nginx(client, "replay_done", name="r1-0000000000000000", app="replay")
    assert answer.status_code == 404


def test_pins_during_a_broadcast_become_markers(client, make_client, keyed):
    nginx(client, "publish")
    owner = signed_in(make_client, keyed.owner)
    clock.travel(timedelta(seconds=95))
    owner.post(f"/live/{keyed.room.id}/pin", data={"product_id": keyed.pendant.id})
    clock.travel(timedelta(seconds=60))
    owner.post(f"/live/{keyed.room.id}/pin", data={"product_id": keyed.bangle.id})
    clock.travel(timedelta(seconds=60))
    owner.post(f"/live/{keyed.room.id}/pin", data={"product_id": keyed.pendant.id})
    markers = list(db.session.scalars(db.select(LiveMarker).order_by(LiveMarker.id)))
    assert [(m.product_id, m.offset_seconds) for m in markers] == [
        (keyed.pendant.id, 95), (keyed.bangle.id, 155), (keyed.pendant.id, 215)]


def test_a_pin_outside_a_broadcast_makes_no_marker(make_client, studio):
    owner = signed_in(make_client, studio.owner)
    owner.post(f"/live/{studio.room.id}/pin", data={"product_id": studio.pendant.id})
    assert db.session.scalar(db.select(db.func.count()).select_from(LiveMarker)) == 0


def test_the_anchor_cannot_end_by_hand_while_the_push_is_alive(client, make_client, keyed,
                                                               ingest_on):
    name = nginx(client, "publish").headers["Location"]
    (ingest_on / name).mkdir()
    (ingest_on / name / "index.m3u8").write_text("#EXTM3U\n")
    owner = signed_in(make_client, keyed.owner)
    answer = owner.post(f"/live/{keyed.room.id}/end", headers=htmx("console"))
    assert answer.status_code == 409 and "停止推流" in answer.get_data(as_text=True)
    assert reload(LiveRoom, keyed.room.id).status == "live"


# --- the stream key in the console: owner only, shown once ---------------------------------

def test_the_owner_makes_a_key_and_sees_it_once(make_client, keyed):
    owner = signed_in(make_client, keyed.owner)
    answer = owner.post(f"/live/{keyed.room.id}/key")
    page = answer.get_data(as_text=True)
    key = re.search(r'id="stream-key" class="input mono" readonly value="([^"]+)"', page)[1]
    assert answer.headers["Cache-Control"] == "no-store"
    assert "rtmp://live.example.cn:1935/live" in page
    assert f"rtmp://live.example.cn:1935/live/{key}" in page  # the phone apps' full URL
    assert reload(LiveRoom, keyed.room.id).stream_key_hash == ingest.hash_key(key)
    console = owner.get("/live/console").get_data(as_text=True)
    assert key not in console and "已隐藏" in console
    assert key not in owner.get(f"/live/{keyed.room.id}").get_data(as_text=True)


def test_the_key_is_made_in_place_for_htmx(make_client, keyed):
    owner = signed_in(make_client, keyed.owner)
    answer = owner.post(f"/live/{keyed.room.id}/key", headers=htmx("console"))
    assert answer.status_code == 200
    assert answer.get_data(as_text=True).lstrip().startswith('<div id="console"')


@pytest.mark.parametrize("who", ["anonymous", "buyer", "another merchant", "belt admin",
                                 "operator"])
def test_only_the_owner_rotates_the_key(make_client, keyed, outsiders, who):
    client = signed_in(make_client, outsiders[who])
    answer = client.post(f"/live/{keyed.room.id}/key")
    if who == "anonymous":
        assert answer.status_code == 302 and "/signin" in answer.headers["Location"]
    else:
        assert answer.status_code == 403
        assert "yt_" not in answer.get_data(as_text=True)
    assert reload(LiveRoom, keyed.room.id).stream_key_hash == ingest.hash_key(KEY)


def test_rotating_needs_the_csrf_token(make_client, keyed):
    owner = signed_in(make_client, keyed.owner)
    assert owner.post(f"/live/{keyed.room.id}/key", csrf=False).status_code == 400
    assert reload(LiveRoom, keyed.room.id).stream_key_hash == ingest.hash_key(KEY)


def test_rotating_an_unknown_room_is_a_404(make_client, keyed):
    owner = signed_in(make_client, keyed.owner)
    assert owner.post("/live/9999/key").status_code == 404


@pytest.mark.parametrize("who", ["buyer", "another merchant", "belt admin", "operator"])
def test_nobody_else_sees_the_stream_setup(make_client, keyed, outsiders, who):
    client = signed_in(make_client, outsiders[who])
    for path in (f"/live/{keyed.room.id}", "/live/console"):
        page = client.get(path).get_data(as_text=True)
        assert "推流码" not in page and "rtmp://" not in page


def test_the_console_says_why_broadcasting_is_off(make_client, studio):
    owner = signed_in(make_client, studio.owner)
    page = owner.get("/live/console").get_data(as_text=True)
    assert "直播推流未开启" in page and "外部直播流地址" in page
    assert "生成推流码" not in page


def test_the_console_shows_the_server_and_the_how_to(make_client, keyed):
    owner = signed_in(make_client, keyed.owner)
    page = owner.get("/live/console").get_data(as_text=True)
    assert 'value="rtmp://live.example.cn:1935/live"' in page
    assert "重置推流码" in page and "OBS" in page and "串流密钥" in page
    assert "等待推流" in page


# --- the watchdog without nginx --------------------------------------------------------------

def test_the_watchdog_ends_a_broadcast_whose_playlist_went_stale(client, keyed, ingest_on, app,
                                                                 monkeypatch):
    import os
    import time

    from app import tick

    name = nginx(client, "publish").headers["Location"]
    playlist = ingest_on / name / "index.m3u8"
    playlist.parent.mkdir()
    playlist.write_text("#EXTM3U\n")
    clock.travel(timedelta(minutes=1))
    assert tick.run_all()["live.end_dead_broadcasts"] == 0  # written just now
    old = time.time() - 60
    os.utime(playlist, (old, old))
    assert tick.run_all()["live.end_dead_broadcasts"] == 1
    room = reload(LiveRoom, keyed.room.id)
    broadcast = db.session.scalar(db.select(LiveBroadcast))
    assert room.status == "ended" and broadcast.end_reason == "stale"
    assert broadcast.duration_seconds == 60


def test_the_watchdog_cannot_judge_without_the_hls_folder(client, keyed, app, monkeypatch):
    from app import tick

    nginx(client, "publish")
    monkeypatch.setitem(app.config, "LIVE_HLS_DIR", "")
    clock.travel(timedelta(hours=1))
    assert tick.run_all()["live.end_dead_broadcasts"] == 0
    assert reload(LiveRoom, keyed.room.id).status == "live"


def test_a_replay_is_written_as_a_vod_playlist(client, keyed, app):
    name = nginx(client, "publish").headers["Location"]
    folder = replays.settings().replay_dir / name
    folder.mkdir(parents=True)
    (folder / "index.m3u8").write_text(
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-TARGETDURATION:4\n"
        "#EXT-X-DISCONTINUITY\n#EXTINF:4.000,\n0.ts\n#EXTINF:4.160,\n1.ts\n"
        "#EXTINF:2.5,\n../../secret.ts\n#EXTINF:1.000,\n2.ts\n")
    # nginx's two callbacks in either order: the replay's first, then the publisher's.
    assert nginx(client, "replay_done", name=name, app="replay").status_code == 200
    assert db.session.scalar(db.select(LiveBroadcast)).replay_status == ReplayStatus.recorded
    assert nginx(client, "publish_done").status_code == 200
    broadcast = db.session.scalar(db.select(LiveBroadcast))
    assert broadcast.replay_status == ReplayStatus.ready and broadcast.replay_seconds == 9
    vod = (folder / "replay.m3u8").read_text()
    assert vod.startswith("#EXTM3U") and "#EXT-X-PLAYLIST-TYPE:VOD" in vod
    assert vod.rstrip().endswith("#EXT-X-ENDLIST") and "secret" not in vod
    assert "#EXT-X-TARGETDURATION:5" in vod and vod.count(".ts") == 3


@pytest.mark.concurrency
def test_two_publishers_at_the_same_moment_make_one_broadcast(app, keyed, ingest_on):
    """Two encoders with the same key (the anchor's OBS and a leaked copy) publish at once:
    one goes on air, the other is refused."""
    from tests.concurrency import race

    def publish(i: int) -> int:
        return nginx(app.test_client(), "publish", clientid=str(100 + i)).status_code

    answers = race(app, 6, publish)
    assert sorted(answers) == [302] + [403] * 5, answers
    assert db.session.scalar(db.select(db.func.count()).select_from(LiveBroadcast)) == 1
    assert reload(LiveRoom, keyed.room.id).status == "live"


# --- on_update: may the publisher go on? ---------------------------------------------------

def update(client, **fields):
    return nginx(client, "update", call="update_publish", **fields)


def test_a_live_publisher_may_go_on(client, keyed):
    nginx(client, "publish")
    answer = update(client)
    assert answer.status_code == 200 and "on air" in answer.get_data(as_text=True)


@pytest.mark.parametrize("how", ["suspended", "suspended_until"])
def test_a_shop_suspended_mid_broadcast_has_its_publisher_dropped(client, keyed, how):
    nginx(client, "publish")
    if how == "suspended":
        keyed.shop.status = "suspended"
    else:
        keyed.shop.suspended_until = clock.now() + timedelta(days=1)
    db.session.commit()
    before = state(keyed.room.id)
    answer = update(client)
    assert answer.status_code == 403 and "暂停营业" in answer.get_data(as_text=True)
    assert state(keyed.room.id) == before  # the room ends with nginx's on_publish_done


def test_a_key_rotated_mid_broadcast_has_its_publisher_dropped(client, keyed):
    nginx(client, "publish")
    ingest.set_stream_key(reload(LiveRoom, keyed.room.id), "yt_the_new_key_0000000000000002")
    db.session.commit()
    answer = update(client)
    assert answer.status_code == 403 and "推流码已更换" in answer.get_data(as_text=True)


def test_an_ended_broadcast_may_not_go_on(client, keyed):
    nginx(client, "publish")
    nginx(client, "publish_done")
    assert update(client).status_code == 403


@pytest.mark.parametrize("fields", [{"clientid": "99"}, {"name": "yt_unknown"},
                                    {"clientid": None}, {"name": "x" * 301}])
def test_an_update_for_an_unknown_publisher_is_a_4xx(client, keyed, fields):
    nginx(client, "publish")
    answer = update(client, **fields)
    assert answer.status_code in (400, 404)


def test_an_update_with_the_wrong_call_or_secret_is_refused(client, keyed):
    nginx(client, "publish")
    assert nginx(client, "update", call="publish_done").status_code == 400
    assert update(client, secret="wrong").status_code == 404


def test_a_fault_of_ours_does_not_cut_the_broadcast(client, keyed, monkeypatch):
    nginx(client, "publish")

    def broken(*_args):
        raise RuntimeError("database away")

    monkeypatch.setattr(ingest, "check_publisher", broken)
    answer = update(client)
    assert answer.status_code == 200 and answer.get_data(as_text=True) == "unchecked"


def test_nginx_asking_about_its_own_relays_is_answered_yes(client, keyed):
    """nginx's pushes to the internal hls and replay applications are asked about too; a
    refusal would cut the video while the anchor goes on."""
    nginx(client, "publish")
    answer = nginx(client, "update", call="update_play", name=None, clientid="12")
    assert answer.status_code == 200
