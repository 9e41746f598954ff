"""Every role × every mutating flash-sale endpoint: operators manage every sale, a merchant
only its own shop's; buyers buy, never manage; anonymous visitors are sent to sign in.
Refused requests change nothing."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app import clock
from app.live.forms import local_input
from tests import factories as make
from tests.flash.helpers import counts, sale_row, world

ROLES = ["anonymous", "buyer", "merchant", "other_merchant", "belt_admin", "operator"]


@pytest.fixture
def people(ctx, make_client):
    w = world()
    other = make.merchant("四会玉器", belt_slug="sihui-jade")
    make.product(other, "四会摆件", stock=5)
    upcoming = sale_row(w.shop, w.bangle, starts_in=timedelta(hours=3))
    opened = sale_row(w.shop, make.product(w.shop, "平安扣", price_fen=20000, stock=5),
                      price_fen=9900, starts_in=timedelta(minutes=-1))
    accounts = {"buyer": w.buyer, "merchant": w.owner, "other_merchant": other.owner,
                "belt_admin": make.belt_admin("zhenping-jade"),
                "operator": make.user("运营", operator=True)}
    for person in accounts.values():
        make.address(person)
    clients = {"anonymous": make_client()}
    for role, person in accounts.items():
        clients[role] = make_client()
        make.sign_in(clients[role], person)
    return dict(w=w, clients=clients, upcoming=upcoming.id, opened=opened.id,
                product=w.bangle.id)


def schedule(product_id: int) -> dict:
    return {"product_id": str(product_id), "price": "99", "quantity": "2", "per_user_limit": "1",
            "starts_at": local_input(clock.now() + timedelta(days=2)), "duration": "60"}


def expected(role: str, allowed: set[str], refused: int = 403) -> int:
    if role == "anonymous":
        return 302
    return 303 if role in allowed else refused


@pytest.mark.parametrize("role", ROLES)
def test_scheduling_a_sale(people, role):
    client = people["clients"][role]
    before = counts()
    response = client.post("/sell/flash/new", data=schedule(people["product"]))
    assert response.status_code == expected(role, {"merchant", "operator"})
    if response.status_code != 303:
        assert counts() == before


@pytest.mark.parametrize("role", ROLES)
def test_editing_a_sale(people, role):
    client = people["clients"][role]
    response = client.post(f"/sell/flash/{people['upcoming']}/edit",
                           data=schedule(people["product"]))
    assert response.status_code == expected(role, {"merchant", "operator"})
    page = client.get(f"/sell/flash/{people['upcoming']}/edit")
    assert page.status_code == (302 if role == "anonymous" else
                                200 if role in {"merchant", "operator"} else 403)


@pytest.mark.parametrize("role", ROLES)
def test_cancelling_a_sale(people, role):
    client = people["clients"][role]
    response = client.post(f"/sell/flash/{people['upcoming']}/cancel")
    assert response.status_code == expected(role, {"merchant", "operator"})
    page = client.get(f"/flash/{people['upcoming']}")
    assert ("秒杀已取消" in page.get_data(as_text=True)) == (response.status_code == 303)


@pytest.mark.parametrize("role", ROLES)
def test_buying(people, role):
    client = people["clients"][role]
    before = counts()
    response = client.post(f"/flash/{people['opened']}/buy", data={
        "key": f"{role:x<24}", "price_fen": "9900", "quantity": "1"})
    # The shop's own owner may not buy from its own sale; everyone else signed in may.
    assert response.status_code == expected(role, set(ROLES) - {"merchant"}, refused=409)
    if response.status_code != 303:
        assert counts() == before


@pytest.mark.parametrize("role", ROLES)
def test_the_management_list(people, role):
    response = people["clients"][role].get("/sell/flash")
    assert response.status_code == {"anonymous": 302, "buyer": 403, "belt_admin": 403}.get(
        role, 200)
    if role == "other_merchant":
        assert "冰种飘花翡翠手镯" not in response.get_data(as_text=True)
    if role in ("merchant", "operator"):
        assert "冰种飘花翡翠手镯" in response.get_data(as_text=True)
