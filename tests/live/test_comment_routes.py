"""Comments in a live room over HTTP: a plain form that redirects back to the room, the htmx
panel, every bad input refused with a clear 4xx and nothing stored, floods refused with a 429,
and a feed that every viewer polls cheaply (304 while nothing changed)."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import event

from app.extensions import db
from app.inputs import strip_controls
from app.live.comment_models import LiveComment
from tests import factories as make
from tests.live.conftest import htmx, signed_in


@pytest.fixture
def buyer(ctx):
    return make.user("老铁买家")


@pytest.fixture
def roomy_limits(app, monkeypatch):
    """Room for many posts by one person in a test (the flood tests keep the real limit)."""
    monkeypatch.setitem(app.config, "RATELIMIT_LIVE_COMMENT", "1000 per minute")


def url(studio, tail=""):
    return f"/live/{studio.room.id}{tail}"


def stored() -> list[str]:
    db.session.expire_all()
    return [c.body for c in db.session.query(LiveComment).order_by(LiveComment.id)]


def feed(client, studio, etag=None, **params):
    headers = htmx("live-comments")
    if etag:
        headers["If-None-Match"] = etag
    return client.get(url(studio, "/comments"), headers=headers, query_string=params)


# --- posting --------------------------------------------------------------------------------

def test_without_javascript_a_form_posts_and_the_room_shows_the_comment(client, studio, buyer):
    make.sign_in(client, buyer)
    page = client.get(url(studio)).get_data(as_text=True)
    assert f'action="{url(studio, "/comments")}"' in page and 'name="body"' in page
    response = client.post(url(studio, "/comments"), data={"body": "这个手镯圈口多大？"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(url(studio) + "#live-chat")
    page = client.get(url(studio)).get_data(as_text=True)
    assert "这个手镯圈口多大？" in page and "老铁买家" in page


def test_with_htmx_the_panel_comes_back_with_the_comment_and_an_empty_box(client, studio, buyer):
    make.sign_in(client, buyer)
    response = client.post(url(studio, "/comments"), data={"body": "有证书吗"},
                           headers=htmx("live-chat"))
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="live-chat"') and "<html" not in body
    assert "有证书吗" in body and 'value=""' in body
    assert stored() == ["有证书吗"]


def test_html_is_stored_as_text_and_shown_escaped(client, make_client, studio, buyer):
    make.sign_in(client, buyer)
    client.post(url(studio, "/comments"), data={"body": '<img src=x onerror="alert(1)">好看'})
    assert stored() == ['<img src=x onerror="alert(1)">好看']
    for viewer in (make_client(), client):  # the page and the polled feed
        page = viewer.get(url(studio)).get_data(as_text=True)
        assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;好看" in page
        assert "<img src=x" not in page
    fragment = feed(client, studio).get_data(as_text=True)
    assert "&lt;img src=x" in fragment and "<img src=x" not in fragment


@pytest.mark.parametrize("body, status, message", [
    ("看这里 www.fake-jade.com", 400, "弹幕里不能带链接或网址。"),
    ("加我ｗｗｗ．ｆａｋｅ．ｃｏｍ", 400, "弹幕里不能带链接或网址。"),
    ("响铃\x07了", 400, "弹幕里不能有控制字符或看不见的格式字符。"),
    ("反转\u202e文字", 400, "弹幕里不能有控制字符或看不见的格式字符。"),
    ("   ", 400, "请先写点什么再发送。"),
    ("好" * 61, 400, "弹幕最多 60 个字（现在 61 个）。"),
    ("刷" * 10240, 400, "弹幕最多 60 个字，这条太长了。"),
])
def test_bad_comments_are_refused_with_the_reason_and_what_was_typed(
        client, studio, buyer, roomy_limits, body, status, message):
    make.sign_in(client, buyer)
    for headers in ({}, htmx("live-chat")):
        response = client.post(url(studio, "/comments"), data={"body": body}, headers=headers)
        page = response.get_data(as_text=True)
        assert response.status_code == status
        assert message in page
        assert 'aria-invalid="true"' in page
        if headers:
            assert page.lstrip().startswith('<section id="live-chat"')
        else:
            assert "<html" in page and "小黄车" in page  # the whole room, its panel saying why
    if len(body) <= 240:  # what was typed comes back (without its control characters)
        assert f'value="{strip_controls(body)}"' in page
    assert stored() == []


def test_ten_kilobytes_get_a_clear_message_not_a_cut_connection(client, studio, buyer):
    make.sign_in(client, buyer)
    response = client.post(url(studio, "/comments"), data={"body": "刷" * 10240},
                           headers=htmx("live-chat"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "这条太长了" in page
    assert len(page) < 8000  # the 10 KB are not echoed back whole
    assert stored() == []


def test_a_missing_field_a_json_body_and_no_csrf_token_change_nothing(client, studio, buyer):
    make.sign_in(client, buyer)
    assert client.post(url(studio, "/comments"), data={}).status_code == 400
    response = client.post(url(studio, "/comments"), data=json.dumps({"body": "hi"}),
                           content_type="application/json",
                           headers={"X-CSRFToken": client.csrf_token()})
    assert response.status_code == 415
    response = client.post(url(studio, "/comments"), data={"body": "没有令牌"}, csrf=False)
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)
    assert client.post("/live/999/comments", data={"body": "你好"}).status_code == 404
    assert client.post("/live/abc/comments", data={"body": "你好"}).status_code == 404
    assert stored() == []


def test_an_anonymous_visitor_is_asked_to_sign_in(client, studio):
    page = client.get(url(studio)).get_data(as_text=True)
    assert "登录后发弹幕" in page and 'name="body"' not in page
    response = client.post(url(studio, "/comments"), data={"body": "匿名说话"})
    assert response.status_code == 403 and "请先登录。" in response.get_data(as_text=True)
    assert stored() == []


def test_a_closed_room_says_so_instead_of_a_form(client, studio, buyer):
    make.sign_in(client, buyer)
    studio.room.status = "ended"
    db.session.commit()
    page = client.get(url(studio)).get_data(as_text=True)
    assert "直播已结束，弹幕已关闭。" in page and 'name="body"' not in page
    response = client.post(url(studio, "/comments"), data={"body": "还在吗"},
                           headers=htmx("live-chat"))
    assert response.status_code == 409 and "直播已结束，弹幕已关闭。" in response.get_data(as_text=True)
    studio.room.status = "scheduled"
    db.session.commit()
    page = client.get(url(studio)).get_data(as_text=True)
    assert "直播还没开始，开播后才能发弹幕。" in page
    assert stored() == []


def test_a_flood_of_comments_gets_429_with_a_message_in_the_panel(client, studio, buyer):
    make.sign_in(client, buyer)
    statuses = [client.post(url(studio, "/comments"), data={"body": f"第{i}条"},
                            headers=htmx("live-chat")).status_code for i in range(5)]
    assert statuses == [200] * 5
    response = client.post(url(studio, "/comments"), data={"body": "第6条"},
                           headers=htmx("live-chat"))
    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert page.lstrip().startswith('<section id="live-chat"')
    assert "发得太快了，请过几秒再发。" in page and 'value="第6条"' in page
    no_js = client.post(url(studio, "/comments"), data={"body": "第7条"})
    assert no_js.status_code == 429 and "发得太快了" in no_js.get_data(as_text=True)
    assert len(stored()) == 5


def test_the_limit_is_per_person(make_client, studio, buyer):
    first, second = signed_in(make_client, buyer), signed_in(make_client, make.user("王姐"))
    for i in range(5):
        first.post(url(studio, "/comments"), data={"body": f"刷屏{i}"})
    assert first.post(url(studio, "/comments"), data={"body": "再刷"}).status_code == 429
    assert second.post(url(studio, "/comments"), data={"body": "我还能说"}).status_code == 303


# --- the feed every viewer polls ----------------------------------------------------------------

def test_the_feed_answers_304_until_someone_comments(client, make_client, studio, buyer):
    first = feed(client, studio)
    assert first.status_code == 200 and first.headers["Cache-Control"] == "private, no-cache"
    assert "还没有弹幕" in first.get_data(as_text=True)
    etag = first.headers["ETag"]
    again = feed(client, studio, etag)
    assert again.status_code == 304 and again.get_data() == b""
    signed_in(make_client, buyer).post(url(studio, "/comments"), data={"body": "主播好"})
    changed = feed(client, studio, etag)
    assert changed.status_code == 200 and "主播好" in changed.get_data(as_text=True)
    assert changed.headers["ETag"] != etag
    assert feed(client, studio, changed.headers["ETag"]).status_code == 304


def test_the_feed_is_a_fragment_and_a_plain_visit_goes_to_the_room(client, studio):
    response = client.get(url(studio, "/comments"))
    assert response.status_code == 303 and response.headers["Location"].endswith("#live-chat")
    fragment = feed(client, studio).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="live-comments"') and "<html" not in fragment
    assert feed(client, type("S", (), {"room": type("R", (), {"id": 999})})).status_code == 404


def test_the_feed_is_newest_first_and_shows_the_current_broadcast_only(client, studio, buyer):
    from datetime import timedelta

    from app import clock

    db.session.add(LiveComment(room_id=studio.room.id, user_id=buyer.id, body="上一场的弹幕",
                               created_at=clock.now() - timedelta(days=1)))
    db.session.commit()
    make.sign_in(client, buyer)
    for text in ("第一句", "第二句"):
        client.post(url(studio, "/comments"), data={"body": text})
    fragment = feed(client, studio).get_data(as_text=True)
    assert fragment.index("第二句") < fragment.index("第一句")
    assert "上一场的弹幕" not in fragment


def test_a_scheduled_room_polls_slowly_and_shows_no_comments(client, studio):
    studio.room.status = "scheduled"
    db.session.commit()
    fragment = feed(client, studio).get_data(as_text=True)
    assert 'hx-trigger="every 15s"' in fragment and "开播后可以在这里和主播聊天" in fragment


def test_polling_the_comments_counts_the_viewer_as_watching(client, studio):
    from app.live import presence

    feed(client, studio)
    feed(client, studio)  # a browser is counted from its second request (its id comes back)
    presence.cache.clear()
    assert presence.count(studio.room.id) == 1


def count_queries(app):
    statements: list[str] = []

    def note(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    return statements, lambda: event.remove(db.engine, "before_cursor_execute", note)


def test_without_redis_an_unchanged_feed_costs_one_query_and_no_rendering(
        app, client, studio, buyer):
    make.sign_in(client, buyer)
    etag = feed(client, studio).headers["ETag"]
    feed(client, studio, etag)  # the viewer's presence is written once, not on every poll
    room = type("S", (), {"room": type("R", (), {"id": studio.room.id})})
    statements, stop = count_queries(app)
    try:
        response = feed(client, room, etag)
    finally:
        stop()
    assert response.status_code == 304
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    # one query: the room, its shop being open, its newest comment and moderation version
    assert len(selects) == 1, selects
    assert "live_comments" in selects[0] and "live_rooms" in selects[0]
    assert not any(s.lstrip().upper().startswith(("INSERT", "UPDATE")) for s in statements)


def test_a_suspended_shops_feed_is_gone_even_for_a_viewer_who_had_it(client, studio):
    etag = feed(client, studio).headers["ETag"]
    studio.shop.status = "suspended"
    db.session.commit()
    assert feed(client, studio, etag).status_code == 404
