"""Demo campaign: "116卖货王" placed around today with the warm-up current (started yesterday,
sale in three days), the anchors with live rooms approved (玉匠人 first) with their goods, one
shop invited and one waiting for review, anchor coupons in the live rooms, coins for the demo
buyer, yesterday's raffle already drawn with more entrants than prizes (its files
downloadable) and last year's campaign ended.
Idempotent: what exists is kept; a demo campaign no longer in its warm-up is placed around
today again (days already drawn keep their draws)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app import clock
from app.accounts.models import User
from app.campaigns import draws
from app.campaigns.campaigns import phase_of
from app.campaigns.models import (
    Campaign,
    Coupon,
    RaffleDraw,
    RaffleEntry,
    Registration,
    RegistrationProduct,
    Vote,
)
from app.campaigns.tasks import credit
from app.catalog.models import Product, ProductStatus
from app.demo.people import BUYER_EMAIL, OPERATOR_EMAIL, YUJIANGREN_EMAIL
from app.extensions import db
from app.live.models import LiveRoom
from app.merchants.models import Merchant

DEMO_SLUG = "116-demo"
PAST_SLUG = "116-2025"
# The seed's raffle draws 666 a day; the demo's has ~40 entrants a day, so it draws fewer
# than that and the shuffle really picks (entrants > prizes), as on a real campaign day.
DEMO_DAILY_PRIZES = 16
GOODS_PER_SHOP = 8
# (owner e-mail, coupons: (kind, amount fen, threshold fen, quantity, per-user limit, title))
COUPONS = {
    YUJIANGREN_EMAIL: [("threshold", 3000, 30000, 200, 2, "玉匠人 满300减30"),
                       ("reduce", 1000, 0, 100, 1, "玉匠人 直播间立减10元")],
    "shop-ruili-jade-0@demo.yuantou.cn": [("threshold", 5000, 50000, 100, 1, "瑞丽翡翠 满500减50")],
    "shop-hangzhou-apparel-0@demo.yuantou.cn": [("threshold", 2000, 19900, 300, 2,
                                                  "四季青 满199减20")],
}


def _user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def _place(campaign: Campaign, now) -> None:
    start = clock.shanghai_midnight(clock.local_today() - timedelta(days=1))
    campaign.warmup_start = start
    campaign.sale_start = start + timedelta(days=4)
    campaign.sale_end = start + timedelta(days=6)
    campaign.updated_at = now


def _published_at(campaign: Campaign):
    """The demo is laid out as if the campaign had been published the day before its warm-up
    (so yesterday's draw was committed before yesterday's entries)."""
    return campaign.warmup_start - timedelta(days=1)


def _campaign(now) -> tuple[Campaign, bool]:
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == DEMO_SLUG))
    operator = _user(OPERATOR_EMAIL)
    if campaign is None:
        campaign = Campaign(slug=DEMO_SLUG, name="116卖货王", hashtag="#116卖货王",
                            tagline="源头好货 一件也是批发价", created_by=operator.id if operator else None,
                            raffle_daily_count=DEMO_DAILY_PRIZES, created_at=now)
        _place(campaign, now)
        db.session.add(campaign)
        db.session.flush()
        draws.sync_draws(campaign, now=_published_at(campaign))
        return campaign, True
    if phase_of(campaign, now) != "warmup":
        _place(campaign, now)
        db.session.flush()
        draws.sync_draws(campaign, now=_published_at(campaign))
    return campaign, False


def _past(now) -> None:
    if db.session.scalar(select(Campaign.id).where(Campaign.slug == PAST_SLUG)):
        return
    start = clock.shanghai_midnight(clock.local_today() - timedelta(days=380))
    past = Campaign(slug=PAST_SLUG, name="116卖货王 2025", hashtag="#116卖货王",
                    tagline="去年的活动（已结束）", warmup_start=start,
                    sale_start=start + timedelta(days=4), sale_end=start + timedelta(days=6),
                    created_at=now)
    db.session.add(past)
    db.session.flush()


def _register(campaign: Campaign, now) -> int:
    made = 0
    rooms = list(db.session.scalars(select(LiveRoom).join(Merchant).where(
        Merchant.status == "active")))
    shop_ids = [r.merchant_id for r in rooms]
    yu = _user(YUJIANGREN_EMAIL)
    if yu is not None:
        yu_shop = db.session.scalar(select(Merchant.id).where(Merchant.owner_id == yu.id))
        if yu_shop in shop_ids:
            shop_ids.remove(yu_shop)
        if yu_shop is not None:
            shop_ids.insert(0, yu_shop)
    existing = set(db.session.scalars(select(Registration.merchant_id).where(
        Registration.campaign_id == campaign.id)))
    for position, shop_id in enumerate(shop_ids):
        if shop_id in existing:
            continue
        goods = list(db.session.scalars(select(Product.id).where(
            Product.merchant_id == shop_id, Product.status == ProductStatus.active)
            .order_by(Product.sales_count.desc(), Product.id).limit(GOODS_PER_SHOP)))
        reg = Registration(campaign_id=campaign.id, merchant_id=shop_id, status="approved",
                           invited_at=now - timedelta(days=10), applied_at=now - timedelta(days=8),
                           decided_at=now - timedelta(days=7, minutes=-position),
                           pitch="源头工厂直供，活动期间全场包邮")
        reg.goods = [RegistrationProduct(product_id=pid) for pid in goods]
        db.session.add(reg)
        made += 1
    # one shop invited (no answer yet) and one waiting for review, for the operator's queue
    pending = db.session.scalar(select(func.count()).select_from(Registration).where(
        Registration.campaign_id == campaign.id,
        Registration.status.in_(["invited", "applied"]))) or 0
    others = [] if pending else list(db.session.scalars(select(Merchant.id).where(
        Merchant.status == "active", Merchant.id.not_in(shop_ids or [0]),
        Merchant.id.not_in(existing or {0})).order_by(Merchant.id).limit(2)))
    for shop_id, status in zip(others, ("invited", "applied"), strict=False):
        reg = Registration(campaign_id=campaign.id, merchant_id=shop_id, status=status,
                           invited_at=now - timedelta(days=2),
                           applied_at=now - timedelta(days=1) if status == "applied" else None)
        if status == "applied":
            goods = list(db.session.scalars(select(Product.id).where(
                Product.merchant_id == shop_id, Product.status == ProductStatus.active)
                .order_by(Product.id).limit(3)))
            reg.goods = [RegistrationProduct(product_id=pid) for pid in goods]
            reg.pitch = "产业带工厂，申请参加源头好货专场"
        db.session.add(reg)
        made += 1
    return made


def _coupons(campaign: Campaign, now) -> int:
    made = 0
    for email, designs in COUPONS.items():
        owner = _user(email)
        shop = db.session.scalar(select(Merchant).where(Merchant.owner_id == owner.id)) \
            if owner else None
        if shop is None:
            continue
        for kind, amount, threshold, quantity, limit, title in designs:
            coupon = db.session.scalar(select(Coupon).where(Coupon.merchant_id == shop.id,
                                                            Coupon.title == title))
            if coupon is not None:
                if coupon.valid_until <= now:
                    coupon.valid_until = campaign.sale_end
                continue
            db.session.add(Coupon(
                funded_by="shop", kind=kind, source="grab", title=title, amount_fen=amount,
                threshold_fen=threshold, quantity=quantity, remaining=quantity,
                per_user_limit=limit, valid_from=now - timedelta(hours=1),
                valid_until=campaign.sale_end, merchant_id=shop.id,
                created_by=shop.owner_id, created_at=now))
            made += 1
    return made


def _yesterday_draw(campaign: Campaign, now) -> str:
    """Entries from votes cast yesterday, then the draw (its day has closed)."""
    day = clock.local_today() - timedelta(days=1)
    draw = draws.get_draw(campaign, day)
    if draw is None or draw.status == "drawn":
        return "already drawn" if draw is not None else "no draw"
    voters = list(db.session.scalars(select(User).where(User.is_operator.is_(False))
                                     .order_by(User.id).limit(40)))
    shop_ids = [r for r in db.session.scalars(select(Registration.merchant_id).where(
        Registration.campaign_id == campaign.id, Registration.status == "approved"))]
    owners = dict(db.session.execute(select(Merchant.id, Merchant.owner_id)
                                     .where(Merchant.id.in_(shop_ids or [0]))).all())
    when = clock.shanghai_midnight(day) + timedelta(hours=20)
    for voter in voters:
        target = next((s for s in shop_ids if owners.get(s) != voter.id), None)
        if target is None:
            continue
        if db.session.scalar(select(Vote.id).where(
                Vote.campaign_id == campaign.id, Vote.user_id == voter.id,
                Vote.merchant_id == target, Vote.day == day)) is None:
            db.session.add(Vote(campaign_id=campaign.id, user_id=voter.id, merchant_id=target,
                                day=day, created_at=when))
        if db.session.scalar(select(RaffleEntry.id).where(
                RaffleEntry.campaign_id == campaign.id, RaffleEntry.day == day,
                RaffleEntry.user_id == voter.id)) is None:
            db.session.add(RaffleEntry(campaign_id=campaign.id, day=day, user_id=voter.id,
                                       task="vote", created_at=when))
    db.session.commit()
    draws.draw_one(draw.id)
    return "drawn"


def seed_campaigns(scale: int = 0) -> list[str]:
    now = clock.now()
    campaign, created = _campaign(now)
    _past(now)
    registered = _register(campaign, now)
    coupons = _coupons(campaign, now)
    buyer = _user(BUYER_EMAIL)
    if buyer is not None:
        credit(buyer.id, 300, "grant", "demo-grant")
    db.session.commit()
    drawn = _yesterday_draw(campaign, now)
    total = db.session.scalar(select(func.count()).select_from(RaffleDraw).where(
        RaffleDraw.campaign_id == campaign.id, RaffleDraw.status == "drawn")) or 0
    return [f"campaign {DEMO_SLUG}: {'new' if created else 'kept'}, phase "
            f"{phase_of(campaign, clock.now())}, {registered} new registrations, "
            f"{coupons} new anchor coupons, yesterday's raffle {drawn} ({total} drawn); "
            f"venue /campaigns/{DEMO_SLUG}, ended campaign /campaigns/{PAST_SLUG}"]
