"""Issue 14: a failed form post leaves the browser on the form's page (Post/Redirect/Get), the
reason shown and what was typed kept: a reload does not post again."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.extensions import db
from tests import factories as make
from tests.browser.conftest import check_accessibility


@pytest.fixture
def awaiting(ctx):
    shop = make.merchant("玉匠人", certified=True)
    order = make.order(make.user("老铁"), make.product(shop, "冰种飘花翡翠手镯"))
    facts = {"merchant": shop.owner.email, "order_id": order.id}
    db.session.commit()
    return facts


@pytest.mark.parametrize("javascript", [True, False])
def test_a_refused_shipment_lands_back_on_the_order_with_what_was_typed(new_page, live_server,
                                                                         awaiting, javascript):
    desk = new_page(javascript=javascript)
    desk.goto(live_server + "/signin")
    desk.get_by_label("手机号或邮箱").fill(awaiting["merchant"])
    desk.get_by_label("密码").fill(make.PASSWORD)
    desk.get_by_role("button", name="登录").click()
    desk.wait_for_url(live_server + "/")
    order_url = f"{live_server}/sell/orders/{awaiting['order_id']}"
    desk.goto(order_url)
    desk.get_by_label("快递公司").select_option("顺丰速运")
    desk.get_by_label("快递单号").fill("12")
    desk.get_by_role("button", name="确认发货").click()
    desk.wait_for_url(order_url)  # not /ship: a reload shows the page, it does not post again
    expect(desk.get_by_text("快递单号应为 6–30 位字母或数字")).to_be_visible()
    expect(desk.get_by_label("快递单号")).to_have_value("12")
    expect(desk.get_by_label("快递公司")).to_have_value("顺丰速运")
    check_accessibility(desk)
    desk.reload()
    expect(desk.get_by_label("快递单号")).to_have_value("")  # the kept values were used once
    desk.get_by_label("快递公司").select_option("顺丰速运")
    desk.get_by_label("快递单号").fill("SF1234567890")
    desk.get_by_role("button", name="确认发货").click()
    expect(desk.locator(".status-hero h1")).to_have_text("已发货")
