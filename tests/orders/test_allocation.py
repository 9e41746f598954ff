"""自动为你选择最优组合: the allocator picks, across a checkout's orders, the coupon copies that save
the buyer the most. Brute force over every allocation is the oracle on small cases."""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.orders.allocation import PLATFORM_COUPON, SHOP_COUPON, choose, saving
from app.orders.pricing import FREE_ORDER_CAP_FEN

BASE = datetime(2025, 11, 5, tzinfo=UTC)


@dataclass(frozen=True)
class Copy:
    kind: str
    amount_fen: int
    reference_id: int | None
    cap_fen: int | None = None
    face_fen: int | None = None
    expires_at: datetime | None = None


def shop(ref, amount, **kw):
    return Copy(SHOP_COUPON, amount, ref, **kw)


def platform(ref, amount, **kw):
    return Copy(PLATFORM_COUPON, amount, ref, **kw)


def free_order(ref, eligible_fen, **kw):
    """免单券 as the coupon rule offers it: the eligible amount, capped at ¥666."""
    return Copy(PLATFORM_COUPON, eligible_fen, ref, cap_fen=FREE_ORDER_CAP_FEN,
                face_fen=FREE_ORDER_CAP_FEN, **kw)


def total_saved(totals, chosen) -> int:
    return sum(d.amount_fen for order in chosen for d in order)


def check_valid(totals, offers, chosen) -> None:
    """What any answer must be: per order ≤ 1 of each kind, each copy on one order, offered
    to that order, never more off than the order's total."""
    used = []
    for total, order_offers, taken in zip(totals, offers, chosen, strict=True):
        kinds = [d.kind for d in taken]
        assert len(kinds) == len(set(kinds))
        assert sum(d.amount_fen for d in taken) <= total
        for d in taken:
            assert d.amount_fen > 0
            assert any(o.reference_id == d.reference_id and o.kind == d.kind
                       for o in order_offers)
            if d.reference_id is not None:
                used.append(d.reference_id)
    assert len(used) == len(set(used))


def brute_force(totals, offers) -> int:
    """The oracle: every choice of (shop or none, platform or none) for every order, copies
    used once; the largest saving."""
    per_order = []
    for total, order_offers in zip(totals, offers, strict=True):
        shops = [None, *(o for o in order_offers if o.kind == SHOP_COUPON)]
        platforms = [None, *(o for o in order_offers if o.kind == PLATFORM_COUPON)]
        per_order.append([(s, p, saving(total, s, p)) for s in shops for p in platforms])
    best = 0
    for combo in itertools.product(*per_order):
        refs = [o.reference_id for s, p, _ in combo for o in (s, p)
                if o is not None and o.reference_id is not None]
        if len(refs) != len(set(refs)):
            continue
        best = max(best, sum(v for _s, _p, v in combo))
    return best


# --- the case from the walk-through and other adversarial ones ---------------------------------

def test_the_free_order_coupon_goes_to_the_big_order_not_the_first_one():
    totals = [18000, 62099]  # the ¥180 order comes first (lower shop id)
    ticket = 1
    offers = [[free_order(ticket, 18000)], [free_order(ticket, 62099)]]
    chosen = choose(totals, offers)
    assert chosen[0] == [] and [d.amount_fen for d in chosen[1]] == [62099]


def test_the_free_order_coupon_is_worth_its_cap_where_the_order_is_bigger_than_666():
    totals = [70000, 90000]
    offers = [[free_order(1, 70000), platform(2, 5000)], [free_order(1, 90000)]]
    chosen = choose(totals, offers)
    assert total_saved(totals, chosen) == FREE_ORDER_CAP_FEN + 5000
    check_valid(totals, offers, chosen)


def test_a_shop_coupon_that_already_covers_most_of_an_order_sends_the_platform_copy_elsewhere():
    # Order 0: ¥100 with a ¥90 shop coupon; a platform ¥50 copy only adds ¥10 there but ¥50
    # on order 1. Greedy order-by-order puts it on order 0.
    totals = [10000, 20000]
    offers = [[shop(1, 9000), platform(3, 5000)], [platform(3, 5000)]]
    chosen = choose(totals, offers)
    assert total_saved(totals, chosen) == 9000 + 5000
    assert [d.reference_id for d in chosen[1]] == [3]


def test_two_platform_copies_are_crossed_when_thresholds_force_it():
    # Copy A (满200减40) fits both orders, copy B (满100减30) only the small one: A must go big.
    totals = [15000, 25000]
    offers = [[platform(1, 4000), platform(2, 3000)], [platform(1, 4000)]]
    chosen = choose(totals, offers)
    assert total_saved(totals, chosen) == 7000
    assert [d.reference_id for d in chosen[0]] == [2]


def test_equal_savings_spend_the_smaller_coupon_and_keep_the_bigger_one():
    totals = [30000]
    offers = [[shop(1, 50000, face_fen=50000), shop(2, 30000, face_fen=30000)]]
    chosen = choose(totals, offers)
    assert [(d.reference_id, d.amount_fen) for d in chosen[0]] == [(2, 30000)]


def test_equal_copies_spend_the_one_that_expires_first():
    totals = [30000]
    late, soon = BASE + timedelta(days=5), BASE + timedelta(days=1)
    offers = [[platform(1, 1000, expires_at=late), platform(2, 1000, expires_at=soon)]]
    assert [d.reference_id for d in choose(totals, offers)[0]] == [2]


def test_a_discount_that_adds_nothing_is_not_spent():
    totals = [5000]
    offers = [[shop(1, 5000), platform(2, 1000)]]
    chosen = choose(totals, offers)
    assert [d.reference_id for d in chosen[0]] == [1]


def test_no_orders_and_no_offers():
    assert choose([], []) == []
    assert choose([100, 200], [[], []]) == [[], []]


# --- random small cases against the oracle ------------------------------------------------------

@st.composite
def checkouts(draw):
    n = draw(st.integers(1, 3))
    totals = [draw(st.integers(1, 100) .map(lambda y: y * 100)) for _ in range(n)]
    platform_copies = draw(st.integers(0, 4))
    offers = [[] for _ in range(n)]
    ref = 100
    for o in range(n):  # shop copies: one shop's each
        for _ in range(draw(st.integers(0, 2))):
            ref += 1
            offers[o].append(shop(ref, draw(st.integers(1, 120)) * 100,
                                  face_fen=draw(st.integers(1, 200)) * 100))
    for _ in range(platform_copies):
        ref += 1
        is_free = draw(st.booleans())
        face = draw(st.integers(1, 120)) * 100
        for o in range(n):
            if draw(st.booleans()):  # offered to this order (its restrictions passed)
                if is_free:
                    offers[o].append(Copy(PLATFORM_COUPON, totals[o], ref,
                                          cap_fen=draw(st.sampled_from([3000, 6000, 66600])),
                                          face_fen=face))
                else:
                    offers[o].append(platform(ref, draw(st.integers(1, 120)) * 100,
                                              face_fen=face))
    if draw(st.booleans()):  # an unlimited (reference-less) platform discount somewhere
        o = draw(st.integers(0, n - 1))
        offers[o].append(platform(None, draw(st.integers(1, 50)) * 100))
    return totals, offers


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(checkouts())
def test_the_allocation_saves_as_much_as_the_best_of_every_allocation(case):
    totals, offers = case
    chosen = choose(totals, offers)
    check_valid(totals, offers, chosen)
    assert total_saved(totals, chosen) == brute_force(totals, offers)
