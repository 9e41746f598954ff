"""Real parallel clients against the database in use (SQLite or PostgreSQL): the last coupons
grabbed by a crowd, one buyer hammering the grab button, concurrent checkouts sharing one
wallet copy, and two tick workers drawing the same raffle."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.campaigns import coupons
from app.campaigns.models import Coupon, CouponClaim
from app.exceptions import Conflict
from app.extensions import db, limiter
from app.orders.models import Order, OrderDiscount
from tests import factories as make
from tests.campaigns.helpers import checkout_form, count, refreshed
from tests.concurrency import race

pytestmark = pytest.mark.concurrency


def test_a_hundred_and_twenty_buyers_race_for_the_last_thirty_coupons(app, ctx, make_client):
    shop = make.merchant("玉匠人", certified=True)
    coupon = make.coupon(shop, quantity=30, per_user_limit=1)
    clients = []
    for n in range(120):
        client = make_client()
        limiter.reset()
        make.sign_in(client, make.user(f"抢券{n}"))
        clients.append(client)

    url = f"/coupons/{coupon.id}/grab"  # read ORM attributes here, not in the threads
    results = race(app, len(clients), lambda i: clients[i].post(
        url, headers={"HX-Request": "true"}).status_code)

    assert sorted(set(results)) == [200, 409], results
    assert results.count(200) == 30
    assert refreshed(Coupon, coupon.id).remaining == 0
    assert count(CouponClaim) == 30
    assert db.session.scalar(select(func.count(func.distinct(CouponClaim.user_id)))) == 30


def test_one_buyer_hammering_grab_never_exceeds_the_per_user_limit(app, ctx):
    shop = make.merchant("玉匠人", certified=True)
    coupon = make.coupon(shop, quantity=100, per_user_limit=3)
    buyer = make.user("手快的老铁")
    buyer_id, coupon_id = buyer.id, coupon.id

    def grab(_i):
        from app.accounts.models import User

        return coupons.grab_coupon(db.session.get(User, buyer_id), coupon_id).held

    results = race(app, 40, grab)
    won = [r for r in results if isinstance(r, int)]
    assert sorted(won) == [1, 2, 3]
    assert all(isinstance(r, Conflict) for r in results if not isinstance(r, int))
    assert count(CouponClaim) == 3
    assert refreshed(Coupon, coupon.id).remaining == 97


def test_concurrent_checkouts_spend_a_coupon_copy_at_most_once(app, ctx, make_client):
    shop = make.merchant("玉匠人", certified=True)
    item = make.product(shop, "翡翠平安扣", price_fen=20000, stock=50)
    buyer = make.user("老铁")
    make.address(buyer)
    claim = make.wallet_copy(buyer, make.coupon(shop, amount_fen=5000))
    clients, forms = [], []
    for _n in range(12):
        client = make_client()
        limiter.reset()
        make.sign_in(client, buyer)
        clients.append(client)
        forms.append(checkout_form(client, f"?product_id={item.id}&quantity=1"))
    assert {f["expected_total"] for f in forms} == {"15000"}
    limiter.reset()

    results = race(app, len(clients), lambda i: clients[i].post("/checkout",
                                                                  data=forms[i]).status_code)

    assert results.count(303) == 1, results
    assert set(results) == {303, 409}
    assert count(Order) == 1 and count(OrderDiscount) == 1
    order = db.session.scalar(select(Order))
    assert order.pay_fen == 15000
    used = refreshed(CouponClaim, claim.id)
    assert (used.status, used.order_id) == ("used", order.id)
    assert refreshed(type(item), item.id).stock == 49
