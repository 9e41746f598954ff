"""The sale-phase demo steps: flash sales counting down, open and sold out in 玉匠人's room;
last year's campaign with leaderboards and sales kings; a voucher plan for the demo campaign —
and running them again changes nothing."""
from __future__ import annotations

from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.flash.models import FlashSale
from app.flash.services import sale_state
from app.orders.models import Order
from app.sale.models import SalesKing, VoucherPlan


def counts() -> tuple:
    return tuple(db.session.scalar(select(func.count()).select_from(m))
                 for m in (FlashSale, SalesKing, VoucherPlan, Order))


def test_the_sale_demo_shows_every_part_and_is_idempotent(app, ctx, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    sales = db.session.scalars(select(FlashSale)).all()
    assert {sale_state(s, clock.now()) for s in sales} == {"upcoming", "open", "sold_out"}
    assert all(s.campaign is not None and s.campaign.slug == "116-demo" for s in sales)
    kings = db.session.scalars(select(SalesKing)).all()
    assert {k.board for k in kings} == {"peak", "potential", "industry"}
    before = counts()
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0, again.output
    db.session.expire_all()
    assert counts() == before

    room = client.get(f"/live/{sales[0].live_room_id}").get_data(as_text=True)
    assert "直播秒杀" in room and "已抢光" in room and "距开抢" in room
    board = client.get("/campaigns/116-2025/leaderboards/peak").get_data(as_text=True)
    assert "lb-row" in board and "chip-king" in board
    king = next(k for k in kings if k.board == "peak")
    assert "卖货王" in client.get(f"/shops/{king.merchant_id}").get_data(as_text=True)
