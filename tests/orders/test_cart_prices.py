"""The cart shows what checkout will charge: flash prices, the coupons checkout chooses and the
total come from the one pricing path (app.orders.pricing.price_checkout)."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from app.campaigns.models import CouponClaim
from app.extensions import db
from app.orders.models import Order, OrderDiscount
from tests import factories as make
from tests.flash.helpers import sale_row
from tests.orders.helpers import checkout_form, page


def settle_total(text: str) -> str:
    """The 合计 in the cart's settle bar, as a person reads it (the price macro splits ¥, yuan
    and fen into spans)."""
    block = re.search(r'data-testid="cart-total">(.*?)</p>', text, re.S).group(1)
    plain = re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", block))
    return re.search(r"¥[\d,]+\.\d\d", plain).group(0)


def yuan(fen: int) -> str:
    return f"¥{fen / 100:,.2f}"


def test_a_flash_priced_line_shows_the_flash_price_in_the_cart_and_the_same_total_at_checkout(
        client, ctx):
    shop = make.merchant("玉匠人", certified=True)
    bangle = make.product(shop, "冰种飘花翡翠手镯", price_fen=12980, stock=10)
    pendant = make.product(shop, "和田玉平安扣", price_fen=5000, stock=10)
    sale_row(shop, bangle, price_fen=9000, quantity=5, starts_in=timedelta(minutes=-5))
    buyer = make.user()
    make.address(buyer)
    make.sign_in(client, buyer)
    client.post("/cart/add", data={"product_id": bangle.id, "quantity": "1"})
    client.post("/cart/add", data={"product_id": pendant.id, "quantity": "1"})
    cart = page(client.get("/cart"))
    plain = re.sub(r"<[^>]+>", "", cart)
    assert "¥90.00" in plain and "¥129.80" in plain  # the flash price, the list price struck
    assert settle_total(cart) == yuan(9000 + 5000)
    form = checkout_form(client, f"?from=cart&pick={bangle.id}&pick={pendant.id}")
    assert form["expected_total"] == str(9000 + 5000)


def test_the_cart_total_counts_the_coupons_checkout_will_use(client, ctx):
    small_shop = make.merchant("玉匠人", certified=True)
    big_shop = make.merchant("四会玉器", belt_slug="sihui-jade")
    small = make.product(small_shop, "玉白菜摆件", price_fen=18000, stock=5)
    big = make.product(big_shop, "翡翠手镯", price_fen=62099, stock=5)
    buyer = make.user()
    make.address(buyer)
    make.wallet_copy(buyer, make.coupon(None, kind="free_order", cap_fen=66600, source="raffle"))
    make.sign_in(client, buyer)
    client.post("/cart/add", data={"product_id": small.id, "quantity": "1"})
    client.post("/cart/add", data={"product_id": big.id, "quantity": "1"})
    cart = page(client.get("/cart"))
    assert settle_total(cart) == yuan(18000)  # the free-order coupon covers the ¥620.99 order
    assert "免单" in cart
    form = checkout_form(client, f"?from=cart&pick={small.id}&pick={big.id}")
    assert form["expected_total"] == "18000"
    assert client.post("/checkout", data=form).status_code == 303
    discount = db.session.scalar(select(OrderDiscount))
    order = db.session.get(Order, discount.order_id)
    assert (order.merchant_id, discount.amount_fen) == (big_shop.id, 62099)
    assert db.session.scalar(select(CouponClaim.status)) == "used"


def test_an_anonymous_cart_shows_list_prices_and_no_coupons(client, ctx):
    shop = make.merchant("玉匠人", certified=True)
    bangle = make.product(shop, "冰种飘花翡翠手镯", price_fen=12980, stock=10)
    sale_row(shop, bangle, price_fen=9000, quantity=5, starts_in=timedelta(minutes=-5))
    client.post("/cart/add", data={"product_id": bangle.id, "quantity": "2"})
    assert settle_total(page(client.get("/cart"))) == yuan(2 * 12980)
