"""The shop page reads its shop as a plain copy (app.merchants.views.ShopCopy) with its belt
and industry from the catalogue's reference copies, not as an ORM entity. Templates and other
domains' providers read the copy by the entity's attribute names, and a name the copy lacked
would print nothing rather than fail: the page from the copy is compared with the same page
made from the entity, for shops that take every branch."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app import clock
from app.catalog import services as catalog
from app.catalog.filters import parse_filter
from app.extensions import db
from app.merchants import views
from app.merchants.models import Merchant, ShopCopy
from app.pagedata import gather
from app.rendering import render_page
from tests import factories as make
from tests.page_copies import assert_served_as


def entity_replays(merchant_id: int, limit: int = 3) -> list:
    """The shop's newest replays as ORM entities (the way its replays were read before)."""
    from sqlalchemy import select

    from app.live.models import LiveBroadcast, LiveRoom, ReplayStatus

    return list(db.session.scalars(
        select(LiveBroadcast).join(LiveRoom, LiveRoom.id == LiveBroadcast.room_id)
        .where(LiveRoom.merchant_id == merchant_id,
               LiveBroadcast.replay_status == ReplayStatus.ready)
        .order_by(LiveBroadcast.started_at.desc(), LiveBroadcast.id.desc()).limit(limit)))


def from_entity(app, shop_id: int, lang: str) -> str:
    """The shop page made from the ORM entities, the way it was made before."""
    from app.live import replays

    db.session.expire_all()
    url = f"/shops/{shop_id}"
    copied, replays.replays_of_shop = replays.replays_of_shop, entity_replays
    with app.test_request_context(url, headers={"Accept-Language": lang}):
        try:
            page = views.shop_page(shop_id, parse_filter({}, **catalog.filter_vocabulary()),
                                   app.config["PAGE_SIZE"], url)
            entity = db.session.get(Merchant, shop_id)
            page.merchant, page.parts = entity, gather("shop", merchant=entity)
            response = render_page("merchants/shop.html",
                                   {"listing": "listing", None: "results"}, **vars(page))
            return response.get_data(as_text=True)
        finally:
            replays.replays_of_shop = copied


@pytest.fixture
def shops(ctx):
    """A certified belt shop with goods, reviews, a live room with replays (four ready, one
    missing: the page lists the newest three) and an upheld complaint's count; a shop without a
    belt or hotline; a suspended shop."""
    from app.live.models import LiveBroadcast, ReplayStatus

    certified = make.merchant("玉匠人", certified=True)
    goods = [make.product(certified, f"冰种手镯 {i}", photo_key=f"{i + 1:064x}", sales=i * 7000)
             for i in range(3)]
    buyer = make.user("老铁")
    order = make.order(buyer, goods[0])
    order.status = "completed"
    db.session.commit()
    make.review(order, 5, 4, 5, "好")
    room = make.live_room(certified, goods=goods[:1], status="ended")
    for hours_ago, length, replay in ((2, 1800, ReplayStatus.ready), (5, 3725, ReplayStatus.ready),
                                      (9, 60, ReplayStatus.missing), (30, 600, ReplayStatus.ready),
                                      (50, 900, ReplayStatus.ready)):
        started = clock.now() - timedelta(hours=hours_ago)
        db.session.add(LiveBroadcast(
            room_id=room.id, stream_name=f"s{room.id}-{hours_ago:016x}", key_hash="0" * 64,
            started_at=started, ended_at=started + timedelta(seconds=length),
            duration_seconds=length, replay_status=replay, replay_seconds=length))
    plain = make.merchant("义乌小铺", belt_slug=None, industry_slug="small-commodities",
                          hotline="")
    make.product(plain, "保温杯")
    suspended = make.merchant("暂停的店")
    suspended.suspended_until = clock.now() + timedelta(days=3)
    db.session.commit()
    return {"certified": certified.id, "plain": plain.id, "suspended": suspended.id}


@pytest.mark.parametrize("name", ["certified", "plain", "suspended"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_page_from_the_copy_is_the_page_from_the_entity(app, client, shops, name, lang):
    assert_served_as(client, f"/shops/{shops[name]}", lang, from_entity(app, shops[name], lang))


def test_the_shop_page_lists_its_newest_replays_as_copies(shops, app, client):
    from app.live import replays
    from app.live.models import BroadcastCopy

    with app.test_request_context("/"):
        found = replays.replays_of_shop(shops["certified"])
    assert [b.replay_seconds for b in found] == [1800, 3725, 600]
    assert all(isinstance(b, BroadcastCopy) and not b.on_air for b in found)
    page = client.get(f"/shops/{shops['certified']}").get_data(as_text=True)
    assert "回放 30:00" in page and "回放 1:02:05" in page and "回放 15:00" not in page


def test_the_copy_carries_the_shops_rules(shops, app):
    with app.test_request_context("/"):
        now = clock.now()
        for name, open_now in (("certified", True), ("suspended", False)):
            copy = views._shop_with_belt(shops[name])
            assert isinstance(copy, ShopCopy)
            assert copy.is_open(now) is open_now
            assert copy.is_suspended(now) is not open_now
        assert views._shop_with_belt(shops["plain"]).belt is None
        assert views._shop_with_belt(shops["certified"]).belt.slug == "zhenping-jade"
        assert views._shop_with_belt(10**9) is None
