"""The 116 campaign (116卖货王): campaigns and their phases, invited registration, coupons and
the coupon wallet, warm-up tasks (videos, votes, gifts with a coin ledger), raffle entries and
the daily verifiable draws.

Coupons are data-driven (see app.campaigns.coupons): `funded_by` (shop | platform) says who pays,
`kind` (reduce 立减 | threshold 满减 | free_order 免单) how much it takes off, and the optional
restriction columns (`merchant_id`, `live_room_id`, `campaign_id` + `phase`) where it applies.
A wallet row (`coupon_claims`) is one grabbed or granted copy; it is spent once."""
from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import UTCDateTime, utcnow
from app.extensions import db


class Phase:
    upcoming = "upcoming"  # 未开始
    warmup = "warmup"      # 预热期
    sale = "sale"          # 正式售卖
    ended = "ended"        # 已结束

    ALL = (upcoming, warmup, sale, ended)


class CampaignCopy(SimpleNamespace):
    """A campaign's columns as a plain object, with the entity's attribute names (what pages
    read of the current campaign: app.campaigns.campaigns.current_campaign). Its rules are
    functions of the campaign and the time (campaigns.phase_of, next_deadline), so they read
    either."""


class Campaign(db.Model):
    """A campaign: warm-up [warmup_start, sale_start), sale [sale_start, sale_end)."""

    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint("warmup_start < sale_start AND sale_start < sale_end",
                        name="phases_in_order"),
        CheckConstraint("raffle_daily_count > 0", name="raffle_count_positive"),
        CheckConstraint("raffle_cap_fen > 0", name="raffle_cap_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    hashtag: Mapped[str] = mapped_column(String(30))           # e.g. #116卖货王
    tagline: Mapped[str] = mapped_column(String(120), default="")
    warmup_start: Mapped[datetime] = mapped_column(UTCDateTime)
    sale_start: Mapped[datetime] = mapped_column(UTCDateTime)
    sale_end: Mapped[datetime] = mapped_column(UTCDateTime)
    raffle_daily_count: Mapped[int] = mapped_column(default=666)
    raffle_cap_fen: Mapped[int] = mapped_column(default=66_600)
    # A public value fixed in advance (e.g. a future drand round), mixed into every draw.
    raffle_beacon: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RegistrationStatus:
    invited = "invited"    # 已邀约: the operator invited the shop
    applied = "applied"    # 已报名: the shop applied with its goods, waiting for review
    approved = "approved"  # 已通过: shown in the venue
    rejected = "rejected"  # 未通过 (with a reason; the shop may apply again)

    ALL = (invited, applied, approved, rejected)


class Registration(db.Model):
    """定向邀约报名: one shop's invitation to, and application for, a campaign session."""

    __tablename__ = "campaign_registrations"
    __table_args__ = (
        UniqueConstraint("campaign_id", "merchant_id"),
        CheckConstraint("status IN ('invited','applied','approved','rejected')",
                        name="status_known"),
        Index("ix_campaign_registrations_status", "campaign_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    session: Mapped[str] = mapped_column(String(30), default="source_goods")  # 源头好货专场
    status: Mapped[str] = mapped_column(String(12), default=RegistrationStatus.invited)
    invited_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pitch: Mapped[str] = mapped_column(String(200), default="")
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(200), default="")
    version: Mapped[int] = mapped_column(default=1)

    campaign: Mapped[Campaign] = relationship()
    merchant = relationship("Merchant")
    goods: Mapped[list[RegistrationProduct]] = relationship(
        cascade="all, delete-orphan", order_by="RegistrationProduct.product_id")


class RegistrationProduct(db.Model):
    """A product a registered shop will sell in the session."""

    __tablename__ = "campaign_registration_products"

    registration_id: Mapped[int] = mapped_column(
        ForeignKey("campaign_registrations.id", ondelete="CASCADE"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"),
                                            primary_key=True, index=True)

    product = relationship("Product")


class Coupon(db.Model):
    """A coupon design: who funds it, how much it takes off, where it applies, how many exist.

    `remaining` is the hot row's counter: a grab is `UPDATE … SET remaining = remaining - 1
    WHERE id = :id AND remaining > 0`; once it reads 0, grabs answer 已抢光 without writing."""

    __tablename__ = "coupons"
    __table_args__ = (
        CheckConstraint("funded_by IN ('shop','platform')", name="funded_by_known"),
        CheckConstraint("kind IN ('reduce','threshold','free_order')", name="kind_known"),
        CheckConstraint("status IN ('active','withdrawn')", name="status_known"),
        CheckConstraint("source IN ('grab','raffle','grant')", name="source_known"),
        CheckConstraint("amount_fen >= 0 AND threshold_fen >= 0", name="amounts_not_negative"),
        CheckConstraint("quantity >= 0 AND remaining >= 0 AND remaining <= quantity",
                        name="remaining_within_quantity"),
        CheckConstraint("per_user_limit >= 1", name="per_user_limit_positive"),
        CheckConstraint("valid_from < valid_until", name="validity_in_order"),
        CheckConstraint("funded_by = 'platform' OR merchant_id IS NOT NULL",
                        name="shop_coupon_has_shop"),
        CheckConstraint("phase IS NULL OR phase IN ('warmup','sale')", name="phase_known"),
        Index("ix_coupons_merchant_status", "merchant_id", "status"),
        Index("ix_coupons_live_room", "live_room_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    funded_by: Mapped[str] = mapped_column(String(10))      # shop | platform
    kind: Mapped[str] = mapped_column(String(12))           # reduce | threshold | free_order
    source: Mapped[str] = mapped_column(String(10), default="grab")  # how copies are handed out
    title: Mapped[str] = mapped_column(String(40))
    amount_fen: Mapped[int] = mapped_column(default=0)      # off (reduce, threshold)
    threshold_fen: Mapped[int] = mapped_column(default=0)   # 满 (threshold)
    cap_fen: Mapped[int | None]                             # most it takes off (free_order)
    quantity: Mapped[int]
    remaining: Mapped[int]
    per_user_limit: Mapped[int] = mapped_column(default=1)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default="active")
    # Restrictions (NULL: none). merchant_id: that shop's goods; live_room_id: the goods in
    # that room's 小黄车; campaign_id + phase: only while the campaign is in that phase.
    merchant_id: Mapped[int | None] = mapped_column(ForeignKey("merchants.id"))
    live_room_id: Mapped[int | None] = mapped_column(ForeignKey("live_rooms.id"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    phase: Mapped[str | None] = mapped_column(String(10))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    merchant = relationship("Merchant")
    campaign = relationship("Campaign")


class ClaimStatus:
    unused = "unused"
    used = "used"


class CouponClaim(db.Model):
    """A copy of a coupon in a user's wallet (券包). (coupon, user, n) is unique with
    1 ≤ n ≤ per_user_limit, so the per-user limit holds under any concurrency."""

    __tablename__ = "coupon_claims"
    __table_args__ = (
        UniqueConstraint("coupon_id", "user_id", "n"),
        CheckConstraint("n >= 1", name="n_positive"),
        CheckConstraint("status IN ('unused','used')", name="status_known"),
        Index("ix_coupon_claims_wallet", "user_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    coupon_id: Mapped[int] = mapped_column(ForeignKey("coupons.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    n: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(10), default=ClaimStatus.unused)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))

    coupon: Mapped[Coupon] = relationship()


# --- warm-up tasks -------------------------------------------------------------------------

class VideoTask(db.Model):
    """短视频任务: a video link carrying the campaign hashtag. A link counts once, ever."""

    __tablename__ = "campaign_videos"
    __table_args__ = (Index("ix_campaign_videos_user", "campaign_id", "user_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    url: Mapped[str] = mapped_column(String(500))
    url_key: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the normal form
    caption: Mapped[str] = mapped_column(String(200), default="")
    day: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Vote(db.Model):
    """投票: one vote per user per anchor per Shanghai day."""

    __tablename__ = "campaign_votes"
    __table_args__ = (
        UniqueConstraint("campaign_id", "user_id", "merchant_id", "day"),
        Index("ix_campaign_votes_merchant", "campaign_id", "merchant_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    live_room_id: Mapped[int | None] = mapped_column(ForeignKey("live_rooms.id"))
    day: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Gift(db.Model):
    """电商专属礼物: a virtual gift priced in coins."""

    __tablename__ = "campaign_gifts"
    __table_args__ = (CheckConstraint("price_coins > 0", name="price_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(20))
    icon: Mapped[str] = mapped_column(String(8), default="🎁")
    price_coins: Mapped[int]
    ecommerce_exclusive: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)


class CoinAccount(db.Model):
    """A user's coin balance (快币). Spending is `UPDATE … SET balance = balance - :n WHERE
    user_id = :u AND balance >= :n`; every change writes a ledger line."""

    __tablename__ = "coin_accounts"
    __table_args__ = (CheckConstraint("balance >= 0", name="balance_not_negative"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    balance: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CoinLedger(db.Model):
    """Every coin movement: top-ups (+) and gifts (−). (user, reference) is unique, so a
    resubmitted top-up form is counted once."""

    __tablename__ = "coin_ledger"
    __table_args__ = (
        UniqueConstraint("user_id", "reference"),
        CheckConstraint("delta <> 0", name="delta_not_zero"),
        CheckConstraint("balance_after >= 0", name="balance_after_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    delta: Mapped[int]
    balance_after: Mapped[int]
    reason: Mapped[str] = mapped_column(String(20))  # topup | gift | grant
    reference: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GiftSend(db.Model):
    """A gift sent to an anchor's live room."""

    __tablename__ = "campaign_gift_sends"
    __table_args__ = (
        CheckConstraint("quantity > 0 AND coins > 0", name="positive"),
        Index("ix_campaign_gift_sends_user", "campaign_id", "user_id", "day"),
        Index("ix_campaign_gift_sends_merchant", "campaign_id", "merchant_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    live_room_id: Mapped[int | None] = mapped_column(ForeignKey("live_rooms.id"))
    gift_id: Mapped[int] = mapped_column(ForeignKey("campaign_gifts.id"))
    quantity: Mapped[int] = mapped_column(default=1)
    coins: Mapped[int]
    day: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    gift: Mapped[Gift] = relationship()


# --- the daily raffle ----------------------------------------------------------------------

class RaffleEntry(db.Model):
    """Eligibility for one day's draw: one row per user per day (whichever task came first)."""

    __tablename__ = "raffle_entries"
    __table_args__ = (UniqueConstraint("campaign_id", "day", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    task: Mapped[str] = mapped_column(String(10))  # video | vote | gift
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RaffleDraw(db.Model):
    """One warm-up day's draw. The commitment exists from creation; the entrant list, its hash,
    the seed and the winners are written by the one transaction that draws (status open →
    drawn, a conditional UPDATE), after entries close."""

    __tablename__ = "raffle_draws"
    __table_args__ = (
        UniqueConstraint("campaign_id", "day"),
        CheckConstraint("status IN ('open','drawn')", name="status_known"),
        Index("ix_raffle_draws_due", "status", "closes_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(8), default="open")
    rules_version: Mapped[str] = mapped_column(String(30))
    server_seed: Mapped[str] = mapped_column(String(64))   # secret until drawn
    commit: Mapped[str] = mapped_column(String(64))
    beacon: Mapped[str] = mapped_column(String(200), default="")
    winners_count: Mapped[int]
    cap_fen: Mapped[int]
    entrants_text: Mapped[str | None] = mapped_column(Text)
    list_hash: Mapped[str | None] = mapped_column(String(64))
    winners_text: Mapped[str | None] = mapped_column(Text)
    entrant_total: Mapped[int] = mapped_column(default=0)
    winner_total: Mapped[int] = mapped_column(default=0)
    coupon_id: Mapped[int | None] = mapped_column(ForeignKey("coupons.id"))
    drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    campaign: Mapped[Campaign] = relationship()


class RaffleWinner(db.Model):
    __tablename__ = "raffle_winners"
    __table_args__ = (UniqueConstraint("draw_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("raffle_draws.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    pseudonym: Mapped[str] = mapped_column(String(32))
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("coupon_claims.id"))
