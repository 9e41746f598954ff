"""Every role × every mutating endpoint of orders: only the right person changes anything.

Someone else's order or address is simply not found (404: its existence is private); the
order desk needs a shop (403), the commission table an operator (403); anonymous visitors
are sent to sign in. Refused requests change nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.orders import orders
from app.orders.models import (
    Address,
    CommissionRate,
    CommissionTier,
    Order,
    Payment,
    Review,
)
from tests import factories as make

ROLES = ["anonymous", "buyer", "other_buyer", "merchant", "other_merchant", "belt_admin",
         "operator"]


@pytest.fixture
def world(ctx, make_client):
    shop = make.merchant("玉匠人", certified=True)
    other_shop = make.merchant("四会玉器", belt_slug="sihui-jade")
    buyer = make.user("买家")
    address = make.address(buyer)
    make.address(buyer, "王五").is_default = True
    address.is_default = False  # so that "set as default" has something to change
    db.session.commit()
    item = make.product(shop, stock=50)
    pending = make.order(buyer, item, method="sandbox")
    awaiting = make.order(buyer, item)
    shipped = make.order(buyer, item)
    orders.ship_order(shop.owner, shipped.id, "顺丰速运", "SF11111111")
    completed = make.order(buyer, item)
    orders.ship_order(shop.owner, completed.id, "顺丰速运", "SF22222222")
    orders.confirm_receipt(buyer, completed.id)
    paid = make.order(buyer, item, method="sandbox")
    orders.pay_checkout(buyer, paid.checkout_id, "sandbox")
    tier = CommissionTier(name="金牌", min_description=480, min_service=480, min_logistics=480,
                          min_reviews=1, reduction_bp=100)
    db.session.add(tier)
    db.session.commit()
    people = {
        "buyer": buyer, "other_buyer": make.user("别的买家"), "merchant": shop.owner,
        "other_merchant": other_shop.owner, "belt_admin": make.belt_admin("zhenping-jade"),
        "operator": make.user("运营", operator=True),
    }
    clients = {"anonymous": make_client()}
    for role, person in people.items():
        clients[role] = make_client()
        make.sign_in(clients[role], person)
    return dict(clients=clients, address=address, pending=pending, awaiting=awaiting,
                shipped=shipped, completed=completed, paid=paid, tier=tier,
                category=make.category("jade-bangle"))


def snapshot() -> tuple:
    db.session.expire_all()
    return (
        db.session.execute(select(Order.id, Order.status, Order.tracking_number,
                                  Order.paid_at).order_by(Order.id)).all(),
        db.session.execute(select(Address.id, Address.recipient, Address.is_default)).all(),
        db.session.execute(select(CommissionTier.id, CommissionTier.reduction_bp)).all(),
        db.session.execute(select(CommissionRate.category_id, CommissionRate.rate_bp)).all(),
        db.session.execute(select(Review.id)).all(),
        db.session.execute(select(Payment.id)).all(),
    )


STARS = {"description": "5", "service": "5", "logistics": "5"}
TIER = {"name": "银牌", "min_description": "4.5", "min_service": "4.5", "min_logistics": "4.5",
        "min_reviews": "1", "reduction_bp": "50"}
ADDRESS = {"recipient": "李四", "phone": "13900139000", "region": "云南省 德宏州 瑞丽市",
           "detail": "姐告玉城 1 号"}

# (name, kind, url template, form, the role allowed)
ENDPOINTS = [
    ("buyer cancels", "buyer", "/orders/{pending}/cancel", {"reason": "不要了"}),
    ("buyer confirms", "buyer", "/orders/{shipped}/confirm", {}),
    ("buyer reviews", "buyer", "/orders/{completed}/review", STARS),
    ("buyer pays", "buyer", "/checkout/{pending_checkout}/pay", {}),
    ("edit address", "buyer", "/addresses/{address}/edit", ADDRESS),
    ("delete address", "buyer", "/addresses/{address}/delete", {}),
    ("default address", "buyer", "/addresses/{address}/default", {}),
    ("ship", "desk", "/sell/orders/{awaiting}/ship",
     {"carrier": "顺丰速运", "tracking_number": "SF33333333"}),
    ("merchant cancels", "desk", "/sell/orders/{awaiting}/cancel", {"reason": "缺货"}),
    ("refund", "desk", "/sell/orders/{paid}/refund", {"reason": "缺货"}),
    ("set rates", "admin", "/admin/commission/rates", {"rate-{category}": "300"}),
    ("add tier", "admin", "/admin/commission/tiers", TIER),
    ("edit tier", "admin", "/admin/commission/tiers/{tier}", TIER),
    ("delete tier", "admin", "/admin/commission/tiers/{tier}/delete", {}),
]


def expected(kind: str, role: str) -> int:
    if role == "anonymous":
        return 302
    allowed = {"buyer": "buyer", "desk": "merchant", "admin": "operator"}[kind]
    if role == allowed:
        return 303
    if kind == "buyer":
        return 404
    if kind == "desk":
        return 404 if role == "other_merchant" else 403
    return 403


@pytest.mark.parametrize("name,kind,url,form", ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_only_the_right_role_changes_anything(world, name, kind, url, form):
    """Every refused role first (nothing may change), then the allowed one (it must)."""
    ids = {"pending": world["pending"].id, "shipped": world["shipped"].id,
           "completed": world["completed"].id, "awaiting": world["awaiting"].id,
           "paid": world["paid"].id, "address": world["address"].id, "tier": world["tier"].id,
           "pending_checkout": world["pending"].checkout_id, "category": world["category"].id}
    target = url.format(**ids)
    for role in sorted(ROLES, key=lambda r: expected(kind, r) == 303):
        data = {k.format(**ids): v for k, v in form.items()}
        before = snapshot()
        response = world["clients"][role].post(target, data=data)
        want = expected(kind, role)
        assert response.status_code == want, (role, response.get_data(as_text=True)[:300])
        if want == 302:
            assert "/signin" in response.headers["Location"]
        after = snapshot()
        if want == 303:
            assert after != before, f"{role}: the allowed request changed nothing"
        else:
            assert after == before, f"{role} changed something"


@pytest.mark.parametrize("role", ROLES)
def test_pages_of_someone_elses_order_are_not_found(world, role):
    order_id = world["awaiting"].id
    client = world["clients"][role]
    buyer_page = client.get(f"/orders/{order_id}").status_code
    desk_page = client.get(f"/sell/orders/{order_id}").status_code
    assert buyer_page == {"anonymous": 302, "buyer": 200}.get(role, 404)
    assert desk_page == {"anonymous": 302, "merchant": 200, "other_merchant": 404}.get(role, 403)
    admin_page = client.get("/admin/commission").status_code
    assert admin_page == {"anonymous": 302, "operator": 200}.get(role, 403)
