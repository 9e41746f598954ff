"""Live comments (弹幕), mutes and likes (点赞) of a live room.

Comments are rows (they are read back, moderated and audited). Likes are not: a tap adds to a
counter in Redis (or in the worker's memory without Redis) and `LiveChatState.likes` receives
the total in batches (app.live.likes), so a room full of tapping phones is not a hot row."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import UTCDateTime, utcnow
from app.extensions import db


class LiveComment(db.Model):
    """One comment in a room. Removal by a moderator keeps the row (audit) and hides it."""

    __tablename__ = "live_comments"
    # The feed reads a room's latest comments, newest first: (room_id, id) serves it.
    __table_args__ = (Index("ix_live_comments_room_feed", "room_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("live_rooms.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # At most COMMENT_MAX_CHARS (60) characters; the column leaves room for wide characters.
    body: Mapped[str] = mapped_column(String(240))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    author = relationship("User", foreign_keys=[user_id])


class LiveMute(db.Model):
    """A user muted in one room (禁言) until a moderator lifts it."""

    __tablename__ = "live_mutes"

    room_id: Mapped[int] = mapped_column(ForeignKey("live_rooms.id", ondelete="CASCADE"),
                                         primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    muted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User", foreign_keys=[user_id])


class LiveChatState(db.Model):
    """Per room: the like total written so far, and a version bumped by every moderation
    (removal, mute, unmute) so the comment feed's ETag changes without a write per comment."""

    __tablename__ = "live_chat_states"

    room_id: Mapped[int] = mapped_column(ForeignKey("live_rooms.id", ondelete="CASCADE"),
                                         primary_key=True)
    likes: Mapped[int] = mapped_column(BigInteger, default=0)
    moderation_version: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
