"""The certification lift, measured: conversion before and after certification with a 95 %
Wilson interval (honest even with zero orders), the belt's certified vs uncertified shops
beside it, and "not enough data" only when a period has fewer than 100 views."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app import clock
from app.extensions import db
from app.merchants import certification, lift, stats
from app.merchants.models import Merchant
from tests import factories as make


def plain(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def views(product, n: int) -> None:
    for _ in range(n):
        stats.record_view(product.id)
    stats.flush_views()


@pytest.mark.parametrize("successes, trials, low, high", [
    (0, 9775, 0.0, 0.000393),      # zero orders: the upper bound is still honest
    (4, 200, 0.00781, 0.05029),
    (6, 150, 0.01846, 0.08451),
    (50, 50, 0.92865, 1.0),
])
def test_wilson_intervals_match_the_textbook_values(successes, trials, low, high):
    got_low, got_high = lift.wilson(successes, trials)
    assert got_low == pytest.approx(low, abs=2e-5) and got_high == pytest.approx(high, abs=2e-5)


def certify_after(cast, product, before_views, before_orders, after_views, after_orders, orders):
    start = clock.now()
    clock.freeze(start)
    views(product, before_views)
    orders.extend([(cast.shop.id, start + timedelta(minutes=5))] * before_orders)
    clock.travel(timedelta(days=2))
    certification.approve(cast.zhenping_admin, make.application(cast.shop).id)
    clock.travel(timedelta(hours=2))
    views(product, after_views)
    orders.extend([(cast.shop.id, clock.now())] * after_orders)
    clock.travel(timedelta(minutes=1))


def test_zero_orders_before_still_shows_the_measured_lift(cast, orders):
    """The walk-through's shop: 9,775 views before, 23,438 after, no order before."""
    product = make.product(cast.shop, "冰种手镯")
    certify_after(cast, product, 9775, 0, 23438, 30, orders)
    db.session.expire_all()
    report = lift.conversion(db.session.get(Merchant, cast.shop.id))
    assert report.enough_data and report.uplift is None and report.verdict == "higher"
    text = plain(cast.clients["owner"].get("/my-shop"))
    own = text[text.index("浏览 → 下单转化"):text.index("产业带：")]
    assert "数据还不够" not in own and "至少 100 次浏览才比较" not in own
    assert "95% 区间 0.00%–0.04%" in text   # 0 orders in 9,775 views
    assert "0.13%" in text and "95% 区间 0.09%–0.18%" in text  # 30 in 23,438
    assert "认证期间的转化率明显更高（未认证期间没有订单，无法算倍数）" in text
    assert "95% 区间不重叠，差别可信" in text


def test_a_clear_lift_is_stated_as_a_percentage(cast, orders):
    product = make.product(cast.shop, "冰种手镯")
    certify_after(cast, product, 2000, 10, 2000, 60, orders)
    text = plain(cast.clients["owner"].get("/my-shop"))
    assert "认证期间的转化率比未认证期间高 500%" in text


def test_not_enough_data_only_under_100_views_a_period(cast, orders):
    product = make.product(cast.shop, "冰种手镯")
    certify_after(cast, product, 99, 0, 5000, 20, orders)
    text = plain(cast.clients["owner"].get("/my-shop"))
    assert "每个时期至少 100 次浏览才比较" in text
    assert "95% 区间" in text  # the intervals are shown anyway


def test_the_belt_compares_its_certified_and_uncertified_shops(cast, orders):
    certified = make.merchant("镇平认证店", certified=True)
    plain_shop = make.merchant("镇平普通店", certified=False)
    foreign = make.merchant("瑞丽认证店", belt_slug="ruili-jade", certified=True)
    for shop, n_views, n_orders in ((certified, 1000, 40), (plain_shop, 3000, 15),
                                    (foreign, 5000, 500)):
        views(make.product(shop, "手镯"), n_views)
        orders.extend([(shop.id, clock.now())] * n_orders)
    clock.travel(timedelta(minutes=1))
    db.session.expire_all()
    report = lift.conversion(db.session.get(Merchant, cast.shop.id))
    belt = report.belt
    assert (belt.certified.views, belt.certified.orders, belt.certified_shops) == (1000, 40, 1)
    # the dashboard's own shop (uncertified, no views) is on the uncertified side
    assert (belt.uncertified.views, belt.uncertified.orders, belt.uncertified_shops) == (3000, 15, 2)
    assert belt.verdict == "higher" and belt.ratio == pytest.approx(0.04 / 0.005 - 1)
    text = plain(cast.clients["owner"].get("/my-shop"))
    assert "认证店铺 1 家" in text and "未认证店铺 2 家" in text
    assert "认证店铺的转化率比未认证店铺高 700%" in text


def test_the_belt_figure_uses_one_query_for_every_shops_orders(cast, ctx):
    """With the orders domain's counter: real orders, counted per shop in one grouped query."""
    from app.orders.orders import count_orders_by_merchant, count_orders_for_merchant

    assert count_orders_for_merchant.by_shop is count_orders_by_merchant
    certified = make.merchant("镇平认证店", certified=True)
    make.order(make.user(), make.product(certified, "手镯", stock=5))
    clock.travel(timedelta(minutes=1))
    db.session.expire_all()
    belt = lift.conversion(db.session.get(Merchant, cast.shop.id)).belt
    assert belt.certified.orders == 1 and belt.uncertified.orders == 0
