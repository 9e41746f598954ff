"""Live rooms (直播间): one per shop, its goods (小黄车) in order, the pinned product (讲解中),
and who is watching."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import UTCDateTime, utcnow
from app.extensions import db


class RoomStatus:
    scheduled = "scheduled"  # 预告: announced, not on air yet
    live = "live"            # 直播中
    ended = "ended"          # 已结束 (the anchor may go live again later)


class LiveRoom(db.Model):
    """A shop's live room. Every change made through the room bumps `version`, which with the
    goods' own price and stock makes the ETag that buyers' polling compares."""

    __tablename__ = "live_rooms"
    __table_args__ = (
        CheckConstraint("status IN ('scheduled','live','ended')", name="status_known"),
        CheckConstraint("version > 0", name="version_positive"),
        # Directory and slots: live rooms first, then the next scheduled starts.
        Index("ix_live_rooms_status_start", "status", "scheduled_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), unique=True)
    title: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12), default=RoomStatus.scheduled)
    scheduled_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # http(s) only: an HLS playlist (.m3u8) or a video file plays in <video>, anything else is
    # shown as a link to the stream page.
    stream_url: Mapped[str] = mapped_column(String(500), default="")
    pinned_product_id: Mapped[int | None] = mapped_column(
        ForeignKey("products.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    merchant = relationship("Merchant")
    pinned_product = relationship("Product")
    items: Mapped[list[LiveRoomItem]] = relationship(
        back_populates="room", order_by=lambda: [LiveRoomItem.position, LiveRoomItem.product_id],
        cascade="all, delete-orphan")

    @property
    def is_live(self) -> bool:
        return self.status == RoomStatus.live


class LiveRoomItem(db.Model):
    """One product in a room's 小黄车, at `position` (1 is shown first)."""

    __tablename__ = "live_room_items"
    __table_args__ = (Index("ix_live_room_items_order", "room_id", "position"),)

    room_id: Mapped[int] = mapped_column(ForeignKey("live_rooms.id", ondelete="CASCADE"),
                                         primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"),
                                            primary_key=True, index=True)
    position: Mapped[int] = mapped_column(default=0)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    room: Mapped[LiveRoom] = relationship(back_populates="items")
    product = relationship("Product")


class LiveViewer(db.Model):
    """Who looked at a room recently: one row per (room, viewer), refreshed at most once a
    minute per viewer (see app.live.presence), so polling never writes on every request."""

    __tablename__ = "live_viewers"
    __table_args__ = (Index("ix_live_viewers_recent", "room_id", "last_seen_at"),)

    room_id: Mapped[int] = mapped_column(ForeignKey("live_rooms.id", ondelete="CASCADE"),
                                         primary_key=True)
    viewer_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
