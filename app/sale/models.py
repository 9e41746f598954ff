"""The sale phase's own tables (issue 7): live vouchers (直播购物券) and the sales kings (卖货王).

Live vouchers are platform coupons (app.campaigns.models.Coupon, funded_by='platform',
restricted to one live room and the campaign's sale phase); these tables add what coupons
alone do not hold: the campaign's voucher plan and budget, and a per-user per-day limit that
is a unique constraint, not a count."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import UTCDateTime, utcnow
from app.extensions import db


class VoucherPlan(db.Model):
    """A campaign's 直播购物券: what each voucher takes off, how many a buyer may claim a day,
    and the platform's budget. `committed_fen` grows by one face value per claim through
    `UPDATE … SET committed_fen = committed_fen + :v WHERE … AND committed_fen + :v <=
    budget_fen`, so the budget can never be overspent."""

    __tablename__ = "live_voucher_plans"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("threshold_fen >= 0", name="threshold_not_negative"),
        CheckConstraint("daily_limit >= 1", name="daily_limit_positive"),
        CheckConstraint("committed_fen >= 0 AND committed_fen <= budget_fen",
                        name="committed_within_budget"),
    )

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"),
                                             primary_key=True)
    amount_fen: Mapped[int]
    threshold_fen: Mapped[int] = mapped_column(default=0)
    daily_limit: Mapped[int] = mapped_column(default=1)
    budget_fen: Mapped[int]
    committed_fen: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    campaign = relationship("Campaign")


class VoucherRoom(db.Model):
    """The coupon row that carries a campaign's vouchers for one live room."""

    __tablename__ = "live_voucher_rooms"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"),
                                             primary_key=True)
    live_room_id: Mapped[int] = mapped_column(ForeignKey("live_rooms.id", ondelete="CASCADE"),
                                              primary_key=True)
    coupon_id: Mapped[int] = mapped_column(ForeignKey("coupons.id", ondelete="CASCADE"),
                                           unique=True)


class VoucherClaim(db.Model):
    """One voucher a buyer claimed in a room on a Shanghai day. (campaign, user, day, slot) is
    unique with 1 ≤ slot ≤ the plan's daily limit, and (campaign, user, day, room) is unique:
    at most `daily_limit` a day, one per room a day, under any concurrency."""

    __tablename__ = "live_voucher_claims"
    __table_args__ = (
        UniqueConstraint("campaign_id", "user_id", "day", "slot"),
        UniqueConstraint("campaign_id", "user_id", "day", "live_room_id",
                         name="uq_live_voucher_claims_room_day"),
        CheckConstraint("slot >= 1", name="slot_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    live_room_id: Mapped[int] = mapped_column(ForeignKey("live_rooms.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    slot: Mapped[int]
    coupon_claim_id: Mapped[int] = mapped_column(ForeignKey("coupon_claims.id",
                                                            ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CampaignFinal(db.Model):
    """A finalized campaign: the primary key makes finalizing happen once."""

    __tablename__ = "campaign_finals"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"),
                                             primary_key=True)
    finalized_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    finalized_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SalesKing(db.Model):
    """卖货王: the first of a board in a venue category (`category`: a VENUE_GROUPS key; '' for
    titles crowned before boards were split by category) and, on the industry board, an
    industry (`scope`: its slug, else ''), when the campaign was finalized, with the figure
    that won it."""

    __tablename__ = "sales_kings"
    __table_args__ = (
        UniqueConstraint("campaign_id", "board", "category", "scope", name="uq_sales_kings_title"),
        CheckConstraint("board IN ('peak','potential','industry')", name="board_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    board: Mapped[str] = mapped_column(String(12))
    category: Mapped[str] = mapped_column(String(12), default="", server_default="")
    scope: Mapped[str] = mapped_column(String(40), default="")
    gmv_fen: Mapped[int] = mapped_column(default=0)
    growth_fen: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    merchant = relationship("Merchant")
    campaign = relationship("Campaign")
