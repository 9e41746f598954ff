"""Real parallel buyers against the database in use (SQLite or PostgreSQL): many buyers for a
few flash units sell exactly those units; one buyer pressing many times never exceeds the
per-user limit; the same with the Redis admission gate in front."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.catalog.models import Product
from app.extensions import db, limiter
from app.flash.models import FlashClaim, FlashSale
from tests import factories as make
from tests.concurrency import race
from tests.flash.helpers import (
    buy_form,
    flash_units_sold,
    fresh,
    sale_row,
    text,
    units_per_buyer,
    world,
)
from tests.flash.test_flash import redis_gate  # noqa: F401  (fixture)

pytestmark = pytest.mark.concurrency


def buyers_ready(w, sale, make_client, n: int):
    clients, forms = [], []
    for i in range(n):
        buyer = make.user(f"抢购买家{i}")
        make.address(buyer)
        client = make_client()
        limiter.reset()  # many sign-ins from one test address
        make.sign_in(client, buyer)
        clients.append(client)
        forms.append(buy_form(text(client.get(f"/flash/{sale.id}"))))
    return clients, forms


def check_exactly(w, sale, units: int, results) -> None:
    assert not [r for r in results if isinstance(r, Exception)], results
    statuses = [r.status_code for r in results]
    assert statuses.count(303) == units, statuses
    assert statuses.count(409) == len(results) - units, statuses
    assert all("已抢光" in text(r) for r in results if r.status_code == 409)
    final = fresh(FlashSale, sale.id)
    assert final.sold == units
    assert fresh(Product, w.bangle.id).stock == 10 - units
    assert flash_units_sold(w.bangle.id) == units
    assert max(units_per_buyer(w.bangle.id).values()) <= sale.per_user_limit
    assert db.session.query(FlashClaim).count() == units


def test_thirty_buyers_race_for_five_flash_units(app, ctx, make_client):
    w = world()
    sale = sale_row(w.shop, w.bangle, quantity=5, limit=1, starts_in=timedelta(minutes=-1))
    clients, forms = buyers_ready(w, sale, make_client, 30)
    url = f"/flash/{sale.id}/buy"  # read before the race: rows expire at each commit
    results = race(app, 30, lambda i: clients[i].post(url, data=forms[i]))
    check_exactly(w, sale, 5, results)


def test_one_buyer_pressing_eight_times_gets_the_limit_and_no_more(app, ctx, make_client):
    w = world()
    sale = sale_row(w.shop, w.bangle, quantity=8, limit=2, starts_in=timedelta(minutes=-1))
    clients = []
    for _ in range(8):  # the same buyer on eight phones
        clients.append(make_client())
        limiter.reset()
        make.sign_in(clients[-1], w.buyer)
    forms = [buy_form(text(c.get(f"/flash/{sale.id}"))) for c in clients]
    assert len({f["key"] for f in forms}) == 8  # eight different submissions, not replays
    url = f"/flash/{sale.id}/buy"
    results = race(app, 8, lambda i: clients[i].post(url, data=forms[i]))
    assert not [r for r in results if isinstance(r, Exception)], results
    statuses = [r.status_code for r in results]
    assert statuses.count(303) == 2 and statuses.count(409) == 6, statuses
    assert all("限购" in text(r) for r in results if r.status_code == 409)
    assert fresh(FlashSale, sale.id).sold == 2
    assert units_per_buyer(w.bangle.id) == {w.buyer.id: 2}


def test_with_the_redis_gate_thirty_buyers_still_get_exactly_five(app, ctx, make_client,
                                                                   redis_gate):  # noqa: F811
    w = world()
    sale = sale_row(w.shop, w.bangle, quantity=5, limit=1, starts_in=timedelta(minutes=-1))
    clients, forms = buyers_ready(w, sale, make_client, 30)
    url = f"/flash/{sale.id}/buy"  # read before the race: rows expire at each commit
    results = race(app, 30, lambda i: clients[i].post(url, data=forms[i]))
    check_exactly(w, sale, 5, results)


def test_a_shop_coupon_never_turns_a_press_into_a_false_sold_out(app, ctx, make_client):
    """Issue 17 part 4: every buyer holds one shop coupon, which checkout applies by itself;
    each buyer presses three times at once. Only one press per buyer can spend the coupon: the
    others must buy without it, never answer 「已抢光」 while units remain."""
    from app.campaigns.models import ClaimStatus, CouponClaim
    from app.orders.models import Order

    w = world()
    sale = sale_row(w.shop, w.bangle, quantity=60, limit=3, starts_in=timedelta(minutes=-1))
    db.session.get(Product, w.bangle.id).stock = 100
    db.session.commit()
    coupon = make.coupon(w.shop, kind="reduce", amount_fen=1000, per_user_limit=1, quantity=50)
    clients, forms, buyers = [], [], []
    for i in range(6):
        buyer = make.user(f"有券买家{i}")
        make.address(buyer)
        make.wallet_copy(buyer, coupon)
        for _phone in range(3):
            client = make_client()
            limiter.reset()
            make.sign_in(client, buyer)
            clients.append(client)
            forms.append(buy_form(text(client.get(f"/flash/{sale.id}"))))
        buyers.append(buyer.id)
    url = f"/flash/{sale.id}/buy"
    results = race(app, len(clients), lambda i: clients[i].post(url, data=forms[i]))
    assert not [r for r in results if isinstance(r, Exception)], results
    refused = [(r.status_code, re.findall(r"已抢光[^<]*|优惠券[^<]*", text(r))[:1])
               for r in results if r.status_code != 303]
    assert not refused, refused
    assert fresh(FlashSale, sale.id).sold == 18
    assert units_per_buyer(w.bangle.id) == {b: 3 for b in buyers}
    spent = db.session.query(CouponClaim).filter_by(status=ClaimStatus.used).all()
    assert sorted(c.user_id for c in spent) == sorted(buyers)  # each copy used exactly once
    with_discount = db.session.query(Order).filter(Order.shop_discount_fen > 0).count()
    assert with_discount == 6
