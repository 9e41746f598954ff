"""弹幕 and 点赞 in real browsers. A buyer comments in a live room and another viewer's screen
shows it within two seconds, without a reload; the anchor removes it and it goes from both.
With JavaScript off, the plain form posts a comment and the room shows it after the redirect."""
from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from app.extensions import db
from tests import factories as make
from tests.browser.conftest import check_accessibility


@pytest.fixture
def studio(ctx, app):
    app.extensions["yt_like_buffer"].drain()
    shop = make.merchant("玉匠人", certified=True)
    bangle = make.product(shop, "冰种飘花翡翠手镯", price_fen=128000, stock=5)
    room = make.live_room(shop, title="玉匠人 · 镇平玉雕源头直播", goods=[bangle], pinned=bangle)
    buyer = make.user("杭州老铁")
    story = SimpleNamespace(room_id=room.id, owner_email=shop.owner.email,
                            buyer_email=buyer.email)
    db.session.commit()  # the server writes too: the test must not hold SQLite's lock
    yield story
    app.extensions["yt_like_buffer"].drain()


def sign_in(page, live_server, email):
    page.goto(live_server + "/signin")
    page.get_by_label("手机号或邮箱").fill(email)
    page.get_by_label("密码").fill(make.PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(live_server + "/")


def test_a_comment_shows_up_on_another_viewers_screen_within_two_seconds(new_page, live_server,
                                                                         studio):
    room_url = f"{live_server}/live/{studio.room_id}"
    viewer = new_page()  # anonymous, just watching
    navigations = []
    viewer.on("framenavigated", lambda frame: navigations.append(frame.url))
    viewer.goto(room_url)
    expect(viewer.locator(".chat-empty")).to_contain_text("还没有弹幕")
    expect(viewer.get_by_role("link", name="登录后发弹幕")).to_be_visible()
    check_accessibility(viewer)

    buyer = new_page()
    sign_in(buyer, live_server, studio.buyer_email)
    buyer.goto(room_url)
    box = buyer.get_by_label("发弹幕")
    box.fill("冰种那只手镯还有 56 圈口吗？")
    with buyer.expect_response(lambda r: r.url.endswith("/comments")
                               and r.request.method == "POST") as posted:
        box.press("Enter")
    assert posted.value.status == 200
    sent = time.monotonic()
    expect(viewer.locator(".chat-body", has_text="冰种那只手镯还有 56 圈口吗？")).to_be_visible(
        timeout=2000)
    assert time.monotonic() - sent <= 2.0
    expect(buyer.locator(".chat-body", has_text="56 圈口")).to_be_visible()
    expect(buyer.get_by_label("发弹幕")).to_have_value("")
    expect(buyer.get_by_label("发弹幕")).to_be_focused()  # ready for the next one
    check_accessibility(buyer)

    # 点赞: the count goes up for the buyer at once, and for the viewer with its next poll.
    buyer.get_by_role("button", name="点赞（0 个赞）").click()
    expect(buyer.locator(".like-count")).to_have_text("1")
    expect(viewer.locator(".like-count")).to_have_text("1", timeout=5000)

    # A link is refused with the reason, and what was typed stays in the box.
    buyer.get_by_label("发弹幕").fill("便宜货看 www.fake-jade.com")
    buyer.get_by_role("button", name="发送").click()
    expect(buyer.get_by_role("alert")).to_have_text("弹幕里不能带链接或网址。")
    expect(buyer.get_by_label("发弹幕")).to_have_value("便宜货看 www.fake-jade.com")
    check_accessibility(buyer)

    # The anchor removes the first comment: it goes from the viewer's screen too.
    anchor = new_page()
    sign_in(anchor, live_server, studio.owner_email)
    anchor.goto(room_url)
    anchor.get_by_role("button", name="删除 杭州老铁 的弹幕").click()
    expect(anchor.locator(".chat-notice")).to_have_text("已删除这条弹幕。")
    check_accessibility(anchor)
    expect(viewer.locator(".chat-body", has_text="56 圈口")).to_have_count(0, timeout=2000)
    assert navigations == [room_url]  # the viewer never reloaded


def test_without_javascript_a_plain_form_posts_a_comment(page_nojs, live_server, studio):
    room_url = f"{live_server}/live/{studio.room_id}"
    sign_in(page_nojs, live_server, studio.buyer_email)
    page_nojs.goto(room_url)
    page_nojs.get_by_label("发弹幕").fill("没开脚本也能发弹幕")
    page_nojs.get_by_role("button", name="发送").click()
    page_nojs.wait_for_url(room_url + "#live-chat")
    expect(page_nojs.locator(".chat-body", has_text="没开脚本也能发弹幕")).to_be_visible()
    check_accessibility(page_nojs)

    page_nojs.get_by_role("button", name="点赞（0 个赞）").click()
    page_nojs.wait_for_url(room_url + "#live-chat")
    expect(page_nojs.locator(".like-count")).to_have_text("1")

    page_nojs.get_by_label("发弹幕").fill("<b>粗体</b>\u202e")
    page_nojs.get_by_role("button", name="发送").click()
    expect(page_nojs.get_by_role("alert")).to_have_text("弹幕里不能有控制字符或看不见的格式字符。")
    expect(page_nojs.get_by_label("发弹幕")).to_have_value("<b>粗体</b>")
    check_accessibility(page_nojs)
