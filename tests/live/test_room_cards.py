"""Room cards are rendered once per version of what they show (app.live.cards): a card whose
room, shop, cover, goods or viewers changed renders anew (never a stale copy); the same card
is the same markup."""
from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from flask import current_app

from app.catalog.services import CardPhoto
from app.live.cards import room_card
from app.live.services import CardRoom, RoomCard
from app.merchants.services import ShopCard
from tests import factories as make

START = datetime(2026, 12, 24, 12, 0, tzinfo=UTC)


def _card(belt, **room) -> RoomCard:
    shop = ShopCard(7, "玉匠人", True, "industry_belt", 100, belt.id, belt)
    fields = {"id": 3, "title": "镇平玉雕源头直播", "status": "live", "scheduled_start": START,
              "pinned_product_id": None, "merchant": shop, **room}
    return RoomCard(CardRoom(**fields), CardPhoto("ab" * 16, 960, 960), 8, 1234)


def _changes(card: RoomCard, other_belt) -> list[tuple[str, RoomCard]]:
    room, shop = card.room, card.room.merchant
    return [
        ("title", dataclasses.replace(card, room=dataclasses.replace(room, title="岫岩玉直播"))),
        ("status", dataclasses.replace(card, room=dataclasses.replace(room, status="ended"))),
        ("viewers", dataclasses.replace(card, viewers=99)),
        ("goods", dataclasses.replace(card, goods_count=3)),
        ("cover", dataclasses.replace(card, cover=CardPhoto("cd" * 16, 960, 720))),
        ("no cover", dataclasses.replace(card, cover=None)),
        ("shop name", dataclasses.replace(card, room=dataclasses.replace(
            room, merchant=dataclasses.replace(shop, name="镇平玉缘")))),
        ("certified", dataclasses.replace(card, room=dataclasses.replace(
            room, merchant=dataclasses.replace(shop, certified=False)))),
        ("belt", dataclasses.replace(card, room=dataclasses.replace(
            room, merchant=dataclasses.replace(shop, belt_id=other_belt.id, belt=other_belt)))),
    ]


def test_a_room_card_renders_anew_when_what_it_shows_changes(app, ctx):
    belt, other_belt = make.belt("zhenping-jade"), make.belt("ruili-jade")
    fresh = current_app.jinja_env.get_template("live/_room_card.html").module.room_card_markup
    with app.test_request_context("/"):
        card = _card(belt)
        first = room_card(card)
        assert first == str(fresh(card)) and room_card(card) is first
        assert "1,234 人在看" in first or "1234 人在看" in first
        for what, changed in _changes(card, other_belt):
            after = room_card(changed)
            assert after == str(fresh(changed)), what
            assert after != first, what


def test_a_scheduled_rooms_card_shows_its_start(app, ctx):
    belt = make.belt("zhenping-jade")
    with app.test_request_context("/"):
        card = _card(belt, status="scheduled")
        later = dataclasses.replace(card, room=dataclasses.replace(
            card.room, scheduled_start=START.replace(day=25)))
        assert "12月24日" in room_card(card) and "12月25日" in room_card(later)
        # viewers are not shown before the room is live: the same card
        assert room_card(dataclasses.replace(card, viewers=5)) is room_card(card)
