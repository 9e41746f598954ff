"""A buyer adds a product to the cart from a live room, checks out with cash on delivery; the
merchant ships it with a tracking number; the buyer confirms and reviews; the shop's DSR on its
page changes."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.orders import orders
from tests import factories as make
from tests.browser.conftest import check_accessibility


@pytest.fixture
def story(ctx):
    from app.demo_photos import draw_photo
    from app.media import store_image

    photo = store_image(draw_photo("jade-bangle", "jade", 2)).key
    shop = make.merchant("玉匠人", certified=True)
    bangle = make.product(shop, "冰种飘花翡翠手镯", price_fen=128000, stock=3, photo_key=photo)
    # One earlier buyer rated the shop 4 / 4 / 4.
    earlier = make.user("老顾客")
    past = make.order(earlier, make.product(shop, "平安扣", price_fen=9900, photo_key=photo))
    orders.ship_order(shop.owner, past.id, "中通快递", "ZT12345678")
    orders.confirm_receipt(earlier, past.id)
    make.review(past, 4, 4, 4)
    buyer = make.user("老铁买家", email="laotie@example.cn")
    room = make.live_room(shop, goods=[bangle], pinned=bangle)
    facts = {"shop_id": shop.id, "merchant": shop.owner.email, "buyer": buyer.email,
             "product_id": bangle.id, "room_id": room.id}
    db.session.commit()  # reading those opened a transaction: end it so the server can write
    return facts


def sign_in(page, live_server, email):
    page.goto(live_server + "/signin")
    check_accessibility(page)
    page.get_by_label("手机号或邮箱").fill(email)
    page.get_by_label("密码").fill(make.PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(live_server + "/")


def test_buy_ship_confirm_review_and_the_dsr_moves(page, new_page, live_server, story):
    shop_url = f"{live_server}/shops/{story['shop_id']}"
    page.goto(shop_url)
    expect(page.locator(".dsr-score").first).to_have_text("4.00")
    check_accessibility(page)

    sign_in(page, live_server, story["buyer"])
    page.goto(f"{live_server}/live/{story['room_id']}")
    check_accessibility(page)
    page.get_by_role("button", name="加入购物车：冰种飘花翡翠手镯").click()
    expect(page.locator("#flash-area")).to_contain_text("已加入购物车")
    expect(page.locator("#header-cart .dot-count")).to_have_text("1")

    page.locator("#header-cart").click()
    page.wait_for_url("**/cart")
    expect(page.locator(".cart-line")).to_contain_text("冰种飘花翡翠手镯")
    check_accessibility(page)
    page.get_by_role("button", name="增加一件").click()
    expect(page.locator(".step-input")).to_have_value("2")
    page.get_by_role("button", name="结算 (1)").click()
    page.wait_for_url("**/checkout?*pick=*")
    check_accessibility(page)

    page.get_by_role("link", name="添加收货地址").click()
    check_accessibility(page)
    page.get_by_label("收货人").fill("张老铁")
    page.get_by_label("手机号").fill("13800138000")
    page.get_by_label("所在地区").fill("河南省 南阳市 镇平县")
    page.get_by_label("详细地址").fill("石佛寺镇玉雕大世界 8 号")
    page.get_by_role("button", name="保存地址").click()
    page.wait_for_url("**/checkout?*pick=*")
    expect(page.get_by_label("货到付款")).to_be_checked()
    expect(page.locator(".submit-bar")).to_contain_text("2,560")
    check_accessibility(page)
    page.get_by_role("button", name="提交订单").click()
    page.wait_for_url("**/orders/*")
    expect(page.locator(".status-hero h1")).to_have_text("待发货")
    order_url = page.url
    check_accessibility(page)

    desk = new_page()
    sign_in(desk, live_server, story["merchant"])
    desk.goto(live_server + "/sell/orders")
    check_accessibility(desk)
    desk.get_by_role("link", name="去发货").first.click()
    check_accessibility(desk)
    desk.get_by_label("快递公司").select_option("顺丰速运")
    desk.get_by_label("快递单号").fill("SF1234567890")
    desk.get_by_role("button", name="确认发货").click()
    expect(desk.locator(".status-hero h1")).to_have_text("已发货")
    check_accessibility(desk)

    page.goto(order_url)
    expect(page.locator(".status-hero h1")).to_have_text("已发货")
    expect(page.locator(".tracking")).to_contain_text("SF1234567890")
    check_accessibility(page)
    page.get_by_role("button", name="确认收货").click()
    page.wait_for_url("**/review")
    check_accessibility(page)
    for dimension in ("描述相符", "服务态度", "物流服务"):
        page.get_by_role("group", name=dimension).locator("label", has_text="5").click()
    page.get_by_label("说说你的感受（选填）").fill("种水通透，和直播间看到的一样。")
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_url(order_url)
    expect(page.locator(".status-hero h1")).to_have_text("已完成")
    expect(page.get_by_text("种水通透，和直播间看到的一样。")).to_be_visible()
    check_accessibility(page)

    page.goto(shop_url)
    expect(page.locator(".dsr-score")).to_have_text(["4.50", "4.50", "4.50"])
    expect(page.locator(".dsr")).to_contain_text("2 条评价")
    check_accessibility(page)


def test_buying_works_without_javascript(page_nojs, live_server, story):
    page = page_nojs
    sign_in(page, live_server, story["buyer"])
    page.goto(f"{live_server}/live/{story['room_id']}")
    check_accessibility(page)
    page.get_by_role("button", name="加入购物车：冰种飘花翡翠手镯").click()
    page.wait_for_url(f"**/live/{story['room_id']}")
    expect(page.locator("#flash-area")).to_contain_text("已加入购物车")
    page.goto(live_server + "/cart")
    page.get_by_label("冰种飘花翡翠手镯 的数量").fill("3")
    with page.expect_navigation():
        page.get_by_label("冰种飘花翡翠手镯 的数量").press("Enter")  # submits 更新数量, not −
    expect(page.locator(".step-input")).to_have_value("3")
    expect(page.locator(".cart-line-meta")).to_contain_text("3,840")
    check_accessibility(page)
    page.get_by_role("button", name="结算 (1)").click()
    check_accessibility(page)
    page.get_by_role("link", name="添加收货地址").click()
    check_accessibility(page)
    page.get_by_label("收货人").fill("张老铁")
    page.get_by_label("手机号").fill("13800138000")
    page.get_by_label("所在地区").fill("河南省 南阳市 镇平县")
    page.get_by_label("详细地址").fill("石佛寺镇玉雕大世界 8 号")
    page.get_by_role("button", name="保存地址").click()
    check_accessibility(page)
    page.get_by_role("button", name="提交订单").click()
    page.wait_for_url("**/orders/*")
    expect(page.locator(".status-hero h1")).to_have_text("待发货")
    expect(page.locator(".order-line")).to_contain_text("× 3")
    check_accessibility(page)
