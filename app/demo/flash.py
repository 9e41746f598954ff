"""Demo flash sales in 玉匠人's live room: one counting down, one open, one sold out.
Idempotent: each kind is made only when the room has no sale of that kind right now (so a
re-run after the countdown has passed makes a new one)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app import clock
from app.accounts.models import User
from app.catalog.models import Product, ProductStatus
from app.demo.people import OPERATOR_EMAIL, YUJIANGREN_EMAIL
from app.extensions import db
from app.flash.models import FlashSale, FlashState, FlashStatus
from app.flash.services import sale_state
from app.live.models import LiveRoom, LiveRoomItem
from app.merchants.models import Merchant

# (state wanted, minutes from now to the start, duration minutes, quantity, sold, % off)
KINDS = [
    (FlashState.upcoming, 12, 60, 20, 0, 40),
    (FlashState.open, -5, 120, 50, 18, 30),
    (FlashState.sold_out, -15, 90, 10, 10, 50),
]


def seed_flash(scale: int = 0) -> list[str]:
    now = clock.now()
    shop = db.session.scalar(select(Merchant).join(User, User.id == Merchant.owner_id)
                             .where(User.email == YUJIANGREN_EMAIL))
    room = shop and db.session.scalar(select(LiveRoom).where(LiveRoom.merchant_id == shop.id))
    if room is None:
        return ["flash sales: no demo live room"]
    operator = db.session.scalar(select(User).where(User.email == OPERATOR_EMAIL))
    from app.campaigns.models import Campaign

    campaign_id = db.session.scalar(select(Campaign.id).where(Campaign.slug == "116-demo"))
    goods = list(db.session.scalars(
        select(Product).join(LiveRoomItem, LiveRoomItem.product_id == Product.id)
        .where(LiveRoomItem.room_id == room.id, Product.status == ProductStatus.active,
               Product.stock >= 20)
        .order_by(LiveRoomItem.position)))
    existing = list(db.session.scalars(select(FlashSale).where(
        FlashSale.live_room_id == room.id, FlashSale.status == FlashStatus.scheduled,
        FlashSale.ends_at > now)))
    have = {sale_state(sale, now) for sale in existing}
    busy = {sale.product_id for sale in existing}
    made = 0
    for state, start_minutes, minutes, quantity, sold, off in KINDS:
        if state in have:
            continue
        product = next((p for p in goods if p.id not in busy), None)
        if product is None:
            break
        busy.add(product.id)
        starts_at = now + timedelta(minutes=start_minutes)
        db.session.add(FlashSale(
            product_id=product.id, merchant_id=shop.id, live_room_id=room.id,
            campaign_id=campaign_id,
            price_fen=max(100, product.price_fen * (100 - off) // 100 // 100 * 100),
            quantity=quantity, sold=sold, per_user_limit=1 if state != FlashState.open else 2,
            starts_at=starts_at, ends_at=starts_at + timedelta(minutes=minutes),
            created_by_id=operator.id if operator else None, created_at=now, updated_at=now))
        made += 1
    db.session.commit()
    return [f"flash sales: {made} new in {room.title}"]
