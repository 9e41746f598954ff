"""live.services.room_cards: each room's card counts the goods buyers can see in its 小黄车
and shows the pinned good's photo, else the first good's that has one; whatever the number of
rooms on the page. Their goods are read by one statement per number of rooms (not one array):
PostgreSQL keeps a plan for each instead of planning the query on every run."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from app.db import is_postgres
from app.extensions import db
from app.live import services
from tests import factories as make


@pytest.fixture
def rooms(app):
    """Three live rooms of three shops: (room id, expected goods count, expected cover key)."""
    with app.app_context():
        expected = []
        for n in range(3):
            shop = make.merchant(f"玉匠人{n}")
            plain = make.product(shop, "无图手镯")
            first = make.product(shop, "手镯", photo_key=f"{n}a" * 16)
            pinned = make.product(shop, "吊坠", photo_key=f"{n}b" * 16)
            hidden = make.product(shop, "下架", photo_key=f"{n}c" * 16, status="off_shelf")
            goods = [plain, hidden, first] + ([pinned] if n else [])
            room = make.live_room(shop, goods=goods, pinned=pinned if n == 1 else None)
            cover = {0: f"{n}a" * 16, 1: f"{n}b" * 16, 2: f"{n}a" * 16}[n]
            expected.append((room.id, len(goods) - 1, cover))
        return expected


def _cards(limit: int) -> dict[int, tuple[int, str | None]]:
    return {card.room.id: (card.goods_count, card.cover.image_key if card.cover else None)
            for card in services.room_cards(limit=limit)}


def test_each_card_counts_the_listed_goods_and_shows_the_pinned_or_first_photo(app, rooms):
    with app.app_context():
        everything = _cards(8)
        assert everything == {room: (count, cover) for room, count, cover in rooms}
        for limit in (1, 2):
            shown = _cards(limit)
            assert len(shown) == limit
            assert all(everything[room] == card for room, card in shown.items())


def test_postgres_keeps_a_plan_for_each_number_of_rooms(app, rooms):
    with app.app_context():
        if not is_postgres():
            pytest.skip("PostgreSQL's plan cache")
        # psycopg prepares a statement after five runs; PostgreSQL plans the first five
        # prepared runs for their parameters, then keeps a generic plan if it is as good
        for _ in range(20):  # pages with 1, 2 and 3 rooms, in turn
            for limit in (1, 2, 3):
                assert len(_cards(limit)) == limit
        plans = {}  # rooms → (generic, custom), for this connection's covers statements
        for generic, custom, sql in db.session.execute(text(
                "SELECT generic_plans, custom_plans, statement FROM pg_prepared_statements"
                " WHERE statement LIKE 'SELECT live_room_items.room_id, products.id, %'")):
            rooms = re.search(r"live_room_items\.room_id IN \(([^)]*)\)", sql)
            if rooms is not None:  # (an earlier test's pages may have other numbers of rooms)
                plans[rooms.group(1).count("$")] = (generic, custom)
        shown = {rooms: plans.get(rooms) for rooms in (1, 2, 3)}
        assert all(plan is not None and plan[0] >= 1 for plan in shown.values()), plans
