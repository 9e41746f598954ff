"""The base dashboard (基地看板): per belt, open complaints, the upheld rate, suspended shops,
and complaint rates of certified vs uncertified shops.

Complaint rate = complaints filed in the window per 100 orders placed in the same window (not
cancelled; an unpaid order past its deadline counts as cancelled), over the last 90 days,
grouping shops by whether they are certified *now*. Upheld rate = upheld / decided, over
complaints decided in the same window."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import case, func, select

from app import clock
from app.accounts.models import User
from app.catalog.models import Belt
from app.extensions import db
from app.governance.models import Complaint, ComplaintStatus
from app.merchants import certification
from app.merchants.models import Merchant
from app.orders.models import Order, OrderStatus, effective_status_sql

WINDOW_DAYS = 90


@dataclass
class Rate:
    complaints: int
    orders: int

    @property
    def per_100(self) -> float | None:
        return None if not self.orders else round(100 * self.complaints / self.orders, 1)


@dataclass
class Dashboard:
    belt: Belt
    open_complaints: int
    decided: int
    upheld: int
    suspended: list[Merchant]
    certified: Rate
    uncertified: Rate
    window_days: int = WINDOW_DAYS

    @property
    def upheld_rate(self) -> float | None:
        return None if not self.decided else round(100 * self.upheld / self.decided, 1)


def dashboard(actor: User | None, slug: str) -> Dashboard:
    belt = certification.belt_for_admin(actor, slug)
    now = clock.now()
    since = now - timedelta(days=WINDOW_DAYS)
    open_count = db.session.scalar(
        select(func.count()).select_from(Complaint)
        .where(Complaint.belt_id == belt.id, Complaint.status == ComplaintStatus.open)) or 0
    decided, upheld = db.session.execute(
        select(func.count(), func.coalesce(func.sum(
            case((Complaint.status == ComplaintStatus.upheld, 1), else_=0)), 0))
        .where(Complaint.belt_id == belt.id, Complaint.status != ComplaintStatus.open,
               Complaint.decided_at >= since)).one()
    suspended = list(db.session.scalars(
        select(Merchant).where(Merchant.belt_id == belt.id, Merchant.suspended_until > now)
        .order_by(Merchant.suspended_until)))
    complaints = dict(db.session.execute(
        select(Merchant.certified, func.count()).select_from(Complaint)
        .join(Merchant, Merchant.id == Complaint.merchant_id)
        .where(Merchant.belt_id == belt.id, Complaint.created_at >= since)
        .group_by(Merchant.certified)).all())
    orders = dict(db.session.execute(
        select(Merchant.certified, func.count()).select_from(Order)
        .join(Merchant, Merchant.id == Order.merchant_id)
        .where(Merchant.belt_id == belt.id, Order.created_at >= since,
               effective_status_sql(now) != OrderStatus.cancelled)
        .group_by(Merchant.certified)).all())
    return Dashboard(
        belt=belt, open_complaints=open_count, decided=int(decided or 0), upheld=int(upheld or 0),
        suspended=suspended,
        certified=Rate(complaints.get(True, 0), orders.get(True, 0)),
        uncertified=Rate(complaints.get(False, 0), orders.get(False, 0)))
