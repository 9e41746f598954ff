"""The people of a governance story, each with a signed-in client, and a delivered order.

镇平玉缘 (河南镇平, certified) sold a jade bangle to 老铁; 瑞丽翠韵 (云南瑞丽) is another
shop; each belt has an admin; there is a platform operator."""
from __future__ import annotations

import io
from dataclasses import dataclass

import pytest

from app.accounts.models import User
from app.orders import orders as order_service
from tests import factories as make

ROLES = ["anonymous", "buyer", "other_buyer", "owner", "other_merchant", "zhenping_admin",
         "ruili_admin", "operator"]


@dataclass
class World:
    owner: User
    shop: object
    bangle: object
    other_owner: User
    other_shop: object
    other_product: object
    buyer: User
    other_buyer: User
    zhenping_admin: User
    ruili_admin: User
    operator: User
    order: object
    clients: dict

    def client(self, role: str):
        return self.clients[role]


def ship(order, owner) -> None:
    order_service.ship_order(owner, order.id, "顺丰速运", "SF1234567890")


@pytest.fixture
def world(ctx, make_client) -> World:
    owner = make.user("镇平店主", email="owner@example.cn")
    shop = make.merchant("镇平玉缘", owner=owner, certified=True)
    bangle = make.product(shop, "冰种飘花翡翠手镯", stock=20)
    other_owner = make.user("瑞丽店主", email="other@example.cn")
    other_shop = make.merchant("瑞丽翠韵", belt_slug="ruili-jade", owner=other_owner)
    other_product = make.product(other_shop, "瑞丽翡翠平安扣", stock=20)
    people = {
        "buyer": make.user("老铁", email="buyer@example.cn"),
        "other_buyer": make.user("别的老铁", email="buyer2@example.cn"),
        "owner": owner,
        "other_merchant": other_owner,
        "zhenping_admin": make.belt_admin("zhenping-jade", "镇平基地管理员"),
        "ruili_admin": make.belt_admin("ruili-jade", "瑞丽基地管理员"),
        "operator": make.user("平台运营", operator=True),
    }
    order = make.order(people["buyer"], bangle)
    ship(order, owner)
    clients = {"anonymous": make_client()}
    for role, person in people.items():
        clients[role] = make_client()
        make.sign_in(clients[role], person)
    return World(owner=owner, shop=shop, bangle=bangle, other_owner=other_owner,
                 other_shop=other_shop, other_product=other_product, buyer=people["buyer"],
                 other_buyer=people["other_buyer"], zhenping_admin=people["zhenping_admin"],
                 ruili_admin=people["ruili_admin"], operator=people["operator"], order=order,
                 clients=clients)


def photo(data: bytes | None = None, name: str = "photo.jpg"):
    return (io.BytesIO(data if data is not None else make.jpeg_bytes()), name)


def complaint_form(**overrides) -> dict:
    data = {"kind": "fake", "text": "收到的手镯有明显的胶水味，和直播里说的A货不一样。"}
    data.update(overrides)
    return data
