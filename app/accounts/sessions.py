"""Signed-in sessions that the server can end.

The session cookie is signed but stateless, so on its own it stays valid for as long as
someone keeps a copy. Each sign-in therefore starts a `UserSession` row with a random token,
and Flask-Login carries it as the user's "alternative id" (`User.get_id`: "<user id>:<token>")
in both the session and the remember-me cookie. `load_user` (Flask-Login's user_loader) finds the user by
the token in the same query that loads the user row, so every request on every worker sees a
revocation at once, with no extra query and no cache.

- Signing out ends this device's session only; other devices stay signed in.
- Changing the password or "sign out everywhere" bumps the user's session generation
  (`User.session_version`): every session started under an older one is over.
- A session lasts at most REMEMBER_DAYS (30 by default) from sign-in, remembered or not;
  the remember-me cookie expires then too.
"""
from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta
from types import MappingProxyType

from flask import current_app, g, request, session
from flask_login import login_user, logout_user
from sqlalchemy import ColumnElement, ScalarSelect, bindparam, delete, or_, select, update
from werkzeug.local import LocalProxy

from app import clock
from app.accounts.models import User, UserSession
from app.extensions import db

TOKEN_BYTES = 32
# Ended or expired rows are deleted by the tick job a day later (kept a while for support).
PURGE_AFTER = timedelta(days=1)


def lifetime() -> timedelta:
    return timedelta(days=current_app.config["REMEMBER_DAYS"])


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _rotate_csrf() -> None:
    """A new CSRF secret for the new session: a token seen before sign-in is worthless after."""
    name = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    session.pop(name, None)
    g.pop(name, None)  # Flask-WTF caches the token it generated in this request


def start(user: User, *, remember: bool = False) -> None:
    """Sign `user` in on this device: a new session row, then Flask-Login's login_user."""
    if isinstance(user, LocalProxy):  # current_user: keep the user, not the proxy, in g
        user = user._get_current_object()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = clock.now()
    db.session.add(UserSession(user_id=user.id, token_hash=_digest(token),
                               generation=user.session_version, remember=remember,
                               created_at=now, expires_at=now + lifetime()))
    db.session.commit()
    user.session_token = token
    _rotate_csrf()
    login_user(user, remember=remember, duration=lifetime() if remember else None)


# name → the count for a user id column, as a scalar subquery (see register_viewer_count)
_VIEWER_COUNTS: dict[str, Callable[[ColumnElement[int]], ScalarSelect]] = {}


def register_viewer_count(name: str, count_for: Callable[[ColumnElement[int]], ScalarSelect]) -> None:
    """A number another domain shows beside the signed-in user on every page (the cart icon's,
    the unread notifications'): read in the query that loads the user, instead of one more
    round trip each per request. `count_for(User.id)` gives it as a scalar subquery; the
    domain reads it back with `viewer_count(user, name)`."""
    _VIEWER_COUNTS[name] = count_for
    _session_user_statement.cache_clear()


@functools.cache
def _session_user_statement():
    """Built once (a select and its cache key cost more Python than running it)."""
    counts = [count_for(User.id).label(name) for name, count_for in sorted(_VIEWER_COUNTS.items())]
    return (select(User, *counts).join(UserSession, UserSession.user_id == User.id)
            .where(UserSession.token_hash == bindparam("token_hash"),
                   User.id == bindparam("user_id"), UserSession.ended_at.is_(None),
                   UserSession.expires_at > bindparam("now", type_=UserSession.expires_at.type),
                   UserSession.generation == User.session_version))


def load_user(alternative_id: str) -> User | None:
    """Flask-Login's user_loader: the user whose session "<user id>:<token>" opens, or None
    when the session was ended, has expired or belongs to an older generation (one query,
    which also reads the registered viewer counts)."""
    user_id, _, token = (alternative_id or "").partition(":")
    if not user_id.isdigit() or not token or len(token) > 100 or len(user_id) > 18:
        return None
    row = db.session.execute(_session_user_statement(), {
        "token_hash": _digest(token), "user_id": int(user_id), "now": clock.now()}).first()
    if row is None:
        return None
    user = row[0]
    user.session_token = token
    user.viewer_counts = MappingProxyType(
        {name: value for name, value in row._mapping.items() if name in _VIEWER_COUNTS})
    return user


def viewer_count(user, name: str) -> int | None:
    """The count `name` read with the signed-in `user` at the start of this request, or None
    when it must be counted now: not loaded, or the request may have changed it (only
    GET and HEAD requests, which change no cart or notification, trust the early count)."""
    if request.method not in ("GET", "HEAD"):
        return None
    return user.viewer_counts.get(name)


def current_is_remembered(user: User) -> bool:
    if not user.session_token:
        return False
    return bool(db.session.scalar(select(UserSession.remember)
                                  .where(UserSession.token_hash == _digest(user.session_token))))


def end(user: User | None) -> None:
    """Sign out on this device: its session ends on the server, its cookies are cleared."""
    if user is not None and user.is_authenticated and user.session_token:
        db.session.execute(update(UserSession)
                           .where(UserSession.token_hash == _digest(user.session_token),
                                  UserSession.ended_at.is_(None))
                           .values(ended_at=clock.now()))
        db.session.commit()
    logout_user()
    _rotate_csrf()


def end_all(user: User) -> None:
    """End every session of `user` (a new generation), in the caller's transaction."""
    db.session.execute(update(User).where(User.id == user.id)
                       .values(session_version=User.session_version + 1))
    db.session.refresh(user, ["session_version"])


def end_everywhere(user: User) -> None:
    """签退所有设备: every session of this user ends, this one included."""
    end_all(user)
    db.session.commit()
    logout_user()
    _rotate_csrf()


def purge_expired() -> int:
    """Tick job: delete sessions that ended or expired more than a day ago."""
    cutoff = clock.now() - PURGE_AFTER
    result = db.session.execute(delete(UserSession).where(
        or_(UserSession.expires_at < cutoff, UserSession.ended_at < cutoff)))
    db.session.commit()
    return result.rowcount
