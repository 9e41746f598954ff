"""The people and rooms of the live-room stories."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.extensions import db
from tests import factories as make

HTMX = {"HX-Request": "true"}


def htmx(target: str) -> dict[str, str]:
    """Headers of an htmx request aimed at the element with this id."""
    return {**HTMX, "HX-Target": target}


@pytest.fixture
def studio(ctx):
    """玉匠人 (河南镇平, certified) live now, three goods in the 小黄车, the bangle pinned."""
    shop = make.merchant("玉匠人", certified=True)
    bangle = make.product(shop, "冰种飘花翡翠手镯", price_fen=128000, stock=5)
    pendant = make.product(shop, "独山玉平安扣吊坠", price_fen=16800, stock=12,
                           category_slug="jade-pendant")
    bracelet = make.product(shop, "和田玉手串", price_fen=9900, stock=0)
    room = make.live_room(shop, title="玉匠人 · 镇平玉雕源头直播",
                          goods=[bangle, pendant, bracelet], pinned=bangle)
    return SimpleNamespace(shop=shop, owner=shop.owner, room=room, bangle=bangle,
                           pendant=pendant, bracelet=bracelet)


@pytest.fixture
def outsiders(ctx, studio):
    """Everyone who is not the room's anchor: they may look, never act."""
    rival = make.merchant("镇平玉满堂")
    return {
        "anonymous": None,
        "buyer": make.user("老铁买家"),
        "another merchant": rival.owner,
        "belt admin": make.belt_admin("zhenping-jade"),
        "operator": make.user("平台运营", operator=True),
    }


def signed_in(make_client, user):
    client = make_client()
    if user is not None:
        make.sign_in(client, user)
    return client


def reload(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


from tests.ingest import app_server, ingest  # noqa: E402, F401  (real nginx + ffmpeg fixtures)
