"""Watching for real in Chromium: ffmpeg pushes to nginx (RTMP), nginx writes HLS, the page is
served through the same nginx (same origin, as behind a real proxy), and the video plays —
through the browser's own HLS, and through hls.js where the browser has none. Then the push
stops: the room shows 直播已结束, and the replay plays and jumps to its 讲解 markers."""
from __future__ import annotations

import re
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from app import clock
from app.extensions import db
from app.live import ingest as live_ingest
from app.live.models import LiveBroadcast
from tests import factories as make
from tests.browser.conftest import ARTIFACTS, check_accessibility
from tests.ingest import pause, start_ingest, stop_push, wait_until

KEY = "yt_browser_test_key_0000000000001"
# A browser without HLS of its own (older Android browsers, in-app webviews): the feature
# test `canPlayType("application/vnd.apple.mpegurl")` answers "" as they do.
NO_NATIVE_HLS = """
(() => {
  const original = HTMLMediaElement.prototype.canPlayType;
  HTMLMediaElement.prototype.canPlayType = function (type) {
    return /mpegurl/i.test(type) ? "" : original.call(this, type);
  };
})();
"""


@pytest.fixture
def ingest(app, live_server, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "LIVE_POLL_SECONDS", 1)
    running = start_ingest(app, live_server.removeprefix("http://"), tmp_path, monkeypatch)
    yield running
    running.server.stop()


@pytest.fixture
def studio(ctx):
    shop = make.merchant("玉匠人", certified=True)
    bangle = make.product(shop, "冰种飘花翡翠手镯", price_fen=128000, stock=5)
    pendant = make.product(shop, "独山玉平安扣吊坠", price_fen=16800, stock=12,
                           category_slug="jade-pendant")
    room = make.live_room(shop, status="scheduled", goods=[bangle, pendant],
                          scheduled_start=clock.now() + timedelta(minutes=30))
    live_ingest.set_stream_key(room, KEY)
    db.session.commit()
    return SimpleNamespace(room_id=room.id, owner=shop.owner, pendant_id=pendant.id)


def until(page, script: str, timeout: float = 15_000):
    """Poll a function in the page (page.wait_for_function compiles strings, which the CSP
    forbids; evaluate does not)."""
    deadline = time.monotonic() + timeout / 1000
    while True:
        value = page.evaluate(script)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"never true: {script}")
        page.wait_for_timeout(100)


def expect_playing(page, seconds: float = 1.5, timeout: float = 45_000) -> float:
    """currentTime advances: frames are really being decoded and shown. The first frame may
    take long on a loaded 2-core machine (ffmpeg encodes while Chromium decodes): 45 s. Then
    the video must move on by `seconds` × 0.5 of playback: it may stall a moment at the live
    edge on a busy machine (1 s segments arriving late), so it gets up to 8 × `seconds` for
    that; a frozen player never does."""
    video = page.locator("video.live-video")
    expect(video).to_be_visible(timeout=timeout)
    until(page, "() => { const v = document.querySelector('video.live-video');"
                " return v && v.currentTime > 0.5 && !v.paused; }", timeout=timeout)
    first = video.evaluate("v => v.currentTime")
    until(page, f"() => document.querySelector('video.live-video').currentTime > "
                f"{first + seconds * 0.5}", timeout=seconds * 8_000)
    return video.evaluate("v => v.currentTime")


def on_air(studio) -> LiveBroadcast:
    return wait_until(lambda: db.session.scalar(db.select(LiveBroadcast).where(
        LiveBroadcast.room_id == studio.room_id, LiveBroadcast.ended_at.is_(None))),
        timeout=20, message="the room never went live")


def playlist_ready(ingest, broadcast):
    wait_until(lambda: ingest.get(f"/hls/{broadcast.stream_name}/index.m3u8")[1].count(b".ts")
               >= 2, timeout=20, message="no HLS playlist")


def test_a_buyer_watches_with_the_browsers_own_hls(new_page, ingest, studio):
    push = ingest.push(KEY)
    try:
        broadcast = on_air(studio)
        playlist_ready(ingest, broadcast)
        page = new_page()
        page.goto(f"{ingest.http_url}/live/{studio.room_id}")
        if not page.evaluate("() => document.createElement('video')"
                             ".canPlayType('application/vnd.apple.mpegurl')"):
            pytest.fail("this Chromium has no native HLS: the hls.js test covers the rest")
        expect_playing(page)
        assert page.locator("[data-player]").get_attribute("data-engine") == "native"
        assert KEY not in page.content()
        check_accessibility(page)
    finally:
        stop_push(push)


def test_hls_js_plays_where_the_browser_has_no_hls(new_page, ingest, studio):
    push = ingest.push(KEY)
    try:
        broadcast = on_air(studio)
        playlist_ready(ingest, broadcast)
        page = new_page()
        page.context.add_init_script(NO_NATIVE_HLS)
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(f"{ingest.http_url}/live/{studio.room_id}")
        expect_playing(page)
        stage = page.locator("[data-player]")
        assert stage.get_attribute("data-engine") == "hls.js"
        assert any("/static/vendor/hls.light.min.js" in url for url in requests)
        assert any(re.search(r"/hls/r\d+-[0-9a-f]{16}/\d+\.ts$", url) for url in requests)
        assert not any(KEY in url for url in requests)
    finally:
        stop_push(push)


def test_the_room_goes_live_ends_and_its_replay_jumps_to_the_goods_explained(
        new_page, ingest, studio, make_client):
    viewer = new_page()
    viewer.goto(f"{ingest.http_url}/live/{studio.room_id}")
    expect(viewer.locator(".live-poster[data-poster]")).to_contain_text("直播预告")
    check_accessibility(viewer)

    push = ingest.push(KEY)
    try:
        # The open page notices the room went live (polling) and starts the video by itself.
        expect_playing(viewer, timeout=30_000)
        expect(viewer.locator(".live-status")).to_contain_text("直播中")
        anchor = make_client()
        make.sign_in(anchor, studio.owner)
        pause(2)
        assert anchor.post(f"/live/{studio.room_id}/pin",
                           data={"product_id": studio.pendant_id}).status_code == 303
        expect(viewer.locator(".pinned-card")).to_contain_text("独山玉平安扣吊坠")
        pause(4)
    finally:
        stop_push(push)

    # The push stopped: the room says so in place, with the way to its replay.
    ended = viewer.locator("[data-overlay=ended]")
    expect(ended).to_be_visible(timeout=15_000)
    expect(ended).to_contain_text("直播已结束")
    assert viewer.locator("[data-player]").get_attribute("data-player-state") == "ended"
    check_accessibility(viewer)
    wait_until(lambda: db.session.scalar(db.select(LiveBroadcast.replay_status)) == "ready",
               message="no replay")
    ended.get_by_role("link", name="看回放").click()
    expect(viewer).to_have_url(re.compile(r"/live/\d+/replays/\d+$"))
    expect(viewer.locator(".explained-item")).to_contain_text("独山玉平安扣吊坠")
    check_accessibility(viewer)
    replay = viewer.locator("video.live-video")
    until(viewer, "() => document.querySelector('video.live-video').readyState >= 1")
    length = replay.evaluate("v => v.duration")
    assert 6 <= length <= 30, length
    jump = viewer.locator(".jump-link").first
    offset = int(jump.get_attribute("data-seek"))
    assert 1 <= offset <= 10
    replay.evaluate("v => { v.muted = true; v.currentTime = v.duration - 0.5; }")
    jump.click()
    until(viewer, "() => Math.abs(document.querySelector('video.live-video').currentTime"
                  f" - {offset}) < 1.5")
    assert viewer.url.endswith(f"?t={offset}#player")
    # The same jump without JavaScript: a real link that starts the replay there.
    plain = new_page(javascript=False)
    plain.goto(viewer.url)
    assert plain.locator("video.live-video").get_attribute("src").endswith(f"#t={offset}")


def test_a_lost_signal_shows_reconnecting(new_page, ingest, studio):
    """The ingest dies mid-show (no callback comes): the buyer's player says it is
    reconnecting instead of freezing silently, and keeps trying."""
    push = ingest.push(KEY)
    try:
        broadcast = on_air(studio)
        playlist_ready(ingest, broadcast)
        page = new_page()
        page.goto(f"{ingest.http_url}/live/{studio.room_id}")
        expect_playing(page)
        ingest.server.kill()
    finally:
        stop_push(push)
    overlay = page.locator("[data-overlay=reconnecting]")
    expect(overlay).to_be_visible(timeout=20_000)
    expect(overlay).to_contain_text("信号中断，正在重新连接")
    assert page.locator("[data-player]").get_attribute("data-player-state") == "reconnecting"
    page.screenshot(path=str(ARTIFACTS / "live-reconnecting-phone.png"))
