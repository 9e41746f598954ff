"""直播购物券: an operator sets the plan; during the sale a buyer in an approved live room claims
a platform voucher (limited per day, one per room a day, within the campaign's budget) that
takes money off that room's goods during the sale, stacking as the platform coupon."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import clock
from app.campaigns.models import CouponClaim
from app.extensions import db, limiter
from app.sale import vouchers
from app.sale.models import VoucherClaim, VoucherPlan
from tests import factories as make
from tests.concurrency import race
from tests.sale.helpers import sale_world

HTMX = {"HX-Request": "true"}


def text(response) -> str:
    return response.get_data(as_text=True)


def plan(w, *, amount: int = 2000, threshold: int = 0, daily: int = 2, budget: int = 100000):
    return vouchers.set_voucher_plan(make.user("运营", operator=True), w.campaign,
                                     vouchers.PlanDraft(amount, threshold, daily, budget))


def claims() -> tuple[int, int, int]:
    db.session.expire_all()
    return (db.session.scalar(select(func.count()).select_from(VoucherClaim)),
            db.session.scalar(select(func.count()).select_from(CouponClaim)),
            db.session.scalar(select(func.coalesce(func.sum(VoucherPlan.committed_fen), 0))))


@pytest.fixture
def w(ctx):
    return sale_world()


def test_an_operator_sets_the_plan(w, client):
    operator = make.user("运营", operator=True)
    make.sign_in(client, operator)
    page = client.get(f"/admin/campaigns/{w.campaign.slug}/sale")
    assert page.status_code == 200 and "直播购物券" in text(page)
    response = client.post(f"/admin/campaigns/{w.campaign.slug}/vouchers", data={
        "amount": "20", "threshold": "199", "daily_limit": "2", "budget": "10000"})
    assert response.status_code == 303
    saved = db.session.get(VoucherPlan, w.campaign.id)
    assert (saved.amount_fen, saved.threshold_fen, saved.daily_limit, saved.budget_fen) == (
        2000, 19900, 2, 1000000)


@pytest.mark.parametrize("field, value, message", [
    ("amount", "0", "价格必须大于 0"),
    ("amount", "2000", "每张券的金额需在"),
    ("threshold", "10", "使用门槛要高于券的金额"),
    ("threshold", "abc", "门槛格式不正确"),
    ("daily_limit", "0", "每人每天限领需为正整数"),
    ("daily_limit", "11", "每人每天限领 1–10 张"),
    ("budget", "5", "预算至少够发一张券"),
])
def test_bad_plans_are_refused_and_nothing_saved(w, client, field, value, message):
    make.sign_in(client, make.user("运营", operator=True))
    form = {"amount": "20", "threshold": "0", "daily_limit": "2", "budget": "10000"}
    form[field] = value
    response = client.post(f"/admin/campaigns/{w.campaign.slug}/vouchers", data=form)
    assert response.status_code == 400 and message in text(response)
    assert db.session.get(VoucherPlan, w.campaign.id) is None


def test_a_buyer_claims_in_an_approved_room_and_it_pays_for_that_rooms_goods(w, client):
    plan(w, amount=2000)
    make.sign_in(client, w.buyer)
    room = text(client.get(f"/live/{w.jade_room.id}"))
    assert "直播购物券" in room and "立即领取" in room
    response = client.post(f"/live/{w.jade_room.id}/voucher", headers=HTMX)
    assert response.status_code == 200 and "已领取" in text(response)
    assert claims() == (1, 1, 2000)
    # The platform voucher stacks at checkout on this room's goods.
    order = make.order(w.buyer, w.bangle, method="sandbox")
    platform = [d for d in order.discounts if d.kind == "platform_coupon"]
    assert platform and platform[0].amount_fen == 2000 and platform[0].funded_by == "platform"
    assert order.pay_fen == 100000 - 2000


def test_the_voucher_does_not_apply_elsewhere_or_after_the_sale(w, ctx):
    plan(w, amount=2000)
    vouchers.claim_live_voucher(w.buyer, w.jade_room.id)
    other = make.order(w.buyer, w.dress, method="sandbox")  # another room's goods
    assert not [d for d in other.discounts if d.kind == "platform_coupon"]
    clock.travel(timedelta(days=2))  # the sale is over
    late = make.order(w.buyer, w.bangle, method="sandbox")
    assert not [d for d in late.discounts if d.kind == "platform_coupon"]


def test_one_per_room_a_day_and_the_daily_limit(w, client, ctx):
    plan(w, daily=1)
    make.sign_in(client, w.buyer)
    assert client.post(f"/live/{w.jade_room.id}/voucher").status_code == 303
    again = client.post(f"/live/{w.jade_room.id}/voucher")
    assert again.status_code == 409 and "今天已经在这个直播间领过了" in text(again)
    other_room = client.post(f"/live/{w.apparel_room.id}/voucher")
    assert other_room.status_code == 409 and "每人每天限领 1 张" in text(other_room)
    assert claims()[0] == 1
    clock.travel(timedelta(days=1))  # the next Shanghai day, still in the sale
    assert client.post(f"/live/{w.apparel_room.id}/voucher").status_code == 303
    assert claims()[0] == 2


def test_once_claimed_the_amount_stays_and_the_budget_is_not_overspent(w, ctx):
    from app.exceptions import InvalidInput

    plan(w, amount=2000, budget=4000)
    vouchers.claim_live_voucher(w.buyer, w.jade_room.id)
    with pytest.raises(InvalidInput, match="金额和门槛不能再改"):
        plan(w, amount=3000, budget=4000)  # would make the claimed voucher worth ¥30
    db.session.rollback()
    plan(w, amount=2000, budget=6000, daily=3)  # budget and daily limit may change
    order = make.order(w.buyer, w.bangle, method="sandbox")
    assert [d.amount_fen for d in order.discounts if d.kind == "platform_coupon"] == [2000]
    assert claims()[2] == 2000


def test_a_suspended_shops_room_hands_out_no_vouchers(w, client):
    from datetime import timedelta as days

    plan(w)
    shop = db.session.get(type(w.jade), w.jade.id)
    shop.suspended_until = clock.now() + days(days=3)
    db.session.commit()
    make.sign_in(client, w.buyer)
    assert client.post(f"/live/{w.jade_room.id}/voucher").status_code == 404
    assert claims() == (0, 0, 0)


@pytest.mark.parametrize("case, message", [
    ("not_approved", "只有活动正式售卖期间的参与直播间才能领取"),
    ("warmup", "只有活动正式售卖期间的参与直播间才能领取"),
    ("no_plan", "这个活动没有直播购物券"),
    ("budget_spent", "直播购物券已发完"),
    ("own_room", "主播不能领取自己直播间的购物券"),
])
def test_refused_claims_say_why_and_change_nothing(w, client, case, message):
    room_id = w.jade_room.id
    who = w.buyer
    if case != "no_plan":
        plan(w, amount=2000, budget=2000)
    if case == "not_approved":
        room_id = w.outsider_room.id
    elif case == "warmup":
        clock.travel(timedelta(days=-1))
    elif case == "budget_spent":
        someone = make.user("先到的买家")
        vouchers.claim_live_voucher(someone, w.jade_room.id)
    elif case == "own_room":
        who = w.jade.owner
    before = claims()
    make.sign_in(client, who)
    response = client.post(f"/live/{room_id}/voucher")
    assert response.status_code == 409 and message in text(response)
    assert claims() == before


def test_unknown_rooms_anonymous_and_csrf(w, client, make_client):
    plan(w)
    anonymous = make_client().post(f"/live/{w.jade_room.id}/voucher")
    assert anonymous.status_code == 302 and "/signin" in anonymous.headers["Location"]
    make.sign_in(client, w.buyer)
    assert client.post("/live/999999/voucher").status_code == 404
    assert client.post(f"/live/{w.jade_room.id}/voucher", csrf=False).status_code == 400
    assert claims()[0] == 0


@pytest.mark.concurrency
def test_twelve_buyers_racing_for_a_three_voucher_budget(app, ctx, make_client):
    w = sale_world()
    plan(w, amount=2000, budget=6000)
    clients = []
    for i in range(12):
        buyer = make.user(f"买家{i}")
        clients.append(make_client())
        limiter.reset()
        make.sign_in(clients[-1], buyer)
    url = f"/live/{w.jade_room.id}/voucher"
    results = race(app, 12, lambda i: clients[i].post(url))
    assert not [r for r in results if isinstance(r, Exception)], results
    statuses = [r.status_code for r in results]
    assert statuses.count(303) == 3 and statuses.count(409) == 9, statuses
    assert claims() == (3, 3, 6000)


@pytest.mark.concurrency
def test_one_buyer_in_three_rooms_at_once_gets_the_daily_limit(app, ctx, make_client):
    w = sale_world()
    third = make.merchant("第三家", belt_slug="xiuyan-jade")
    make.registration(w.campaign, third)
    room3 = make.live_room(third, title="岫岩玉")
    plan(w, daily=2)
    rooms = [w.jade_room.id, w.apparel_room.id, room3.id]
    clients = []
    for _ in rooms:
        clients.append(make_client())
        limiter.reset()
        make.sign_in(clients[-1], w.buyer)
    results = race(app, 3, lambda i: clients[i].post(f"/live/{rooms[i]}/voucher"))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert [r.status_code for r in results].count(303) == 2
    assert claims()[0] == 2
