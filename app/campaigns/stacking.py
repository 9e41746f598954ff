"""Checkout stacking: the coupon discount rule registered with
app.orders.pricing.register_discount_rule.

Per shop order at
most one shop coupon and one platform coupon; every pair of the buyer's usable copies is tried
and the pair that takes the most off wins (ties keep the more valuable coupons for later); a copy
already applied to another shop's order of the same checkout is not offered again. Spending is
`UPDATE coupon_claims SET status='used' … WHERE id=:id AND status='unused'` inside the
placement transaction; a lost race refuses the order."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.campaigns.coupons import coupon_amount, eligible_lines, face_value, label_of
from app.campaigns.models import ClaimStatus, Coupon, CouponClaim
from app.extensions import db
from app.orders.pricing import (
    PLATFORM_COUPON,
    SHOP_COUPON,
    WITHOUT_COUPONS,
    Discount,
    PricedOrder,
)


@dataclass
class Option:
    claim: CouponClaim
    amount_fen: int


def usable_claims(user_id: int, now: datetime) -> list[CouponClaim]:
    return list(db.session.scalars(
        select(CouponClaim).join(Coupon, Coupon.id == CouponClaim.coupon_id)
        .options(selectinload(CouponClaim.coupon).selectinload(Coupon.campaign))
        .where(CouponClaim.user_id == user_id, CouponClaim.status == ClaimStatus.unused,
               Coupon.status == "active", Coupon.valid_from <= now, Coupon.valid_until > now)
        .order_by(Coupon.valid_until, CouponClaim.id)))


def _spender(claim_id: int, user_id: int, now: datetime) -> Callable[[int], bool]:
    def spend(order_id: int) -> bool:
        return spend_claim(claim_id, user_id, order_id, now)
    return spend


def spend_claim(claim_id: int, user_id: int, order_id: int, now: datetime) -> bool:
    """Use one wallet copy for an order: one conditional UPDATE, True when this call won."""
    result = db.session.execute(
        update(CouponClaim)
        .where(CouponClaim.id == claim_id, CouponClaim.user_id == user_id,
               CouponClaim.status == ClaimStatus.unused)
        .values(status=ClaimStatus.used, used_at=now, order_id=order_id))
    return result.rowcount == 1


def best_pair(order: PricedOrder, shop: list[Option], platform: list[Option]
              ) -> tuple[Option | None, Option | None, int]:
    """The shop + platform pair that takes the most off (shop first, platform on the rest);
    on a tie the lower face values win, so the bigger coupons stay in the wallet."""
    total = order.items_total_fen + order.shipping_fen
    best: tuple[Option | None, Option | None, int] = (None, None, 0)
    best_key = None
    for s in [None, *shop]:
        taken = min(s.amount_fen, total) if s else 0
        for p in [None, *platform]:
            off = taken + (min(p.amount_fen, total - taken) if p else 0)
            spare = (face_value(s.claim.coupon) if s else 0) + (
                face_value(p.claim.coupon) if p else 0)
            key = (off, -spare)
            if best_key is None or key > best_key:
                best, best_key = (s, p, off), key
    return best


def coupon_discounts(order: PricedOrder, buyer: User | None, choices: Mapping[str, str],
                     now: datetime) -> list[Discount]:
    """The pricing hook: the best shop coupon + platform coupon of the buyer's wallet (none
    when `choices` is WITHOUT_COUPONS)."""
    if buyer is None or not getattr(buyer, "is_authenticated", False):
        return []
    if choices.get("coupons") == WITHOUT_COUPONS["coupons"]:
        return []
    taken = getattr(order, "claimed", set())
    shop: list[Option] = []
    platform: list[Option] = []
    for claim in usable_claims(buyer.id, now):
        if claim.id in taken:
            continue
        lines = eligible_lines(claim.coupon, order, now)
        amount = coupon_amount(claim.coupon, sum(line.line_total_fen for line in lines))
        if amount > 0:
            (shop if claim.coupon.funded_by == "shop" else platform).append(Option(claim, amount))
    s, p, _off = best_pair(order, shop, platform)
    discounts = []
    for option, kind in ((s, SHOP_COUPON), (p, PLATFORM_COUPON)):
        if option is None:
            continue
        coupon = option.claim.coupon
        discounts.append(Discount(
            kind=kind, funded_by=coupon.funded_by, label=label_of(coupon)[:60],
            amount_fen=option.amount_fen, reference_id=option.claim.id,
            cap_fen=coupon.cap_fen if coupon.kind == "free_order" else None,
            spend=_spender(option.claim.id, buyer.id, now)))
    return discounts


