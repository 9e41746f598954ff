"""What an order's amount says: 实付 only for money that was paid."""
from __future__ import annotations

import re

from app.orders import orders
from tests import factories as make
from tests.orders.helpers import page


def plain(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page(response)))


def test_a_cancelled_order_never_says_paid(client, ctx):
    shop = make.merchant("玉匠人", certified=True)
    buyer = make.user()
    unpaid = make.order(buyer, make.product(shop, "玉白菜摆件", price_fen=18000), method="cod")
    orders.cancel_by_buyer(buyer, unpaid.id, "不想要了")
    make.sign_in(client, buyer)
    listing = plain(client.get("/orders"))
    assert "实付" not in listing and "已取消，未付款" in listing
    detail = plain(client.get(f"/orders/{unpaid.id}"))
    assert "实付" not in detail and "订单金额（已取消，未付款）" in detail


def test_paid_due_and_cash_on_delivery_amounts_say_what_they_are(client, ctx):
    shop = make.merchant("玉匠人", certified=True)
    buyer = make.user()
    cod = make.order(buyer, make.product(shop, "平安扣", price_fen=9900), method="cod")
    online = make.order(buyer, make.product(shop, "手镯", price_fen=30000), method="sandbox")
    make.sign_in(client, buyer)
    assert "货到应付" in plain(client.get(f"/orders/{cod.id}"))
    assert "应付金额" in plain(client.get(f"/orders/{online.id}"))
    orders.pay_checkout(buyer, online.checkout_id, "sandbox")
    assert "实付 ¥ 300 .00" in plain(client.get(f"/orders/{online.id}"))
    listing = plain(client.get("/orders"))
    assert listing.count("实付") == 1 and "货到应付" in listing
