"""The room card (live/_room_card.html), rendered once per version of what it shows: the home,
belt, portal and shop pages and the live directory show rows of them (app.cards explains the
reuse)."""
from __future__ import annotations

from markupsafe import Markup

from app.cards import render_once
from app.catalog.names import belt_name
from app.live.models import RoomStatus


def room_card_key(card) -> tuple:
    """Every value `room_card_markup` prints or branches on (the belt as it is named; the
    viewers only while live, the start only while scheduled)."""
    room = card.room
    merchant = room.merchant
    belt = merchant.belt
    cover = card.cover
    live = room.status == RoomStatus.live
    return (room.id, str(room.status), room.title,
            room.scheduled_start if room.status == RoomStatus.scheduled else None,
            card.viewers if live else None, card.goods_count,
            (cover.image_key, cover.width, cover.height) if cover is not None else None,
            merchant.name, merchant.certified, belt_name(belt) if belt is not None else None)


def room_card(card) -> Markup:
    return render_once(room_card_key(card), "room_card_markup", card,
                       template="live/_room_card.html")
