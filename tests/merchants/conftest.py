"""Fixtures for the merchants' stories: the people involved and a fake order counter."""
from __future__ import annotations

import io
from dataclasses import dataclass

import pytest

from app.accounts.models import User
from app.merchants import stats
from tests import factories as make


@pytest.fixture(autouse=True)
def _empty_view_buffer(app):
    """Views buffered by earlier tests (other modules browse product pages) start afresh."""
    app.extensions["yt_view_buffer"].drain()
    real_counter = stats.current_order_counter()  # the orders domain's
    yield
    app.extensions["yt_view_buffer"].drain()
    stats.register_order_counter(real_counter)


@pytest.fixture
def orders():
    """A fake orders domain: tests add (merchant_id, placed_at) and the counter counts them."""
    placed: list = []

    def counter(merchant_id, start, end):
        return sum(1 for m, at in placed if m == merchant_id and start <= at < end)

    real_counter = stats.current_order_counter()
    stats.register_order_counter(counter)
    yield placed
    stats.register_order_counter(real_counter)


def photo(data: bytes | None = None, name: str = "photo.jpg"):
    """A file part for a multipart form (a fresh stream each time)."""
    return (io.BytesIO(data if data is not None else make.jpeg_bytes()), name)


@dataclass
class Cast:
    """Everyone in a certification story, each with a signed-in client (anonymous has none)."""

    owner: User
    shop: object
    other_owner: User
    other_shop: object
    buyer: User
    zhenping_admin: User
    ruili_admin: User
    operator: User
    clients: dict


ROLES = ["anonymous", "buyer", "owner", "other_merchant", "zhenping_admin", "ruili_admin",
         "operator"]


@pytest.fixture
def cast(ctx, make_client):
    owner = make.user("镇平店主", email="owner@example.cn")
    shop = make.merchant("镇平玉缘", owner=owner)
    other_owner = make.user("别家店主", email="other@example.cn")
    other_shop = make.merchant("瑞丽翠韵", belt_slug="ruili-jade", owner=other_owner)
    people = {
        "buyer": make.user("老铁"),
        "owner": owner,
        "other_merchant": other_owner,
        "zhenping_admin": make.belt_admin("zhenping-jade", "镇平基地管理员"),
        "ruili_admin": make.belt_admin("ruili-jade", "瑞丽基地管理员"),
        "operator": make.user("平台运营", operator=True),
    }
    clients = {"anonymous": make_client()}
    for role, person in people.items():
        clients[role] = make_client()
        make.sign_in(clients[role], person)
    return Cast(owner=owner, shop=shop, other_owner=other_owner, other_shop=other_shop,
                buyer=people["buyer"], zhenping_admin=people["zhenping_admin"],
                ruili_admin=people["ruili_admin"], operator=people["operator"], clients=clients)
