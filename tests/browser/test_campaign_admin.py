"""Operators and merchants on their phones: an operator creates the campaign (seed dates
filled in), invites a shop; the shop applies with its goods; the operator approves; the shop
creates an anchor coupon; the venue shows the shop's live room."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.extensions import db
from tests import factories as make
from tests.browser.conftest import check_accessibility
from tests.browser.test_buying import sign_in


@pytest.fixture
def people(ctx):
    operator = make.user("运营小王", email="ops@example.cn", operator=True)
    shop = make.merchant("玉匠人", certified=True)
    make.product(shop, "冰种飘花翡翠手镯", price_fen=30000, stock=5)
    make.live_room(shop, title="玉匠人源头直播")
    facts = {"operator": operator.email, "merchant": shop.owner.email, "shop_id": shop.id}
    db.session.commit()
    return facts


def test_create_invite_apply_approve_and_a_coupon(page, new_page, live_server, people):
    sign_in(page, live_server, people["operator"])
    page.goto(live_server + "/account")
    page.get_by_role("link", name="活动管理").click()
    check_accessibility(page)
    page.get_by_role("link", name="新建活动").first.click()
    expect(page.get_by_label("话题标签")).to_have_value("#116卖货王")
    check_accessibility(page)
    page.get_by_label("活动标识（网址用，如 116-2026）").fill("116-e2e")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#flash-area")).to_contain_text("活动已创建。")
    check_accessibility(page)
    page.get_by_role("link", name="报名审核").click()
    check_accessibility(page)
    page.get_by_label("店铺编号").fill(str(people["shop_id"]))
    page.get_by_role("button", name="邀约店铺").click()
    expect(page.locator(".registration-item")).to_contain_text("已邀约")

    shop = new_page()
    sign_in(shop, live_server, people["merchant"])
    shop.goto(live_server + "/sell/campaigns")
    check_accessibility(shop)
    shop.get_by_label("冰种飘花翡翠手镯").check()
    shop.get_by_role("button", name="提交报名").click()
    expect(shop.locator("#flash-area")).to_contain_text("报名已提交")

    page.reload()
    expect(page.locator(".registration-item")).to_contain_text("待审核")
    page.get_by_role("button", name="通过 玉匠人", exact=True).click()
    expect(page.locator(".registration-item")).to_contain_text("已通过")
    check_accessibility(page)

    shop.goto(live_server + "/sell/coupons")
    check_accessibility(shop)
    shop.get_by_label("类型").select_option("threshold")
    shop.get_by_label("优惠金额（元）").fill("30")
    shop.get_by_label("满多少可用（元，满减券）").fill("300")
    shop.get_by_label("发放数量（张）").fill("50")
    shop.get_by_role("button", name="创建优惠券").click()
    expect(shop.locator("#flash-area")).to_contain_text("优惠券已创建")
    expect(shop.locator("table")).to_contain_text("满 ¥300.00 减 ¥30.00")
    check_accessibility(shop)

    page.goto(live_server + "/campaigns/116-e2e")
    expect(page.locator(".venue-room")).to_contain_text("玉匠人源头直播")
    check_accessibility(page)
