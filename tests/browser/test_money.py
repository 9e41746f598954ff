"""Money and numbers that agree, as a person sees them at phone width: the cart's total is the
total checkout charges (flash prices and the coupons checkout picks included)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app.extensions import db
from tests import factories as make
from tests.browser.conftest import check_accessibility
from tests.browser.test_buying import sign_in
from tests.flash.helpers import sale_row


@pytest.fixture
def two_shops(ctx):
    small_shop = make.merchant("玉匠人", certified=True)
    big_shop = make.merchant("四会玉器", belt_slug="sihui-jade")
    bangle = make.product(small_shop, "冰种飘花翡翠手镯", price_fen=12980, stock=10)
    cabbage = make.product(small_shop, "玉白菜摆件", price_fen=9000, stock=10)
    vase = make.product(big_shop, "翡翠摆件", price_fen=62099, stock=5)
    sale_row(small_shop, bangle, price_fen=9000, quantity=5, starts_in=timedelta(minutes=-5))
    buyer = make.user("老铁买家", email="laotie@example.cn")
    make.address(buyer)
    make.wallet_copy(buyer, make.coupon(None, kind="free_order", cap_fen=66600,
                                        source="raffle", title="免单券"))
    facts = {"buyer": buyer.email, "ids": [bangle.id, cabbage.id, vase.id]}
    db.session.commit()
    return facts


def test_the_cart_total_is_what_checkout_charges(page, live_server, two_shops):
    sign_in(page, live_server, two_shops["buyer"])
    for product_id in two_shops["ids"]:
        page.goto(f"{live_server}/products/{product_id}")
        page.get_by_role("button", name="加入购物车").first.click()
        expect(page.locator("#flash-area")).to_contain_text("已加入购物车")
    page.goto(live_server + "/cart")
    check_accessibility(page)
    bangle = page.locator(".cart-line", has_text="冰种飘花翡翠手镯")
    expect(bangle.locator(".cart-unit-price")).to_contain_text("90.00")   # the flash price
    expect(bangle.locator(".price-strike")).to_have_text("¥129.80")
    # ¥90 + ¥90 in one shop; the free-order coupon covers the ¥620.99 order, not the ¥180 one.
    cart_total = page.get_by_test_id("cart-total").locator(".price").inner_text()
    assert cart_total.replace("\n", "").replace(" ", "") == "¥180.00"
    expect(page.locator(".cart-shop", has_text="四会玉器")).to_contain_text("-¥620.99")

    page.get_by_role("button", name="结算 (3)").click()
    page.wait_for_url("**/checkout?*pick=*")
    check_accessibility(page)
    checkout_total = page.get_by_test_id("checkout-total").locator(".price").inner_text()
    assert checkout_total == cart_total
    expect(page.locator(".checkout-card", has_text="四会玉器")).to_contain_text("免单")


@pytest.fixture
def statement_shop(ctx):
    from app.orders import orders
    from app.orders.models import CommissionTier

    db.session.add(CommissionTier(name="金牌源头商家", min_description=480, min_service=480,
                                  min_logistics=480, min_reviews=3, reduction_bp=150))
    db.session.commit()
    shop = make.merchant("玉匠人", certified=True)
    for price in (89190, 12800, 560000):
        order = make.order(make.user(), make.product(shop, price_fen=price, stock=3))
        orders.ship_order(shop.owner, order.id, "顺丰速运", "SF12345678")
        orders.confirm_receipt(order.buyer, order.id)
    facts = {"merchant": shop.owner.email}
    db.session.commit()
    return facts


def test_the_commission_statement_fits_a_phone_and_says_why(page, new_page, live_server,
                                                             statement_shop):
    for tab in (page, new_page(width=1280, height=900)):
        sign_in(tab, live_server, statement_shop["merchant"])
        tab.goto(live_server + "/sell/statement")
        check_accessibility(tab)
        width = tab.evaluate("window.innerWidth")
        assert tab.evaluate("document.documentElement.scrollWidth") <= width
        rows = tab.locator(".statement-table tbody tr")
        expect(rows).to_have_count(3)
        for i in range(3):
            row = rows.nth(i)
            for cell in row.locator("th, td").all():  # nothing cut off at the right edge
                box = cell.bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5
            expect(row.locator(".rate-reason")).to_contain_text("类目基础费率")
            expect(row.locator(".rate-reason")).to_be_visible()
        ladder = tab.locator(".tier-ladder")
        expect(ladder).to_contain_text("金牌源头商家")
        expect(ladder).to_contain_text("佣金减 1.5 个百分点")
        expect(ladder).to_contain_text("还需")
