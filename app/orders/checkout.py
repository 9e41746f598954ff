"""Checkout (结算): one order per shop, totals recomputed on the server in fen, stock taken by
one conditional UPDATE per product inside the same transaction as the order rows, and an
idempotency key (unique per buyer) so a double click or a resubmission returns the same
checkout instead of a second one."""
from __future__ import annotations

import functools
import re
import secrets
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from app import clock
from app.accounts.models import User
from app.accounts.services import notify, require_signed_in
from app.catalog.listing import give_back_stock_update, take_stock_update
from app.catalog.models import Product
from app.catalog.services import is_listable
from app.db import HotStep, commit_hot, is_postgres, prefetch_ids
from app.exceptions import Conflict, InvalidInput, NotFound
from app.extensions import db
from app.i18n import N_
from app.inputs import clean_text
from app.orders import cart, commission, payments, repeats
from app.orders.addresses import get_address
from app.orders.models import (
    Address,
    Checkout,
    Order,
    OrderDiscount,
    OrderEvent,
    OrderLine,
    OrderStatus,
)
from app.orders.orders import release_expired_holding
from app.orders.pricing import PricedOrder, price_checkout

KEY_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
LINE_RE = re.compile(r"^\s*(\d{1,10})\s*:\s*(-?\d{1,12})\s*$")
MAX_NOTE = 100


def new_idempotency_key() -> str:
    """Put in the checkout form when it is rendered; one key per form."""
    return secrets.token_urlsafe(24)


def max_lines() -> int:
    return current_app.config["CART_MAX_LINES"]


def parse_lines(text: str | None) -> list[tuple[int, int]]:
    """The form's goods, 'product_id:quantity,…' (prices never travel in the form)."""
    items: dict[int, int] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        match = LINE_RE.match(part)
        if not match:
            raise InvalidInput(_("商品信息有误，请返回购物车重新结算。"), field="lines")
        product_id, quantity = int(match.group(1)), int(match.group(2))
        if product_id in items:
            raise InvalidInput(_("商品信息有误，请返回购物车重新结算。"), field="lines")
        items[product_id] = quantity
        if len(items) > max_lines():
            raise InvalidInput(_("一次最多结算 %(n)d 种商品。", n=max_lines()), field="lines")
    if not items:
        raise InvalidInput(_("没有要结算的商品。"), field="lines")
    return list(items.items())


def format_lines(items: list[tuple[int, int]]) -> str:
    return ",".join(f"{pid}:{qty}" for pid, qty in items)


@dataclass
class CheckoutPlan:
    orders: list[PricedOrder]
    items: list[tuple[int, int]] = field(default_factory=list)
    # units held by expired unpaid orders, by product, as seen when priced: placement
    # cancels those orders and gives the units back (nothing to do when none were seen)
    freed: dict[int, int] = field(default_factory=dict)

    @property
    def total_fen(self) -> int:
        return sum(o.pay_fen for o in self.orders)

    @property
    def items_total_fen(self) -> int:
        return sum(o.items_total_fen for o in self.orders)

    @property
    def discount_fen(self) -> int:
        return sum(o.discount_fen for o in self.orders)

    @property
    def quantity(self) -> int:
        return sum(o.quantity for o in self.orders)


class CouponTaken(Conflict):
    """A coupon copy the plan applied was spent by another order first (the buyer's other
    tab or press): nothing was placed. Callers may price again without it."""



def plan_checkout(buyer: User, items: list[tuple[int, int]], now: datetime,
                  choices: Mapping[str, str] | None = None) -> CheckoutPlan:
    """Check the goods (listed, not the buyer's own shop, quantity within limits and stock)
    and price them, one order per shop."""
    if not items:
        raise InvalidInput(_("没有要结算的商品。"), field="lines")
    if len(items) > max_lines():
        raise InvalidInput(_("一次最多结算 %(n)d 种商品。", n=max_lines()), field="lines")
    for _pid, quantity in items:
        cart.check_quantity(quantity)
    ids = [pid for pid, _qty in items]
    rows = db.session.execute(_goods_and_held(), {"ids": ids, "now": now}).unique().all()
    products = {product.id: product for product, _held in rows}
    freed = {product.id: int(units) for product, units in rows if units}
    by_shop: dict[int, list[tuple[Product, int]]] = defaultdict(list)
    for product_id, quantity in items:
        product = products.get(product_id)
        if product is None:
            raise NotFound(_("商品不存在。"), field="lines")
        if not is_listable(product):
            raise Conflict(_("%(title)s 已下架，请从购物车删除后再结算。", title=product.title),
                           field="lines")
        if product.merchant.owner_id == buyer.id:
            raise Conflict(_("不能购买自己店铺的商品。"), field="lines")
        available = product.stock + freed.get(product.id, 0)
        if quantity > available:
            if available <= 0:
                raise Conflict(_("%(title)s 已抢光。", title=product.title), field="lines")
            raise Conflict(_("%(title)s 库存只剩 %(n)d 件。", title=product.title, n=available),
                           field="lines")
        by_shop[product.merchant_id].append((product, quantity))
    groups = [(group[0][0].merchant, group) for _shop, group in sorted(by_shop.items())]
    return CheckoutPlan(price_checkout(groups, buyer, now, choices), list(items), freed)


@functools.cache
def _goods_and_held():
    """One round trip, built once: the goods with their shop and photos, and the units
    expired unpaid orders hold on each (free to sell again, even before the tick job gives
    them back). The expired orders first, once (MATERIALIZED: a planner without statistics
    would otherwise re-scan the unpaid orders for each line of the goods)."""
    due = (select(Order.id).where(Order.status == OrderStatus.pending_payment,
                                  Order.pay_deadline <= bindparam("now"))
           .cte("due").prefix_with("MATERIALIZED"))
    held = (select(func.sum(OrderLine.quantity))
            .where(OrderLine.product_id == Product.id, OrderLine.order_id.in_(select(due.c.id)))
            .correlate(Product).scalar_subquery())
    return (select(Product, held)
            .options(joinedload(Product.merchant), joinedload(Product.photos))
            .where(Product.id.in_(bindparam("ids", expanding=True))))


def preview_checkout(actor: User | None, items: list[tuple[int, int]],
                     choices: Mapping[str, str] | None = None) -> CheckoutPlan:
    return plan_checkout(require_signed_in(actor), items, clock.now(), choices)


@dataclass
class CheckoutRequest:
    items: list[tuple[int, int]]
    address_id: int | None
    payment_method: str
    idempotency_key: str
    expected_total_fen: int | None
    note: str = ""
    from_cart: bool = False
    choices: Mapping[str, str] = field(default_factory=dict)
    # A plan the caller priced moments ago in this request (a flash purchase prices once to
    # check it got the flash price); placement re-checks everything limited anyway.
    plan: CheckoutPlan | None = None
    # The checkout page asks "order these again?" before a second order of goods just
    # ordered (app.orders.repeats); it sets this to False once the buyer confirmed.
    ask_if_repeat: bool = False
    # The caller looked the key up moments ago in this transaction (a flash purchase): not
    # again. A twin submitted at the same moment still meets the unique constraint.
    key_checked: bool = False
    # The buyer's address the caller already loaded (`address_id`'s row), not read again.
    address: Address | None = None
    # PostgreSQL: ids the caller took from the tables' sequences (`NEW_ROW_TABLES`, e.g.
    # with its own query, app.db.id_columns); used when there are enough.
    ids: dict[str, list[int]] | None = None


def find_checkout(buyer_id: int, key: str) -> Checkout | None:
    return db.session.scalar(select(Checkout).where(Checkout.buyer_id == buyer_id,
                                                    Checkout.idempotency_key == key))


def _order_number(now: datetime) -> str:
    local = now.astimezone(clock.SHANGHAI)
    return f"{local:%y%m%d}{secrets.randbelow(10**10):010d}"


def place_checkout(actor: User | None, request: CheckoutRequest) -> tuple[Checkout, bool]:
    """提交订单. Returns (checkout, created): created is False when the key was seen before
    (the same checkout comes back, nothing new is written)."""
    buyer = require_signed_in(actor)
    key = request.idempotency_key or ""
    if not KEY_RE.match(key):
        raise InvalidInput(_("页面已过期，请刷新后重新提交。"), field="key")
    existing = None if request.key_checked else find_checkout(buyer.id, key)
    if existing is not None:
        return existing, False
    if request.ask_if_repeat:
        # One buyer's checkouts take turns from here to their commit (the buyer's row is
        # locked; SQLite's BEGIN IMMEDIATE already serializes), so two pages of the same
        # goods submitted at once can't both miss each other's order.
        repeats.lock_buyer(buyer.id)
        repeats.ask_before_repeating(buyer.id, [pid for pid, _qty in request.items], clock.now())
    provider = payments.provider(request.payment_method)
    if provider is None:
        raise InvalidInput(_("请选择支付方式。"), field="payment_method")
    if request.address_id is None:
        raise InvalidInput(_("请选择收货地址。"), field="address_id")
    address = request.address
    if address is None or address.id != request.address_id or address.user_id != buyer.id:
        address = get_address(buyer, request.address_id)
    note = clean_text(request.note, max_len=MAX_NOTE)
    if len(note) > MAX_NOTE:
        raise InvalidInput(_("留言不能超过 %(n)d 个字。", n=MAX_NOTE), field="note")
    now = clock.now()
    plan = request.plan
    if plan is None or plan.items != list(request.items):  # a plan for other goods: price anew
        plan = plan_checkout(buyer, request.items, now, request.choices)
    if request.expected_total_fen is None:
        raise InvalidInput(_("请确认订单金额后再提交。"), field="total")
    if request.expected_total_fen != plan.total_fen:
        raise Conflict(_("订单金额有变化，请确认新的金额后再提交。"), field="total")
    try:
        return _place(buyer, request, plan, provider, address, note, key, now), True
    except IntegrityError:
        db.session.rollback()
        existing = find_checkout(buyer.id, key)
        if existing is None:
            raise
        return existing, False  # the same form, submitted twice at once: the first one won
    except Exception:
        db.session.rollback()
        raise


def _take_all_stock_and_commit(plan: CheckoutPlan, now: datetime, rows: list = ()) -> None:
    """The contended rows, then the commit. First the expired unpaid orders holding these
    goods are cancelled and each line's `reserve` runs (the buyer's allowance): no hot row
    yet. Then, sent with the commit (`app.db.commit_hot`), each line's `take` (a flash sale's
    units, by product id) and the goods' stock in one pass in product-id order (units of the
    expired orders go back, this checkout's are taken). Every checkout takes flash sales'
    rows before any product's, and products in id order: the same lock order everywhere, so
    no deadlocks; a hot row stays locked only from its UPDATE to the commit."""
    wanted = {line.product.id: line for order in plan.orders for line in order.lines}
    give: dict[int, int] = defaultdict(int)
    if plan.freed:  # expired unpaid orders held these goods when priced: cancel them now
        for product_id, quantity in release_expired_holding(list(wanted), now):
            give[product_id] += quantity
    lines = sorted((line for order in plan.orders for line in order.lines),
                   key=lambda line: line.product.id)
    claims: list[HotStep] = []
    hot: list[HotStep] = []
    for line in lines:
        gone = Conflict(_("%(title)s 的活动名额已抢完。", title=line.product.title),
                        field="lines")
        if line.reserve is not None and not line.reserve(line.quantity):
            raise gone
        if line.claim is not None:
            claims.append(HotStep(line.claim(line.quantity), gone))
        if line.take is not None:
            hot.append(HotStep(line.take(line.quantity), gone))
    hot = claims + hot  # the buyer's own rows first, then the contended ones
    for product_id in sorted(set(give) | set(wanted)):
        if give.get(product_id):
            hot.append(HotStep(give_back_stock_update(product_id, give[product_id])))
        line = wanted.get(product_id)
        if line is not None:
            hot.append(HotStep(take_stock_update(product_id, line.quantity), Conflict(
                _("%(title)s 库存不足，刚刚被抢光了。", title=line.product.title), field="lines")))
    commit_hot(hot, rows)


def _place(buyer: User, request: CheckoutRequest, plan: CheckoutPlan,
           provider: payments.PaymentProvider, address, note: str, key: str,
           now: datetime) -> Checkout:
    fees = [commission.quote(priced, now) for priced in plan.orders]  # reads first
    # PostgreSQL, no coupon copy to spend (its UPDATE needs the order's row first): the new
    # rows are not flushed by the session but written as plain INSERTs in the commit's own
    # message (app.db.commit_hot), and join the session once committed.
    with_commit = is_postgres() and not any(
        d.spend is not None for priced in plan.orders for d in priced.discounts)
    checkout = Checkout(buyer_id=buyer.id, idempotency_key=key,
                        payment_method=provider.code, created_at=now)
    if not with_commit:
        db.session.add(checkout)
    deadline = now + timedelta(minutes=current_app.config["ORDER_PAYMENT_MINUTES"])
    placed: list[tuple[Order, PricedOrder]] = []
    for priced, fee in zip(plan.orders, fees, strict=True):
        order = Order(
            number=_order_number(now), checkout=checkout, buyer_id=buyer.id,
            merchant_id=priced.merchant.id, payment_method=provider.code,
            status=OrderStatus.awaiting_shipment if provider.pays_on_delivery
            else OrderStatus.pending_payment,
            pay_deadline=None if provider.pays_on_delivery else deadline,
            items_total_fen=priced.items_total_fen, shipping_fen=priced.shipping_fen,
            discount_fen=priced.discount_fen, shop_discount_fen=priced.shop_discount_fen,
            pay_fen=priced.pay_fen, commission_base_fen=fee.base_fen,
            commission_fen=fee.commission_fen, commission_reduction_bp=fee.reduction_bp,
            commission_basis=fee.basis, recipient=address.recipient,
            recipient_phone=address.phone, shipping_address=address.one_line, buyer_note=note,
            created_at=now,
        )
        for line, rate, fee_fen in zip(priced.lines, fee.line_rates_bp, fee.line_commissions_fen,
                                       strict=True):
            cover = line.product.cover
            order.lines.append(OrderLine(
                product_id=line.product.id, category_id=line.product.category_id,
                title=line.product.title, image_key=cover.image_key if cover else None,
                list_price_fen=line.list_price_fen, unit_price_fen=line.unit_price_fen,
                price_source=line.price_source, quantity=line.quantity,
                line_total_fen=line.line_total_fen, commission_rate_bp=rate,
                commission_fen=fee_fen))
        for discount in priced.discounts:
            order.discounts.append(OrderDiscount(
                kind=discount.kind, funded_by=discount.funded_by, label=discount.label[:60],
                amount_fen=discount.amount_fen, reference_id=discount.reference_id))
        order.events.append(OrderEvent(
            status=order.status, actor_id=buyer.id, created_at=now,
            note=N_("货到付款，等待商家发货") if provider.pays_on_delivery
            else N_("订单已提交，等待付款")))
        if not with_commit:
            db.session.add(order)
        placed.append((order, priced))
    orders = [order for order, _priced in placed]
    rows: list = []
    if with_commit:
        # The rows get their ids now and are written with the commit, in its round trip
        # (app.db.commit_hot); a concurrent twin with the same key stops there.
        rows = _give_ids(checkout, orders, request.ids or {})
    else:
        # One flush writes the checkout, its orders, lines, discounts and events; a
        # concurrent twin with the same key stops here (unique constraint).
        db.session.flush()
    if request.from_cart:
        cart.remove_bought(buyer, [pid for pid, _qty in request.items])
    for order, priced in placed:
        if provider.pays_on_delivery:
            notify(priced.merchant.owner_id, N_("新订单 %(number)s（货到付款），请尽快发货。"),
                   link=f"/sell/orders/{order.id}", number=order.number)
    kept = [] if with_commit else _loaded(checkout, orders)
    # The buyer's own rows (coupon copies), then the contended ones (flash-sale units,
    # stock), then the commit: a hot row stays locked for a statement or two, not the whole
    # placement.
    for order, priced in placed:
        for discount in priced.discounts:
            if discount.spend is not None and not discount.spend(order.id):
                raise CouponTaken(_("优惠券已被使用或已失效，请重新结算。"), field="lines")
    _take_all_stock_and_commit(plan, now, rows)
    _keep(kept)
    return checkout


NEW_ROW_TABLES = ("checkouts", "orders", "order_lines", "order_discounts", "order_events")


def _give_ids(checkout: Checkout, orders: list[Order], taken: dict[str, list[int]]) -> list:
    """PostgreSQL: ids for the new rows, from those the caller `taken` from the sequences
    when there are enough, else from the sequences now (one round trip), and the keys that
    tie them together (what the session's flush would set). Returns the rows, parents
    first (the order `commit_hot` inserts them in)."""
    rows = dict(zip(NEW_ROW_TABLES, (
        [checkout], orders, [line for order in orders for line in order.lines],
        [d for order in orders for d in order.discounts],
        [e for order in orders for e in order.events]), strict=True))
    wanted = [(table, len(rows[table])) for table in NEW_ROW_TABLES
              if rows[table] and len(taken.get(table, ())) < len(rows[table])]
    given = dict(taken)
    if wanted:
        with db.session.no_autoflush:  # the rows are written with the commit, not before
            given.update(zip([table for table, _n in wanted], prefetch_ids(wanted), strict=True))
    for table, new in rows.items():
        for row, row_id in zip(new, given.get(table, ()), strict=False):
            row.id = row_id
    for order in orders:
        order.checkout_id = checkout.id
        for child in (*order.lines, *order.discounts, *order.events):
            child.order_id = order.id
    return [row for table in NEW_ROW_TABLES for row in rows[table]]


def _loaded(checkout: Checkout, orders: list[Order]) -> list[tuple[object, dict]]:
    """What this placement wrote, as the database now has it: the checkout, its orders, their
    lines and discounts, and their columns. Kept through the commit (`_keep`) so the caller
    reads the placed checkout without the database reloading what it was just sent."""
    from sqlalchemy import inspect

    kept: list[tuple[object, dict]] = [(checkout, {"orders": sorted(orders, key=lambda o: o.id)})]
    for order in orders:
        # a new order's collections are what was appended (one never touched is empty)
        owned = {name: list(inspect(order).dict.get(name, ())) for name in ("lines", "discounts")}
        kept.append((order, {**owned, "checkout": checkout}))
        for child in (*owned["lines"], *owned["discounts"]):
            back = {"order": order} if "order" in inspect(child).mapper.relationships else {}
            kept.append((child, back))
    for obj, _values in list(kept):
        state = inspect(obj)
        kept.append((obj, {prop.key: state.dict[prop.key] for prop in state.mapper.column_attrs
                           if prop.key in state.dict}))
    return kept


def _keep(kept: list[tuple[object, dict]]) -> None:
    for obj, values in kept:
        for key, value in values.items():
            set_committed_value(obj, key, value)
