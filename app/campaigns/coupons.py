"""Coupons (优惠券): anchor coupons grabbed in live rooms, free-order coupons from the raffle,
the buyer's wallet (券包), and the checkout discount rule.

The model is data-driven, so a new coupon is a new row, not new code:
- `funded_by`: 'shop' (主播/店铺券: the shop pays, lowers its commission base) or 'platform'
  (平台券: 免单券, and issue 7's 直播购物券 live vouchers);
- `kind`: 'reduce' (立减 amount_fen), 'threshold' (满 threshold_fen 减 amount_fen) or
  'free_order' (免单: the whole eligible amount, at most cap_fen);
- restrictions (NULL = none): `merchant_id` (that shop's goods), `live_room_id` (goods in that
  room's 小黄车), `campaign_id` + `phase` (only while the campaign is in that phase, e.g. 'sale'),
  and the validity window [valid_from, valid_until).

Eligibility is one small function per coupon, `eligible_lines(coupon, order, now)`: the order
lines the coupon applies to (empty: it does not apply). It runs the built-in restrictions above,
then every check registered with `register_eligibility_check(fn)`; `fn(coupon, order, lines, now)`
returns the lines it keeps. `coupon_amount(coupon, lines_total)` turns the eligible total into fen.

Checkout stacking (the best shop + platform pair, spent once) is in app.campaigns.stacking.

Grabbing: `grab_coupon` inserts the wallet row (coupon, user, n) — unique, with n ≤ the per-user
limit — then `UPDATE coupons SET remaining = remaining - 1 WHERE id=:id AND remaining > 0`; both in
one transaction, so neither the quantity nor the per-user limit can be exceeded. Once `remaining`
reads 0 a grab answers 已抢光 without writing to the hot row, and with REDIS_URL a shared count
in front of the database (app.campaigns.gate) turns the rush away before it queues on that row."""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app import clock
from app.accounts.models import User
from app.accounts.services import is_signed_in, require_signed_in
from app.campaigns import gate
from app.campaigns.models import ClaimStatus, Coupon, CouponClaim
from app.db import plain_rows
from app.exceptions import Conflict, InvalidInput, NotFound
from app.extensions import db
from app.inputs import clean_text
from app.merchants.services import own_shop
from app.orders.pricing import (
    PricedLine,
    PricedOrder,
)

MAX_QUANTITY = 1_000_000
MAX_PER_USER = 10
MAX_TITLE = 40
GRAB_ATTEMPTS = 3

EligibilityCheck = Callable[[Coupon, PricedOrder, list[PricedLine], datetime], list[PricedLine]]
ELIGIBILITY_CHECKS: list[EligibilityCheck] = []


def register_eligibility_check(check: EligibilityCheck) -> EligibilityCheck:
    """Add a restriction for some coupons (it returns the lines it keeps, all for others)."""
    if check not in ELIGIBILITY_CHECKS:
        ELIGIBILITY_CHECKS.append(check)
    return check


# --- what a coupon is worth ------------------------------------------------------------------

def is_current(coupon: Coupon, now: datetime) -> bool:
    return coupon.status == "active" and coupon.valid_from <= now < coupon.valid_until


def room_product_ids(room_id: int) -> set[int]:
    from app.live.models import LiveRoomItem

    return set(db.session.scalars(select(LiveRoomItem.product_id)
                                  .where(LiveRoomItem.room_id == room_id)))


def eligible_lines(coupon: Coupon, order: PricedOrder, now: datetime) -> list[PricedLine]:
    """The lines of `order` this coupon applies to; empty when it does not apply at all."""
    if not is_current(coupon, now):
        return []
    if coupon.merchant_id is not None and coupon.merchant_id != order.merchant.id:
        return []
    if coupon.campaign_id is not None and coupon.phase is not None:
        from app.campaigns.campaigns import phase_of

        if phase_of(coupon.campaign, now) != coupon.phase:
            return []
    lines = list(order.lines)
    if coupon.live_room_id is not None:
        in_room = room_product_ids(coupon.live_room_id)
        lines = [line for line in lines if line.product.id in in_room]
    for check in ELIGIBILITY_CHECKS:
        if not lines:
            break
        lines = check(coupon, order, lines, now)
    return lines


def coupon_amount(coupon: Coupon, eligible_total_fen: int) -> int:
    """What the coupon takes off an eligible amount (before the order's own limits)."""
    if eligible_total_fen <= 0:
        return 0
    if coupon.kind == "reduce":
        return min(coupon.amount_fen, eligible_total_fen)
    if coupon.kind == "threshold":
        return coupon.amount_fen if eligible_total_fen >= coupon.threshold_fen else 0
    if coupon.kind == "free_order":
        return min(eligible_total_fen, coupon.cap_fen or eligible_total_fen)
    return 0


def face_value(coupon: Coupon) -> int:
    return (coupon.cap_fen or 0) if coupon.kind == "free_order" else coupon.amount_fen


def describe(coupon: Coupon) -> str:
    """立减 ¥10 / 满 ¥200 减 ¥20 / 免单（最高 ¥666）, in the reader's language."""
    from app.money import format_fen

    if coupon.kind == "threshold":
        return _("满 %(t)s 减 %(a)s", t=format_fen(coupon.threshold_fen),
                 a=format_fen(coupon.amount_fen))
    if coupon.kind == "free_order":
        return _("免单（最高 %(cap)s）", cap=format_fen(coupon.cap_fen or 0))
    return _("立减 %(a)s", a=format_fen(coupon.amount_fen))


def label_of(coupon: Coupon) -> str:
    who = _("店铺券") if coupon.funded_by == "shop" else _("平台券")
    return f"{who} · {describe(coupon)}"


# --- merchants create coupons ----------------------------------------------------------------

@dataclass
class CouponDraft:
    kind: str
    amount_fen: int | None
    threshold_fen: int | None
    quantity: int | None
    per_user_limit: int | None
    valid_from: datetime | None
    valid_until: datetime | None
    title: str = ""


def create_shop_coupon(actor: User | None, draft: CouponDraft) -> Coupon:
    """主播优惠券: the merchant's own shop funds it; it shows in the shop's live room."""
    shop = own_shop(actor)
    if draft.kind not in ("reduce", "threshold"):
        raise InvalidInput(_("请选择优惠券类型：立减或满减。"), field="kind")
    amount = draft.amount_fen
    if amount is None or amount <= 0:
        raise InvalidInput(_("请填写优惠金额（大于 0）。"), field="amount")
    if amount > 100_000_00:
        raise InvalidInput(_("优惠金额不能超过 ¥100,000。"), field="amount")
    threshold = 0
    if draft.kind == "threshold":
        threshold = draft.threshold_fen or 0
        if threshold <= amount:
            raise InvalidInput(_("满减券的门槛要高于优惠金额。"), field="threshold")
    quantity = draft.quantity
    if quantity is None or not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidInput(_("发放数量在 1 到 %(n)d 张之间。", n=MAX_QUANTITY), field="quantity")
    limit = draft.per_user_limit
    if limit is None or not 1 <= limit <= MAX_PER_USER:
        raise InvalidInput(_("每人限领 1 到 %(n)d 张。", n=MAX_PER_USER), field="per_user_limit")
    now = clock.now()
    if draft.valid_from is None or draft.valid_until is None:
        raise InvalidInput(_("请填写有效期的开始和结束时间。"), field="valid_until")
    if draft.valid_until <= draft.valid_from:
        raise InvalidInput(_("有效期的结束时间要晚于开始时间。"), field="valid_until")
    if draft.valid_until <= now:
        raise InvalidInput(_("有效期的结束时间已经过去了。"), field="valid_until")
    title = clean_text(draft.title, max_len=MAX_TITLE)
    if len(title) > MAX_TITLE:
        raise InvalidInput(_("名称不能超过 %(n)d 个字。", n=MAX_TITLE), field="title")
    coupon = Coupon(funded_by="shop", kind=draft.kind, source="grab",
                    title=title or shop.name[:20], amount_fen=amount, threshold_fen=threshold,
                    quantity=quantity, remaining=quantity, per_user_limit=limit,
                    valid_from=draft.valid_from, valid_until=draft.valid_until,
                    merchant_id=shop.id, created_by=actor.id, created_at=now)
    db.session.add(coupon)
    db.session.commit()
    return coupon


def withdraw_coupon(actor: User | None, coupon_id: int) -> Coupon:
    """停发: no more grabs; copies already in wallets stay usable until they expire."""
    shop = own_shop(actor)
    coupon = db.session.get(Coupon, coupon_id)
    if coupon is None or coupon.merchant_id != shop.id or coupon.funded_by != "shop":
        raise NotFound(_("优惠券不存在。"))
    db.session.execute(update(Coupon).where(Coupon.id == coupon.id).values(remaining=0))
    db.session.commit()
    return coupon


def shop_coupons(actor: User | None) -> list[Coupon]:
    shop = own_shop(actor)
    return list(db.session.scalars(select(Coupon).where(Coupon.merchant_id == shop.id,
                                                        Coupon.funded_by == "shop")
                                   .order_by(Coupon.id.desc())))


# --- buyers grab them ----------------------------------------------------------------------------

@functools.cache
def _room_coupons_statement():
    # Built once, run with parameters (every live room page runs it): the columns a coupon's
    # card shows (CouponCard's fields, in order), plain rows.
    now = bindparam("now", type_=Coupon.valid_until.type)
    return (select(*(getattr(Coupon, field.name) for field in dataclass_fields(CouponCard)
                     if field.name != "held"))
            .where(Coupon.source == "grab", Coupon.status == "active", Coupon.valid_from <= now,
                   Coupon.valid_until > now,
                   or_(Coupon.live_room_id == bindparam("room_id"),
                       (Coupon.merchant_id == bindparam("merchant_id"))
                       & (Coupon.funded_by == "shop")))
            .order_by(Coupon.remaining == 0, Coupon.amount_fen.desc(), Coupon.id))


def grabbable_in_room(room, now: datetime) -> list[CouponCard]:
    """Coupons shown in a live room: the shop's own, and platform ones restricted to the room,
    as the cards the grab buttons show (one query, no entities)."""
    return [CouponCard(*row) for row in plain_rows(_room_coupons_statement(), {
        "now": now, "room_id": room.id, "merchant_id": room.merchant_id})]


def held_counts(user: User | None, coupon_ids: list[int]) -> dict[int, int]:
    if not is_signed_in(user) or not coupon_ids:
        return {}
    return dict(db.session.execute(
        select(CouponClaim.coupon_id, func.count()).where(
            CouponClaim.user_id == user.id, CouponClaim.coupon_id.in_(coupon_ids))
        .group_by(CouponClaim.coupon_id)).all())


@dataclass
class CouponCard:
    """A coupon as the grab button shows it, copied before the transaction ends, so the answer
    renders without another trip to the database (which, on SQLite, would queue again for
    the write lock behind every other grab)."""

    id: int
    funded_by: str
    kind: str
    title: str
    amount_fen: int
    threshold_fen: int
    cap_fen: int | None
    remaining: int
    per_user_limit: int
    valid_until: datetime
    held: int = 0

    @classmethod
    def of(cls, coupon: Coupon, held: int) -> CouponCard:
        return cls(id=coupon.id, funded_by=coupon.funded_by, kind=coupon.kind, title=coupon.title,
                   amount_fen=coupon.amount_fen, threshold_fen=coupon.threshold_fen,
                   cap_fen=coupon.cap_fen, remaining=coupon.remaining,
                   per_user_limit=coupon.per_user_limit, valid_until=coupon.valid_until,
                   held=held)


class GrabRefused(Conflict):
    """A grab the rules refused; `card` is the coupon as it now stands for this buyer."""

    def __init__(self, message: str, card: CouponCard | None, status: int = 409):
        super().__init__(message)
        self.card = card
        self.status = status


def _held(coupon_id: int, user_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(CouponClaim).where(
        CouponClaim.coupon_id == coupon_id, CouponClaim.user_id == user_id)) or 0


def _refuse(message: str, coupon: Coupon, user: User, status: int = 409) -> GrabRefused:
    card = CouponCard.of(coupon, _held(coupon.id, user.id))
    db.session.rollback()
    return GrabRefused(message, card, status)


def grab_coupon(actor: User | None, coupon_id: int) -> CouponCard:
    """一键领券: one copy into the wallet, within the quantity and the per-user limit. Returns
    the coupon's card after the grab; refusals raise GrabRefused (with the card) or NotFound."""
    require_signed_in(actor, _("请先登录再领券。"))
    now = clock.now()
    admitted, lease = False, None
    for _attempt in range(GRAB_ATTEMPTS):
        coupon = db.session.get(Coupon, coupon_id)
        if coupon is None or coupon.source != "grab":
            db.session.rollback()
            raise NotFound(_("优惠券不存在。"))
        if coupon.status != "active" or now >= coupon.valid_until:
            raise _refuse(_("这张优惠券已过期。"), coupon, actor)
        if now < coupon.valid_from:
            raise _refuse(_("这张优惠券还没开始领取。"), coupon, actor)
        if coupon.merchant is not None and coupon.merchant.owner_id == actor.id:
            raise _refuse(_("不能领取自己店铺的优惠券。"), coupon, actor, status=403)
        if coupon.remaining <= 0:  # gone: answer without writing to the hot row
            if admitted:
                gate.give_back(coupon.id, lease)
            gate.mark_gone(coupon.id)
            raise _refuse(_("手慢了，优惠券已抢光。"), coupon, actor)
        held = _held(coupon.id, actor.id)
        if held >= coupon.per_user_limit:
            if admitted:
                gate.give_back(coupon.id, lease)
            raise _refuse(_("每人限领 %(n)d 张，你已经领过了。", n=coupon.per_user_limit),
                          coupon, actor)
        if not admitted:
            seed = coupon.remaining
            admitted, lease = gate.admit(coupon.id, lambda seed=seed: seed)
            if not admitted:  # shed the rush before the row
                card = CouponCard.of(coupon, held)
                card.remaining = 0
                db.session.rollback()
                raise GrabRefused(_("手慢了，优惠券已抢光。"), card)
        claim = CouponClaim(coupon_id=coupon.id, user_id=actor.id, n=held + 1,
                            status=ClaimStatus.unused, claimed_at=now)
        try:
            db.session.add(claim)
            db.session.flush()
        except IntegrityError:
            db.session.rollback()  # the same buyer's twin request took this n first
            continue
        taken = db.session.execute(
            update(Coupon).where(Coupon.id == coupon.id, Coupon.remaining > 0,
                                 Coupon.status == "active")
            .values(remaining=Coupon.remaining - 1)
            .returning(Coupon.remaining))
        left = taken.scalar()
        if left is None:
            db.session.rollback()
            gate.mark_gone(coupon_id)
            card = CouponCard.of(coupon, held)
            card.remaining = 0
            raise GrabRefused(_("手慢了，优惠券已抢光。"), card)
        card = CouponCard.of(coupon, held + 1)
        card.remaining = left
        db.session.commit()
        gate.commit(coupon_id, lease)
        return card
    if admitted:
        gate.give_back(coupon_id, lease)
    raise Conflict(_("领券的人太多了，请稍后再试。"))


# --- the wallet ----------------------------------------------------------------------------------

@dataclass
class WalletEntry:
    claim: CouponClaim
    state: str  # usable | used | expired | upcoming


def wallet(actor: User | None) -> list[WalletEntry]:
    require_signed_in(actor)
    now = clock.now()
    claims = db.session.scalars(
        select(CouponClaim).options(selectinload(CouponClaim.coupon).selectinload(Coupon.merchant))
        .where(CouponClaim.user_id == actor.id).order_by(CouponClaim.claimed_at.desc(),
                                                         CouponClaim.id.desc()).limit(200))
    entries = []
    for claim in claims:
        coupon = claim.coupon
        if claim.status == ClaimStatus.used:
            state = "used"
        elif coupon.status != "active" or now >= coupon.valid_until:
            state = "expired"
        elif now < coupon.valid_from:
            state = "upcoming"
        else:
            state = "usable"
        entries.append(WalletEntry(claim, state))
    order = {"usable": 0, "upcoming": 1, "used": 2, "expired": 3}
    entries.sort(key=lambda e: order[e.state])
    return entries
