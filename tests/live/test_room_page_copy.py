"""The live room page reads its room and shop as plain copies (app.live.models.RoomCopy,
merchants' ShopCopy) in one query, not as ORM entities. Templates and the other domains'
providers (flash sales, coupons, the campaign's tasks, titles, the hotline) read the copies by
the entities' attribute names, and a name a copy lacked would print nothing rather than fail:
the page made from the copies is compared with the same page made from the entity."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app import clock
from app.extensions import db
from app.i18n import locale_code
from app.live import chat_feed, services
from app.live.models import LiveRoom, RoomCopy
from app.live.routes import render_room
from tests import factories as make
from tests.page_copies import assert_served_as


def from_entity(app, room_id: int, lang: str) -> str:
    """The room page made from the ORM entity, the way it was made before."""
    db.session.expire_all()
    with app.test_request_context(f"/live/{room_id}", headers={"Accept-Language": lang}):
        room = services.get_room(room_id)
        goods = services.room_goods_state(room.id)
        tag = services.state_tag(room, locale_code(), goods)
        response = render_room(room, etag=tag, goods=goods,
                               stored_chat=chat_feed.stored_state(room.id))
        return response.get_data(as_text=True)


@pytest.fixture
def rooms(ctx):
    """A certified belt shop (no hotline of its own: its base's shows) live with goods, one
    pinned, a flash sale and a room coupon; a shop without a belt or hotline whose room is
    announced; an ended room."""
    from app.flash.models import FlashSale

    certified = make.merchant("玉匠人", certified=True, hotline="")
    goods = [make.product(certified, f"冰种手镯 {i}", photo_key=f"{i + 1:064x}") for i in range(2)]
    live = make.live_room(certified, goods=goods, pinned=goods[0])
    db.session.add(FlashSale(product_id=goods[1].id, merchant_id=certified.id, price_fen=9900,
                             quantity=5, live_room_id=live.id,
                             starts_at=clock.now() - timedelta(minutes=1),
                             ends_at=clock.now() + timedelta(hours=1)))
    make.coupon(certified, live_room=live)
    plain = make.merchant("义乌小铺", belt_slug=None, industry_slug="small-commodities",
                          hotline="")
    announced = make.live_room(plain, title="明晚上新", status="scheduled",
                               scheduled_start=clock.now() + timedelta(days=1),
                               goods=[make.product(plain, "保温杯")])
    ended = make.live_room(make.merchant("下播的店"), title="已下播", status="ended")
    db.session.commit()
    return {"live": live.id, "announced": announced.id, "ended": ended.id}


@pytest.mark.parametrize("name", ["live", "announced", "ended"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_page_from_copies_is_the_page_from_the_entity(app, client, rooms, name, lang):
    clock.freeze(clock.now())  # the countdowns print the time
    assert_served_as(client, f"/live/{rooms[name]}", lang, from_entity(app, rooms[name], lang))


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
