"""Checkout stacking: the coupon discount rule registered with
app.orders.pricing.register_discount_rule.

The rule offers every usable copy in the buyer's wallet to each shop order it applies to (its
amount on that order, its face value and expiry for ties); app.orders.allocation then chooses
across the checkout's orders at once: at most one shop coupon and one platform coupon per order
(shop first, platform on the rest), one order per copy, the most saved for the buyer. A
shop-funded coupon is offered only to its own shop's order (a shop pays for its own goods).
Spending is `UPDATE coupon_claims SET status='used' … WHERE id=:id AND status='unused'` inside
the placement transaction; a lost race refuses the order."""
from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.accounts.services import is_signed_in
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


def usable_claims(user_id: int, now: datetime) -> list[CouponClaim]:
    return list(db.session.scalars(_usable_claims(), {"user_id": user_id, "now": now}))


@functools.cache
def _usable_claims():
    """usable_claims' query, built once (every priced order runs it)."""
    now = bindparam("now")
    return (select(CouponClaim).join(Coupon, Coupon.id == CouponClaim.coupon_id)
            .options(selectinload(CouponClaim.coupon).selectinload(Coupon.campaign))
            .where(CouponClaim.user_id == bindparam("user_id"),
                   CouponClaim.status == ClaimStatus.unused, Coupon.status == "active",
                   Coupon.valid_from <= now, Coupon.valid_until > now)
            .order_by(Coupon.valid_until, CouponClaim.id))


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


def coupon_discounts(order: PricedOrder, buyer: User | None, choices: Mapping[str, str],
                     now: datetime) -> list[Discount]:
    """The pricing hook: every copy of the buyer's wallet that takes something off this order
    (none when `choices` is WITHOUT_COUPONS: a flash press retried without coupons)."""
    if not is_signed_in(buyer):
        return []
    if choices.get("coupons") == WITHOUT_COUPONS["coupons"]:
        return []
    offers = []
    for claim in usable_claims(buyer.id, now):
        coupon = claim.coupon
        if coupon.funded_by == "shop" and coupon.merchant_id != order.merchant.id:
            continue
        lines = eligible_lines(coupon, order, now)
        amount = coupon_amount(coupon, sum(line.line_total_fen for line in lines))
        if amount <= 0:
            continue
        offers.append(Discount(
            kind=SHOP_COUPON if coupon.funded_by == "shop" else PLATFORM_COUPON,
            funded_by=coupon.funded_by, label=label_of(coupon)[:60], amount_fen=amount,
            reference_id=claim.id,
            cap_fen=coupon.cap_fen if coupon.kind == "free_order" else None,
            spend=_spender(claim.id, buyer.id, now), face_fen=face_value(coupon),
            expires_at=coupon.valid_until))
    return offers
