"""Demo data of the sale phase (after the campaigns step): last year's campaign (116-2025) gets
approved shops, a year-old sale's worth of paid orders (and a smaller period before it, so the
潜力榜 has risers), and its sales kings; the current demo campaign gets a live-voucher plan for
when its sale opens. Idempotent: each part looks before it writes."""
from __future__ import annotations

import random
import secrets
from datetime import timedelta

from sqlalchemy import func, insert, select

from app import clock
from app.accounts.models import User
from app.campaigns.models import Campaign, Registration
from app.catalog.models import Product, ProductStatus
from app.demo.people import OPERATOR_EMAIL
from app.extensions import db
from app.live.models import LiveRoom
from app.merchants.models import Merchant
from app.orders.models import Checkout, Order, OrderLine, OrderStatus
from app.sale.leaderboards import finalize_campaign, is_finalized
from app.sale.models import VoucherPlan

PAST_SLUG, DEMO_SLUG = "116-2025", "116-demo"
BUYERS = [f"reviewer-{n}@demo.yuantou.cn" for n in range(1, 7)]


def _past_orders(campaign: Campaign, rng: random.Random) -> int:
    """Paid, completed orders of the approved shops in last year's sale (and fewer in the two
    days before it). Skipped once the campaign's shops have any order in its sale window."""
    shop_ids = list(db.session.scalars(select(Registration.merchant_id).where(
        Registration.campaign_id == campaign.id, Registration.status == "approved")))
    if not shop_ids or db.session.scalar(select(func.count()).select_from(Order).where(
            Order.merchant_id.in_(shop_ids), Order.paid_at >= campaign.sale_start,
            Order.paid_at < campaign.sale_end)):
        return 0
    buyers = list(db.session.scalars(select(User).where(User.email.in_(BUYERS))))
    if not buyers:
        return 0
    length = campaign.sale_end - campaign.sale_start
    made = 0
    for rank, shop_id in enumerate(shop_ids):
        goods = list(db.session.scalars(select(Product).where(
            Product.merchant_id == shop_id, Product.status == ProductStatus.active)
            .order_by(Product.id).limit(6)))
        if not goods:
            continue
        during = rng.randint(4, 18) + max(0, 10 - rank)
        # Big shops sold well before the sale too; the smaller ones rise from a little.
        before = int(during * rng.uniform(0.4, 0.8)) if rank < 2 else rng.randint(1, 4)
        for n in range(during + before):
            start = campaign.sale_start if n < during else campaign.sale_start - length
            paid = start + timedelta(seconds=rng.uniform(60, length.total_seconds() - 60))
            product, quantity = rng.choice(goods), rng.randint(1, 3)
            _history_order(rng.choice(buyers), shop_id, product, quantity, paid)
            made += 1
    db.session.commit()
    return made


def _history_order(buyer: User, shop_id: int, product: Product, quantity: int, paid) -> None:
    total = product.price_fen * quantity
    checkout_id = db.session.execute(insert(Checkout).returning(Checkout.id), [{
        "buyer_id": buyer.id, "idempotency_key": secrets.token_urlsafe(18),
        "payment_method": "sandbox", "created_at": paid - timedelta(minutes=3)}]).scalar_one()
    order_id = db.session.execute(insert(Order).returning(Order.id), [{
        "number": f"{paid.astimezone(clock.SHANGHAI):%y%m%d}{secrets.randbelow(10**10):010d}",
        "checkout_id": checkout_id, "buyer_id": buyer.id, "merchant_id": shop_id,
        "status": OrderStatus.completed, "payment_method": "sandbox", "items_total_fen": total,
        "shipping_fen": 0, "discount_fen": 0, "shop_discount_fen": 0, "pay_fen": total,
        "commission_base_fen": total, "commission_fen": total * 5 // 100,
        "commission_reduction_bp": 0, "commission_basis": {"reason": "demo_history"},
        "recipient": buyer.display_name, "recipient_phone": "13800138000",
        "shipping_address": "演示地址", "buyer_note": "", "carrier": "顺丰速运",
        "tracking_number": f"SF{secrets.randbelow(10**12):012d}", "payment_reference": "",
        "cancel_reason": "", "refund_reason": "", "created_at": paid - timedelta(minutes=3),
        "paid_at": paid, "shipped_at": paid + timedelta(days=1),
        "receive_deadline": paid + timedelta(days=11),
        "completed_at": paid + timedelta(days=4)}]).scalar_one()
    db.session.execute(insert(OrderLine), [{
        "order_id": order_id, "product_id": product.id, "category_id": product.category_id,
        "title": product.title, "image_key": None, "list_price_fen": product.price_fen,
        "unit_price_fen": product.price_fen, "price_source": "list", "quantity": quantity,
        "line_total_fen": total, "commission_rate_bp": 500,
        "commission_fen": total * 5 // 100}])


def _register_past(campaign: Campaign) -> int:
    """Last year's approved shops: those with live rooms today (as the demo campaign's)."""
    existing = set(db.session.scalars(select(Registration.merchant_id).where(
        Registration.campaign_id == campaign.id)))
    made = 0
    for shop_id in db.session.scalars(select(LiveRoom.merchant_id).join(
            Merchant, Merchant.id == LiveRoom.merchant_id).where(Merchant.status == "active")
            .order_by(LiveRoom.id)):
        if shop_id in existing:
            continue
        db.session.add(Registration(campaign_id=campaign.id, merchant_id=shop_id,
                                    status="approved", invited_at=campaign.warmup_start,
                                    applied_at=campaign.warmup_start,
                                    decided_at=campaign.warmup_start))
        made += 1
    db.session.commit()
    return made


def seed_sale(scale: int = 0) -> list[str]:
    lines = []
    operator = db.session.scalar(select(User).where(User.email == OPERATOR_EMAIL))
    past = db.session.scalar(select(Campaign).where(Campaign.slug == PAST_SLUG))
    if past is not None and operator is not None:
        registered = _register_past(past)
        orders = _past_orders(past, random.Random(116))
        crowned = 0
        if not is_finalized(past) and clock.now() >= past.sale_end:
            crowned = len(finalize_campaign(operator, past)[0])
        lines.append(f"sale: {PAST_SLUG}: {registered} shops, {orders} paid orders, "
                     f"{crowned} sales kings")
    demo = db.session.scalar(select(Campaign).where(Campaign.slug == DEMO_SLUG))
    if demo is not None and db.session.get(VoucherPlan, demo.id) is None:
        db.session.add(VoucherPlan(campaign_id=demo.id, amount_fen=1000, threshold_fen=9900,
                                   daily_limit=3, budget_fen=6_660_000, committed_fen=0))
        db.session.commit()
        lines.append(f"sale: {DEMO_SLUG}: live vouchers 满99减10, 3 a day, budget ¥66,600")
    return lines
