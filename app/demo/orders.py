"""Demo data for orders (`flask seed-demo`, after the catalog step). Idempotent: each part
looks before it writes.

- a commission table (base rates per category) and two DSR reduction tiers;
- six months of completed, reviewed orders from demo reviewers, so shops show a DSR (玉匠人
  clears the gold tier, as the seed promises source-goods merchants with a good DSR);
- the demo buyer's address and orders in every state (to ship, shipped, completed with and
  without a review, cancelled, refunded, awaiting payment)."""
from __future__ import annotations

import random
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select

from app import clock
from app.accounts.models import User
from app.catalog.models import Category, Product, ProductStatus
from app.extensions import db
from app.merchants.models import Merchant
from app.orders import checkout, orders, payments
from app.orders.models import (
    Address,
    Checkout,
    CommissionRate,
    CommissionTier,
    Order,
    OrderLine,
    OrderStatus,
    Review,
)
from app.orders.reviews import submit_review

BUYER_EMAIL = "buyer@demo.yuantou.cn"
MASTER_EMAIL = "yujiangren@demo.yuantou.cn"
REVIEWERS = [f"reviewer-{n}@demo.yuantou.cn" for n in range(1, 7)]
REVIEWER_NAMES = ["翡翠控小林", "老铁阿强", "杭州小美", "镇平老王", "宝妈琳琳", "茶友老陈"]
BASE_RATES = {  # basis points per category slug
    "jade-bangle": 500, "jade-pendant": 500, "jade-bracelet": 500, "jade-ornament": 450,
    "jade-raw": 400, "womenswear": 600, "menswear": 600, "kidswear": 600, "fur-leather": 550,
    "knitwear": 600, "fresh-produce": 300, "snacks": 400, "tea-green": 450, "tea-dark": 450,
    "beauty": 700, "household": 550,
}
TIERS = [("金牌源头商家", 480, 20, 150), ("银牌源头商家", 460, 8, 80)]
REVIEW_TEXTS = ["源头直发，和直播间看到的一样。", "种水不错，证书齐全，好评！", "物流很快，包装很用心。",
                "主播讲解很专业，性价比高。", "一件也是批发价，会回购。", ""]


@contextmanager
def at(when: datetime) -> Iterator[None]:
    """Run services as if it were `when` (the demo writes history through the real rules)."""
    saved = (clock._frozen, clock._offset)
    clock.freeze(when)
    try:
        yield
    finally:
        clock._frozen, clock._offset = saved


def _commission_table() -> list[str]:
    lines = []
    if not db.session.scalar(select(func.count()).select_from(CommissionRate)):
        for category in db.session.scalars(select(Category)):
            if category.slug in BASE_RATES:
                db.session.add(CommissionRate(category_id=category.id,
                                              rate_bp=BASE_RATES[category.slug]))
        lines.append("commission: base rates per category")
    if not db.session.scalar(select(func.count()).select_from(CommissionTier)):
        for name, minimum, reviews, reduction in TIERS:
            db.session.add(CommissionTier(name=name, min_description=minimum,
                                          min_service=minimum, min_logistics=minimum,
                                          min_reviews=reviews, reduction_bp=reduction))
        lines.append("commission: DSR tiers 金牌 / 银牌")
    db.session.commit()
    return lines


def _reviewers(pw_hash: str) -> list[User]:
    people = []
    for email, name in zip(REVIEWERS, REVIEWER_NAMES, strict=True):
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(email=email, display_name=name, password_hash=pw_hash)
            db.session.add(user)
            db.session.flush()
        people.append(user)
    return people


def _score(rng: random.Random, quality: float) -> int:
    return max(1, min(5, round(rng.gauss(quality, 0.45))))


def _review_history(rng: random.Random, reviewers: list[User], now: datetime) -> int:
    """Completed, reviewed orders over the last ~170 days, inserted in bulk (history, so no
    stock is taken). Skipped once any demo reviewer has reviewed."""
    if db.session.scalar(select(func.count()).select_from(Review)
                         .where(Review.buyer_id.in_([r.id for r in reviewers]))):
        return 0
    rates = dict(db.session.execute(select(CommissionRate.category_id,
                                           CommissionRate.rate_bp)).all())
    shops = db.session.scalars(select(Merchant).order_by(Merchant.certified.desc(),
                                                         Merchant.id).limit(45)).all()
    made = 0
    for shop in shops:
        master = shop.owner is not None and shop.owner.email == MASTER_EMAIL
        goods = db.session.scalars(select(Product).where(
            Product.merchant_id == shop.id, Product.status == ProductStatus.active)
            .order_by(Product.id).limit(8)).all()
        if not goods:
            continue
        quality = 5.2 if master else rng.uniform(4.1, 4.9)
        for _n in range(30 if master else rng.randint(6, 24)):
            product = rng.choice(goods)
            buyer = rng.choice(reviewers)
            placed = now - timedelta(days=rng.uniform(3, 170))
            done = placed + timedelta(days=rng.uniform(2, 6))
            rate = rates.get(product.category_id, 500)
            total = product.price_fen
            checkout_id = db.session.execute(insert(Checkout).returning(Checkout.id), [{
                "buyer_id": buyer.id, "idempotency_key": secrets.token_urlsafe(18),
                "payment_method": "cod", "created_at": placed}]).scalar_one()
            fee = (total * rate + 5000) // 10000
            order_id = db.session.execute(insert(Order).returning(Order.id), [{
                "number": f"{placed.astimezone(clock.SHANGHAI):%y%m%d}"
                          f"{secrets.randbelow(10**10):010d}",
                "checkout_id": checkout_id, "buyer_id": buyer.id, "merchant_id": shop.id,
                "status": OrderStatus.completed, "payment_method": "cod",
                "items_total_fen": total, "shipping_fen": 0, "discount_fen": 0,
                "shop_discount_fen": 0, "pay_fen": total, "commission_base_fen": total,
                "commission_fen": fee, "commission_reduction_bp": 0,
                "commission_basis": {"reason": "demo_history"}, "recipient": buyer.display_name,
                "recipient_phone": "13800138000", "shipping_address": "演示地址",
                "buyer_note": "", "carrier": "顺丰速运",
                "tracking_number": f"SF{rng.randrange(10**11, 10**12)}",
                "payment_reference": "", "cancel_reason": "", "refund_reason": "",
                "created_at": placed, "paid_at": done, "shipped_at": placed + timedelta(days=1),
                "receive_deadline": placed + timedelta(days=11), "completed_at": done}]
            ).scalar_one()
            db.session.execute(insert(OrderLine), [{
                "order_id": order_id, "product_id": product.id, "category_id": product.category_id,
                "title": product.title, "image_key": None, "list_price_fen": total,
                "unit_price_fen": total, "price_source": "list", "quantity": 1,
                "line_total_fen": total, "commission_rate_bp": rate, "commission_fen": fee}])
            db.session.execute(insert(Review), [{
                "order_id": order_id, "buyer_id": buyer.id, "merchant_id": shop.id,
                "description": _score(rng, quality), "service": _score(rng, quality - 0.05),
                "logistics": _score(rng, quality - 0.1), "text": rng.choice(REVIEW_TEXTS),
                "created_at": done + timedelta(hours=rng.uniform(1, 48))}])
            made += 1
    db.session.commit()
    return made


def _buyer_orders(buyer: User, now: datetime) -> int:
    """The demo buyer's own orders, written through the real services at past times."""
    if db.session.scalar(select(func.count()).select_from(Order).where(Order.buyer_id == buyer.id)):
        return 0
    address = db.session.scalar(select(Address).where(Address.user_id == buyer.id))
    if address is None:
        address = Address(user_id=buyer.id, recipient="张老铁", phone="13800138000",
                          region="浙江省 杭州市 上城区", detail="四季青街道 88 号 2 单元 301",
                          is_default=True)
        db.session.add(address)
        db.session.commit()
    master = db.session.scalar(select(Merchant).join(Merchant.owner).where(User.email == MASTER_EMAIL))
    others = db.session.scalars(select(Merchant).where(Merchant.id != (master.id if master else 0),
                                                       Merchant.status == "active")
                                .order_by(Merchant.id).limit(6)).all()
    shops = ([master] if master else []) + list(others)

    def goods(shop: Merchant, n: int) -> Product | None:
        items = db.session.scalars(select(Product).where(
            Product.merchant_id == shop.id, Product.status == ProductStatus.active,
            Product.stock >= 2).order_by(Product.id)).all()
        return items[n % len(items)] if items else None

    def place(shop: Merchant, n: int, when: datetime, method: str = "cod") -> Order | None:
        product = goods(shop, n)
        if product is None:
            return None
        with at(when):
            plan = checkout.preview_checkout(buyer, [(product.id, 1)])
            placed, _created = checkout.place_checkout(buyer, checkout.CheckoutRequest(
                items=[(product.id, 1)], address_id=address.id, payment_method=method,
                idempotency_key=checkout.new_idempotency_key(), expected_total_fen=plan.total_fen,
                note="演示订单"))
        return placed.orders[0]

    day = timedelta(days=1)
    made = 0
    stories = [  # (shop index, what happens)
        (0, "reviewed"), (0, "shipped"), (0, "to_ship"), (1, "completed"), (2, "cancelled"),
        (3, "refunded"), (4, "pending"), (5, "to_ship"),
    ]
    online = payments.provider("sandbox") is not None  # off in production
    for n, (index, story) in enumerate(stories):
        if index >= len(shops) or (story in ("pending", "refunded") and not online):
            continue
        shop = shops[index]
        owner = shop.owner
        start = now - timedelta(days=8 - n, hours=3)
        if story == "pending":
            order = place(shop, n, now - timedelta(minutes=3), method="sandbox")
        elif story == "refunded":
            order = place(shop, n, start, method="sandbox")
            if order:
                with at(start + timedelta(minutes=2)):
                    orders.pay_checkout(buyer, order.checkout_id, "sandbox")
                with at(start + timedelta(hours=5)):
                    orders.refund_order(owner, order.id, "仓库盘点缺货，全额退款")
        else:
            order = place(shop, n, start)
        if order is None:
            continue
        made += 1
        if story == "cancelled":
            with at(start + timedelta(minutes=20)):
                orders.cancel_by_buyer(buyer, order.id, "拍错了尺寸")
        if story in ("shipped", "completed", "reviewed"):
            with at(start + timedelta(hours=6)):
                orders.ship_order(owner, order.id, "顺丰速运", f"SF{1000000000 + order.id}")
        if story in ("completed", "reviewed"):
            with at(start + 2 * day):
                orders.confirm_receipt(buyer, order.id)
        if story == "reviewed":
            with at(start + 2 * day + timedelta(hours=1)):
                submit_review(buyer, order.id, 5, 5, 5, "冰种通透，证书可查，镇平源头果然不一样。")
    return made


def seed_orders(scale: int = 0) -> list[str]:
    rng = random.Random(20191105)
    now = clock.now()
    lines = _commission_table()
    buyer = db.session.scalar(select(User).where(User.email == BUYER_EMAIL))
    if buyer is None:
        return lines
    reviewed = _review_history(rng, _reviewers(buyer.password_hash), now)
    mine = _buyer_orders(buyer, now)
    lines.append(f"orders: {reviewed} reviewed orders of history, {mine} orders of the demo "
                 f"buyer ({BUYER_EMAIL})")
    return lines
