"""Flash sales (直播秒杀, 倒计时): a limited number of units of one product at a special price,
opening at a countdown and closing after a set duration, shown on `/flash/<id>` and in the
shop's live room.

`sold` only ever changes through one conditional UPDATE (`sold + n <= quantity`), and each
buyer's units through one conditional upsert on `flash_claims` (unique per sale and buyer,
`quantity + n <= per_user_limit`), both inside the order's placement transaction."""
from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import UTCDateTime, utcnow
from app.extensions import db


class FlashStatus:
    scheduled = "scheduled"  # will open (or is open) by the clock
    cancelled = "cancelled"  # withdrawn by the merchant or an operator

    ALL = (scheduled, cancelled)


class FlashState:
    """What a buyer sees, derived from the row and `clock.now()` (never stored)."""

    upcoming = "upcoming"    # 即将开抢: counting down to starts_at
    open = "open"            # 抢购中
    sold_out = "sold_out"    # 已抢光 (flash units or the product's stock are gone)
    ended = "ended"          # 已结束
    cancelled = "cancelled"  # 已取消


class SaleState:
    """What a sale's counts say, for the entity and for its plain copies (`FlashSaleCopy`)."""

    quantity: int
    sold: int
    starts_at: datetime
    ends_at: datetime

    @property
    def left(self) -> int:
        return max(self.quantity - self.sold, 0)

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


class FlashSaleCopy(SaleState, SimpleNamespace):
    """A sale's columns as a plain object (the live room's strip: app.flash.views), with the
    entity's attribute names and rules; `product` is a catalog ProductCard, `merchant` a
    merchants ShopCopy."""


class FlashSale(SaleState, db.Model):
    __tablename__ = "flash_sales"
    __table_args__ = (
        CheckConstraint("status IN ('scheduled','cancelled')", name="status_known"),
        CheckConstraint("price_fen > 0", name="price_positive"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("sold >= 0 AND sold <= quantity", name="sold_within_quantity"),
        CheckConstraint("per_user_limit >= 1", name="limit_positive"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("version > 0", name="version_positive"),
        Index("ix_flash_sales_product_window", "product_id", "starts_at"),
        Index("ix_flash_sales_room_window", "live_room_id", "ends_at"),
        Index("ix_flash_sales_merchant_start", "merchant_id", "starts_at"),
        Index("ix_flash_sales_window", "starts_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    live_room_id: Mapped[int | None] = mapped_column(
        ForeignKey("live_rooms.id", ondelete="SET NULL"))
    # The campaign it belongs to (its venue shows it), when it is part of one.
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL"), index=True)
    price_fen: Mapped[int]
    quantity: Mapped[int]
    sold: Mapped[int] = mapped_column(default=0)
    per_user_limit: Mapped[int] = mapped_column(default=1)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12), default=FlashStatus.scheduled)
    # Bumped by every edit and by cancelling: part of the ETag and of the Redis gate's keys.
    version: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    product = relationship("Product")
    merchant = relationship("Merchant")
    live_room = relationship("LiveRoom")
    campaign = relationship("Campaign")


class FlashClaim(db.Model):
    """How many units of a sale one buyer holds: one row per (sale, buyer), so the per-user
    limit is one conditional upsert, never a count read in Python. When the order is
    cancelled before payment (or expires unpaid), the tick job gives the units back."""

    __tablename__ = "flash_claims"
    __table_args__ = (
        UniqueConstraint("sale_id", "user_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("flash_sales.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    quantity: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FlashRelease(db.Model):
    """A flash order line whose units went back to its sale (its order was cancelled or expired
    unpaid). The primary key makes each line's units go back once, however many hosts run
    `flask tick`."""

    __tablename__ = "flash_releases"

    order_line_id: Mapped[int] = mapped_column(
        ForeignKey("order_lines.id", ondelete="CASCADE"), primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("flash_sales.id", ondelete="CASCADE"),
                                         index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    quantity: Mapped[int]
    released_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
