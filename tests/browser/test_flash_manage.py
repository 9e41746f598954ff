"""A merchant schedules a flash sale from its account, sees it in the list, edits the price
before it starts, and cancels it; every page passes the accessibility check."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app import clock
from app.extensions import db
from app.live.forms import local_input
from tests import factories as make
from tests.browser.conftest import check_accessibility


@pytest.fixture
def story(ctx):
    shop = make.merchant("玉匠人", certified=True)
    make.product(shop, "冰种飘花翡翠手镯", price_fen=128000, stock=10)
    make.live_room(shop)
    facts = {"merchant": shop.owner.email,
             "start": local_input(clock.now() + timedelta(hours=2))}
    db.session.commit()
    return facts


def test_a_merchant_schedules_edits_and_cancels_a_flash_sale(page, live_server, story):
    page.goto(live_server + "/signin")
    page.get_by_label("手机号或邮箱").fill(story["merchant"])
    page.get_by_label("密码").fill(make.PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(live_server + "/")
    page.goto(live_server + "/account")
    page.get_by_role("link", name="秒杀活动").click()
    page.wait_for_url("**/sell/flash")
    expect(page.locator(".empty-state")).to_contain_text("还没有秒杀活动")
    check_accessibility(page)

    page.get_by_role("link", name="新建秒杀").click()
    check_accessibility(page)
    page.get_by_label("商品").select_option(label="冰种飘花翡翠手镯 · ¥1,280.00 · 库存 10 件")
    page.get_by_label("秒杀价（元）").fill("1300")  # not below the list price
    page.get_by_label("秒杀数量（件）").fill("3")
    page.get_by_label("开抢时间（北京时间）").fill(story["start"])
    page.get_by_role("button", name="设置秒杀").click()
    expect(page.locator(".field-error")).to_contain_text("秒杀价必须低于原价")
    expect(page.get_by_label("秒杀数量（件）")).to_have_value("3")  # what was typed is kept
    check_accessibility(page)
    page.get_by_label("秒杀价（元）").fill("99")
    page.get_by_role("button", name="设置秒杀").click()
    page.wait_for_url("**/flash/*")
    expect(page.locator(".flash-panel")).to_contain_text("距开抢")
    check_accessibility(page)

    page.goto(live_server + "/sell/flash")
    page.get_by_role("link", name="修改").click()
    page.get_by_label("秒杀价（元）").fill("88")
    page.get_by_role("button", name="保存修改").click()
    page.wait_for_url("**/flash/*")
    expect(page.locator(".flash-prices")).to_contain_text("88")
    page.goto(live_server + "/sell/flash")
    page.get_by_role("button", name="取消秒杀：冰种飘花翡翠手镯").click()
    expect(page.locator(".flash-manage-item")).to_contain_text("已取消")
    check_accessibility(page)
