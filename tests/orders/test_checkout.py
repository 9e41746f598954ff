"""Checkout: one order per shop, totals from the database, stock taken with the order rows
in one transaction, an idempotency key against double submission, the payment timeout."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app import clock
from app.accounts.models import Notification
from app.catalog.models import Product
from app.exceptions import Conflict
from app.extensions import db
from app.orders import checkout, orders, pricing
from app.orders.models import CartItem, Checkout, Order, OrderDiscount, OrderLine
from tests import factories as make
from tests.orders.helpers import checkout_form, count, page, refreshed


@pytest.fixture
def shop(ctx):
    return make.merchant("玉匠人", certified=True)


def test_a_buyer_checks_out_the_cart_with_cash_on_delivery(client, shop):
    bangle = make.product(shop, "冰种飘花翡翠手镯", price_fen=128000, stock=5)
    buyer = make.user("老铁")
    make.address(buyer)
    make.sign_in(client, buyer)

    assert client.post("/cart/add", data={"product_id": bangle.id, "quantity": "2"}).status_code == 303
    cart = page(client.get("/cart"))
    assert "冰种飘花翡翠手镯" in cart and "库存 5 件" in cart and "玉匠人" in cart

    form = checkout_form(client)
    assert form["lines"] == f"{bangle.id}:2" and form["expected_total"] == "256000"
    response = client.post("/checkout", data=form)
    assert response.status_code == 303

    order = db.session.scalar(select(Order))
    assert response.headers["Location"].endswith(f"/orders/{order.id}")
    assert (order.status, order.payment_method, order.pay_fen) == ("awaiting_shipment", "cod", 256000)
    assert [(ln.unit_price_fen, ln.quantity, ln.line_total_fen) for ln in order.lines] == [
        (128000, 2, 256000)]
    assert order.recipient == "张老铁" and "镇平县" in order.shipping_address
    assert refreshed(Product, bangle.id).stock == 3
    assert count(CartItem) == 0  # the bought goods left the cart
    assert count(Notification, Notification.user_id == shop.owner_id) == 1
    detail = page(client.get(f"/orders/{order.id}"))
    assert "待发货" in detail and "货到付款" in detail


def test_one_order_per_shop_with_their_own_totals(client, shop):
    other = make.merchant("四会玉器", belt_slug="sihui-jade")
    a = make.product(shop, "平安扣", price_fen=9900, stock=5)
    b = make.product(other, "玉白菜摆件", price_fen=29900, stock=5)
    buyer = make.user()
    make.address(buyer)
    make.sign_in(client, buyer)
    for item in (a, b):
        client.post("/cart/add", data={"product_id": item.id})
    form = checkout_form(client)
    assert form["expected_total"] == str(9900 + 29900)
    assert client.post("/checkout", data=form).status_code == 303
    placed = db.session.scalars(select(Order).order_by(Order.merchant_id)).all()
    assert [(o.merchant_id, o.pay_fen) for o in placed] == [(shop.id, 9900), (other.id, 29900)]
    assert placed[0].checkout_id == placed[1].checkout_id


def test_buy_now_skips_the_cart(client, shop):
    item = make.product(shop, stock=2)
    buyer = make.user()
    make.address(buyer)
    make.sign_in(client, buyer)
    form = checkout_form(client, f"?product_id={item.id}&quantity=2")
    assert form["from_cart"] == ""
    assert client.post("/checkout", data=form).status_code == 303
    assert refreshed(Product, item.id).stock == 0


def test_checkout_asks_anonymous_visitors_to_sign_in_first(client, shop):
    item = make.product(shop)
    response = client.get(f"/checkout?product_id={item.id}&quantity=1")
    assert response.status_code == 302 and "/signin" in response.headers["Location"]


def test_a_resubmitted_form_returns_the_same_order(client, shop):
    item = make.product(shop, stock=5)
    buyer = make.user()
    make.address(buyer)
    make.sign_in(client, buyer)
    form = checkout_form(client, f"?product_id={item.id}&quantity=1")
    first = client.post("/checkout", data=dict(form))
    again = client.post("/checkout", data=dict(form))
    assert first.headers["Location"] == again.headers["Location"]
    assert count(Order) == 1 and count(Checkout) == 1
    assert refreshed(Product, item.id).stock == 4


def test_the_same_key_from_another_buyer_is_their_own_checkout(ctx, shop):
    item = make.product(shop, stock=5)
    one, two = make.user("甲"), make.user("乙")
    key = checkout.new_idempotency_key()
    for buyer in (one, two):
        placed, created = checkout.place_checkout(buyer, checkout.CheckoutRequest(
            items=[(item.id, 1)], address_id=make.address(buyer).id, payment_method="cod",
            idempotency_key=key, expected_total_fen=item.price_fen))
        assert created and placed.buyer_id == buyer.id
    assert count(Order) == 2


@pytest.mark.parametrize("change,message,status", [
    ({"expected_total": "1"}, "订单金额有变化", 409),          # a tampered price
    ({"expected_total": ""}, "请确认订单金额", 400),
    ({"lines": "{pid}:3"}, "订单金额有变化", 409),              # a tampered quantity
    ({"lines": "{pid}:0"}, "购买数量需为 1–200 的整数", 400),
    ({"lines": "{pid}:-1"}, "购买数量需为 1–200 的整数", 400),
    ({"lines": "{pid}:99999999999"}, "购买数量需为 1–200 的整数", 400),
    ({"lines": "{pid}:6", "expected_total": "768000"}, "库存只剩 5 件", 409),
    ({"lines": "{pid}:1;DROP"}, "商品信息有误", 400),
    ({"lines": ""}, "没有要结算的商品", 400),
    ({"lines": "999999:1"}, "商品不存在", 404),
    ({"payment_method": "bitcoin"}, "请选择支付方式", 400),
    ({"key": "short"}, "页面已过期", 400),
    ({"address_id": ""}, "请选择收货地址", 400),
    ({"note": "留" * 101}, "留言不能超过 100 个字", 400),
])
def test_tampered_or_bad_checkouts_change_nothing(client, shop, change, message, status):
    item = make.product(shop, price_fen=128000, stock=5)
    buyer = make.user()
    make.address(buyer)
    make.sign_in(client, buyer)
    client.post("/cart/add", data={"product_id": item.id})
    form = checkout_form(client) | {k: v.format(pid=item.id) for k, v in change.items()}
    response = client.post("/checkout", data=form)
    assert response.status_code == status
    assert message in page(response)
    assert count(Order) == 0 and count(Checkout) == 0
    assert refreshed(Product, item.id).stock == 5
    assert count(CartItem) == 1


def test_another_users_address_is_not_found(client, shop):
    item = make.product(shop)
    buyer, stranger = make.user("买家"), make.user("陌生人")
    make.address(buyer)
    theirs = make.address(stranger, "陌生人")
    make.sign_in(client, buyer)
    form = checkout_form(client, f"?product_id={item.id}&quantity=1")
    response = client.post("/checkout", data=form | {"address_id": str(theirs.id)})
    assert response.status_code == 404 and "收货地址不存在" in page(response)
    assert count(Order) == 0


def test_json_instead_of_the_form_is_refused(client, shop):
    item = make.product(shop)
    buyer = make.user()
    make.sign_in(client, buyer)
    response = client.post("/checkout", json={"lines": f"{item.id}:1"}, csrf=False,
                           headers={"X-CSRFToken": client.csrf_token()})
    assert response.status_code == 415 and "格式不支持" in page(response)
    response = client.post("/cart/add", json={"product_id": item.id}, csrf=False)
    assert response.status_code == 400  # no CSRF token in a JSON body either
    assert count(Order) == 0 and count(CartItem) == 0


def test_buyers_cannot_buy_from_their_own_shop(client, shop):
    item = make.product(shop)
    make.address(shop.owner)
    make.sign_in(client, shop.owner)
    response = client.get(f"/checkout?product_id={item.id}&quantity=1")
    assert response.status_code == 409 and "不能购买自己店铺的商品" in page(response)


def test_a_failure_half_way_leaves_nothing_behind(ctx, shop, monkeypatch):
    """Stock, checkout, orders and cart change together or not at all."""
    other = make.merchant("四会玉器", belt_slug="sihui-jade")
    a, b = make.product(shop, stock=3), make.product(other, stock=3)
    buyer = make.user()
    db.session.add(CartItem(user_id=buyer.id, product_id=a.id, quantity=1))
    db.session.commit()
    calls = []
    real_quote = checkout.commission.quote

    def quote_then_fail(priced, now=None):
        calls.append(priced.merchant.id)
        if len(calls) == 2:  # the second shop's order: after stock was taken and rows added
            raise RuntimeError("the database went away")
        return real_quote(priced, now)

    monkeypatch.setattr(checkout.commission, "quote", quote_then_fail)
    plan = checkout.preview_checkout(buyer, [(a.id, 1), (b.id, 2)])
    with pytest.raises(RuntimeError):
        checkout.place_checkout(buyer, checkout.CheckoutRequest(
            items=[(a.id, 1), (b.id, 2)], address_id=make.address(buyer).id,
            payment_method="cod", idempotency_key=checkout.new_idempotency_key(),
            expected_total_fen=plan.total_fen, from_cart=True))
    db.session.expire_all()
    assert (db.session.get(Product, a.id).stock, db.session.get(Product, b.id).stock) == (3, 3)
    assert count(Order) == count(OrderLine) == count(Checkout) == 0
    assert count(CartItem) == 1
    assert count(Notification) == 0


def test_online_payment_through_the_sandbox(client, shop):
    item = make.product(shop, price_fen=5000, stock=3)
    buyer = make.user()
    make.address(buyer)
    make.sign_in(client, buyer)
    form = checkout_form(client, f"?product_id={item.id}&quantity=1") | {"payment_method": "sandbox"}
    response = client.post("/checkout", data=form)
    assert response.status_code == 303 and "/pay" in response.headers["Location"]
    cashier = page(client.get(response.headers["Location"]))
    assert "沙箱支付" in cashier and "不会真实扣款" in cashier
    order = db.session.scalar(select(Order))
    assert order.status == "pending_payment"
    assert client.post(response.headers["Location"]).status_code == 303
    order = refreshed(Order, order.id)
    assert order.status == "awaiting_shipment" and order.paid_at is not None
    assert order.payment_reference.startswith("sbx-")
    again = client.post(response.headers["Location"])  # paying twice: nothing left to pay
    assert again.status_code == 409


def test_an_unpaid_order_expires_on_time_without_a_timer(client, shop, app):
    clock.freeze(clock.now())
    item = make.product(shop, stock=1)
    buyer = make.user()
    order = make.order(buyer, item, method="sandbox")
    assert refreshed(Product, item.id).stock == 0
    make.sign_in(client, buyer)
    clock.travel(timedelta(minutes=15))
    # Reads already say it is cancelled, before any job ran…
    assert "已取消" in page(client.get(f"/orders/{order.id}"))
    assert client.post(f"/checkout/{order.checkout_id}/pay").status_code == 409
    assert refreshed(Order, order.id).status == "pending_payment"
    # …and another buyer can take the held unit straight away (released at placement).
    rival = make.user("手快的人")
    second = make.order(rival, item)
    assert second.status == "awaiting_shipment"
    assert refreshed(Order, order.id).status == "cancelled"
    assert refreshed(Product, item.id).stock == 0


def test_the_tick_job_gives_expired_stock_back_once(app, ctx, shop):
    clock.freeze(clock.now())
    item = make.product(shop, stock=4)
    order = make.order(make.user(), (item, 3), method="sandbox")
    clock.travel(timedelta(minutes=14, seconds=59))
    assert orders.expire_unpaid_orders() == 0
    clock.travel(timedelta(seconds=1))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["tick"]).exit_code == 0
    assert runner.invoke(args=["tick"]).exit_code == 0
    assert refreshed(Product, item.id).stock == 4
    assert refreshed(Order, order.id).cancel_reason == "timeout"
    assert count(Notification, Notification.user_id == order.buyer_id) == 1


def test_pricing_hooks_for_flash_prices_and_coupons(ctx, shop, monkeypatch):
    """Later issues plug flash-sale prices and coupons into pricing; checkout records them."""
    item = make.product(shop, price_fen=100000, stock=5)
    spent = []

    def flash_price(product, quantity, buyer, now):
        return pricing.UnitPrice(80000, "flash_sale") if product.id == item.id else None

    def coupons(order, buyer, choices, now):
        return [
            pricing.Discount(pricing.SHOP_COUPON, "shop", "店铺券", 5000, reference_id=7,
                             spend=lambda order_id: spent.append(order_id) or True),
            pricing.Discount(pricing.SHOP_COUPON, "shop", "小店铺券", 1000),  # one per kind
            pricing.Discount(pricing.PLATFORM_COUPON, "platform", "免单券", 10**7,
                             cap_fen=pricing.FREE_ORDER_CAP_FEN),
        ]

    monkeypatch.setattr(pricing, "UNIT_PRICE_RULES", [flash_price])
    monkeypatch.setattr(pricing, "DISCOUNT_RULES", [coupons])
    order = make.order(make.user(), (item, 2))
    assert [(ln.list_price_fen, ln.unit_price_fen, ln.price_source) for ln in order.lines] == [
        (100000, 80000, "flash_sale")]
    assert order.items_total_fen == 160000
    discounts = db.session.scalars(select(OrderDiscount).order_by(OrderDiscount.id)).all()
    assert [(d.kind, d.amount_fen) for d in discounts] == [("shop_coupon", 5000),
                                                            ("platform_coupon", 66600)]
    assert order.pay_fen == 160000 - 5000 - 66600 and order.shop_discount_fen == 5000
    assert order.commission_base_fen == 155000  # platform-funded discounts don't cut the shop's
    assert spent == [order.id]


def test_a_coupon_already_spent_refuses_the_order(ctx, shop, monkeypatch):
    item = make.product(shop, stock=5)
    monkeypatch.setattr(pricing, "DISCOUNT_RULES", [lambda order, buyer, choices, now: [
        pricing.Discount(pricing.PLATFORM_COUPON, "platform", "直播购物券", 100,
                         spend=lambda order_id: False)]])
    with pytest.raises(Conflict):
        make.order(make.user(), item)
    assert count(Order) == 0 and refreshed(Product, item.id).stock == 5


def test_checkout_is_rate_limited(client, shop, app):
    item = make.product(shop, stock=100)
    buyer = make.user()
    make.address(buyer)
    make.sign_in(client, buyer)
    form = checkout_form(client, f"?product_id={item.id}&quantity=1")
    limit = int(app.config["RATELIMIT_GRAB"].split()[0])
    statuses = [client.post("/checkout", data=form).status_code for _ in range(limit + 1)]
    assert statuses[:limit] == [303] * limit and statuses[-1] == 429
    assert count(Order) == 1


def test_a_plan_for_other_goods_is_not_used_to_place_an_order(ctx, shop):
    """A caller-supplied plan is reused only for the very goods it priced."""
    from app.orders import checkout

    cheap = make.product(shop, "便宜货", price_fen=1000, stock=5)
    dear = make.product(shop, "贵重货", price_fen=90000, stock=5)
    buyer = make.user()
    cheap_plan = checkout.preview_checkout(buyer, [(cheap.id, 1)])
    with pytest.raises(Conflict):  # the total shown was the cheap one: re-priced, it differs
        checkout.place_checkout(buyer, checkout.CheckoutRequest(
            items=[(dear.id, 1)], address_id=make.address(buyer).id, payment_method="cod",
            idempotency_key=checkout.new_idempotency_key(),
            expected_total_fen=cheap_plan.total_fen, plan=cheap_plan))
    assert count(Order) == 0
