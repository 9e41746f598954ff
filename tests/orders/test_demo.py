"""The orders demo step: the demo buyer's orders in every state, DSR history, the commission
table — and running it again changes nothing."""
from __future__ import annotations

from sqlalchemy import func, select

from app.accounts.models import User
from app.extensions import db
from app.merchants.models import Merchant
from app.orders import commission, reviews
from app.orders.models import Address, CommissionRate, CommissionTier, Order, Review


def counts() -> tuple:
    return tuple(db.session.scalar(select(func.count()).select_from(m))
                 for m in (Order, Review, Address, CommissionRate, CommissionTier))


def test_the_orders_demo_is_complete_and_idempotent(app, ctx, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    buyer = db.session.scalar(select(User).where(User.email == "buyer@demo.yuantou.cn"))
    statuses = set(db.session.scalars(select(Order.status).where(Order.buyer_id == buyer.id)))
    assert statuses == {"pending_payment", "awaiting_shipment", "shipped", "completed",
                        "cancelled", "refunded"}
    assert db.session.scalar(select(Address).where(Address.user_id == buyer.id))
    master = db.session.scalar(select(Merchant).where(Merchant.name == "玉匠人"))
    dsr = reviews.shop_dsr(master.id)
    assert dsr.count >= 20 and commission.best_tier(master, dsr).name == "金牌源头商家"
    assert counts()[3] > 0 and counts()[4] == 2
    before = counts()
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0, again.output
    db.session.expire_all()
    assert counts() == before
    client.post("/signin", data={"account": "buyer@demo.yuantou.cn", "password": "yuantou-demo"})
    assert "待发货" in client.get("/orders").get_data(as_text=True)
    assert "店铺评分" in client.get(f"/shops/{master.id}").get_data(as_text=True)
