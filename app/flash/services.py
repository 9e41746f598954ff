"""Flash sales (直播秒杀, 倒计时): scheduling them, and what state they are in.
(Buying at the flash price: app.flash.buy.)

Rules:
- operators schedule a sale on any listed product; a merchant only on its own shop's goods;
  the flash price is below the list price, the units within the product's stock, the per-user
  limit within the units, the start in the future, one sale per product at a time; a sale may
  be edited until it starts and cancelled until it ends;
- the clock alone opens and closes a sale (`sale_state(sale, now)`): nothing has to run at
  the start, and a buyer's countdown only asks the server, which answers from its own time;
- buying goes through the orders domain (app.flash.buy): units and each buyer's
  allowance are taken by conditional statements inside the order's placement transaction;
  refusals are answered before the database (a short-lived ticket, and with REDIS_URL a Lua
  pre-decrement in app.flash.gate). The database stays the source of truth."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from app import clock
from app.accounts.models import User
from app.accounts.services import is_signed_in, record_audit, require_signed_in
from app.catalog.models import Product
from app.catalog.services import is_listable
from app.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from app.extensions import db
from app.flash import gate as flash_gate
from app.flash.models import FlashSale, FlashState, FlashStatus
from app.live.models import LiveRoom
from app.merchants.services import is_shop_owner

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



def may_manage(actor: User | None, sale_or_product) -> bool:
    merchant = sale_or_product.merchant
    return is_signed_in(actor) and (actor.is_operator or is_shop_owner(actor, merchant))


def require_manager(actor: User | None, sale_or_product) -> User:
    """Operators manage every flash sale; a merchant only those on its own shop's goods."""
    actor = require_signed_in(actor)
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
    campaign_id: int | None = None  # part of a campaign (its venue), optional


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


def _check_campaign(draft: FlashDraft, actor: User, merchant_id: int) -> None:
    """A sale shown on a campaign's venue: the campaign exists, the sale opens before it ends,
    and the shop was approved for it (operators may place any shop's sale)."""
    if draft.campaign_id is None:
        return
    from app.campaigns.models import Campaign

    campaign = db.session.get(Campaign, draft.campaign_id) \
        if isinstance(draft.campaign_id, int) else None
    if campaign is None:
        raise NotFound(_("活动不存在。"), field="campaign")
    if draft.starts_at is not None and draft.starts_at >= campaign.sale_end:
        raise InvalidInput(_("秒杀要在活动结束前开抢。"), field="campaign")
    from app.campaigns.registration import is_approved

    if not actor.is_operator and not is_approved(campaign, merchant_id):
        raise InvalidInput(_("店铺通过这个活动的报名后，才能把秒杀放进活动会场。"), field="campaign")


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
    actor = require_signed_in(actor)
    product = db.session.get(Product, draft.product_id) if isinstance(draft.product_id, int) \
        else None
    if product is None:
        raise NotFound(_("商品不存在。"), field="product_id")
    require_manager(actor, product)
    now = clock.now()
    _check_draft(draft, product, now)
    _check_campaign(draft, actor, product.merchant_id)
    ends_at = draft.starts_at + timedelta(minutes=draft.duration_minutes)
    if _overlapping(product.id, draft.starts_at, ends_at) is not None:
        raise Conflict(_("这件商品在这段时间已有秒杀。"), field="starts_at")
    sale = FlashSale(product_id=product.id, merchant_id=product.merchant_id,
                     live_room_id=_room_for(product, draft.in_live_room),
                     campaign_id=draft.campaign_id, price_fen=draft.price_fen, quantity=draft.quantity,
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
    _check_campaign(draft, actor, sale.merchant_id)
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
                campaign_id=draft.campaign_id, version=FlashSale.version + 1, updated_at=now)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict(_("秒杀已经开始，不能再修改。"))
    record_audit(actor, "flash.update", "flash_sale", sale.id, price_fen=draft.price_fen,
                 quantity=draft.quantity)
    db.session.commit()
    _forget(sale.id)
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
    _forget(sale.id)
    db.session.refresh(sale)
    return sale


def _forget(sale_id: int) -> None:
    """This process's cached ticket goes at once (other processes' within a second)."""
    from app.flash.buy import forget_ticket

    forget_ticket(sale_id)


def managed_sales(actor: User | None, limit: int = 100) -> list[FlashSale]:
    """The 秒杀 a person manages: every sale for operators, the own shop's for a merchant."""
    from app.merchants.services import shop_of

    actor = require_signed_in(actor)
    query = select(FlashSale).order_by(FlashSale.starts_at.desc(), FlashSale.id.desc())
    if not actor.is_operator:
        shop = shop_of(actor.id)
        if shop is None:
            raise PermissionDenied(_("开店后才能设置秒杀。"))
        query = query.where(FlashSale.merchant_id == shop.id)
    return list(db.session.scalars(query.options(
        selectinload(FlashSale.product), selectinload(FlashSale.merchant)).limit(limit)))


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
