"""Real parallel clients against the database in use (SQLite or PostgreSQL): the last units,
a double submission, payment racing the timeout, shipping racing a cancel."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import clock
from app.accounts.models import User
from app.catalog.models import Product
from app.exceptions import Conflict
from app.extensions import db, limiter
from app.orders import checkout, orders
from app.orders.models import Address, Checkout, Order, OrderLine, OrderStatus
from app.orders.repeats import RepeatOrder
from tests import factories as make
from tests.concurrency import race
from tests.orders.helpers import checkout_form, count, refreshed

pytestmark = pytest.mark.concurrency


def live_units(product_id: int) -> int:
    """Units held by orders that still count (not cancelled, effective from now)."""
    now = clock.now()
    return db.session.scalar(
        select(func.coalesce(func.sum(OrderLine.quantity), 0))
        .join(Order, Order.id == OrderLine.order_id)
        .where(OrderLine.product_id == product_id,
               (Order.status != OrderStatus.cancelled)
               & ~((Order.status == OrderStatus.pending_payment) & (Order.pay_deadline <= now)))
    )


def test_fifty_buyers_race_for_the_last_ten_units(app, ctx, make_client):
    shop = make.merchant("玉匠人", certified=True)
    item = make.product(shop, "最后十只手镯", stock=10)
    clients, forms = [], []
    for n in range(52):
        buyer = make.user(f"买家{n}")
        make.address(buyer)
        client = make_client()
        limiter.reset()  # fifty sign-ins from one test address, a minute's worth of limit
        make.sign_in(client, buyer)
        clients.append(client)
        forms.append(checkout_form(client, f"?product_id={item.id}&quantity=1"))

    results = race(app, len(clients), lambda i: clients[i].post("/checkout", data=forms[i]))

    assert not [r for r in results if isinstance(r, Exception)], results
    statuses = sorted(r.status_code for r in results)
    assert statuses.count(303) == 10 and statuses.count(409) == 42, statuses
    assert all("库存" in r.get_data(as_text=True) or "抢光" in r.get_data(as_text=True)
               for r in results if r.status_code == 409)
    final = refreshed(Product, item.id)
    assert final.stock == 0 and final.sales_count == 10
    assert count(Order) == 10 and live_units(item.id) == 10


def test_two_fresh_checkouts_of_the_same_goods_at_once_place_one_order(app, ctx):
    """Two checkout pages of the same goods (two keys: two tabs, or Back and a new page)
    submitted at the same moment: one order is placed and the other is asked "order again?",
    never both placed without a word."""
    shop = make.merchant("玉匠人")
    item = make.product(shop, stock=20)
    buyer = make.user()
    address_id = make.address(buyer).id
    buyer_id, product_id, total = buyer.id, item.id, item.price_fen
    keys = [checkout.new_idempotency_key() for _ in range(6)]

    def submit(i: int):
        me = db.session.get(User, buyer_id)
        placed, _created = checkout.place_checkout(me, checkout.CheckoutRequest(
            items=[(product_id, 1)], address_id=address_id, payment_method="cod",
            idempotency_key=keys[i], expected_total_fen=total, ask_if_repeat=True))
        return placed.id

    results = race(app, len(keys), submit)
    placed = [r for r in results if isinstance(r, int)]
    asked = [r for r in results if isinstance(r, RepeatOrder)]
    assert len(placed) == 1 and len(asked) == len(keys) - 1, results
    assert count(Order) == 1


def test_a_double_click_places_one_order(app, ctx):
    shop = make.merchant("玉匠人")
    item = make.product(shop, stock=5)
    buyer = make.user()
    address_id = make.address(buyer).id
    key = checkout.new_idempotency_key()
    buyer_id, product_id, total = buyer.id, item.id, item.price_fen

    def submit(_i: int):
        me = db.session.get(User, buyer_id)
        placed, created = checkout.place_checkout(me, checkout.CheckoutRequest(
            items=[(product_id, 2)], address_id=address_id, payment_method="cod",
            idempotency_key=key, expected_total_fen=total * 2))
        return placed.id, created

    results = race(app, 8, submit)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len({checkout_id for checkout_id, _created in results}) == 1
    assert [created for _id, created in results].count(True) == 1
    assert count(Checkout) == 1 and count(Order) == 1
    assert refreshed(Product, item.id).stock == 3


def test_payment_racing_the_timeout_never_oversells(app, ctx):
    """Each unpaid order is paid by a slightly slow host just before its deadline while the
    tick job expires it just after, and other buyers grab the units the moment they are
    free. One conditional UPDATE on the order's status decides each race."""
    shop = make.merchant("玉匠人")
    units = 15
    item = make.product(shop, stock=units)
    start = clock.now()
    clock.freeze(start)
    held = []
    for n in range(units):
        buyer = make.user(f"慢付{n}")
        held.append((make.order(buyer, item, method="sandbox"), buyer.id))
    rivals = [make.user(f"抢购{n}") for n in range(units)]
    for rival in rivals:
        make.address(rival)
    assert refreshed(Product, item.id).stock == 0
    deadline = held[0][0].pay_deadline
    clock.freeze(deadline + timedelta(seconds=1))
    plan_total = item.price_fen
    jobs = ([("pay", o.checkout_id, b) for o, b in held] + [("expire", o.id, None) for o, _b in held]
            + [("rival", r.id, None) for r in rivals])

    def act(i: int):
        kind, ref, who = jobs[i]
        if kind == "pay":
            try:
                orders.pay_checkout(db.session.get(User, who), ref, "sandbox",
                                    now=deadline - timedelta(seconds=1))
                return "paid"
            except Conflict:
                return "too late"
        if kind == "expire":
            done = orders.expire_order(db.session.get(Order, ref))
            db.session.commit()
            return "expired" if done else "not expired"
        me = db.session.get(User, ref)
        address = db.session.scalar(select(Address).where(Address.user_id == me.id))
        try:
            checkout.place_checkout(me, checkout.CheckoutRequest(
                items=[(item_id, 1)], address_id=address.id, payment_method="cod",
                idempotency_key=checkout.new_idempotency_key(), expected_total_fen=plan_total))
            return "bought"
        except Conflict:
            return "sold out"

    item_id = item.id
    results = race(app, len(jobs), act)
    assert not [r for r in results if isinstance(r, Exception)], results
    paid, bought = results.count("paid"), results.count("bought")
    db.session.expire_all()
    statuses = [db.session.get(Order, o.id).status for o, _b in held]
    assert statuses.count("awaiting_shipment") == paid
    assert statuses.count("cancelled") == units - paid
    final = db.session.get(Product, item.id)
    assert final.stock >= 0
    assert paid + bought + final.stock == units          # never oversold, nothing lost
    assert live_units(item.id) == paid + bought


def test_shipping_racing_a_cancel_does_one_or_the_other(app, ctx):
    shop = make.merchant("玉匠人")
    item = make.product(shop, stock=1)
    buyer = make.user()
    order = make.order(buyer, item)
    owner_id, buyer_id, order_id = shop.owner_id, buyer.id, order.id

    def act(i: int):
        try:
            if i % 2:
                orders.ship_order(db.session.get(User, owner_id), order_id, "顺丰速运",
                                  f"SF{10000000 + i}")
                return "shipped"
            orders.cancel_by_buyer(db.session.get(User, buyer_id), order_id)
            return "cancelled"
        except Conflict:
            return "refused"

    results = race(app, 20, act)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert results.count("refused") == 19
    final = refreshed(Order, order_id)
    stock = refreshed(Product, item.id).stock
    if "shipped" in results:
        assert final.status == "shipped" and stock == 0
    else:
        assert final.status == "cancelled" and stock == 1  # given back exactly once
