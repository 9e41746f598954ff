"""The merchant's monthly commission statement (月度账单): orders completed in the month
(Asia/Shanghai), what the shop sold, the commission, the net it receives and, on every row, why
that rate applies; beside it the DSR tiers (佣金减免) that lower the shop's commission and how
far the shop's own DSR is from each. Refunded orders are not settled, so they are not here."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import and_, case, select
from sqlalchemy.orm import selectinload

from app import clock
from app.accounts.models import User
from app.exceptions import InvalidInput
from app.extensions import db
from app.merchants.models import Merchant
from app.money import fen_to_decimal
from app.orders.commission import bp_percent, category_names, explain, tiers
from app.orders.models import CommissionTier, Order, OrderStatus
from app.orders.orders import shop_orders_owner
from app.orders.reviews import DIMENSIONS, Dsr, shop_dsr


@dataclass
class StatementRow:
    order: Order
    rates: str    # '4% / 5%'
    reason: str   # why those rates (never empty)

    @property
    def completed_at(self) -> datetime | None:
        return self.order.completed_at or self.order.receive_deadline

    @property
    def net_fen(self) -> int:
        return self.order.commission_base_fen - self.order.commission_fen


@dataclass
class TierStatus:
    tier: CommissionTier
    cleared: bool
    missing: list[str]  # what the shop still lacks for it, in the reader's words


@dataclass
class TierLadder:
    """The DSR tiers that lower the commission, and where the shop stands on each."""

    certified: bool
    dsr: Dsr
    tiers: list[TierStatus]

    @property
    def current(self) -> TierStatus | None:
        return next((t for t in self.tiers if t.cleared), None) if self.certified else None

    def average(self, dimension: str) -> str:
        value = self.dsr.average(dimension)
        return "—" if value is None else f"{value:.2f}"


@dataclass
class Statement:
    merchant: Merchant
    month: date
    rows: list[StatementRow]
    sales_fen: int
    commission_fen: int
    ladder: TierLadder | None = None

    @property
    def orders(self) -> list[Order]:
        return [row.order for row in self.rows]

    @property
    def net_fen(self) -> int:
        return self.sales_fen - self.commission_fen

    @property
    def previous(self) -> str:
        y, m = (self.month.year, self.month.month - 1) if self.month.month > 1 else \
            (self.month.year - 1, 12)
        return f"{y:04d}-{m:02d}"

    @property
    def next(self) -> str | None:
        y, m = (self.month.year, self.month.month + 1) if self.month.month < 12 else \
            (self.month.year + 1, 1)
        if date(y, m, 1) > clock.local_today():
            return None
        return f"{y:04d}-{m:02d}"

    @property
    def label(self) -> str:
        return f"{self.month.year:04d}-{self.month.month:02d}"


def parse_month(text: str | None) -> date:
    if not text:
        today = clock.local_today()
        return date(today.year, today.month, 1)
    match = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2100:
        raise InvalidInput(_("月份格式应为 YYYY-MM，例如 2026-11。"), field="month")
    return date(int(match.group(1)), int(match.group(2)), 1)


def completed_at_sql(now: datetime):
    """When an order counts as completed (auto-confirmed ones from their deadline)."""
    return case(
        (Order.status == OrderStatus.completed, Order.completed_at),
        (and_(Order.status == OrderStatus.shipped, Order.receive_deadline <= now),
         Order.receive_deadline),
        else_=None,
    )


def order_rates(order: Order) -> str:
    rates = sorted({line.commission_rate_bp for line in order.lines})
    return " / ".join(f"{bp_percent(r)}%" for r in rates)


def _hundredths(value: int) -> str:
    return f"{value / 100:.2f}"


def tier_ladder(merchant: Merchant, now: datetime) -> TierLadder:
    """Each tier, whether the shop clears it now, and what it still lacks."""
    dsr = shop_dsr(merchant.id, now)
    statuses = []
    for tier in tiers():
        missing = []
        if not merchant.certified:
            missing.append(_("通过官方认证（源头好货商家）"))
        needed = max(tier.min_reviews, 1)
        if dsr.count < needed:
            missing.append(ngettext("还差 %(num)d 条评价", "还差 %(num)d 条评价", needed - dsr.count))
        for dimension, label in DIMENSIONS:
            threshold = getattr(tier, f"min_{dimension}")
            if not dsr.clears(dimension, threshold):
                missing.append(_("%(label)s 达到 %(min)s", label=_(label),
                                 min=_hundredths(threshold)))
        statuses.append(TierStatus(tier, not missing, missing))
    return TierLadder(bool(merchant.certified), dsr, statuses)


def monthly_statement(actor: User | None, month: str | None = None) -> Statement:
    """The statement page's data: the month's completed orders with their rates and reasons
    (one query for the orders and their lines, one for category names), the totals and the
    tier ladder."""
    shop = shop_orders_owner(actor)
    first = parse_month(month)
    after = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    start, end = clock.shanghai_midnight(first), clock.shanghai_midnight(after)
    now = clock.now()
    done_at = completed_at_sql(now)
    orders = list(db.session.scalars(
        select(Order).options(selectinload(Order.lines))
        .where(Order.merchant_id == shop.id, done_at >= start, done_at < end)
        .order_by(done_at, Order.id)))
    names = category_names({ln.category_id for o in orders for ln in o.lines if ln.category_id})
    rows = [StatementRow(o, order_rates(o), explain(o, names)) for o in orders]
    return Statement(shop, first, rows, sum(o.commission_base_fen for o in orders),
                     sum(o.commission_fen for o in orders), tier_ladder(shop, now))


def statement_csv(statement: Statement) -> str:
    from app.i18n import local_datetime

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("订单号"), _("完成时间"), _("销售额（元）"), _("佣金费率"),
                     _("佣金（元）"), _("结算金额（元）"), _("费率说明")])
    for row in statement.rows:
        order = row.order
        writer.writerow([order.number, local_datetime(row.completed_at),
                         fen_to_decimal(order.commission_base_fen), row.rates,
                         fen_to_decimal(order.commission_fen), fen_to_decimal(row.net_fen),
                         row.reason])
    writer.writerow([_("合计"), "", fen_to_decimal(statement.sales_fen), "",
                     fen_to_decimal(statement.commission_fen), fen_to_decimal(statement.net_fen),
                     ""])
    return "\ufeff" + out.getvalue()  # a BOM so spreadsheet apps read the Chinese right
