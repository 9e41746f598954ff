"""Real parallel clients against the database in use (SQLite or PostgreSQL): the last coupons
grabbed by a crowd, one buyer hammering the grab button, concurrent checkouts sharing one
wallet copy, and two tick workers drawing the same raffle."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import event, func, select

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


@pytest.fixture
def redis_gate(app, monkeypatch, redis_url):
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    monkeypatch.setitem(app.config, "COUPON_GATE_PREFIX", f"test-{uuid.uuid4().hex[:10]}:")
    app.extensions.pop("yt_coupon_gate", None)
    yield
    app.extensions.pop("yt_coupon_gate", None)


def test_with_redis_the_rush_is_turned_away_before_the_coupon_row(app, ctx, redis_gate):
    shop = make.merchant("玉匠人", certified=True)
    coupon = make.coupon(shop, quantity=10, per_user_limit=1)
    buyer_ids = [make.user(f"抢券{n}").id for n in range(80)]
    coupon_id = coupon.id
    updates = []

    def watch(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("UPDATE COUPONS"):
            updates.append(statement)

    def grab(i):
        from app.accounts.models import User

        return coupons.grab_coupon(db.session.get(User, buyer_ids[i]), coupon_id).held

    event.listen(db.engine, "before_cursor_execute", watch)
    try:
        results = race(app, len(buyer_ids), grab)
    finally:
        event.remove(db.engine, "before_cursor_execute", watch)
    assert sum(1 for r in results if r == 1) == 10
    assert all(isinstance(r, Conflict) for r in results if r != 1)
    assert len(updates) == 10  # only the admitted grabs reached the hot row
    assert refreshed(Coupon, coupon.id).remaining == 0 and count(CouponClaim) == 10


def test_with_redis_a_refused_grab_gives_its_token_back(app, ctx, redis_gate, monkeypatch):
    shop = make.merchant("玉匠人", certified=True)
    coupon = make.coupon(shop, quantity=2, per_user_limit=1)
    first, second = make.user("甲"), make.user("乙")
    coupons.grab_coupon(first, coupon.id)
    # The first buyer's twin request: it reads "none held yet", passes the gate (taking the
    # last token), then the database refuses it (that copy number is taken).
    real_held, calls = coupons._held, []

    def stale_then_real(coupon_id, user_id):
        calls.append(user_id)
        return 0 if len(calls) == 1 else real_held(coupon_id, user_id)

    monkeypatch.setattr(coupons, "_held", stale_then_real)
    with pytest.raises(Conflict):
        coupons.grab_coupon(first, coupon.id)
    monkeypatch.setattr(coupons, "_held", real_held)
    assert len(calls) >= 2  # it went past the gate, then was refused
    # its token came back: the second buyer gets the last copy
    assert coupons.grab_coupon(second, coupon.id).held == 1
    with pytest.raises(Conflict, match="已抢光"):
        coupons.grab_coupon(make.user("丙"), coupon.id)
    assert count(CouponClaim) == 2


def test_with_redis_a_grab_whose_worker_died_strands_its_token_for_seconds_only(
        app, ctx, redis_gate, monkeypatch):
    """Issue 17 part 5: a worker killed after taking the last token (and before the database
    decided) leaves a lease that lapses within GATE_LEASE_SECONDS: then the copy is grabbed."""
    import time

    from app.campaigns import gate

    monkeypatch.setitem(app.config, "GATE_LEASE_SECONDS", 0.5)
    monkeypatch.setitem(app.config, "COUPON_GATE_TTL", 3600)  # no re-seed to hide behind
    shop = make.merchant("玉匠人", certified=True)
    coupon = make.coupon(shop, quantity=1, per_user_limit=1)
    admitted, lease = gate.admit(coupon.id, lambda: 1)  # the worker that then died
    assert admitted and lease
    with pytest.raises(Conflict, match="已抢光"):
        coupons.grab_coupon(make.user("甲"), coupon.id)
    time.sleep(0.6)
    assert coupons.grab_coupon(make.user("乙"), coupon.id).held == 1
    with pytest.raises(Conflict, match="已抢光"):
        coupons.grab_coupon(make.user("丙"), coupon.id)
    assert refreshed(Coupon, coupon.id).remaining == 0 and count(CouponClaim) == 1


@pytest.fixture
def warm(ctx):
    from datetime import timedelta

    from app import clock

    campaign = make.campaign("116-2026")
    clock.freeze(campaign.warmup_start + timedelta(hours=10))
    shop = make.merchant("玉匠人", certified=True)
    room = make.live_room(shop)
    make.registration(campaign, shop)
    return room.id


def test_parallel_gifts_never_spend_more_coins_than_the_balance(app, warm):
    from app.accounts.models import User
    from app.campaigns import tasks
    from app.campaigns.models import CoinLedger, GiftSend

    fan = make.user("土豪")
    db.session.commit()
    fan_id = fan.id
    tasks.credit(fan_id, 100, "grant", "test-grant")
    db.session.commit()

    def send(_i):
        return tasks.send_gift(db.session.get(User, fan_id), "116-2026", warm, "yellow-cart", 1).coins

    results = race(app, 16, send)
    assert results.count(10) == 10
    assert all(isinstance(r, Conflict) for r in results if r != 10)
    db.session.expire_all()
    assert tasks.balance(db.session.get(User, fan_id)) == 0
    assert count(GiftSend) == 10
    lines = db.session.scalars(select(CoinLedger).order_by(CoinLedger.id)).all()
    assert sum(line.delta for line in lines) == 0
    assert sorted(line.balance_after for line in lines if line.delta < 0) == list(range(0, 100, 10))


def test_one_video_link_sent_by_many_at_once_counts_once(app, warm):
    from app.accounts.models import User
    from app.campaigns import tasks
    from app.campaigns.models import RaffleEntry, VideoTask

    ids = [make.user(f"up{n}").id for n in range(12)]

    def submit(i):
        return tasks.submit_video(db.session.get(User, ids[i]), "116-2026",
                                  "https://v.kuaishou.com/same-video", "#116卖货王").id

    results = race(app, len(ids), submit)
    assert sum(1 for r in results if isinstance(r, int)) == 1
    assert all(isinstance(r, Conflict) for r in results if not isinstance(r, int))
    assert count(VideoTask) == 1 and count(RaffleEntry) == 1


def test_a_double_tapped_vote_counts_once(app, warm):
    from app.accounts.models import User
    from app.campaigns import tasks
    from app.campaigns.models import RaffleEntry, Vote

    fan_id = make.user("粉丝").id

    def vote(_i):
        return tasks.vote(db.session.get(User, fan_id), "116-2026", warm).id

    results = race(app, 8, vote)
    assert sum(1 for r in results if isinstance(r, int)) == 1
    assert count(Vote) == 1 and count(RaffleEntry) == 1
