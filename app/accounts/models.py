"""Users and roles, belt-admin scopes, in-app notifications and the audit log."""
from __future__ import annotations

from datetime import datetime
from types import MappingProxyType

from flask_login import UserMixin
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import UTCDateTime, utcnow
from app.extensions import db


class User(UserMixin, db.Model):
    """Anyone with an account. Roles: every user can buy; owning a shop makes a merchant;
    belt_admin_of scopes a belt-base admin; is_operator marks platform operators."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("email IS NOT NULL OR phone IS NOT NULL", name="has_login"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    display_name: Mapped[str] = mapped_column(String(30))
    is_operator: Mapped[bool] = mapped_column(default=False)
    # The session generation: bumped by a password change or "sign out everywhere", which
    # ends every session started under an older one (see app.accounts.sessions).
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_signin_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    belt_scopes: Mapped[list[BeltAdmin]] = relationship(
        back_populates="user", cascade="all, delete-orphan",
        # Read when asked for (admin menus and checks), not with every signed-in request.
        foreign_keys="BeltAdmin.user_id", lazy="select",
    )

    # The token of the session this request runs under, set by app.accounts.sessions when it
    # starts or loads one. Not a column: it lives only in the signed cookies.
    session_token = None
    # Counts other domains show beside the user on every page (cart, unread notifications),
    # read by the query that loads the user (app.accounts.sessions.register_viewer_count).
    viewer_counts = MappingProxyType({})

    def get_id(self) -> str:
        """Flask-Login's alternative token, "<user id>:<session token>": the session's token
        goes into the session and remember-me cookies, so ending the session ends both. The
        id in front lets hot paths name the buyer without loading the account (the flash-sale
        button's rate-limit key); whoever is served as that user is loaded and checked."""
        if not self.session_token:
            raise RuntimeError("sign users in with app.accounts.sessions.start(), not login_user")
        return f"{self.id}:{self.session_token}"

    @property
    def admin_belt_ids(self) -> set[int]:
        return {scope.belt_id for scope in self.belt_scopes}

    @property
    def is_belt_admin(self) -> bool:
        return bool(self.belt_scopes)

    def administers(self, belt_id: int | None) -> bool:
        """Operators act on every belt; a belt admin only on their own."""
        if belt_id is None:
            return self.is_operator
        return self.is_operator or belt_id in self.admin_belt_ids


class UserSession(db.Model):
    """One signed-in browser or device. Its random token travels only in the signed cookies
    (the database keeps its SHA-256); it is in force while not ended, not expired and of the
    user's current session generation."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    generation: Mapped[int]
    remember: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BeltAdmin(db.Model):
    """基地管理员: a user scoped to one belt's base (a user may hold several)."""

    __tablename__ = "belt_admins"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    belt_id: Mapped[int] = mapped_column(ForeignKey("belts.id"), primary_key=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="belt_scopes", foreign_keys=[user_id])
    belt = relationship("Belt")


class Notification(db.Model):
    """In-app notification. `message` is a msgid translated when shown, with `params`."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    message: Mapped[str] = mapped_column(String(200))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    link: Mapped[str] = mapped_column(String(200), default="")
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(db.Model):
    """Who did what, when and why: certification decisions, enforcement, role changes."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(60))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int]
    belt_id: Mapped[int | None] = mapped_column(ForeignKey("belts.id"), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    actor = relationship("User")
