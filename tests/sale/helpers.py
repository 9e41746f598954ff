"""Helpers for the sale-phase stories: a campaign whose sale began yesterday, approved shops
with live rooms, and paid orders placed at chosen moments."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from app import clock
from app.orders import orders
from tests import factories as make


def sale_world():
    """116卖货王: the clock stands 10 hours into a two-day sale (the 10 hours before it are the
    "equal period before"). 玉匠人 (jade, certified) and 四季青 (apparel) approved with live
    rooms; 小玉坊 (jade, small) approved; 路人店 not in the campaign."""
    start = clock.shanghai_midnight(clock.local_today() - timedelta(days=5))
    campaign = make.campaign("116-test", warmup_start=start, days_warmup=4, days_sale=2)
    clock.freeze(campaign.sale_start + timedelta(hours=10))
    jade = make.merchant("玉匠人", certified=True)
    apparel = make.merchant("四季青女装", belt_slug="hangzhou-apparel")
    small = make.merchant("小玉坊", belt_slug="sihui-jade")
    outsider = make.merchant("路人店", belt_slug="ruili-jade")
    bangle = make.product(jade, "冰种飘花翡翠手镯", price_fen=100000, stock=100)
    dress = make.product(apparel, "羊毛大衣", price_fen=50000, stock=100,
                         category_slug="womenswear")
    pendant = make.product(small, "平安扣", price_fen=20000, stock=100,
                           category_slug="jade-pendant")
    stranger = make.product(outsider, "原石", price_fen=300000, stock=100)
    for shop, goods in ((jade, [bangle]), (apparel, [dress]), (small, [pendant])):
        make.registration(campaign, shop, goods=goods)
    jade_room = make.live_room(jade, goods=[bangle], pinned=bangle)
    apparel_room = make.live_room(apparel, title="四季青档口", goods=[dress])
    outsider_room = make.live_room(outsider, title="瑞丽原石", goods=[stranger])
    buyer = make.user("老铁买家")
    make.address(buyer)
    return SimpleNamespace(campaign=campaign, jade=jade, apparel=apparel, small=small,
                           outsider=outsider, bangle=bangle, dress=dress, pendant=pendant,
                           stranger=stranger, jade_room=jade_room, apparel_room=apparel_room,
                           outsider_room=outsider_room, buyer=buyer)


def paid_order(buyer, product, quantity: int = 1, *, ago: timedelta | None = None):
    """An order paid online now (or `ago` in the past)."""
    if ago is not None:
        clock.travel(-ago)
    try:
        order = make.order(buyer, (product, quantity), method="sandbox")
        orders.pay_checkout(buyer, order.checkout_id, "sandbox")
    finally:
        if ago is not None:
            clock.travel(ago)
    return order
