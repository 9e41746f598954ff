"""A countdown flash sale (直播秒杀): the buyer watches the countdown reach zero and the buy
button appear without a reload; buys the only unit; a second buyer watching the live room
sees it sold out (已抢光) without a reload either."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app.extensions import db
from tests import factories as make
from tests.browser.conftest import check_accessibility
from tests.flash.helpers import sale_row

START_IN = 14  # seconds: time to sign two people in and watch the countdown


@pytest.fixture
def story(ctx):
    from app.demo_photos import draw_photo
    from app.media import store_image

    photo = store_image(draw_photo("jade-bangle", "jade", 2)).key
    shop = make.merchant("玉匠人", certified=True)
    bangle = make.product(shop, "冰种飘花翡翠手镯", price_fen=128000, stock=5, photo_key=photo)
    room = make.live_room(shop, goods=[bangle], pinned=bangle)
    first, second = make.user("老铁买家"), make.user("第二个买家")
    make.address(first)
    make.address(second)
    facts = {"first": first.email, "second": second.email, "room_id": room.id}
    sale = sale_row(shop, bangle, price_fen=9900, quantity=1, limit=1, room=room,
                    starts_in=timedelta(seconds=START_IN))
    facts["sale_id"] = sale.id
    db.session.commit()  # end the test's transaction so the server can write
    return facts


def sign_in(page, live_server, email):
    page.goto(live_server + "/signin")
    page.get_by_label("手机号或邮箱").fill(email)
    page.get_by_label("密码").fill(make.PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(live_server + "/")


def test_the_countdown_opens_the_sale_and_the_last_unit_sells_out_live(page, new_page,
                                                                      live_server, story):
    watcher = new_page()
    sign_in(watcher, live_server, story["second"])
    watcher.goto(f"{live_server}/live/{story['room_id']}")
    panel = watcher.locator(f"#flash-panel-{story['sale_id']}")
    expect(panel).to_contain_text("距开抢")
    check_accessibility(watcher)

    sign_in(page, live_server, story["first"])
    page.goto(f"{live_server}/flash/{story['sale_id']}")
    countdown = page.locator(".flash-panel .countdown")
    expect(countdown).to_have_text(re.compile(r"^00:00:\d\d$"))
    first_reading = countdown.inner_text()
    expect(page.get_by_role("button", name="立即抢购")).to_have_count(0)
    check_accessibility(page)
    page.wait_for_timeout(1200)
    assert countdown.inner_text() != first_reading  # it ticks in the browser

    # At zero the page asks the server, which opens the sale: the button appears, no reload.
    buy = page.get_by_role("button", name="立即抢购")
    expect(buy).to_be_visible(timeout=START_IN * 1000 + 8000)
    expect(page.locator(".flash-panel")).to_contain_text("距结束")
    check_accessibility(page)
    buy.click()
    page.wait_for_url("**/checkout/*/pay")
    expect(page.locator("#flash-area")).to_contain_text("抢到了")
    check_accessibility(page)

    # The second buyer's live room shows it sold out within a poll, greyed, no button.
    expect(panel).to_contain_text("已抢光", timeout=10_000)
    expect(watcher.get_by_role("button", name="立即抢购")).to_have_count(0)
    expect(panel).to_have_class(re.compile(r"\bflash-sold_out\b"))  # greyed by the CSS
    check_accessibility(watcher)


def test_with_javascript_off_a_reload_shows_the_true_state(page_nojs, live_server, story):
    sign_in(page_nojs, live_server, story["second"])
    page_nojs.goto(f"{live_server}/flash/{story['sale_id']}")
    expect(page_nojs.locator(".flash-panel")).to_contain_text("距开抢")
    expect(page_nojs.get_by_role("link", name="刷新")).to_be_visible()
    check_accessibility(page_nojs)
    page_nojs.wait_for_timeout((START_IN + 1) * 1000)
    page_nojs.get_by_role("link", name="刷新").click()
    buy = page_nojs.get_by_role("button", name="立即抢购")
    expect(buy).to_be_visible()
    buy.click()
    page_nojs.wait_for_url("**/checkout/*/pay")
    pay_url = page_nojs.url
    page_nojs.goto(f"{live_server}/flash/{story['sale_id']}")
    expect(page_nojs.locator(".flash-panel")).to_contain_text("已抢光")
    check_accessibility(page_nojs)
    # the grabbed order is not paid yet: the sale's page leads back to paying it
    page_nojs.get_by_role("link", name="去付款").click()
    page_nojs.wait_for_url(pay_url)
