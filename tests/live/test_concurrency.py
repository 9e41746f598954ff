"""Many hands at once: the anchor's phone and tablet, buyers' orders, a double tap. Real
parallel requests (tests.concurrency.race) against the database in use."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from app.catalog import listing
from app.catalog.models import Product
from app.extensions import db
from app.live.models import LiveRoom, LiveRoomItem
from tests import factories as make
from tests.concurrency import race

pytestmark = pytest.mark.concurrency


def clones(app, client, count: int) -> list:
    """`count` clients sharing one signed-in browser session (the anchor on several devices),
    so the sign-in rate limit is not what the test measures."""
    token = client.csrf_token()
    cookie = client.get_cookie("session")
    made = []
    for _ in range(count):
        other = app.test_client()
        other.set_cookie("session", cookie.value)
        other._token = token
        made.append(other)
    return made


@pytest.fixture
def anchor(app, client, studio):
    make.sign_in(client, studio.owner)
    return client


def test_racing_stock_edits_and_orders_never_go_below_zero(app, anchor, studio):
    """Stock 5. Eight taps of −1 on the console and eight buyers ordering one each, all at
    once: exactly five of the sixteen get a unit, and the stock ends at zero, never below."""
    devices = clones(app, anchor, 8)
    bangle = studio.bangle.id  # (ORM rows belong to the test's session: ids only in threads)
    url = f"/live/{studio.room.id}/goods/{bangle}/stock"

    def act(i: int):
        if i < 8:
            return devices[i].post(url, data={"delta": "-1"}).status_code
        taken = listing.take_stock(bangle, 1)
        db.session.commit()
        return 200 if taken else 409

    results = race(app, 16, act)
    assert sorted(results).count(409) == 11, results
    assert all(r in (303, 200, 409) for r in results), results
    db.session.expire_all()
    assert db.session.get(Product, studio.bangle.id).stock == 0


def test_racing_additions_and_removals_all_count(app, anchor, studio):
    devices = clones(app, anchor, 10)
    url = f"/live/{studio.room.id}/goods/{studio.pendant.id}/stock"  # stock 12

    results = race(app, 10, lambda i: devices[i].post(
        url, data={"delta": "10" if i % 2 else "-2"}).status_code)
    assert results == [303] * 10
    db.session.expire_all()
    assert db.session.get(Product, studio.pendant.id).stock == 12 + 5 * 10 - 5 * 2


def test_a_double_tap_on_two_connections_lists_once(app, anchor, studio):
    devices = clones(app, anchor, 2)
    photo = make.jpeg_bytes(1200, 900)

    def submit(i: int) -> int:
        return devices[i].post("/sell/quick", data={
            "photo": (io.BytesIO(photo), "a.jpg"), "title": "现雕平安扣", "price": "168",
            "stock": "3", "pin": "y"}).status_code

    assert race(app, 2, submit) == [303, 303]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Product)
                             .where(Product.is_lightning.is_(True))) == 1
    assert len(db.session.get(LiveRoom, studio.room.id).items) == 4


def test_racing_lightning_listings_each_get_their_own_number(app, anchor, studio):
    devices = clones(app, anchor, 4)

    def submit(i: int) -> int:
        return devices[i].post("/sell/quick", data={
            "photo": (io.BytesIO(make.jpeg_bytes(color=(i * 40, 90, 90))), "a.jpg"),
            "title": f"现雕平安扣 {i}号", "price": "168", "stock": "3"}).status_code

    assert race(app, 4, submit) == [303] * 4
    db.session.expire_all()
    positions = db.session.scalars(select(LiveRoomItem.position)
                                   .where(LiveRoomItem.room_id == studio.room.id)).all()
    assert sorted(positions) == [1, 2, 3, 4, 5, 6, 7]


def test_racing_reorders_keep_the_cart_numbered_one_to_n(app, anchor, studio):
    devices = clones(app, anchor, 6)
    ids = [studio.bangle.id, studio.pendant.id, studio.bracelet.id]
    room = studio.room.id

    results = race(app, 6, lambda i: devices[i].post(
        f"/live/{room}/goods/{ids[i % 3]}/move",
        data={"direction": ("up", "down", "top")[i % 3]}).status_code)
    assert results == [303] * 6
    db.session.expire_all()
    items = db.session.scalars(select(LiveRoomItem)
                               .where(LiveRoomItem.room_id == studio.room.id)).all()
    assert sorted(i.position for i in items) == [1, 2, 3]
    assert sorted(i.product_id for i in items) == sorted(ids)


def test_going_live_from_two_phones_at_once_succeeds_once(app, anchor, studio):
    studio.room.status = "scheduled"
    db.session.commit()
    devices = clones(app, anchor, 4)
    url = f"/live/{studio.room.id}/start"
    results = race(app, 4, lambda i: devices[i].post(url).status_code)
    assert sorted(results) == [303, 409, 409, 409]
