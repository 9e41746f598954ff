"""“你刚刚下单过这些商品，要再下一单吗？” — a checkout of goods the buyer ordered minutes ago
asks before it places a second order.

The idempotency key already makes one checkout page place one order, however often it is
submitted. But going Back to a checkout page after paying fetches it anew (personal pages
are never cached), with a new key: submitting it again would quietly place a second order
for the same goods. So the checkout page asks first when every product on it was in one
order placed in the last ORDER_REPEAT_MINUTES (and not cancelled), and goes on only when
the buyer confirms. Other callers (the flash-sale button, the demo) don't ask."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import User
from app.exceptions import Conflict
from app.extensions import db
from app.orders.models import Order, OrderLine, OrderStatus


@dataclass(frozen=True)
class EarlierOrder:
    id: int
    number: str


class RepeatOrder(Conflict):
    """The same goods were ordered minutes ago: the buyer confirms before a second order."""

    def __init__(self, message: str, earlier: list[EarlierOrder]):
        super().__init__(message, field="lines")
        self.earlier = earlier


def recent_orders_of(buyer_id: int, product_ids: Iterable[int],
                     now: datetime) -> list[EarlierOrder]:
    """The orders of the buyer's latest checkout, within the window, that had every one of
    these products; empty when there is none (one query)."""
    wanted = set(product_ids)
    since = now - timedelta(minutes=current_app.config["ORDER_REPEAT_MINUTES"])
    rows = db.session.execute(
        select(Order.checkout_id, Order.id, Order.number, OrderLine.product_id)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.buyer_id == buyer_id, Order.created_at >= since,
               Order.status != OrderStatus.cancelled)
        .order_by(Order.checkout_id.desc(), Order.id))
    products: dict[int, set[int]] = defaultdict(set)
    orders: dict[int, dict[int, EarlierOrder]] = defaultdict(dict)
    for checkout_id, order_id, number, product_id in rows:
        products[checkout_id].add(product_id)
        orders[checkout_id][order_id] = EarlierOrder(order_id, number)
    for checkout_id in products:  # newest first
        if wanted and wanted <= products[checkout_id]:
            return list(orders[checkout_id].values())
    return []


def lock_buyer(buyer_id: int) -> None:
    """Hold the buyer's row until the caller's transaction ends (PostgreSQL: FOR UPDATE)."""
    db.session.execute(select(User.id).where(User.id == buyer_id).with_for_update())


def ask_before_repeating(buyer_id: int, product_ids: Iterable[int], now: datetime) -> None:
    """Raise RepeatOrder (409) when these goods were just ordered."""
    earlier = recent_orders_of(buyer_id, product_ids, now)
    if earlier:
        raise RepeatOrder(_("你刚刚下单过这些商品（订单 %(numbers)s）。要再下一单吗？",
                            numbers="、".join(o.number for o in earlier)), earlier)
