"""Every role × every mutating endpoint of the sale phase: operators set the voucher plan and
finalize; buyers claim vouchers (not in their own room); anonymous visitors are sent to sign
in. Refused requests change nothing."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.sale import vouchers
from app.sale.models import CampaignFinal, SalesKing, VoucherClaim, VoucherPlan
from tests import factories as make
from tests.sale.helpers import paid_order, sale_world

ROLES = ["anonymous", "buyer", "merchant", "other_merchant", "belt_admin", "operator"]


@pytest.fixture
def people(ctx, make_client):
    w = sale_world()
    accounts = {"buyer": w.buyer, "merchant": w.jade.owner, "other_merchant": w.outsider.owner,
                "belt_admin": make.belt_admin("zhenping-jade"),
                "operator": make.user("运营", operator=True)}
    clients = {"anonymous": make_client()}
    for role, person in accounts.items():
        clients[role] = make_client()
        make.sign_in(clients[role], person)
    return dict(w=w, clients=clients, operator=accounts["operator"])


def state() -> tuple:
    db.session.expire_all()
    plan = db.session.get(VoucherPlan, 1)
    return ((plan.amount_fen, plan.budget_fen, plan.committed_fen) if plan else None,
            db.session.scalar(select(func.count()).select_from(VoucherClaim)),
            db.session.scalar(select(func.count()).select_from(CampaignFinal)),
            db.session.scalar(select(func.count()).select_from(SalesKing)))


@pytest.mark.parametrize("role", ROLES)
def test_setting_the_voucher_plan(people, role):
    before = state()
    response = people["clients"][role].post(
        f"/admin/campaigns/{people['w'].campaign.slug}/vouchers",
        data={"amount": "10", "threshold": "0", "daily_limit": "1", "budget": "1000"})
    expected = {"anonymous": 302, "operator": 303}.get(role, 403)
    assert response.status_code == expected
    if expected != 303:
        assert state() == before
    page = people["clients"][role].get(f"/admin/campaigns/{people['w'].campaign.slug}/sale")
    assert page.status_code == {"anonymous": 302, "operator": 200}.get(role, 403)


@pytest.mark.parametrize("role", ROLES)
def test_finalizing(people, role):
    paid_order(people["w"].buyer, people["w"].bangle)
    clock.travel(timedelta(days=2))
    before = state()
    response = people["clients"][role].post(
        f"/admin/campaigns/{people['w'].campaign.slug}/finalize")
    expected = {"anonymous": 302, "operator": 303}.get(role, 403)
    assert response.status_code == expected
    if expected != 303:
        assert state() == before
    else:
        assert state()[2] == 1


@pytest.mark.parametrize("role", ROLES)
def test_claiming_a_voucher_in_the_jade_room(people, role):
    w = people["w"]
    vouchers.set_voucher_plan(people["operator"], w.campaign,
                              vouchers.PlanDraft(1000, 0, 1, 100000))
    before = state()
    response = people["clients"][role].post(f"/live/{w.jade_room.id}/voucher")
    # The room's own anchor may not claim; every other signed-in person may.
    expected = {"anonymous": 302, "merchant": 409}.get(role, 303)
    assert response.status_code == expected
    if expected != 303:
        assert state() == before
