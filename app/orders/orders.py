"""Orders after placement: payment, the payment timeout, shipping, cancelling, refunds and
receipt — each one conditional UPDATE on `status` whose row count decides, so payment and
the timeout race through the same row (never "released while paying"), nothing ships twice
and nothing ships after a cancel. Stock goes back exactly once, by whichever transition won.

Time rules hold without a timer: `Order.effective_status(now)` treats an unpaid order past
its deadline as cancelled and a shipped order past its auto-confirm time as completed;
`settle()` applies those before any action, and the `flask tick` jobs apply them in bulk."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app import clock
from app.accounts.models import User
from app.accounts.services import notify, record_audit, require_signed_in
from app.catalog.listing import give_back_stock
from app.db import is_postgres
from app.exceptions import Conflict, InvalidInput, NotFound
from app.extensions import db
from app.i18n import N_
from app.inputs import clean_text
from app.merchants.models import Merchant
from app.merchants.services import own_shop
from app.money import format_fen
from app.orders import payments
from app.orders.models import (
    Checkout,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    Payment,
    effective_status_sql,
)

S = OrderStatus
CARRIERS = (N_("顺丰速运"), N_("中通快递"), N_("圆通速递"), N_("韵达快递"), N_("申通快递"),
            N_("京东物流"), N_("中国邮政 EMS"), N_("极兔速递"), N_("德邦快递"))
STATUS_NAMES = {
    S.pending_payment: N_("待付款"), S.awaiting_shipment: N_("待发货"), S.shipped: N_("已发货"),
    S.completed: N_("已完成"), S.cancelled: N_("已取消"), S.refunded: N_("已退款"),
}
TABS = ("all", S.pending_payment, S.awaiting_shipment, S.shipped, S.completed, "closed")
# Notes the system writes on the timeline (msgids); anything else there was typed by a person.
SYSTEM_NOTES = frozenset((N_("已支付"), N_("买家取消订单"), N_("买家确认收货"),
                          N_("超时未支付，系统自动取消"), N_("超时自动确认收货"),
                          N_("货到付款，等待商家发货"), N_("订单已提交，等待付款")))


def stored_text(value: str) -> str:
    """Show a stored note or carrier: translated when it is one of ours, else as typed.
    (A template's `_()` would mark a typed value as safe HTML: never pass user text to it.)"""
    if value in SYSTEM_NOTES or value in CARRIERS:
        return gettext(value)
    return value
MAX_REASON = 100


def _now(now: datetime | None) -> datetime:
    return now if now is not None else clock.now()



def _set_status(order_id: int, allowed: tuple[str, ...], *conditions, **values) -> bool:
    """The one way an order changes status: UPDATE … WHERE id = :id AND status IN (:allowed)
    [AND …]. True when this call made the change."""
    result = db.session.execute(
        update(Order).where(Order.id == order_id, Order.status.in_(allowed), *conditions)
        .values(**values).execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _event(order: Order, status: str, actor: User | None, note: str = "",
           at: datetime | None = None) -> None:
    db.session.add(OrderEvent(order_id=order.id, status=status, note=note[:200],
                              actor_id=actor.id if actor is not None else None,
                              created_at=_now(at)))


def _give_back(order: Order) -> None:
    for line in sorted(order.lines, key=lambda ln: ln.product_id):  # one lock order everywhere
        give_back_stock(line.product_id, line.quantity)


def _reload(order: Order) -> Order:
    db.session.refresh(order)
    return order


def _link(order: Order) -> str:
    return f"/orders/{order.id}"


def _desk_link(order: Order) -> str:
    return f"/sell/orders/{order.id}"


# --- reading ------------------------------------------------------------------------------

def get_order(order_id: int) -> Order | None:
    return db.session.scalar(
        select(Order).options(selectinload(Order.lines), selectinload(Order.events),
                              selectinload(Order.discounts), selectinload(Order.merchant))
        .where(Order.id == order_id))


def get_buyer_order(actor: User | None, order_id: int) -> Order:
    """The buyer's own order; anyone else's is simply not found (its existence is private)."""
    actor = require_signed_in(actor)
    order = get_order(order_id)
    if order is None or order.buyer_id != actor.id:
        raise NotFound(_("订单不存在。"))
    return order



def shop_orders_owner(actor: User | None) -> Merchant:
    """The actor's own shop, for the shop's orders desk and statement."""
    return own_shop(actor, _("你还没有开店，没有店铺订单。"))


def get_shop_order(actor: User | None, order_id: int) -> Order:
    """An order of the actor's own shop; other shops' orders are not found."""
    shop = shop_orders_owner(actor)
    order = get_order(order_id)
    if order is None or order.merchant_id != shop.id:
        raise NotFound(_("订单不存在。"))
    return order


def _tab_filter(query, tab: str, now: datetime):
    status = effective_status_sql(now)
    if tab == "closed":
        return query.where(status.in_((S.cancelled, S.refunded)))
    if tab in STATUS_NAMES:
        return query.where(status == tab)
    return query


@dataclass
class OrderPage:
    items: list[Order]
    page: int
    has_more: bool


def _page(query, page: int, size: int = 20) -> OrderPage:
    rows = list(db.session.scalars(
        query.options(selectinload(Order.lines), selectinload(Order.merchant),
                      selectinload(Order.review))
        .order_by(Order.created_at.desc(), Order.id.desc())
        .offset((page - 1) * size).limit(size + 1)))
    return OrderPage(rows[:size], page, len(rows) > size)


def buyer_orders(actor: User | None, tab: str = "all", page: int = 1) -> OrderPage:
    actor = require_signed_in(actor)
    query = _tab_filter(select(Order).where(Order.buyer_id == actor.id), tab, clock.now())
    return _page(query, page)


def shop_orders(actor: User | None, tab: str = "all", page: int = 1) -> OrderPage:
    shop = shop_orders_owner(actor)
    query = _tab_filter(select(Order).where(Order.merchant_id == shop.id), tab, clock.now())
    return _page(query, page)


def tab_counts(*, buyer_id: int | None = None, merchant_id: int | None = None) -> dict[str, int]:
    now = clock.now()
    status = effective_status_sql(now)
    query = select(status, func.count()).group_by(status)
    query = query.where(Order.buyer_id == buyer_id) if buyer_id is not None else \
        query.where(Order.merchant_id == merchant_id)
    return dict(db.session.execute(query).all())


def count_orders_for_merchant(merchant_id: int, start: datetime, end: datetime) -> int:
    """Orders of a shop placed in [start, end) and not cancelled (an unpaid order past its
    deadline counts as cancelled). Refunded orders were placed and are counted."""
    return db.session.scalar(
        select(func.count()).select_from(Order)
        .where(Order.merchant_id == merchant_id, Order.created_at >= start,
               Order.created_at < end, effective_status_sql(clock.now()) != S.cancelled)
    ) or 0


def count_orders_by_merchant(merchant_ids: list[int], start: datetime,
                             end: datetime) -> dict[int, int]:
    """count_orders_for_merchant for many shops in one query (shops without orders are absent)."""
    if not merchant_ids:
        return {}
    return dict(db.session.execute(
        select(Order.merchant_id, func.count())
        .where(Order.merchant_id.in_(merchant_ids), Order.created_at >= start,
               Order.created_at < end, effective_status_sql(clock.now()) != S.cancelled)
        .group_by(Order.merchant_id)).all())


count_orders_for_merchant.by_shop = count_orders_by_merchant  # the dashboard's bulk counter


@dataclass
class TimelineStep:
    status: str
    label: str
    at: datetime | None
    state: str  # 'done' | 'current' | 'todo'


def timeline(order: Order, now: datetime | None = None) -> list[TimelineStep]:
    """待付款 → 待发货 → 已发货 → 已完成, or ending in 已取消 / 已退款."""
    now = _now(now)
    status = order.effective_status(now)
    times = {
        S.pending_payment: order.created_at,
        S.awaiting_shipment: order.paid_at if order.payment_method != "cod" else order.created_at,
        S.shipped: order.shipped_at,
        S.completed: order.completed_at or (order.receive_deadline
                                            if status == S.completed else None),
    }
    path = [S.awaiting_shipment, S.shipped, S.completed]
    if order.payment_method != "cod":
        path.insert(0, S.pending_payment)
    steps = []
    reached = True
    for step in path:
        at = times.get(step)
        state = "done" if at is not None and reached else "todo"
        steps.append(TimelineStep(step, STATUS_NAMES[step], at, state))
        if at is None:
            reached = False
    if status in (S.cancelled, S.refunded):
        steps = [s for s in steps if s.state == "done"]
        at = order.cancelled_at if status == S.cancelled else order.refunded_at
        if status == S.cancelled and at is None:  # expired, the tick job has not run yet
            at = order.pay_deadline
        steps.append(TimelineStep(status, STATUS_NAMES[status], at, "current"))
    else:
        done = [s for s in steps if s.state == "done"]
        if done:
            done[-1].state = "current"
    return steps


# --- time rules ---------------------------------------------------------------------------

def expire_order(order: Order, now: datetime | None = None) -> bool:
    """The payment timeout: pending → cancelled, only if still unpaid and past its deadline;
    the winner gives the stock back. Same row, same conditional UPDATE as payment."""
    now = _now(now)
    if not _set_status(order.id, (S.pending_payment,), Order.pay_deadline <= now,
                       status=S.cancelled, cancelled_at=now, cancel_reason="timeout"):
        return False
    _give_back(order)
    _event(order, S.cancelled, None, N_("超时未支付，系统自动取消"), at=now)
    notify(order.buyer_id, N_("订单 %(number)s 超时未支付，已自动取消。"), link=_link(order),
           number=order.number)
    return True


def auto_confirm(order: Order, now: datetime | None = None) -> bool:
    """N days after shipping the order is completed for the buyer (自动确认收货)."""
    now = _now(now)
    if not _set_status(order.id, (S.shipped,), Order.receive_deadline <= now,
                       status=S.completed, completed_at=Order.receive_deadline,
                       paid_at=func.coalesce(Order.paid_at, Order.receive_deadline)):
        return False
    _event(order, S.completed, None, N_("超时自动确认收货"), at=order.receive_deadline)
    notify(order.merchant.owner_id, N_("订单 %(number)s 已自动确认收货。"),
           link=_desk_link(order), number=order.number)
    return True


def settle(order: Order, now: datetime | None = None) -> Order:
    """Apply the time rules to one order before acting on it, committed on their own (the
    action that follows may still be refused)."""
    now = _now(now)
    if order.is_expired(now):
        expire_order(order, now)
    elif order.effective_status(now) != order.status:
        auto_confirm(order, now)
    else:
        return order
    db.session.commit()
    return _reload(order)


def _claim_due(condition, limit: int) -> list[Order]:
    query = select(Order).where(*condition).order_by(Order.id).limit(limit)
    if is_postgres():
        query = query.with_for_update(skip_locked=True)  # several hosts never share a row
    return list(db.session.scalars(query))


def expire_unpaid_orders(now: datetime | None = None, limit: int = 200) -> int:
    """Tick job: cancel unpaid orders past their deadline and give their stock back."""
    now = _now(now)
    due = _claim_due((Order.status == S.pending_payment, Order.pay_deadline <= now), limit)
    done = sum(1 for order in due if expire_order(order, now))
    db.session.commit()
    return done


def auto_confirm_orders(now: datetime | None = None, limit: int = 200) -> int:
    """Tick job: complete shipped orders the buyer has not confirmed within N days."""
    now = _now(now)
    due = _claim_due((Order.status == S.shipped, Order.receive_deadline <= now), limit)
    done = sum(1 for order in due if auto_confirm(order, now))
    db.session.commit()
    return done


def release_expired_holding(product_ids: list[int], now: datetime) -> list[tuple[int, int]]:
    """Placement, before taking stock: flip expired unpaid orders that hold these goods to
    cancelled (each by its conditional UPDATE) and return their lines' (product id,
    quantity), so the caller gives the units back in one product-id order. Rows another host is releasing
    are skipped."""
    held = (select(OrderLine.order_id).where(OrderLine.product_id.in_(product_ids)))
    due = _claim_due((Order.status == S.pending_payment, Order.pay_deadline <= now,
                      Order.id.in_(held)), 50)
    released: list[Order] = []
    for order in due:
        if _set_status(order.id, (S.pending_payment,), Order.pay_deadline <= now,
                       status=S.cancelled, cancelled_at=now, cancel_reason="timeout"):
            _event(order, S.cancelled, None, N_("超时未支付，系统自动取消"), at=now)
            notify(order.buyer_id, N_("订单 %(number)s 超时未支付，已自动取消。"),
                   link=_link(order), number=order.number)
            released.append(order)
    return [(line.product_id, line.quantity) for order in released for line in order.lines]


# --- payment ------------------------------------------------------------------------------

def confirm_payment(order: Order, provider_code: str, reference: str, amount_fen: int,
                    now: datetime | None = None) -> bool:
    """A provider says `amount_fen` was paid for `order`. In the caller's transaction:
    pending → awaiting shipment only while the deadline has not passed (the timeout's
    UPDATE conditions on the same status, so exactly one of them wins). Returns True when
    this call recorded the payment, False for a notification already recorded; raises
    Conflict when the order can no longer be paid."""
    now = _now(now)
    if amount_fen != order.pay_fen:
        raise InvalidInput(_("支付金额与订单金额不符。"))
    try:
        with db.session.begin_nested():
            db.session.add(Payment(order_id=order.id, provider=provider_code, kind="charge",
                                   reference=reference, amount_fen=amount_fen, created_at=now))
    except IntegrityError:
        return False  # the same notification again: already recorded
    if not _set_status(order.id, (S.pending_payment,), Order.pay_deadline > now,
                       status=S.awaiting_shipment, paid_at=now, payment_reference=reference):
        raise Conflict(_("订单 %(number)s 已超时取消或状态已变化，不能再支付。",
                         number=order.number))
    _event(order, S.awaiting_shipment, order.buyer, N_("已支付"), at=now)
    notify(order.merchant.owner_id, N_("订单 %(number)s 买家已付款，请尽快发货。"),
           link=_desk_link(order), number=order.number)
    return True


def get_payable_checkout(actor: User | None, checkout_id: int) -> Checkout:
    actor = require_signed_in(actor)
    checkout = db.session.get(Checkout, checkout_id)
    if checkout is None or checkout.buyer_id != actor.id:
        raise NotFound(_("订单不存在。"))
    return checkout


def unpaid_orders(checkout: Checkout, now: datetime | None = None) -> list[Order]:
    now = _now(now)
    return [o for o in checkout.orders if o.effective_status(now) == S.pending_payment]


def pay_checkout(actor: User | None, checkout_id: int, provider_code: str,
                 now: datetime | None = None) -> list[Order]:
    """Pay every still-unpaid order of a checkout through an online provider, all or none."""
    checkout = get_payable_checkout(actor, checkout_id)
    provider = payments.provider(provider_code)
    if provider is None or provider.pays_on_delivery:
        raise InvalidInput(_("不支持这种支付方式。"), field="method")
    now = _now(now)
    due = unpaid_orders(checkout, now)
    if not due:
        raise Conflict(_("没有待支付的订单（可能已支付或已超时取消）。"))
    reference = provider.charge(checkout.id, sum(o.pay_fen for o in due))
    try:
        for order in due:
            confirm_payment(order, provider.code, f"{reference}-{order.id}", order.pay_fen, now)
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    return [_reload(o) for o in due]


# --- buyer actions --------------------------------------------------------------------------

def _reason(raw: str | None) -> str:
    reason = clean_text(raw, max_len=MAX_REASON)
    if len(reason) > MAX_REASON:
        raise InvalidInput(_("原因不能超过 %(n)d 个字。", n=MAX_REASON), field="reason")
    return reason


def cancel_by_buyer(actor: User | None, order_id: int, reason: str = "") -> Order:
    """The buyer cancels an order nothing has been paid for (unpaid, or cash on delivery
    before shipping). Paid orders go through the merchant's refund."""
    order = get_buyer_order(actor, order_id)
    reason = _reason(reason)
    now = clock.now()
    settle(order, now)
    if not _set_status(order.id, (S.pending_payment, S.awaiting_shipment),
                       Order.paid_at.is_(None), status=S.cancelled, cancelled_at=now,
                       cancel_reason=reason or "buyer"):
        db.session.rollback()
        raise Conflict(_("订单当前状态不能取消（已付款的订单请联系商家退款）。"))
    _give_back(order)
    _event(order, S.cancelled, actor, reason or N_("买家取消订单"), at=now)
    notify(order.merchant.owner_id, N_("买家取消了订单 %(number)s。"), link=_desk_link(order),
           number=order.number)
    db.session.commit()
    return _reload(order)


def confirm_receipt(actor: User | None, order_id: int) -> Order:
    """确认收货: shipped → completed (for cash on delivery, the cash was handed over now)."""
    order = get_buyer_order(actor, order_id)
    now = clock.now()
    settle(order, now)
    if not _set_status(order.id, (S.shipped,), status=S.completed, completed_at=now,
                       paid_at=func.coalesce(Order.paid_at, now)):
        db.session.rollback()
        raise Conflict(_("订单当前状态不能确认收货。"))
    _event(order, S.completed, actor, N_("买家确认收货"), at=now)
    notify(order.merchant.owner_id, N_("订单 %(number)s 买家已确认收货。"), link=_desk_link(order),
           number=order.number)
    db.session.commit()
    return _reload(order)


# --- merchant actions (the order desk) ---------------------------------------------------

TRACKING_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")


def ship_order(actor: User | None, order_id: int, carrier: str, tracking_number: str) -> Order:
    """发货: awaiting shipment → shipped, with carrier and tracking number; never twice,
    never after a cancel (the UPDATE only matches an order still awaiting shipment)."""
    order = get_shop_order(actor, order_id)
    if carrier not in CARRIERS:
        raise InvalidInput(_("请选择快递公司。"), field="carrier")
    tracking = (tracking_number or "").strip().upper().replace(" ", "")
    if not 6 <= len(tracking) <= 30 or not set(tracking) <= TRACKING_CHARS:
        raise InvalidInput(_("快递单号应为 6–30 位字母或数字。"), field="tracking_number")
    now = clock.now()
    settle(order, now)
    days = current_app.config["ORDER_AUTO_CONFIRM_DAYS"]
    if not _set_status(order.id, (S.awaiting_shipment,), status=S.shipped, shipped_at=now,
                       receive_deadline=now + timedelta(days=days), carrier=carrier,
                       tracking_number=tracking):
        db.session.rollback()
        raise Conflict(_("订单当前状态不能发货（可能已发货、已取消或尚未付款）。"),
                       field="tracking_number")
    _event(order, S.shipped, actor, f"{carrier} {tracking}", at=now)
    notify(order.buyer_id, N_("你的订单 %(number)s 已发货：%(carrier)s %(tracking)s。"),
           link=_link(order), number=order.number, carrier=carrier, tracking=tracking)
    db.session.commit()
    return _reload(order)


def cancel_by_merchant(actor: User | None, order_id: int, reason: str) -> Order:
    """The shop cancels an order nothing has been paid for (e.g. out of stock in the
    warehouse); stock goes back. A paid order is refunded instead."""
    order = get_shop_order(actor, order_id)
    reason = _reason(reason)
    if not reason:
        raise InvalidInput(_("请填写取消原因，买家会看到。"), field="reason")
    now = clock.now()
    settle(order, now)
    if not _set_status(order.id, (S.pending_payment, S.awaiting_shipment),
                       Order.paid_at.is_(None), status=S.cancelled, cancelled_at=now,
                       cancel_reason=reason):
        db.session.rollback()
        raise Conflict(_("订单当前状态不能取消（已付款的订单请退款，已发货的不能取消）。"),
                       field="reason")
    _give_back(order)
    _event(order, S.cancelled, actor, reason, at=now)
    notify(order.buyer_id, N_("商家取消了你的订单 %(number)s：%(reason)s"), link=_link(order),
           number=order.number, reason=reason)
    record_audit(actor, "order.cancel", "order", order.id, reason=reason)
    db.session.commit()
    return _reload(order)


def refund_order(actor: User | None, order_id: int, reason: str) -> Order:
    """退款: the whole amount back to the buyer through the provider that took it. Before
    shipping the goods are still on the shelf, so the stock goes back too."""
    order = get_shop_order(actor, order_id)
    reason = _reason(reason)
    if not reason:
        raise InvalidInput(_("请填写退款原因，买家会看到。"), field="reason")
    now = clock.now()
    settle(order, now)
    values = dict(status=S.refunded, refunded_at=now, refund_reason=reason)
    paid = Order.paid_at.is_not(None)
    restock = _set_status(order.id, (S.awaiting_shipment,), paid, **values)
    if not restock and not _set_status(order.id, (S.shipped, S.completed), paid, **values):
        db.session.rollback()
        raise Conflict(_("订单当前状态不能退款（未付款的订单请直接取消）。"), field="reason")
    if restock:
        _give_back(order)
    provider = payments.PROVIDERS.get(order.payment_method)
    if provider is None:
        db.session.rollback()
        raise Conflict(_("这笔订单的支付方式已停用，请联系平台处理退款。"), field="reason")
    reference = provider.refund(order.number, order.pay_fen)
    if order.pay_fen > 0:
        db.session.add(Payment(order_id=order.id, provider=order.payment_method, kind="refund",
                               reference=reference, amount_fen=order.pay_fen, created_at=now))
    _event(order, S.refunded, actor, reason, at=now)
    notify(order.buyer_id, N_("订单 %(number)s 已退款 %(amount)s：%(reason)s"), link=_link(order),
           number=order.number, amount=format_fen(order.pay_fen), reason=reason)
    record_audit(actor, "order.refund", "order", order.id, reason=reason,
                 amount_fen=order.pay_fen)
    db.session.commit()
    return _reload(order)
