"""Buying at the flash price (立即抢购), built to stay correct and fast with hundreds of
buyers pressing at once.

1. `admit(sale_id, buyer_id, quantity, price_fen)` answers most presses without the database:
   the sale's *ticket* (price, limit, window, sold out or not: one query, then kept in this
   process for at most FLASH_TICKET_SECONDS, 1 s) refuses a press before the start, after the
   end, after selling out, with a tampered price or a quantity beyond the limit; with REDIS_URL
   the Lua gate (app.flash.gate) then admits at most the units left and the buyer's
   allowance. A refusal here never touches the sale's row.
2. `buy_flash(actor, sale_id, request, admission)` is the source of truth: the order goes
   through checkout (idempotency key, product stock, payment deadline) with the flash price as
   a unit-price rule (`flash_unit_price`) whose `claim` and `take`, sent with the placement's
   COMMIT as one message (app.db.commit_hot), take the buyer's allowance by one
   conditional upsert on `flash_claims` (`quantity + n <= per_user_limit`) and the flash
   units by one conditional UPDATE (`sold + n <= quantity`).
   Whatever the database refuses gives the gate's tokens back.
Because the price is a pricing rule, a cart checkout during the sale gets the flash price too,
under the same limits."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache, partial

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Integer, Update, and_, bindparam, literal, select, true, update
from sqlalchemy.dialects import postgresql, sqlite

from app import clock
from app.accounts.models import User
from app.accounts.services import is_signed_in
from app.catalog.models import Product, ProductStatus
from app.db import Bound, plain_rows
from app.exceptions import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from app.extensions import db
from app.flash import gate as flash_gate
from app.flash.models import FlashClaim, FlashSale, FlashState, FlashStatus
from app.flash.services import FLASH_SOURCE, sale_state
from app.i18n import locale_code
from app.merchants.models import Merchant
from app.orders.pricing import UnitPrice

_TICKETS: dict[int, tuple[float, SaleTicket]] = {}
_RELOADING = threading.Lock()  # one thread of this process reads a due ticket


# --- the ticket: what a press is checked against before the database ----------------------

@dataclass(frozen=True)
class SaleTicket:
    id: int
    version: int
    product_id: int
    owner_id: int
    price_fen: int
    quantity: int
    left: int
    per_user_limit: int
    starts_at: datetime
    ends_at: datetime
    status: str
    stock: int
    visible: bool

    def state(self, now: datetime) -> str:
        if self.status == FlashStatus.cancelled:
            return FlashState.cancelled
        if now >= self.ends_at:
            return FlashState.ended
        if self.left <= 0 or self.stock <= 0:
            return FlashState.sold_out
        if now < self.starts_at:
            return FlashState.upcoming
        return FlashState.open


def _load_ticket(sale_id: int) -> SaleTicket | None:
    row = db.session.execute(
        select(FlashSale.id, FlashSale.version, FlashSale.product_id, Merchant.owner_id, FlashSale.price_fen,
               FlashSale.quantity, FlashSale.sold, FlashSale.per_user_limit, FlashSale.starts_at,
               FlashSale.ends_at, FlashSale.status, Product.stock, Product.status,
               Merchant.status)
        .join(Product, Product.id == FlashSale.product_id)
        .join(Merchant, Merchant.id == FlashSale.merchant_id)
        .where(FlashSale.id == sale_id)).first()
    db.session.commit()  # end the read (on SQLite a POST's transaction holds the write lock)
    if row is None:
        return None
    (id_, version, product_id, owner_id, price, quantity, sold, limit, starts_at, ends_at,
     status, stock, product_status, shop_status) = row
    return SaleTicket(id_, version, product_id, owner_id, price, quantity, max(quantity - sold, 0), limit,
                      starts_at, ends_at, status, stock,
                      product_status == ProductStatus.active and shop_status == "active")


def sale_ticket(sale_id: int) -> SaleTicket | None:
    """The sale's ticket, read at most every FLASH_TICKET_SECONDS by this process. When it
    is due, one thread reads it again while the others go on with the one they have (in a
    rush every thread would otherwise queue for a database connection at the same second,
    behind the buyers placing orders)."""
    ttl = current_app.config.get("FLASH_TICKET_SECONDS", 1.0)
    if ttl <= 0:
        return _load_ticket(sale_id)
    cached = _TICKETS.get(sale_id)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    if cached is not None and not _RELOADING.acquire(blocking=False):
        return cached[1]  # another thread is reading it
    if cached is None:
        _RELOADING.acquire()
    try:
        fresh = _TICKETS.get(sale_id)
        if fresh is not None and fresh[0] > time.monotonic():
            return fresh[1]
        ticket = _load_ticket(sale_id)
        if ticket is not None:
            if len(_TICKETS) > 2000:
                _TICKETS.clear()
            _TICKETS[sale_id] = (time.monotonic() + ttl, ticket)
        return ticket
    finally:
        _RELOADING.release()


def _mark_sold_out(ticket: SaleTicket) -> None:
    """The gate said no units are left: this process says so too until the ticket expires."""
    cached = _TICKETS.get(ticket.id)
    if cached is not None and cached[1].version == ticket.version:
        _TICKETS[ticket.id] = (cached[0], _replace_left(ticket, 0))


def _replace_left(ticket: SaleTicket, left: int) -> SaleTicket:
    from dataclasses import replace

    return replace(ticket, left=left)


def forget_ticket(sale_id: int) -> None:
    _TICKETS.pop(sale_id, None)


# --- refusing early -----------------------------------------------------------------------

_CLOSED = {
    FlashState.cancelled: lambda: _("秒杀已取消。"),
    FlashState.ended: lambda: _("秒杀已结束。"),
    FlashState.sold_out: lambda: _("已抢光，下次早点来。"),
    FlashState.upcoming: lambda: _("还没开抢，请等倒计时结束。"),
}


@lru_cache(maxsize=64)
def _closed_message(state: str, locale: str) -> str:
    """The few words refusing a press on a closed sale, translated once per process and
    language (in a rush thousands of presses get them)."""
    return str(_CLOSED[state]())


def sold_out_error() -> Conflict:
    return Conflict(_closed_message(FlashState.sold_out, locale_code()))


def limit_error(limit: int, mine: int) -> Conflict:
    return Conflict(_("每人限购 %(n)d 件，你已抢到 %(mine)d 件。", n=limit, mine=mine))


def _state_error(state: str) -> DomainError | None:
    if state not in _CLOSED:
        return None
    return Conflict(_closed_message(state, locale_code()))


@dataclass
class Admission:
    """A press that passed the early checks (and holds a lease on the gate's units, when
    there is a gate): `commit` once the order is in, `release` when it is not."""

    ticket: SaleTicket
    buyer_id: int
    quantity: int
    lease: str | None = None
    done: bool = False

    def commit(self) -> None:
        if self.lease is not None and not self.done:
            self.done = True
            flash_gate.commit(self.ticket, self.lease)

    def release(self) -> None:
        if self.lease is not None and not self.done:
            self.done = True
            flash_gate.release(self.ticket, self.lease)


class Closed(Conflict):
    """A press refused from the ticket because the sale is not open now: `ticket` and
    `state` say which copy of the sale said so (app.flash.door answers the same again)."""

    def __init__(self, message: str, ticket: SaleTicket, state: str):
        super().__init__(message)
        self.ticket = ticket
        self.state = state


def refuse_closed(sale_id: int) -> SaleTicket:
    """A press on a sale that is not open now (unknown, sold out, not yet, over, cancelled) is
    refused from the ticket alone: no database (once cached), no rate-limit counter."""
    ticket = sale_ticket(sale_id)
    if ticket is None or not ticket.visible:
        raise NotFound(_("秒杀活动不存在。"))
    state = ticket.state(clock.now())
    if state in _CLOSED:
        raise Closed(_closed_message(state, locale_code()), ticket, state)
    return ticket


def current_ticket(sale_id: int) -> SaleTicket | None:
    """This process's copy of the sale while it is fresh (None when there is none or it is
    due): what app.flash.door checks a press against, without the database."""
    cached = _TICKETS.get(sale_id)
    if cached is None or cached[0] <= time.monotonic():
        return None
    return cached[1]


def admit(sale_id: int, buyer_id: int, quantity: int | None, price_fen: int | None) -> Admission:
    """The early checks of 立即抢购, from the ticket and the gate (no database on the way,
    once the ticket is cached). Raises the refusal the buyer sees."""
    ticket = sale_ticket(sale_id)
    if ticket is None or not ticket.visible:
        raise NotFound(_("秒杀活动不存在。"))
    if not isinstance(quantity, int) or quantity < 1:
        raise InvalidInput(_("购买数量必须大于 0。"), field="quantity")
    if quantity > ticket.per_user_limit:
        raise InvalidInput(_("每人限购 %(n)d 件。", n=ticket.per_user_limit), field="quantity")
    if price_fen != ticket.price_fen:
        raise InvalidInput(_("秒杀价格有误，请刷新页面后再抢。"), field="price")
    refusal = _state_error(ticket.state(clock.now()))
    if refusal is not None:
        raise refusal
    if ticket.owner_id == buyer_id:
        raise Conflict(_("不能抢购自己店铺的商品。"))
    answer, lease = flash_gate.admit(ticket, buyer_id, quantity)
    if answer == flash_gate.SOLD_OUT:
        _mark_sold_out(ticket)
        raise sold_out_error()
    if answer == flash_gate.OVER_LIMIT:
        raise limit_error(ticket.per_user_limit, ticket.per_user_limit)
    return Admission(ticket, buyer_id, quantity, lease=lease)


# --- the database decides -----------------------------------------------------------------

def claimed(sale_id: int, user_id: int) -> int:
    return db.session.scalar(select(FlashClaim.quantity).where(
        FlashClaim.sale_id == sale_id, FlashClaim.user_id == user_id)) or 0


def unpaid_checkout_id(sale: FlashSale, user_id: int, now: datetime | None = None) -> int | None:
    """The checkout to pay for the buyer's flash order of this sale still awaiting payment
    (placed in the sale's window, at the flash price, not yet expired), if any: one query."""
    from app.orders.models import Order, OrderLine, OrderStatus, effective_status_sql

    now = now or clock.now()
    return db.session.scalar(
        select(Order.checkout_id).join(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.buyer_id == user_id, OrderLine.product_id == sale.product_id,
               OrderLine.price_source == FLASH_SOURCE, Order.created_at >= sale.starts_at,
               Order.created_at < sale.ends_at,
               effective_status_sql(now) == OrderStatus.pending_payment)
        .order_by(Order.id.desc()).limit(1))


@lru_cache(maxsize=2)
def _claim_statement(dialect_name: str):
    """INSERT … ON CONFLICT (sale_id, user_id) DO UPDATE … WHERE quantity + n <= limit,
    built once per dialect (every admitted press sends it)."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    now = bindparam("claim_now", type_=FlashClaim.created_at.type)
    statement = dialect.insert(FlashClaim).values(
        sale_id=bindparam("claim_sale_id", type_=Integer),
        user_id=bindparam("claim_user_id", type_=Integer),
        quantity=bindparam("claim_quantity", type_=Integer), created_at=now, updated_at=now)
    return statement.on_conflict_do_update(
        index_elements=[FlashClaim.sale_id, FlashClaim.user_id],
        set_={"quantity": FlashClaim.quantity + statement.excluded.quantity, "updated_at": now},
        where=FlashClaim.quantity + statement.excluded.quantity
        <= bindparam("claim_limit", type_=Integer),
    ).returning(FlashClaim.id)


def _claim_insert(sale_id: int, user_id: int, quantity: int, limit: int, now: datetime) -> Bound:
    return Bound(_claim_statement(db.engine.dialect.name), {
        "claim_sale_id": sale_id, "claim_user_id": user_id, "claim_quantity": quantity,
        "claim_now": now, "claim_limit": limit})


def _take_units(sale_id: int, quantity: int) -> Bound:
    """The flash units, by one conditional UPDATE (`sold + n <= quantity`, while the sale is
    open) that must change the sale's row; checkout sends it with the commit, so the hot row
    is locked for the database's own time only."""
    return Bound(_take_units_statement(), {"units_sale_id": sale_id, "units_quantity": quantity,
                                           "units_now": clock.now()})


@lru_cache(maxsize=1)
def _take_units_statement() -> Update:
    """_take_units' statement, built once."""
    now = bindparam("units_now", type_=FlashSale.starts_at.type)
    quantity = bindparam("units_quantity", type_=Integer)
    return (update(FlashSale)
            .where(FlashSale.id == bindparam("units_sale_id", type_=Integer),
                   FlashSale.status == FlashStatus.scheduled,
                   FlashSale.starts_at <= now, FlashSale.ends_at > now,
                   FlashSale.sold + quantity <= FlashSale.quantity)
            .values(sold=FlashSale.sold + quantity)
            .execution_options(synchronize_session=False))


def open_sale_for(product_id: int, now: datetime) -> FlashSale | None:
    return db.session.scalars(
        select(FlashSale).where(FlashSale.product_id == product_id,
                                FlashSale.status == FlashStatus.scheduled,
                                FlashSale.starts_at <= now, FlashSale.ends_at > now)
        .order_by(FlashSale.price_fen).limit(1)).first()


def flash_unit_price(product: Product, quantity: int, buyer: User | None,
                     now: datetime) -> UnitPrice | None:
    """The pricing rule: the flash price while a sale is open, has the units and the buyer
    is within the limit (the open sale and the buyer's claim in one query); `claim` and
    `take`, sent with the placement's commit, then make all three true."""
    if not is_signed_in(buyer):
        return None
    rows = plain_rows(_open_sale_and_claim(), {
        "product_id": product.id, "buyer_id": buyer.id, "now": now})
    if not rows:
        return None
    sale = rows[0]
    if sale.sold + quantity > sale.quantity or (sale.mine or 0) + quantity > sale.per_user_limit:
        return None
    return UnitPrice(sale.price_fen, FLASH_SOURCE,
                     claim=partial(_claim, sale.id, buyer.id, sale.per_user_limit),
                     take=partial(_take_units, sale.id))


@lru_cache(maxsize=1)
def _open_sale_and_claim():
    """flash_unit_price's query (the open sale of a product and the buyer's claim), built
    once and read as a plain row: every priced line runs it."""
    now = bindparam("now")
    return (select(FlashSale.id, FlashSale.price_fen, FlashSale.quantity, FlashSale.sold,
                   FlashSale.per_user_limit, FlashClaim.quantity.label("mine"))
            .outerjoin(FlashClaim, and_(FlashClaim.sale_id == FlashSale.id,
                                        FlashClaim.user_id == bindparam("buyer_id")))
            .where(FlashSale.product_id == bindparam("product_id"),
                   FlashSale.status == FlashStatus.scheduled,
                   FlashSale.starts_at <= now, FlashSale.ends_at > now)
            .order_by(FlashSale.price_fen).limit(1))


def _claim(sale_id: int, user_id: int, limit: int, quantity: int):
    """The buyer's allowance, sent with the placement's commit: the conditional upsert on
    `flash_claims` (`quantity + n <= per_user_limit`) must return one row."""
    if quantity > limit:  # a new row is inserted without the upsert's condition
        raise InvalidInput(_("每人限购 %(n)d 件。", n=limit), field="quantity")
    return _claim_insert(sale_id, user_id, quantity, limit, clock.now())


@dataclass
class FlashBuy:
    quantity: int | None
    price_fen: int | None          # the flash price the buyer saw (never trusted, compared)
    idempotency_key: str
    address_id: int | None = None  # None: the default address
    payment_method: str | None = None
    choices: Mapping[str, str] = field(default_factory=dict)


def default_payment_method() -> str:
    """Online payment when offered (a flash order is paid within minutes), else on delivery."""
    from app.orders.payments import available_providers

    providers = available_providers()
    online = [p for p in providers if not p.pays_on_delivery]
    return (online or providers)[0].code


def default_address_id(buyer: User) -> int | None:
    from app.orders.addresses import default_address

    found = default_address(buyer)
    return found.id if found is not None else None


def buy_flash(actor: User | None, sale_id: int, request: FlashBuy,
              admission: Admission | None = None,
              later: Callable[[Callable[[], None]], None] | None = None):
    """立即抢购: one order at the flash price, through checkout. Returns (checkout, created)
    like `place_checkout` (a resubmitted key returns the first checkout). `later`, when
    given, runs the gate's bookkeeping of a placed order (its lease's commit) once the buyer
    has the answer; the lease lasts GATE_LEASE_SECONDS either way."""
    if not is_signed_in(actor):
        if admission is not None:
            admission.release()
        raise PermissionDenied(_("请先登录。"))
    if admission is None:
        admission = admit(sale_id, actor.id, request.quantity, request.price_fen)
    elif admission.buyer_id != actor.id or admission.ticket.id != sale_id:
        admission.release()
        raise PermissionDenied(_("请先登录。"))
    try:
        placed, created = _buy(actor, admission.ticket, request)
    except Exception:
        admission.release()  # refused or failed: the gate's tokens go back
        raise
    if created:
        (later or _now)(admission.commit)
    else:
        admission.release()
    return placed, created


def _now(step: Callable[[], None]) -> None:
    step()


def _buy(buyer: User, ticket: SaleTicket, request: FlashBuy):
    """The admitted press. The ticket's checks (price, window, limit, own shop) already
    passed; the database's are the pricing rule (the flash price only while the sale is open,
    has the units and the buyer is within the limit) and `reserve` at placement.

    A coupon never costs a press its unit: checkout applies the buyer's best coupon by itself,
    and when another press of the same buyer spent that copy first (only one can), this press
    is priced and placed again without coupons rather than refused."""
    from app.orders import checkout
    from app.orders.addresses import get_address
    from app.orders.pricing import WITHOUT_COUPONS

    key = request.idempotency_key or ""
    if not checkout.KEY_RE.match(key):
        raise InvalidInput(_("页面已过期，请刷新后重新提交。"), field="key")
    existing_id, address, ids = _key_and_address(buyer, key, request.address_id)
    if existing_id is not None:  # the same button pressed twice: the first order
        return db.session.get(checkout.Checkout, existing_id), False
    if address is None:
        if request.address_id is not None:
            get_address(buyer, request.address_id)  # raises the address's own refusal
        raise InvalidInput(_("请先添加收货地址，再来抢购。"), field="address_id")
    try:
        return _place(buyer, ticket, request, address, request.choices, key_checked=True,
                      ids=ids)
    except checkout.CouponTaken:
        db.session.rollback()
        return _place(buyer, ticket, request, address,
                      {**request.choices, **WITHOUT_COUPONS}, key_checked=False)


def _key_and_address(buyer: User, key: str, address_id: int | None):
    """One round trip: the checkout this key already placed (its id, if any), the address
    the order ships to (the one asked for, else the default; None when there is none) and,
    on PostgreSQL, ids for the order's new rows (a flash order without coupons: one of each;
    app.orders.checkout writes them with the commit)."""
    from app.db import is_postgres

    postgres = is_postgres()
    query, tables = _key_and_address_query(postgres, address_id is not None)
    row = db.session.execute(query, {"buyer_id": buyer.id, "key": key,
                                     "address_id": address_id}).one()
    return row[0], row[1], {t: list(ids or ()) for t, ids in zip(tables, row[2:], strict=True)}


@lru_cache(maxsize=4)
def _key_and_address_query(postgres: bool, by_id: bool):
    """`_key_and_address`'s query, built once per shape (on PostgreSQL or not, an address
    asked for or the default): every admitted press runs it."""
    from app.db import id_columns
    from app.orders import checkout
    from app.orders.models import Address, Checkout

    buyer_id = bindparam("buyer_id")
    placed = (select(Checkout.id).where(Checkout.buyer_id == buyer_id,
                                        Checkout.idempotency_key == bindparam("key"))
              .scalar_subquery())
    tables = tuple(t for t in checkout.NEW_ROW_TABLES if t != "order_discounts") \
        if postgres else ()
    query = select(placed, Address, *id_columns([(t, 1) for t in tables])).select_from(
        select(literal(1)).subquery()).outerjoin(
        Address, and_(Address.user_id == buyer_id,
                      Address.id == bindparam("address_id") if by_id else true()))
    if not by_id:
        query = query.order_by(Address.is_default.desc(), Address.id.desc())
    return query.limit(1), tables


def _place(buyer: User, ticket: SaleTicket, request: FlashBuy, address,
           choices: Mapping[str, str], key_checked: bool, ids=None):
    from app.orders import checkout

    items = [(ticket.product_id, request.quantity)]
    plan = checkout.preview_checkout(buyer, items, choices)
    if plan.orders[0].lines[0].price_source != FLASH_SOURCE:
        _explain_refusal(ticket.id, buyer.id, request.quantity, ticket.per_user_limit)
    try:
        return checkout.place_checkout(buyer, checkout.CheckoutRequest(
            items=items, address_id=address.id,
            payment_method=request.payment_method or default_payment_method(),
            idempotency_key=request.idempotency_key, expected_total_fen=plan.total_fen,
            choices=choices, plan=plan, key_checked=key_checked, address=address,
            ids=ids))
    except checkout.CouponTaken:
        raise
    except Conflict as error:
        if error.field in ("lines", "total"):
            _explain_refusal(ticket.id, buyer.id, request.quantity, ticket.per_user_limit,
                             error)
        raise


def _explain_refusal(sale_id: int, buyer_id: int, quantity: int, limit: int,
                     cause: Conflict | None = None) -> None:
    """Checkout refused the flash line: say why in the buyer's words (re-read, no write).
    "Sold out" only when the sale's units really are gone; otherwise the real reason (the
    checkout's own message, or that this press lost a race while units remain)."""
    db.session.rollback()
    sale = db.session.get(FlashSale, sale_id)
    mine = claimed(sale_id, buyer_id)
    if mine + quantity > limit:
        raise limit_error(limit, mine)
    refusal = _state_error(sale_state(sale, clock.now()))
    if refusal is not None:
        raise refusal
    if sale.quantity - sale.sold < quantity:
        raise Conflict(_("只剩 %(n)d 件，少抢几件试试。", n=sale.quantity - sale.sold),
                       field="quantity")
    if cause is not None:
        raise cause
    raise Conflict(_("这次没抢到，还有名额，请再试一次。"))


# --- units of cancelled orders go back ------------------------------------------------------

def release_cancelled(now: datetime | None = None, limit: int = 200) -> int:
    """`flask tick`: the flash units of orders cancelled before payment (by the buyer, the
    merchant, or the payment timeout — expired unpaid orders count as cancelled already) go
    back to their sale and their buyer's allowance, while the sale runs. Each line once: its
    `flash_releases` row is inserted first (ON CONFLICT DO NOTHING); then `sold` and the claim
    shrink by conditional statements, one small transaction per line. A line belongs to the
    sale of its product whose window held the order's creation (a product has one sale at a
    time)."""
    from sqlalchemy import and_, delete

    from app.flash.models import FlashRelease
    from app.orders.models import Order, OrderLine, OrderStatus, effective_status_sql

    now = now or clock.now()
    rows = db.session.execute(
        select(OrderLine.id, OrderLine.quantity, Order.buyer_id, FlashSale.id)
        .join(Order, Order.id == OrderLine.order_id)
        .join(FlashSale, and_(FlashSale.product_id == OrderLine.product_id,
                              FlashSale.starts_at <= Order.created_at,
                              FlashSale.ends_at > Order.created_at))
        .outerjoin(FlashRelease, FlashRelease.order_line_id == OrderLine.id)
        .where(OrderLine.price_source == FLASH_SOURCE, FlashRelease.order_line_id.is_(None),
               FlashSale.status == FlashStatus.scheduled, FlashSale.ends_at > now,
               Order.paid_at.is_(None),
               effective_status_sql(now) == OrderStatus.cancelled)
        .order_by(OrderLine.id).limit(limit)).all()
    db.session.commit()
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    done = 0
    for line_id, quantity, buyer_id, sale_id in rows:
        first = db.session.execute(
            dialect.insert(FlashRelease)
            .values(order_line_id=line_id, sale_id=sale_id, user_id=buyer_id,
                    quantity=quantity, released_at=now)
            .on_conflict_do_nothing(index_elements=[FlashRelease.order_line_id])
            .returning(FlashRelease.order_line_id)).first()
        if first is None:
            db.session.rollback()
            continue  # another host released it
        db.session.execute(
            update(FlashSale).where(FlashSale.id == sale_id, FlashSale.sold >= quantity)
            .values(sold=FlashSale.sold - quantity)
            .execution_options(synchronize_session=False))
        shrunk = db.session.execute(
            update(FlashClaim).where(FlashClaim.sale_id == sale_id,
                                     FlashClaim.user_id == buyer_id,
                                     FlashClaim.quantity > quantity)
            .values(quantity=FlashClaim.quantity - quantity, updated_at=now)
            .execution_options(synchronize_session=False))
        if shrunk.rowcount == 0:
            db.session.execute(delete(FlashClaim).where(
                FlashClaim.sale_id == sale_id, FlashClaim.user_id == buyer_id,
                FlashClaim.quantity <= quantity).execution_options(synchronize_session=False))
        db.session.commit()
        sale = db.session.get(FlashSale, sale_id)
        flash_gate.give_back(sale, buyer_id, quantity)
        forget_ticket(sale_id)
        done += 1
    return done
