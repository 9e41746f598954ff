"""The live room page reads its room and shop as plain copies (app.live.models.RoomCopy,
merchants' ShopCopy) in one query, its flash sales (FlashSaleCopy), coupons (CouponCard) and
broadcasts (BroadcastCopy) as plain rows too, not as ORM entities. Templates and the other
domains' providers (flash sales, coupons, the campaign's tasks, titles, the hotline) read the
copies by the entities' attribute names, and a name a copy lacked would print nothing rather
than fail: the page made from the copies is compared with the same page made from the
entities."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app import clock
from app.extensions import db
from app.i18n import locale_code
from app.live import chat_feed, services
from app.live.models import BroadcastCopy, LiveBroadcast, LiveRoom, ReplayStatus, RoomCopy
from app.live.routes import render_room
from tests import factories as make
from tests.page_copies import assert_served_as, entity_flash_sales, served


def entity_flash_views(room, **_):
    """The room's flash sales as ORM entities (the way the strip was made before)."""
    from app.flash.views import view_of

    now = clock.now()
    return [view_of(sale, now) for sale in entity_flash_sales("room", room.id, 4)]


def entity_room_coupons(room, viewer, **_):
    """The room's coupons as ORM entities (the way the coupons' part was made before)."""
    from sqlalchemy import or_, select

    from app.campaigns.coupons import held_counts
    from app.campaigns.models import Coupon

    now = clock.now()
    found = list(db.session.scalars(select(Coupon).where(
        Coupon.source == "grab", Coupon.status == "active", Coupon.valid_from <= now,
        Coupon.valid_until > now,
        or_(Coupon.live_room_id == room.id,
            (Coupon.merchant_id == room.merchant_id) & (Coupon.funded_by == "shop")))
        .order_by(Coupon.remaining == 0, Coupon.amount_fen.desc(), Coupon.id)))
    return {"coupons": found, "held": held_counts(viewer, [c.id for c in found])}


def entity_broadcasts(room_id: int, limit: int = 6):
    """The room's broadcast on air and ready replays as ORM entities (as before)."""
    from sqlalchemy import or_, select

    found = db.session.scalars(
        select(LiveBroadcast).where(LiveBroadcast.room_id == room_id,
                                    or_(LiveBroadcast.ended_at.is_(None),
                                        LiveBroadcast.replay_status == ReplayStatus.ready))
        .order_by(LiveBroadcast.started_at.desc(), LiveBroadcast.id.desc())
        .limit(limit + 1)).all()
    on_air = next((b for b in found if b.ended_at is None), None)
    return on_air, [b for b in found if b.replay_status == ReplayStatus.ready][:limit]


ENTITY_PARTS = {"flash_views": entity_flash_views, "room_coupons": entity_room_coupons}


def from_entity(app, room_id: int, lang: str, viewer=None) -> str:
    """The room page made from the ORM entities, the way it was made before."""
    from flask import g

    from app.live import replays

    db.session.expire_all()
    providers = app.extensions["yt_page_data"]["live_room"]
    copied = dict(providers)
    providers.update(ENTITY_PARTS)
    copied_broadcasts, replays.room_broadcasts = replays.room_broadcasts, entity_broadcasts
    with app.test_request_context(f"/live/{room_id}", headers={"Accept-Language": lang}):
        if viewer is not None:
            g._login_user = db.session.get(type(viewer), viewer.id)  # Flask-Login's current_user
        try:
            room = services.get_room(room_id)
            goods = services.room_goods_state(room.id)
            tag = services.state_tag(room, locale_code(), goods)
            response = render_room(room, etag=tag, goods=goods,
                                   stored_chat=chat_feed.stored_state(room.id))
            return response.get_data(as_text=True)
        finally:
            providers.update(copied)
            replays.room_broadcasts = copied_broadcasts


@pytest.fixture
def rooms(ctx):
    """A certified belt shop (no hotline of its own: its base's shows) live with goods, one
    pinned, flash sales (open, sold out, upcoming with a limit of 3, on goods without a photo)
    and coupons (the shop's, with a threshold — one held by the buyer —, one grabbed out, a
    platform free-order one for the room); a shop without a belt or hotline whose room is announced; an ended
    room."""
    from app.flash.models import FlashSale

    certified = make.merchant("玉匠人", certified=True, hotline="")
    goods = [make.product(certified, f"冰种手镯 {i}", photo_key=f"{i + 1:064x}") for i in range(3)]
    goods.append(make.product(certified, "无图的摆件"))
    live = make.live_room(certified, goods=goods, pinned=goods[0])
    now = clock.now()
    for product, sold, starts, limit in ((goods[1], 0, -1, 1), (goods[2], 5, -2, 1),
                                         (goods[3], 0, 30, 3)):
        db.session.add(FlashSale(product_id=product.id, merchant_id=certified.id, price_fen=9900,
                                 quantity=5, sold=sold, per_user_limit=limit,
                                 live_room_id=live.id,
                                 starts_at=now + timedelta(minutes=starts),
                                 ends_at=now + timedelta(hours=1)))
    make.coupon(certified, live_room=live)
    threshold = make.coupon(certified, kind="threshold", amount_fen=3000, threshold_fen=20000,
                            per_user_limit=2, title="满200减30")
    make.coupon(None, kind="free_order", cap_fen=5000, live_room=live, title="直播间免单券")
    make.coupon(certified, title="抢光的券", quantity=1).remaining = 0
    buyer = make.user("看直播的买家")
    make.wallet_copy(buyer, threshold)
    plain = make.merchant("义乌小铺", belt_slug=None, industry_slug="small-commodities",
                          hotline="")
    announced = make.live_room(plain, title="明晚上新", status="scheduled",
                               scheduled_start=clock.now() + timedelta(days=1),
                               goods=[make.product(plain, "保温杯")])
    ended = make.live_room(make.merchant("下播的店"), title="已下播", status="ended")
    # The live room is on air through the ingest, after two broadcasts with a replay and one
    # without; the ended room's last broadcast has its replay.
    for room, minutes_ago, length, replay in ((live, 5, None, ReplayStatus.recording),
                                              (live, 300, 1800, ReplayStatus.ready),
                                              (live, 600, 3725, ReplayStatus.ready),
                                              (live, 900, 60, ReplayStatus.missing),
                                              (ended, 120, 2400, ReplayStatus.ready)):
        started = now - timedelta(minutes=minutes_ago)
        db.session.add(LiveBroadcast(
            room_id=room.id, stream_name=f"r{room.id}-{minutes_ago:016x}", key_hash="0" * 64,
            started_at=started, ended_at=started + timedelta(seconds=length) if length else None,
            duration_seconds=length, replay_status=replay, replay_seconds=length))
    db.session.commit()
    return {"live": live.id, "announced": announced.id, "ended": ended.id,
            "owner": certified.owner, "buyer": buyer}


@pytest.mark.parametrize("name", ["live", "announced", "ended"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_page_from_copies_is_the_page_from_the_entity(app, client, rooms, name, lang):
    clock.freeze(clock.now())  # the countdowns print the time
    assert_served_as(client, f"/live/{rooms[name]}", lang, from_entity(app, rooms[name], lang))


@pytest.mark.parametrize("viewer", ["owner", "buyer"])
def test_the_flash_strip_and_coupons_from_copies_are_those_from_entities_for_each_viewer(
        app, client, rooms, viewer):
    """The shop's owner sees its own goods (no buy button); a buyer without an address is
    asked for one: the copies carry the shop's owner and the goods' stock."""
    clock.freeze(clock.now())
    account = rooms[viewer]
    make.sign_in(client, account)
    page = from_entity(app, rooms["live"], "zh", viewer=account)
    assert ("自己店铺的商品" if viewer == "owner" else "先添加收货地址") in page
    assert "已抢光" in page and "即将开抢" in page
    assert "满200减30" in page and "直播间免单券" in page and "抢光的券" in page
    if viewer == "buyer":
        assert "再领一张" in page  # holds one of two
    assert_served_as(client, f"/live/{rooms['live']}", "zh", page)


def test_the_flash_copies_carry_the_sales_rules(app, rooms):
    from app.flash.models import FlashSaleCopy
    from app.flash.views import room_flash_views

    with app.test_request_context("/"):
        views = room_flash_views(rooms["live"])
    assert [view.state for view in views] == ["sold_out", "open", "upcoming"]
    assert all(isinstance(view.sale, FlashSaleCopy) for view in views)
    assert [view.sale.left for view in views] == [0, 5, 5]
    assert views[1].sale.product.title == "冰种手镯 1" and views[1].sale.product.cover
    assert views[2].sale.product.cover is None and views[2].sale.duration_minutes == 30
    assert views[0].sale.merchant.owner_id == rooms["owner"].id


def test_the_broadcasts_are_copies_with_the_on_air_rule(app, client, rooms):
    from app.live import replays

    with app.test_request_context("/"):
        on_air, shown = replays.room_broadcasts(rooms["live"])
    assert isinstance(on_air, BroadcastCopy) and on_air.on_air
    assert [b.replay_seconds for b in shown] == [1800, 3725]
    assert not any(b.on_air for b in shown)
    page = served(client, f"/live/{rooms['live']}")
    assert "index.m3u8" in page and "回放 1:02:05" in page  # the stage plays HLS; the replays


def test_the_copies_carry_the_rooms_and_the_shops_rules(app, rooms):
    with app.test_request_context("/"):
        live, _chat = services.room_page(None, rooms["live"])
        assert isinstance(live, RoomCopy) and live.is_live
        assert live.merchant.is_open(clock.now()) and live.merchant.belt.slug == "zhenping-jade"
        assert live.merchant.belt.industry.slug == "jade"
        announced, _chat = services.room_page(None, rooms["announced"])
        assert not announced.is_live and announced.merchant.belt is None
        assert services.room_page(None, 10**9) is None


def test_a_suspended_shops_room_is_gone_for_buyers_and_there_for_its_owner(app, client, rooms):
    room = db.session.get(LiveRoom, rooms["live"])
    room.merchant.suspended_until = clock.now() + timedelta(days=1)
    owner = room.merchant.owner
    db.session.commit()
    assert client.get(f"/live/{rooms['live']}").status_code == 404
    make.sign_in(client, owner)
    assert client.get(f"/live/{rooms['live']}").status_code == 200
