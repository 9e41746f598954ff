"""The sale phase in a browser: the operator sets live vouchers; a buyer claims one in an
approved live room and sees the leaderboard; after the sale the operator crowns the 卖货王,
whose title shows on the leaderboard and the shop page."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app import clock
from app.extensions import db
from tests import factories as make
from tests.browser.conftest import check_accessibility
from tests.sale.helpers import paid_order, sale_world


@pytest.fixture
def story(ctx):
    w = sale_world()
    paid_order(w.buyer, w.dress, 3)
    paid_order(w.buyer, w.bangle, 1)
    operator = make.user("平台运营", email="ops@example.cn", operator=True)
    facts = {"buyer": w.buyer.email, "operator": operator.email, "slug": w.campaign.slug,
             "room": w.jade_room.id, "apparel_shop": w.apparel.id}
    db.session.commit()
    return facts


def sign_in(page, live_server, email):
    page.goto(live_server + "/signin")
    page.get_by_label("手机号或邮箱").fill(email)
    page.get_by_label("密码").fill(make.PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(live_server + "/")


def test_vouchers_leaderboard_and_kings(page, new_page, live_server, story):
    ops = new_page()
    sign_in(ops, live_server, story["operator"])
    ops.goto(f"{live_server}/admin/campaigns/{story['slug']}/sale")
    check_accessibility(ops)
    ops.get_by_label("每张券减（元）").fill("20")
    ops.get_by_label("使用门槛：满（元，0 为无门槛）").fill("0")
    ops.get_by_label("每人每天限领（张）").fill("2")
    ops.get_by_label("平台预算（元）").fill("1000")
    ops.get_by_role("button", name="保存直播购物券").click()
    expect(ops.locator("#flash-area")).to_contain_text("直播购物券已设置")

    sign_in(page, live_server, story["buyer"])
    page.goto(f"{live_server}/live/{story['room']}")
    voucher = page.locator("#room-voucher")
    expect(voucher).to_contain_text("直播购物券")
    check_accessibility(page)
    page.get_by_role("button", name="立即领取").click()
    expect(voucher).to_contain_text("已领取")  # swapped in place by htmx
    check_accessibility(page)

    page.goto(f"{live_server}/campaigns/{story['slug']}/leaderboards/peak")
    expect(page.locator(".lb-row").first).to_contain_text("四季青女装")
    check_accessibility(page)
    page.get_by_role("link", name="玉石").click()
    expect(page.locator(".lb-row")).to_have_count(1)
    expect(page.locator(".lb-row").first).to_contain_text("玉匠人")
    check_accessibility(page)

    clock.travel(timedelta(days=2))  # the sale is over
    ops.goto(f"{live_server}/admin/campaigns/{story['slug']}/sale")
    ops.get_by_role("button", name="评选卖货王").click()
    expect(ops.locator(".lb-kings")).to_contain_text("四季青女装")
    check_accessibility(ops)
    page.goto(f"{live_server}/shops/{story['apparel_shop']}")
    expect(page.locator(".chip-king").first).to_contain_text("卖货王")
    check_accessibility(page)


def test_an_ended_venue_shows_results_and_winners_and_the_room_its_titles(page, new_page,
                                                                         live_server, story):
    clock.travel(timedelta(days=2))  # the sale is over; the jade room is still on air
    for tab in (page, new_page(width=1280, height=900)):
        tab.goto(f"{live_server}/campaigns/{story['slug']}")
        check_accessibility(tab)
        results = tab.locator(".venue-results")
        expect(results).to_contain_text("活动成绩")
        expect(results).to_contain_text("卖货王评选中")
        expect(tab.locator("body")).not_to_contain_text("活动商品即将上线")
        expect(tab.locator("body")).not_to_contain_text("正在直播")
        expect(tab.locator(".venue-rooms .chip-live")).to_have_count(0)
        assert tab.evaluate("document.documentElement.scrollWidth") <= tab.evaluate(
            "window.innerWidth")

    ops = new_page()
    sign_in(ops, live_server, story["operator"])
    ops.goto(f"{live_server}/admin/campaigns/{story['slug']}/sale")
    ops.get_by_role("button", name="评选卖货王").click()
    expect(ops.locator(".lb-kings")).to_contain_text("四季青女装")

    page.goto(f"{live_server}/campaigns/{story['slug']}")
    card = page.locator(".results-card", has_text="服饰")
    expect(card).to_contain_text("卖货王 · 服饰 · 巅峰榜")
    expect(card).to_contain_text("四季青女装")
    expect(page.locator(".results-card", has_text="玉石")).to_contain_text("玉匠人")
    check_accessibility(page)
    page.goto(f"{live_server}/live/{story['room']}")
    expect(page.locator(".king-line-room")).to_contain_text("卖货王 · 玉石 · 巅峰榜")
    check_accessibility(page)
