"""点赞: a live room's likes, counted without a database write per tap.

  * With REDIS_URL (any number of workers and hosts): a tap is one Lua call that adds to the
    room's running total in a Redis hash (started from the database's total the first time)
    and marks the room dirty. The total shown is Redis' (no query). `flask tick` claims the
    dirty set with an atomic RENAME and writes each room's total to `LiveChatState.likes` as
    "the larger of the stored and the counted", so a repeated or concurrent flush can't count
    a tap twice, and a Redis that lost its hash starts again from the database.
  * Without Redis (one machine): each worker keeps its taps in memory and adds them to the
    database at most every LIVE_LIKE_FLUSH_SECONDS (after a response has gone out) and at exit.
    The total shown is the database's plus this worker's unwritten taps, so another worker's
    taps show up within a few seconds. A crashed worker loses its last few seconds of taps:
    likes are applause, not money.
How often one user may tap is a rate limit at the route (RATELIMIT_LIVE_LIKE)."""
from __future__ import annotations

import atexit
import logging
import threading
import time
import uuid
from collections import Counter

from flask import Flask, current_app
from flask_babel import gettext as _
from sqlalchemy import case, select

from app import clock
from app.accounts.models import User
from app.accounts.services import require_signed_in
from app.exceptions import Conflict, NotFound
from app.extensions import db
from app.live import services
from app.live.chat_feed import redis_client, redis_key
from app.live.comment_models import LiveChatState
from app.live.models import LiveRoom, RoomStatus

log = logging.getLogger(__name__)

# KEYS[1] totals hash, KEYS[2] dirty set; ARGV: room id, taps, the database's total or "".
# Returns the new total, or nil when the room has no total in Redis yet and none was given.
TAP = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
  if ARGV[3] == '' then return nil end
  redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[3])
end
redis.call('SADD', KEYS[2], ARGV[1])
return redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
"""


class TapBuffer:
    """One worker's taps not yet in the database (no Redis). Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._taps: Counter[int] = Counter()
        self._since: float | None = None

    def add(self, room_id: int, n: int = 1) -> None:
        with self._lock:
            self._taps[room_id] += n
            if self._since is None:
                self._since = time.monotonic()

    def pending(self, room_id: int) -> int:
        with self._lock:
            return self._taps.get(room_id, 0)

    def due(self, max_age: float) -> bool:
        with self._lock:
            return self._since is not None and time.monotonic() - self._since >= max_age

    def drain(self) -> Counter[int]:
        with self._lock:
            taps, self._taps, self._since = self._taps, Counter(), None
            return taps

    def __len__(self) -> int:
        with self._lock:
            return len(self._taps)


def _buffer(app: Flask | None = None) -> TapBuffer:
    return (app or current_app).extensions["yt_like_buffer"]


def _keys() -> list[str]:
    return [redis_key("likes"), redis_key("likes", "dirty")]


def _stored(room_id: int) -> int:
    return db.session.scalar(select(LiveChatState.likes).where(
        LiveChatState.room_id == room_id)) or 0


# --- reading --------------------------------------------------------------------------------

def total(room_id: int, stored: int | None = None) -> int:
    """The room's likes as viewers see them (Redis: no query; `stored`: the database's total if
    the caller read it, used without Redis)."""
    client = redis_client()
    if client is not None:
        try:
            counted = client.hget(_keys()[0], str(room_id))
            if counted is not None:
                return int(counted)
            stored = _stored(room_id)
            # Start Redis' total from the database's, unless a tap just did (it read the same).
            client.hsetnx(_keys()[0], str(room_id), stored)
            return stored
        except Exception:  # noqa: BLE001 (the database answers instead)
            log.warning("likes: Redis unavailable, showing the stored total", exc_info=True)
    return (_stored(room_id) if stored is None else stored) + _buffer().pending(room_id)


# --- tapping --------------------------------------------------------------------------------

def like(actor: User | None, room_id: int, taps: int = 1) -> int:
    """点赞 in a live room; returns the room's new total."""
    require_signed_in(actor, _("登录后才能点赞。"))
    room = services.get_room(room_id)
    if room is None or not services.is_visible(room):
        raise NotFound(_("直播间不存在。"))
    if room.status != RoomStatus.live:
        raise Conflict(_("直播未在进行，暂时不能点赞。"))
    return _count(room.id, taps)


def _count(room_id: int, taps: int) -> int:
    client = redis_client()
    if client is not None:
        try:
            script = getattr(client, "yt_tap", None)
            if script is None:
                script = client.yt_tap = client.register_script(TAP)
            counted = script(keys=_keys(), args=[room_id, taps, ""])
            if counted is None:
                counted = script(keys=_keys(), args=[room_id, taps, _stored(room_id)])
            return int(counted)
        except Exception:  # noqa: BLE001
            log.warning("likes: Redis unavailable, buffering in this worker", exc_info=True)
    _buffer().add(room_id, taps)
    return _stored(room_id) + _buffer().pending(room_id)


# --- writing to the database ----------------------------------------------------------------

def _insert():
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert


def _existing_rooms(room_ids) -> set[int]:
    return set(db.session.scalars(select(LiveRoom.id).where(LiveRoom.id.in_(list(room_ids)))))


def _add(taps: Counter[int]) -> int:
    """Add a worker's buffered taps to the stored totals (one upsert per room)."""
    rooms = _existing_rooms(taps) if taps else set()
    for room_id in sorted(rooms):  # sorted: concurrent flushers lock rows in the same order
        statement = _insert()(LiveChatState).values(
            room_id=room_id, likes=taps[room_id], moderation_version=0, updated_at=clock.now())
        db.session.execute(statement.on_conflict_do_update(
            index_elements=[LiveChatState.room_id],
            set_={"likes": LiveChatState.likes + statement.excluded.likes,
                  "updated_at": clock.now()}))
    db.session.commit()
    return sum(taps[r] for r in rooms)


def _raise_to(totals: dict[int, int]) -> int:
    """Store Redis' running totals: each room's stored total becomes the larger of the two."""
    rooms = _existing_rooms(totals) if totals else set()
    for room_id in sorted(rooms):
        statement = _insert()(LiveChatState).values(
            room_id=room_id, likes=totals[room_id], moderation_version=0, updated_at=clock.now())
        db.session.execute(statement.on_conflict_do_update(
            index_elements=[LiveChatState.room_id],
            set_={"likes": case((LiveChatState.likes < statement.excluded.likes,
                                 statement.excluded.likes), else_=LiveChatState.likes),
                  "updated_at": clock.now()}))
    db.session.commit()
    return len(rooms)


def flush() -> int:
    """Write counted likes to the database: this worker's buffer, and Redis' dirty rooms.
    Returns the rooms written. The `live.flush_likes` tick job."""
    written = 0
    buffer = _buffer()
    taps = buffer.drain()
    try:
        if taps:
            _add(taps)
            written += len(taps)
    except Exception:
        db.session.rollback()
        for room_id, n in taps.items():  # keep them for the next flush
            buffer.add(room_id, n)
        raise
    client = redis_client()
    if client is None:
        return written
    import redis

    totals_key, dirty = _keys()
    claim = f"{dirty}:flushing:{uuid.uuid4().hex}"
    try:
        client.rename(dirty, claim)  # atomic: each set of dirty rooms goes to one flusher
    except redis.ResponseError:
        return written  # nothing dirty
    except redis.RedisError:
        log.warning("likes: Redis unavailable, its likes wait for the next flush")
        return written
    client.expire(claim, 86400)
    room_ids = [int(r) for r in client.smembers(claim)]
    counted = client.hmget(totals_key, [str(r) for r in room_ids]) if room_ids else []
    totals = {r: int(v) for r, v in zip(room_ids, counted, strict=True) if v is not None}
    try:
        written += _raise_to(totals)
    except Exception:
        db.session.rollback()
        if room_ids:
            client.sadd(dirty, *room_ids)
        client.delete(claim)
        raise
    client.delete(claim)
    return written


def likes_tag(count: int, status: str, signed_in: bool, locale: str) -> str:
    """The like counter's ETag: everything it shows (the count; a button, a sign-in link or
    a plain figure) in which language."""
    return f"likes-{count}-{status}-{int(signed_in)}-{locale}"


def flush_if_due(response):
    """After a response (no Redis): flush this worker's taps once they are old enough."""
    app = current_app._get_current_object()
    seconds = app.config["LIVE_LIKE_FLUSH_SECONDS"]
    if seconds is not None and redis_client() is None and _buffer(app).due(seconds):
        response.call_on_close(lambda: _flush_quietly(app))
    return response


def _flush_quietly(app: Flask) -> None:
    try:
        with app.app_context():
            flush()
    except Exception:  # noqa: BLE001 (the taps stay buffered for the next flush)
        log.exception("likes: flush failed")


def init_likes(app: Flask) -> None:
    app.extensions["yt_like_buffer"] = TapBuffer()
    if not app.config.get("TESTING"):
        def flush_at_exit() -> None:
            if len(_buffer(app)):
                _flush_quietly(app)

        atexit.register(flush_at_exit)
