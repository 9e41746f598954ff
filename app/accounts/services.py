"""Accounts: sign-up and sign-in by phone or e-mail, roles, notifications, the audit log."""
from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import ScalarSelect, func, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from app import clock
from app.accounts.audit import (  # noqa: F401 (the audit log, re-exported for other domains)
    audit_action_label,
    audit_log,
    audit_rows,
    record_audit,
    register_audit_action,
    register_audit_subject,
)
from app.accounts.models import BeltAdmin, Notification, User
from app.exceptions import Conflict, InvalidInput, PermissionDenied
from app.extensions import db

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 128

# Computed once so a sign-in for an unknown account costs as much as a real one.
_DUMMY_HASH: str | None = None


def normalise_account(raw: str) -> tuple[str, str]:
    """'138 0013 8000' → ('phone', '13800138000'); 'A@B.cn' → ('email', 'a@b.cn')."""
    text = (raw or "").strip()
    if not text or len(text) > 254:
        raise InvalidInput(_("请输入手机号或邮箱。"), field="account")
    digits = re.sub(r"[\s-]", "", text)
    if digits.startswith("+86"):
        digits = digits[3:]
    if digits.isdigit():
        if not MOBILE_RE.match(digits):
            raise InvalidInput(_("手机号格式不正确，应为 11 位大陆手机号。"), field="account")
        return "phone", digits
    try:
        email = validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        raise InvalidInput(_("邮箱格式不正确。"), field="account") from None
    return "email", email.lower()


def _hash(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(_("密码至少 %(n)d 位。", n=MIN_PASSWORD), field="password")
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(_("密码不能超过 %(n)d 位。", n=MAX_PASSWORD), field="password")


def find_by_account(account: str) -> User | None:
    kind, value = normalise_account(account)
    column = User.phone if kind == "phone" else User.email
    return db.session.scalar(select(User).where(column == value))


def sign_up(account: str, password: str, display_name: str) -> User:
    kind, value = normalise_account(account)
    check_password_rules(password)
    name = display_name.strip()
    if not name or len(name) > 30:
        raise InvalidInput(_("昵称需为 1–30 个字。"), field="display_name")
    user = User(display_name=name, password_hash=_hash(password))
    setattr(user, kind, value)
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(_("这个手机号或邮箱已注册，请直接登录。"), field="account") from None
    return user


def authenticate(account: str, password: str) -> User | None:
    """The user when the password matches; None otherwise (same cost either way)."""
    global _DUMMY_HASH
    try:
        user = find_by_account(account)
    except InvalidInput:
        user = None
    if user is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = _hash("not-a-real-password")
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or ""):
        return None
    user.last_signin_at = clock.now()
    db.session.commit()
    return user


def change_password(user: User, current: str, new: str) -> None:
    """New password; every session of the user ends (the caller starts a new one here)."""
    from app.accounts import sessions

    if not check_password_hash(user.password_hash, current or ""):
        raise InvalidInput(_("当前密码不正确。"), field="current")
    check_password_rules(new)
    user.password_hash = _hash(new)
    sessions.end_all(user)
    db.session.commit()


def create_operator(account: str, password: str, display_name: str) -> User:
    """`flask create-operator`: a new operator, or an existing user promoted to one."""
    existing = find_by_account(account)
    if existing is not None:
        existing.is_operator = True
        db.session.commit()
        return existing
    user = sign_up(account, password, display_name)
    user.is_operator = True
    db.session.commit()
    return user


# --- roles -------------------------------------------------------------------------------

def is_signed_in(user: User | None) -> bool:
    """A real account (not None, not Flask-Login's anonymous user)."""
    return user is not None and bool(getattr(user, "is_authenticated", False))


def require_signed_in(actor: User | None, message: str | None = None) -> User:
    """The acting user, or PermissionDenied (403) with `message` (请先登录。 by default)."""
    if not is_signed_in(actor):
        raise PermissionDenied(message or _("请先登录。"))
    return actor


def require_operator(actor: User | None) -> User:
    if not is_signed_in(actor) or not actor.is_operator:
        raise PermissionDenied(_("只有平台运营可以这样做。"))
    return actor


def require_belt_admin(actor: User | None, belt_id: int | None) -> User:
    """Operators act on every belt; a belt admin only on their own (403 otherwise)."""
    if not is_signed_in(actor) or not actor.administers(belt_id):
        raise PermissionDenied(_("你不是这个产业带基地的管理员。"))
    return actor


# --- notifications ----------------------------------------------------------------------

def notify(user_id: int, message: str, link: str = "", **params) -> None:
    """Queue an in-app notification in the caller's transaction.

    `message` is a Chinese msgid marked with N_() by the caller; it is translated when shown
    to the recipient in their own language, with `params` filled in."""
    db.session.add(Notification(user_id=user_id, message=message, params=params, link=link))


def unread_count_of(user_id) -> ScalarSelect:
    """The user's unread notifications, as a scalar subquery (`user_id` a value or a column)."""
    return (select(func.count()).select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
            .scalar_subquery())


def belt_roles_of(user_id) -> ScalarSelect:
    """The belts the user administers, counted as a scalar subquery."""
    return (select(func.count()).select_from(BeltAdmin).where(BeltAdmin.user_id == user_id)
            .scalar_subquery())


def unread_count(user_id: int) -> int:
    return db.session.scalar(select(unread_count_of(user_id))) or 0


def recent_notifications(user_id: int, limit: int = 50) -> list[Notification]:
    return list(db.session.scalars(
        select(Notification).where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
    ))


def mark_all_read(user_id: int) -> int:
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=clock.now())
    )
    db.session.commit()
    return result.rowcount
