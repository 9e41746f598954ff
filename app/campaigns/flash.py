"""Flash sales (直播秒杀, 倒计时): scheduling them, and buying at the flash price.

Rules:
- operators schedule a sale on any listed product; a merchant only on its own shop's goods;
  the flash price is below the list price, the units within the product's stock, the per-user
  limit within the units, the start in the future, one sale per product at a time; a sale may
  be edited until it starts and cancelled until it ends;
- the clock alone opens and closes a sale (`sale_state(sale, now)`): nothing has to run at
  the start, and a buyer's countdown only asks the server, which answers from its own time;
- buying goes through the orders domain: the flash price is a unit-price rule
  (`flash_unit_price`, registered with app.orders.pricing) whose `reserve` runs inside the
  order's placement transaction: `UPDATE flash_sales SET sold = sold + n WHERE … AND sold + n
  <= quantity`, then the buyer's units in `flash_claims` by one conditional upsert
  (`quantity + n <= per_user_limit`); the product's stock is taken by checkout as usual.
  So the flash price applies from a cart checkout too, under the same limits;
- a sold-out sale is answered from a plain read, before any write; with REDIS_URL a Lua
  pre-decrement (app.campaigns.flash_gate) admits at most the units left, so hundreds of
  buyers never queue on the sale's row. The database stays the source of truth."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from app import clock
from app.accounts.models import User
from app.accounts.services import record_audit
from app.campaigns import flash_gate
from app.campaigns.flash_models import FlashClaim, FlashSale, FlashState, FlashStatus
from app.catalog.models import Product
from app.catalog.services import is_listable
from app.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from app.extensions import db
from app.live.models import LiveRoom
from app.orders.pricing import UnitPrice

FLASH_SOURCE = "flash_sale"
MAX_QUANTITY = 100_000
MAX_PER_USER = 99
MIN_MINUTES, MAX_MINUTES = 1, 24 * 60
MAX_AHEAD = timedelta(days=90)


def sale_state(sale: FlashSale, now: datetime, stock: int | None = None) -> str:
    """The sale as buyers see it now. `stock`: the product's stock (sold out when gone)."""
    if sale.status == FlashStatus.cancelled:
        return FlashState.cancelled
    if now >= sale.ends_at:
        return FlashState.ended
    stock = sale.product.stock if stock is None else stock
    if sale.sold >= sale.quantity or stock <= 0:
        return FlashState.sold_out
    if now < sale.starts_at:
        return FlashState.upcoming
    return FlashState.open


def get_sale(sale_id: int) -> FlashSale:
    sale = db.session.get(FlashSale, sale_id) if isinstance(sale_id, int) else None
    if sale is None:
        raise NotFound(_("秒杀活动不存在。"))
    return sale


def is_visible(sale: FlashSale) -> bool:
    """Buyers see a sale while its product is listed (cancelled ones say so)."""
    return is_listable(sale.product)


def _signed_in(actor: User | None) -> User:
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied(_("请先登录。"))
    return actor


def may_manage(actor: User | None, sale_or_product) -> bool:
    merchant = sale_or_product.merchant
    return bool(actor is not None and actor.is_authenticated
                and (actor.is_operator or merchant.owner_id == actor.id))


def require_manager(actor: User | None, sale_or_product) -> User:
    """Operators manage every flash sale; a merchant only those on its own shop's goods."""
    actor = _signed_in(actor)
    if not may_manage(actor, sale_or_product):
        raise PermissionDenied(_("只能为自己店铺的商品设置秒杀。"))
    return actor


# --- scheduling ---------------------------------------------------------------------------

@dataclass
class FlashDraft:
    product_id: int | None
    price_fen: int | None
    quantity: int | None
    per_user_limit: int | None
    starts_at: datetime | None
    duration_minutes: int | None
    in_live_room: bool = True


def _check_draft(draft: FlashDraft, product: Product, now: datetime,
                 sold: int = 0) -> None:
    if not is_listable(product):
        raise Conflict(_("商品已下架，不能设置秒杀。"), field="product_id")
    if not isinstance(draft.price_fen, int) or draft.price_fen <= 0:
        raise InvalidInput(_("秒杀价必须大于 0。"), field="price")
    if draft.price_fen >= product.price_fen:
        raise InvalidInput(_("秒杀价必须低于原价 %(price)s。", price=_yuan(product.price_fen)),
                           field="price")
    if not isinstance(draft.quantity, int) or not 1 <= draft.quantity <= MAX_QUANTITY:
        raise InvalidInput(_("秒杀数量需为 1–%(max)d 件。", max=MAX_QUANTITY), field="quantity")
    if draft.quantity < sold:
        raise InvalidInput(_("已售出 %(n)d 件，数量不能少于这个数。", n=sold), field="quantity")
    if draft.quantity - sold > product.stock:
        raise InvalidInput(_("秒杀数量不能超过商品库存（%(n)d 件）。", n=product.stock),
                           field="quantity")
    if not isinstance(draft.per_user_limit, int) or not 1 <= draft.per_user_limit <= MAX_PER_USER:
        raise InvalidInput(_("每人限购需为 1–%(max)d 件。", max=MAX_PER_USER), field="per_user_limit")
    if draft.per_user_limit > draft.quantity:
        raise InvalidInput(_("每人限购不能超过秒杀数量。"), field="per_user_limit")
    if draft.starts_at is None:
        raise InvalidInput(_("请填写开抢时间。"), field="starts_at")
    if draft.starts_at <= now:
        raise InvalidInput(_("开抢时间必须晚于现在。"), field="starts_at")
    if draft.starts_at > now + MAX_AHEAD:
        raise InvalidInput(_("开抢时间最多提前 90 天设置。"), field="starts_at")
    if not isinstance(draft.duration_minutes, int) \
            or not MIN_MINUTES <= draft.duration_minutes <= MAX_MINUTES:
        raise InvalidInput(_("持续时间需为 %(min)d–%(max)d 分钟。", min=MIN_MINUTES, max=MAX_MINUTES),
                           field="duration")


def _yuan(fen: int) -> str:
    from app.money import format_fen

    return format_fen(fen)


def _overlapping(product_id: int, starts_at: datetime, ends_at: datetime,
                 except_id: int | None = None) -> FlashSale | None:
    query = select(FlashSale).where(
        FlashSale.product_id == product_id, FlashSale.status == FlashStatus.scheduled,
        FlashSale.starts_at < ends_at, FlashSale.ends_at > starts_at)
    if except_id is not None:
        query = query.where(FlashSale.id != except_id)
    return db.session.scalars(query.limit(1)).first()


def _room_for(product: Product, wanted: bool) -> int | None:
    if not wanted:
        return None
    return db.session.scalar(select(LiveRoom.id).where(LiveRoom.merchant_id == product.merchant_id))


def schedule_flash_sale(actor: User | None, draft: FlashDraft) -> FlashSale:
    """设置秒杀: a special price for `quantity` units, opening at `starts_at`."""
    actor = _signed_in(actor)
    product = db.session.get(Product, draft.product_id) if isinstance(draft.product_id, int) \
        else None
    if product is None:
        raise NotFound(_("商品不存在。"), field="product_id")
    require_manager(actor, product)
    now = clock.now()
    _check_draft(draft, product, now)
    ends_at = draft.starts_at + timedelta(minutes=draft.duration_minutes)
    if _overlapping(product.id, draft.starts_at, ends_at) is not None:
        raise Conflict(_("这件商品在这段时间已有秒杀。"), field="starts_at")
    sale = FlashSale(product_id=product.id, merchant_id=product.merchant_id,
                     live_room_id=_room_for(product, draft.in_live_room),
                     price_fen=draft.price_fen, quantity=draft.quantity,
                     per_user_limit=draft.per_user_limit, starts_at=draft.starts_at,
                     ends_at=ends_at, created_by_id=actor.id, created_at=now, updated_at=now)
    db.session.add(sale)
    db.session.flush()
    record_audit(actor, "flash.schedule", "flash_sale", sale.id, product_id=product.id,
                 price_fen=sale.price_fen, quantity=sale.quantity)
    db.session.commit()
    return sale


def update_flash_sale(actor: User | None, sale_id: int, draft: FlashDraft) -> FlashSale:
    """Change a sale before it starts (one conditional UPDATE: never once it has begun)."""
    sale = get_sale(sale_id)
    actor = require_manager(actor, sale)
    now = clock.now()
    if sale.status == FlashStatus.cancelled:
        raise Conflict(_("秒杀已取消，不能修改。"))
    if now >= sale.starts_at:
        raise Conflict(_("秒杀已经开始，不能再修改。"))
    _check_draft(draft, sale.product, now, sold=sale.sold)
    ends_at = draft.starts_at + timedelta(minutes=draft.duration_minutes)
    if _overlapping(sale.product_id, draft.starts_at, ends_at, except_id=sale.id) is not None:
        raise Conflict(_("这件商品在这段时间已有秒杀。"), field="starts_at")
    result = db.session.execute(
        update(FlashSale)
        .where(FlashSale.id == sale.id, FlashSale.status == FlashStatus.scheduled,
               FlashSale.starts_at > now, FlashSale.sold <= draft.quantity)
        .values(price_fen=draft.price_fen, quantity=draft.quantity,
                per_user_limit=draft.per_user_limit, starts_at=draft.starts_at, ends_at=ends_at,
                live_room_id=_room_for(sale.product, draft.in_live_room),
                version=FlashSale.version + 1, updated_at=now)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict(_("秒杀已经开始，不能再修改。"))
    record_audit(actor, "flash.update", "flash_sale", sale.id, price_fen=draft.price_fen,
                 quantity=draft.quantity)
    db.session.commit()
    db.session.refresh(sale)
    return sale


def cancel_flash_sale(actor: User | None, sale_id: int) -> FlashSale:
    """Withdraw a sale before it ends. Orders already placed keep their price."""
    sale = get_sale(sale_id)
    actor = require_manager(actor, sale)
    now = clock.now()
    result = db.session.execute(
        update(FlashSale)
        .where(FlashSale.id == sale.id, FlashSale.status == FlashStatus.scheduled,
               FlashSale.ends_at > now)
        .values(status=FlashStatus.cancelled, version=FlashSale.version + 1, updated_at=now)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict(_("秒杀已结束或已取消。"))
    record_audit(actor, "flash.cancel", "flash_sale", sale.id)
    db.session.commit()
    db.session.refresh(sale)
    return sale


def managed_sales(actor: User | None, limit: int = 100) -> list[FlashSale]:
    """The 秒杀 a person manages: every sale for operators, the own shop's for a merchant."""
    from app.merchants.services import shop_of

    actor = _signed_in(actor)
    query = select(FlashSale).order_by(FlashSale.starts_at.desc(), FlashSale.id.desc())
    if not actor.is_operator:
        shop = shop_of(actor.id)
        if shop is None:
            raise PermissionDenied(_("开店后才能设置秒杀。"))
        query = query.where(FlashSale.merchant_id == shop.id)
    return list(db.session.scalars(query.limit(limit)))


# --- buying -------------------------------------------------------------------------------

def claimed(sale_id: int, user_id: int) -> int:
    return db.session.scalar(select(FlashClaim.quantity).where(
        FlashClaim.sale_id == sale_id, FlashClaim.user_id == user_id)) or 0


def _claim_insert(sale_id: int, user_id: int, quantity: int, limit: int, now: datetime):
    """INSERT … ON CONFLICT (sale_id, user_id) DO UPDATE … WHERE quantity + n <= limit."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(FlashClaim).values(sale_id=sale_id, user_id=user_id,
                                                  quantity=quantity, created_at=now,
                                                  updated_at=now)
    return statement.on_conflict_do_update(
        index_elements=[FlashClaim.sale_id, FlashClaim.user_id],
        set_={"quantity": FlashClaim.quantity + statement.excluded.quantity, "updated_at": now},
        where=FlashClaim.quantity + statement.excluded.quantity <= limit,
    ).returning(FlashClaim.id)


def _reserve(sale_id: int, user_id: int, limit: int, quantity: int) -> bool:
    """In the order's placement transaction: take flash units, then the buyer's allowance.
    Each is one conditional statement whose row count decides; False refuses the order (and
    the transaction rolls both back)."""
    if quantity > limit:
        return False
    now = clock.now()
    taken = db.session.execute(
        update(FlashSale)
        .where(FlashSale.id == sale_id, FlashSale.status == FlashStatus.scheduled,
               FlashSale.starts_at <= now, FlashSale.ends_at > now,
               FlashSale.sold + quantity <= FlashSale.quantity)
        .values(sold=FlashSale.sold + quantity)
        .execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        return False
    # A row comes back when it was inserted or the update's WHERE held (RETURNING, because
    # the row count of an upsert is not reliable across drivers).
    allowed = db.session.execute(_claim_insert(sale_id, user_id, quantity, limit, now))
    return allowed.first() is not None


def open_sale_for(product_id: int, now: datetime) -> FlashSale | None:
    return db.session.scalars(
        select(FlashSale).where(FlashSale.product_id == product_id,
                                FlashSale.status == FlashStatus.scheduled,
                                FlashSale.starts_at <= now, FlashSale.ends_at > now)
        .order_by(FlashSale.price_fen).limit(1)).first()


def flash_unit_price(product: Product, quantity: int, buyer: User | None,
                     now: datetime) -> UnitPrice | None:
    """The pricing rule: the flash price while a sale is open, has the units and the buyer
    is within the limit; `reserve` then makes all three true inside the placement."""
    if buyer is None or not getattr(buyer, "is_authenticated", False):
        return None
    sale = open_sale_for(product.id, now)
    if sale is None or sale.sold + quantity > sale.quantity:
        return None
    if claimed(sale.id, buyer.id) + quantity > sale.per_user_limit:
        return None
    return UnitPrice(sale.price_fen, FLASH_SOURCE,
                     reserve=partial(_reserve, sale.id, buyer.id, sale.per_user_limit))


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
    from app.orders.addresses import addresses_of

    found = addresses_of(buyer)
    return found[0].id if found else None


def _refuse_state(state: str, sale: FlashSale) -> None:
    if state == FlashState.cancelled:
        raise Conflict(_("秒杀已取消。"))
    if state == FlashState.ended:
        raise Conflict(_("秒杀已结束。"))
    if state == FlashState.sold_out:
        raise Conflict(_("已抢光，下次早点来。"))
    if state == FlashState.upcoming:
        raise Conflict(_("还没开抢，请等倒计时结束。"))


def buy_flash(actor: User | None, sale_id: int, request: FlashBuy):
    """立即抢购: one order at the flash price, through checkout (stock, idempotency key,
    payment deadline). Returns (checkout, created) like `place_checkout`."""
    from app.orders import checkout

    buyer = _signed_in(actor)
    sale = get_sale(sale_id)
    if not is_visible(sale):
        raise NotFound(_("秒杀活动不存在。"))
    key = request.idempotency_key or ""
    if not checkout.KEY_RE.match(key):
        raise InvalidInput(_("页面已过期，请刷新后重新提交。"), field="key")
    existing = checkout.find_checkout(buyer.id, key)
    if existing is not None:
        return existing, False  # the same button pressed twice: the first order
    if sale.merchant.owner_id == buyer.id:
        raise Conflict(_("不能抢购自己店铺的商品。"))
    quantity = request.quantity
    if not isinstance(quantity, int) or quantity < 1:
        raise InvalidInput(_("购买数量必须大于 0。"), field="quantity")
    if quantity > sale.per_user_limit:
        raise InvalidInput(_("每人限购 %(n)d 件。", n=sale.per_user_limit), field="quantity")
    if request.price_fen != sale.price_fen:
        raise InvalidInput(_("秒杀价格有误，请刷新页面后再抢。"), field="price")
    now = clock.now()
    _refuse_state(sale_state(sale, now), sale)  # sold out: answered from this read alone
    mine = claimed(sale.id, buyer.id)
    if mine + quantity > sale.per_user_limit:
        raise Conflict(_("每人限购 %(n)d 件，你已抢到 %(mine)d 件。", n=sale.per_user_limit,
                         mine=mine))
    address_id = request.address_id if request.address_id is not None \
        else default_address_id(buyer)
    if address_id is None:
        raise InvalidInput(_("请先添加收货地址，再来抢购。"), field="address_id")
    admission = flash_gate.admit(sale, buyer.id, quantity)
    if admission == flash_gate.SOLD_OUT:
        raise Conflict(_("已抢光，下次早点来。"))
    if admission == flash_gate.OVER_LIMIT:
        raise Conflict(_("每人限购 %(n)d 件，你已抢到 %(mine)d 件。", n=sale.per_user_limit,
                         mine=sale.per_user_limit))
    try:
        placed, created = _place(buyer, sale, quantity, address_id, key, request)
    except Exception:
        flash_gate.release(sale, buyer.id, quantity)  # refused or failed: give the tokens back
        raise
    if not created:
        flash_gate.release(sale, buyer.id, quantity)
    return placed, created


def _place(buyer: User, sale: FlashSale, quantity: int, address_id: int, key: str,
           request: FlashBuy):
    from app.orders import checkout

    sale_id, product_id, limit = sale.id, sale.product_id, sale.per_user_limit
    items = [(product_id, quantity)]
    plan = checkout.preview_checkout(buyer, items, request.choices)
    line = plan.orders[0].lines[0]
    if line.price_source != FLASH_SOURCE:
        _explain_refusal(sale_id, buyer.id, quantity, limit)
    try:
        return checkout.place_checkout(buyer, checkout.CheckoutRequest(
            items=items, address_id=address_id,
            payment_method=request.payment_method or default_payment_method(),
            idempotency_key=key, expected_total_fen=plan.total_fen, choices=request.choices))
    except Conflict as error:
        if error.field in ("lines", "total"):
            _explain_refusal(sale_id, buyer.id, quantity, limit)
        raise


def _explain_refusal(sale_id: int, buyer_id: int, quantity: int, limit: int) -> None:
    """Checkout refused the flash line: say why in the buyer's words (re-read, no write)."""
    db.session.rollback()
    sale = db.session.get(FlashSale, sale_id)
    mine = claimed(sale_id, buyer_id)
    if mine + quantity > limit:
        raise Conflict(_("每人限购 %(n)d 件，你已抢到 %(mine)d 件。", n=limit, mine=mine))
    state = sale_state(sale, clock.now())
    _refuse_state(state, sale)
    raise Conflict(_("已抢光，下次早点来。"))


# --- the tick job -------------------------------------------------------------------------

def reconcile_gates(now: datetime | None = None) -> int:
    """`flask tick`: top up each open sale's Redis counter to what the database says is left."""
    now = now or clock.now()
    sales = db.session.scalars(select(FlashSale).where(
        FlashSale.status == FlashStatus.scheduled, FlashSale.starts_at <= now + timedelta(minutes=5),
        FlashSale.ends_at > now)).all()
    done = sum(1 for sale in sales if flash_gate.reconcile(sale))
    db.session.rollback()
    return done
