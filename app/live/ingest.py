"""Broadcasting through the ingest (推流): stream keys, nginx's publish callbacks, the watchdog.

How a broadcast works (see docs/DEPLOYING.md, "Live video"):

    OBS / phone app --RTMP rtmp://<ingest>/live/<stream key>--> nginx (RTMP module)
      on_publish       --> start_broadcast(key): 403 refuses; 302 + Location renames the
                           stream to the broadcast's public `stream_name`
      push             --> the renamed stream to nginx's internal `hls` and `replay` apps,
                           which write /hls/<stream_name>/index.m3u8 and the replay's files
      on_update        --> check_publisher(key, clientid) every few seconds: a 4xx drops a
                           publisher whose shop was suspended or whose key was rotated
      on_publish_done  --> end_broadcast(key, clientid)

The key is a secret per room: only its SHA-256 is stored (keys are 192 random bits, so a fast
hash is enough) and it is shown once, when the owner makes or rotates it. It never appears in
a URL a buyer sees: nginx's HLS writer in the same application would name the files after the
key even after a rename (nginx-rtmp issues #777, #1013), which is why the renamed stream is
pushed to a second application that only writes HLS.

Room state follows the ingest: a valid publish makes the room live (start time recorded), the
end of the push ends it (end time and duration recorded). When nginx dies without calling
back, the `live.end_dead_broadcasts` tick job ends the room once its playlist has gone stale.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app import clock
from app.accounts.models import User
from app.exceptions import Conflict, NotFound, PermissionDenied
from app.extensions import db
from app.live.models import LiveBroadcast, LiveMarker, LiveRoom, ReplayStatus, RoomStatus
from app.live.services import require_room_owner
from app.merchants.services import shop_is_open

KEY_PREFIX = "yt_"
MAX_KEY_LENGTH = 200          # nginx-rtmp names are at most 255 bytes
MAX_CLIENT_LENGTH = 40


# --- settings -------------------------------------------------------------------------------

@dataclass(frozen=True)
class IngestSettings:
    secret: str          # in the callback URLs nginx calls; empty: broadcasting is off
    rtmp_url: str        # what OBS calls "Server", e.g. rtmp://live.example.cn/live
    hls_url: str         # where buyers fetch live playlists: /hls or https://cdn…/hls
    hls_dir: str         # where nginx writes them (the watchdog reads their age)
    replay_dir: Path     # MEDIA_ROOT/replays: the replays' files
    replay_url: str      # /media/replays
    stale_seconds: int   # a playlist not written for this long means the stream died
    replay_days: int     # replays' files are removed after this many days (0: kept)

    @property
    def enabled(self) -> bool:
        return bool(self.secret and self.rtmp_url)


def settings() -> IngestSettings:
    config = current_app.config
    return IngestSettings(
        secret=config.get("LIVE_INGEST_SECRET") or "",
        rtmp_url=(config.get("LIVE_RTMP_URL") or "").rstrip("/"),
        hls_url=(config.get("LIVE_HLS_URL") or "/hls").rstrip("/"),
        hls_dir=config.get("LIVE_HLS_DIR") or "",
        replay_dir=Path(config["MEDIA_ROOT"]) / "replays",
        replay_url=(config.get("LIVE_REPLAY_URL") or "/media/replays").rstrip("/"),
        stale_seconds=int(config.get("LIVE_STALE_SECONDS", 20)),
        replay_days=int(config.get("LIVE_REPLAY_DAYS", 30)),
    )


def secret_matches(given: str) -> bool:
    """The callback URL's secret, compared in constant time. No secret configured: nobody."""
    expected = settings().secret
    if not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode())


# --- stream keys ----------------------------------------------------------------------------

def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


def new_stream_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(24)


def rotate_stream_key(actor: User | None, room_id: int) -> str:
    """Make the room a new stream key (the first one, or a replacement) and return it: the
    only time it is ever seen. The old key stops working at once; a broadcast already on air
    goes on (it was let in with the old key), but the old key can't start another."""
    from app.live.console import lock_room

    room = lock_room(room_id)
    require_room_owner(actor, room)
    key = new_stream_key()
    room.stream_key_hash = hash_key(key)
    room.stream_key_set_at = clock.now()
    db.session.commit()
    return key


def set_stream_key(room: LiveRoom, key: str) -> None:
    """A known key for a room (the demo's, so `make run` can print it). Caller commits."""
    room.stream_key_hash = hash_key(key)
    room.stream_key_set_at = clock.now()


def server_url() -> str:
    return settings().rtmp_url


# --- where buyers watch -----------------------------------------------------------------------

def live_playlist_url(broadcast: LiveBroadcast) -> str:
    return f"{settings().hls_url}/{broadcast.stream_name}/index.m3u8"


def on_air(room_id: int) -> LiveBroadcast | None:
    return db.session.scalar(select(LiveBroadcast).where(
        LiveBroadcast.room_id == room_id, LiveBroadcast.ended_at.is_(None)))


def _playlist_path(broadcast: LiveBroadcast) -> Path | None:
    hls_dir = settings().hls_dir
    if not hls_dir:
        return None
    return Path(hls_dir) / broadcast.stream_name / "index.m3u8"


def seconds_since_written(broadcast: LiveBroadcast) -> float | None:
    """How long ago nginx last wrote the broadcast's playlist; None when we can't see the HLS
    directory (then nobody can judge the stream dead), inf when there is no playlist."""
    path = _playlist_path(broadcast)
    if path is None or not path.parent.parent.is_dir():
        return None
    try:
        return max(0.0, time.time() - path.stat().st_mtime)
    except FileNotFoundError:
        return float("inf")


def is_dead(broadcast: LiveBroadcast, now: datetime | None = None) -> bool:
    """A broadcast whose playlist has gone stale (or never appeared), after a grace period
    from its start in which the first fragments are being made."""
    limit = settings().stale_seconds
    now = now or clock.now()
    if now - broadcast.started_at < timedelta(seconds=limit):
        return False
    age = seconds_since_written(broadcast)
    return age is not None and age > limit


# --- nginx's callbacks ------------------------------------------------------------------------

def _refuse(message: str) -> PermissionDenied:
    return PermissionDenied(message)


def start_broadcast(key: str, client_id: str) -> LiveBroadcast:
    """on_publish: a valid key of an open shop's room starts a broadcast and the room goes
    live. Anything else is refused (PermissionDenied → 403) and changes nothing: an unknown,
    rotated or forged key, a suspended or closed shop, or a second publisher while the
    room's broadcast is alive. A broadcast whose playlist has gone stale (its publisher died
    without a callback) is ended and replaced, so an anchor can reconnect."""
    from app.live.console import lock_room

    if not key or len(key) > MAX_KEY_LENGTH:
        raise _refuse(_("推流码无效。"))
    digest = hash_key(key)
    room_id = db.session.scalar(select(LiveRoom.id).where(LiveRoom.stream_key_hash == digest))
    if room_id is None:
        raise _refuse(_("推流码无效。"))
    room = lock_room(room_id)
    if room.stream_key_hash != digest:  # rotated while we waited for the lock
        raise _refuse(_("推流码无效。"))
    now = clock.now()
    if not shop_is_open(room.merchant, now):
        raise _refuse(_("店铺暂停营业期间不能开播。"))
    current = on_air(room.id)
    if current is not None:
        if not is_dead(current, now):
            raise _refuse(_("直播间正在推流，不能同时推第二路。"))
        _close(current, now, "replaced", end_room=False)
        db.session.flush()
    broadcast = LiveBroadcast(room_id=room.id, stream_name=f"r{room.id}-{secrets.token_hex(8)}",
                              key_hash=digest, ingest_client=client_id[:MAX_CLIENT_LENGTH],
                              started_at=now)
    db.session.add(broadcast)
    try:
        db.session.flush()
    except IntegrityError:  # another publisher got in first (the on-air index says so)
        db.session.rollback()
        raise _refuse(_("直播间正在推流，不能同时推第二路。")) from None
    if room.pinned_product_id is not None:
        db.session.add(LiveMarker(broadcast_id=broadcast.id, product_id=room.pinned_product_id,
                                  offset_seconds=0, pinned_at=now))
    was_live = room.status == RoomStatus.live
    db.session.execute(
        update(LiveRoom).where(LiveRoom.id == room.id)
        .values(status=RoomStatus.live, ended_at=None,
                started_at=room.started_at if was_live and room.started_at else now,
                version=LiveRoom.version + 1, updated_at=now))
    db.session.commit()
    return broadcast


def end_broadcast(key: str, client_id: str) -> LiveBroadcast:
    """on_publish_done: the publisher that `key` and nginx's `client_id` name stopped; its
    broadcast and the room end. Said twice (or after the watchdog), it is already over."""
    if not key or len(key) > MAX_KEY_LENGTH or not client_id:
        raise NotFound(_("没有这路推流。"))
    broadcast = db.session.scalar(
        select(LiveBroadcast).where(LiveBroadcast.key_hash == hash_key(key),
                                    LiveBroadcast.ingest_client == client_id[:MAX_CLIENT_LENGTH])
        .order_by(LiveBroadcast.started_at.desc(), LiveBroadcast.id.desc()).limit(1))
    if broadcast is None:
        raise NotFound(_("没有这路推流。"))
    if broadcast.ended_at is not None:
        return broadcast
    broadcast = lock_broadcast(broadcast)
    if broadcast.ended_at is None:
        _close(broadcast, clock.now(), "publisher_done")
        if broadcast.replay_status == ReplayStatus.recorded:  # nginx already said it's written
            from app.live.replays import finalize

            finalize(broadcast)
    db.session.commit()
    return broadcast


def check_publisher(key: str, client_id: str) -> LiveBroadcast:
    """on_update: may this publisher go on? Refused (PermissionDenied → 403, and nginx drops
    the publisher, whose on_publish_done then ends the room) when its broadcast is over (the
    watchdog or a replacement ended it), its room's key was rotated, or its shop was
    suspended or closed since it went live. Reads only."""
    if not key or len(key) > MAX_KEY_LENGTH or not client_id:
        raise NotFound(_("没有这路推流。"))
    digest = hash_key(key)
    broadcast = db.session.scalar(
        select(LiveBroadcast).where(LiveBroadcast.key_hash == digest,
                                    LiveBroadcast.ingest_client == client_id[:MAX_CLIENT_LENGTH])
        .order_by(LiveBroadcast.started_at.desc(), LiveBroadcast.id.desc()).limit(1))
    if broadcast is None:
        raise NotFound(_("没有这路推流。"))
    if broadcast.ended_at is not None:
        raise _refuse(_("这场直播已经结束。"))
    room = db.session.get(LiveRoom, broadcast.room_id)
    if room is None or room.stream_key_hash != digest:
        raise _refuse(_("推流码已更换，旧推流码不能继续推流。"))
    if not shop_is_open(room.merchant, clock.now()):
        raise _refuse(_("店铺暂停营业期间不能开播。"))
    return broadcast


def lock_broadcast(broadcast: LiveBroadcast) -> LiveBroadcast:
    """The room's row, then the broadcast's, always in that order (nginx's two callbacks at
    the end of a broadcast race; the same order keeps PostgreSQL from a deadlock), and the
    broadcast as it is now."""
    from app.live.console import lock_room

    lock_room(broadcast.room_id)
    return db.session.scalar(
        select(LiveBroadcast).where(LiveBroadcast.id == broadcast.id).with_for_update()
        .execution_options(populate_existing=True))


def _close(broadcast: LiveBroadcast, now: datetime, reason: str, *, end_room: bool = True) -> None:
    """End a broadcast (the room's row is locked by the caller) and, unless another takes its
    place, the room: 讲解中 is cleared as when the anchor ends by hand."""
    broadcast.ended_at = now
    broadcast.duration_seconds = max(0, int((now - broadcast.started_at).total_seconds()))
    broadcast.end_reason = reason
    values: dict = {"version": LiveRoom.version + 1, "updated_at": now}
    if end_room:
        values.update(status=RoomStatus.ended, ended_at=now, pinned_product_id=None)
    db.session.execute(update(LiveRoom).where(LiveRoom.id == broadcast.room_id).values(**values))


def end_for_anchor(room: LiveRoom, now: datetime) -> None:
    """下播 from the console while no push is alive: close the broadcast record too."""
    current = on_air(room.id)
    if current is not None:
        _close(current, now, "anchor", end_room=False)


def refuse_manual_end(room: LiveRoom) -> None:
    """While a push is alive the room follows the ingest: stopping the push ends it."""
    current = on_air(room.id)
    if current is not None and not is_dead(current):
        raise Conflict(_("正在推流：在 OBS 或手机推流 App 里停止推流，直播间就会自动下播。"))


# --- 讲解 markers ------------------------------------------------------------------------------

def note_pin(room: LiveRoom, product_id: int) -> None:
    """A pin (讲解) during a broadcast becomes a marker on its replay. Caller commits."""
    broadcast = on_air(room.id)
    if broadcast is None:
        return
    now = clock.now()
    offset = max(0, int((now - broadcast.started_at).total_seconds()))
    db.session.add(LiveMarker(broadcast_id=broadcast.id, product_id=product_id,
                              offset_seconds=offset, pinned_at=now))


# --- the watchdog -----------------------------------------------------------------------------

def end_dead_broadcasts() -> int:
    """Tick job: end broadcasts whose playlist went stale without an on_publish_done (nginx
    killed, the machine lost), and the rooms with them. Each is locked as the callbacks lock
    it (room, then broadcast) and judged again under the lock, so several hosts running the
    tick, or a late callback, never end one twice."""
    if not settings().hls_dir:
        return 0
    now = clock.now()
    candidates = list(db.session.scalars(
        select(LiveBroadcast).where(LiveBroadcast.ended_at.is_(None))
        .order_by(LiveBroadcast.started_at).limit(100)))
    db.session.commit()
    ended = 0
    for candidate in candidates:
        if not is_dead(candidate, now):
            continue
        broadcast = lock_broadcast(candidate)
        if broadcast is not None and broadcast.ended_at is None and is_dead(broadcast, now):
            _close(broadcast, now, "stale")
            ended += 1
        db.session.commit()
    return ended


def require_broadcast(broadcast_id: int) -> LiveBroadcast:
    broadcast = db.session.get(LiveBroadcast, broadcast_id)
    if broadcast is None:
        raise NotFound(_("没有这场直播。"))
    return broadcast
