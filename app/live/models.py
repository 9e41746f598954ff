"""Live rooms (直播间): one per shop, its goods (小黄车) in order, the pinned product (讲解中),
who is watching, and its broadcasts (直播场次) with their replays and 讲解 markers."""
from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import UTCDateTime, utcnow
from app.extensions import db


class RoomStatus:
    scheduled = "scheduled"  # 预告: announced, not on air yet
    live = "live"            # 直播中
    ended = "ended"          # 已结束 (the anchor may go live again later)


class RoomState:
    """What a room's status says, for the entity and for its plain copies (`RoomCopy`)."""

    status: str

    @property
    def is_live(self) -> bool:
        return self.status == RoomStatus.live


class RoomCopy(RoomState, SimpleNamespace):
    """A room's columns as a plain object (its page: app.live.services.room_page), with the
    entity's attribute names and rules; `merchant` is a merchants.models.ShopCopy."""


class LiveRoom(RoomState, db.Model):
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
    # The secret stream key (推流码) for the ingest, as SHA-256 hex: the key itself is shown
    # once when made and never stored (app.live.ingest).
    stream_key_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    stream_key_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    merchant = relationship("Merchant")
    pinned_product = relationship("Product")
    items: Mapped[list[LiveRoomItem]] = relationship(
        back_populates="room", order_by=lambda: [LiveRoomItem.position, LiveRoomItem.product_id],
        cascade="all, delete-orphan")


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


class ReplayStatus:
    recording = "recording"  # the broadcast (or its last fragment) is still being written
    recorded = "recorded"    # nginx finished writing while the broadcast was still on air
    ready = "ready"          # a VOD playlist exists: the replay plays
    missing = "missing"      # the ingest left nothing to replay
    expired = "expired"      # removed after LIVE_REPLAY_DAYS


class BroadcastState:
    """Whether a broadcast is on air, for the entity and for its plain copies."""

    ended_at: datetime | None

    @property
    def on_air(self) -> bool:
        return self.ended_at is None


class BroadcastCopy(BroadcastState, SimpleNamespace):
    """A broadcast's columns as a plain object (the room page's stage and replay list:
    app.live.replays.room_broadcasts), with the entity's attribute names and rules."""


class LiveBroadcast(BroadcastState, db.Model):
    """One broadcast (直播场次) through the ingest: from on_publish to on_publish_done (or the
    watchdog). `stream_name` is the public name the HLS files are written under (never the
    key); `key_hash` and `ingest_client` tell which publisher's publish_done ends it. At most
    one broadcast per room is on air (a partial unique index), whoever races."""

    __tablename__ = "live_broadcasts"
    __table_args__ = (
        CheckConstraint("replay_status IN ('recording','recorded','ready','missing','expired')",
                        name="replay_status_known"),
        Index("uq_live_broadcasts_on_air", "room_id", unique=True,
              sqlite_where=text("ended_at IS NULL"), postgresql_where=text("ended_at IS NULL")),
        Index("ix_live_broadcasts_room_started", "room_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("live_rooms.id", ondelete="CASCADE"))
    stream_name: Mapped[str] = mapped_column(String(40), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    ingest_client: Mapped[str] = mapped_column(String(40), default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration_seconds: Mapped[int | None] = mapped_column()
    # publisher_done (the push stopped), stale (the watchdog), replaced (a new push took over
    # a dead one), anchor (下播 in the console)
    end_reason: Mapped[str] = mapped_column(String(20), default="")
    replay_status: Mapped[str] = mapped_column(String(12), default=ReplayStatus.recording)
    replay_seconds: Mapped[int | None] = mapped_column()

    room: Mapped[LiveRoom] = relationship()
    markers: Mapped[list[LiveMarker]] = relationship(
        back_populates="broadcast", order_by=lambda: [LiveMarker.offset_seconds, LiveMarker.id],
        cascade="all, delete-orphan")


class LiveMarker(db.Model):
    """讲解 marker: a product pinned during a broadcast, `offset_seconds` into it."""

    __tablename__ = "live_markers"
    __table_args__ = (
        CheckConstraint("offset_seconds >= 0", name="offset_not_negative"),
        Index("ix_live_markers_broadcast", "broadcast_id", "offset_seconds"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(
        ForeignKey("live_broadcasts.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True)
    offset_seconds: Mapped[int] = mapped_column(default=0)
    pinned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    broadcast: Mapped[LiveBroadcast] = relationship(back_populates="markers")
    product = relationship("Product")
