"""Replays (直播回放) and their 讲解 markers.

While a broadcast is on air, nginx's internal `replay` application writes every fragment of
it under MEDIA_ROOT/replays/<stream_name>/ (index.m3u8 keeps growing; nothing is deleted).
When the broadcast ends, `finalize` copies that list into replay.m3u8 as a VOD playlist
(#EXT-X-PLAYLIST-TYPE:VOD … #EXT-X-ENDLIST), which players open at the start and can seek.
nginx's on_publish_done of the replay application asks for it at once; the tick job does it
for any replay still waiting (nginx killed). The files are served like photos (a proxy or CDN
serves /media/), never through Python. After LIVE_REPLAY_DAYS the files are removed.

A marker is a product pinned during the broadcast, at its offset in seconds: the replay page
lists the goods explained, each with links that start the replay where it was explained."""
from __future__ import annotations

import functools
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import selectinload

from app import clock
from app.catalog.models import Product
from app.catalog.services import listable_products
from app.db import column_attributes, columns_of, plain_copy, plain_rows
from app.extensions import db
from app.live.ingest import settings
from app.live.models import BroadcastCopy, LiveBroadcast, LiveMarker, LiveRoom, ReplayStatus

STREAM_NAME = re.compile(r"^r\d+-[0-9a-f]{16}$")
VOD_NAME = "replay.m3u8"
WRITABLE = (ReplayStatus.recording, ReplayStatus.recorded, ReplayStatus.ready)


def replay_folder(broadcast: LiveBroadcast) -> Path | None:
    """The broadcast's folder under MEDIA_ROOT/replays (None for a name that isn't ours)."""
    if not STREAM_NAME.match(broadcast.stream_name):
        return None
    return settings().replay_dir / broadcast.stream_name


def replay_url(broadcast: LiveBroadcast) -> str:
    return f"{settings().replay_url}/{broadcast.stream_name}/{VOD_NAME}"


@dataclass
class Playlist:
    lines: list[str]
    seconds: float
    target: int
    sequence: int


def read_recording(path: Path) -> Playlist | None:
    """The fragments nginx listed, with their total length; None when there are none."""
    try:
        text = path.read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        return None
    lines: list[str] = []
    seconds = 0.0
    longest = 1.0
    sequence = 0
    pending: list[str] = []
    duration = 0.0
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            sequence = int(line.split(":", 1)[1] or 0) if line[22:].isdigit() else 0
        elif line.startswith("#EXTINF:"):
            try:
                duration = float(line[len("#EXTINF:"):].split(",", 1)[0])
            except ValueError:
                duration = -1.0
            pending = [p for p in pending if not p.startswith("#EXTINF:")] + [line]
        elif line.startswith("#EXT-X-DISCONTINUITY"):
            pending.append(line)
        elif line and not line.startswith("#"):
            # Only nginx's own fragment names, each with a sane length, are copied.
            if re.fullmatch(r"[\w.-]+\.ts", line) and 0 <= duration <= 3600 and any(
                    p.startswith("#EXTINF:") for p in pending):
                lines.extend(pending + [line])
                seconds += duration
                longest = max(longest, duration)
                pending = []
            else:
                pending = [p for p in pending if not p.startswith("#EXTINF:")]
            duration = -1.0
    if not lines:
        return None
    return Playlist(lines, seconds, int(longest + 0.999), sequence)


def _write_vod(folder: Path, playlist: Playlist) -> None:
    body = "\n".join([
        "#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-PLAYLIST-TYPE:VOD",
        f"#EXT-X-TARGETDURATION:{playlist.target}",
        f"#EXT-X-MEDIA-SEQUENCE:{playlist.sequence}",
        *playlist.lines, "#EXT-X-ENDLIST", ""])
    temporary = folder / f".{VOD_NAME}.tmp"
    temporary.write_text(body, encoding="ascii")
    os.replace(temporary, folder / VOD_NAME)


def finalize(broadcast: LiveBroadcast) -> bool:
    """Write the replay's VOD playlist from what nginx recorded (the broadcast has ended).
    Marks it ready, or missing when nothing was recorded; bumps the room's version so open
    rooms show the replay link. A ready replay is written again (nginx's last word may come
    after ours). Caller commits. True when it wrote or changed something."""
    if broadcast.ended_at is None or broadcast.replay_status not in WRITABLE:
        return False
    folder = replay_folder(broadcast)
    playlist = read_recording(folder / "index.m3u8") if folder is not None else None
    if playlist is None:
        if broadcast.replay_status == ReplayStatus.ready:
            return False
        broadcast.replay_status = ReplayStatus.missing
    else:
        _write_vod(folder, playlist)
        broadcast.replay_status = ReplayStatus.ready
        broadcast.replay_seconds = int(round(playlist.seconds))
    db.session.execute(update(LiveRoom).where(LiveRoom.id == broadcast.room_id)
                       .values(version=LiveRoom.version + 1, updated_at=clock.now()))
    return True


def recording_done(stream_name: str) -> LiveBroadcast | None:
    """nginx's replay application finished writing `stream_name`. After the broadcast's end
    the replay is finalized now; before it (nginx's two callbacks come in either order, and a
    relay may reconnect mid-broadcast) it is noted, and the broadcast's end finalizes it.
    None when no broadcast has that name."""
    from app.live.ingest import lock_broadcast

    broadcast = db.session.scalar(select(LiveBroadcast).where(
        LiveBroadcast.stream_name == stream_name[:40]))
    if broadcast is None:
        return None
    broadcast = lock_broadcast(broadcast)
    if broadcast.ended_at is None:
        if broadcast.replay_status == ReplayStatus.recording:
            broadcast.replay_status = ReplayStatus.recorded
    else:
        finalize(broadcast)
    db.session.commit()
    return broadcast


def _quiet(broadcast: LiveBroadcast, now) -> bool:
    """A replay whose files have not changed for LIVE_STALE_SECONDS after its broadcast
    ended is final even without nginx's callback."""
    quiet = timedelta(seconds=settings().stale_seconds)
    if now - broadcast.ended_at < quiet:
        return False
    folder = replay_folder(broadcast)
    if folder is None:
        return True
    try:
        written = folder.joinpath("index.m3u8").stat().st_mtime
    except FileNotFoundError:
        return True
    return time.time() - written >= quiet.total_seconds()


def finalize_waiting() -> int:
    """Tick job: replays of ended broadcasts still waiting for nginx's callback. Locked as the
    callbacks lock them (room, then broadcast), so a late callback and the tick take turns."""
    from app.live.ingest import lock_broadcast

    now = clock.now()
    candidates = list(db.session.scalars(
        select(LiveBroadcast).where(
            LiveBroadcast.ended_at.is_not(None),
            LiveBroadcast.replay_status.in_([ReplayStatus.recording, ReplayStatus.recorded]))
        .order_by(LiveBroadcast.ended_at).limit(100)))
    db.session.commit()
    done = 0
    for candidate in candidates:
        if not _quiet(candidate, now):
            continue
        broadcast = lock_broadcast(candidate)
        if broadcast is not None and broadcast.replay_status in (
                ReplayStatus.recording, ReplayStatus.recorded) and finalize(broadcast):
            done += 1
        db.session.commit()
    return done


def expire_old() -> int:
    """Tick job: remove the files of replays older than LIVE_REPLAY_DAYS (0 keeps them)."""
    days = settings().replay_days
    if days <= 0:
        return 0
    cutoff = clock.now() - timedelta(days=days)
    query = (select(LiveBroadcast).where(
        LiveBroadcast.ended_at < cutoff,
        LiveBroadcast.replay_status != ReplayStatus.expired)
        .order_by(LiveBroadcast.ended_at).limit(100))
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    removed = 0
    root = settings().replay_dir.resolve()
    for broadcast in list(db.session.scalars(query)):
        folder = replay_folder(broadcast)
        if folder is not None and folder.resolve().parent == root and folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
        broadcast.replay_status = ReplayStatus.expired
        removed += 1
    db.session.commit()
    return removed


# --- what buyers see --------------------------------------------------------------------------

@dataclass
class ExplainedGood:
    """A product explained during the broadcast, with every moment it was pinned."""

    product: Product
    offsets: list[int] = field(default_factory=list)
    buyable: bool = True


@dataclass
class ReplayView:
    room: LiveRoom
    broadcast: LiveBroadcast
    url: str | None
    goods: list[ExplainedGood]
    start: int


def replays_of_room(room_id: int, limit: int = 6) -> list[LiveBroadcast]:
    """The room's replays that can be watched, newest first."""
    return list(db.session.scalars(
        select(LiveBroadcast).where(LiveBroadcast.room_id == room_id,
                                    LiveBroadcast.replay_status == ReplayStatus.ready)
        .order_by(LiveBroadcast.started_at.desc(), LiveBroadcast.id.desc()).limit(limit)))


@functools.cache
def _shop_replays_statement():
    # Built once, run with parameters (every shop page with a room runs it): plain columns.
    return (select(*columns_of(column_attributes(LiveBroadcast)))
            .join(LiveRoom, LiveRoom.id == LiveBroadcast.room_id)
            .where(LiveRoom.merchant_id == bindparam("merchant_id"),
                   LiveBroadcast.replay_status == ReplayStatus.ready)
            .order_by(LiveBroadcast.started_at.desc(), LiveBroadcast.id.desc())
            .limit(bindparam("limit")))


def replays_of_shop(merchant_id: int, limit: int = 3) -> list[BroadcastCopy]:
    """A shop's newest replays, for its shop page (the shop's room only has them), as plain
    copies."""
    columns = column_attributes(LiveBroadcast)
    return [plain_copy(columns, row, BroadcastCopy) for row in plain_rows(
        _shop_replays_statement(), {"merchant_id": merchant_id, "limit": limit})]


@functools.cache
def _room_broadcasts_statement():
    # Built once, run with parameters (every room page runs it): plain columns.
    return (select(*columns_of(column_attributes(LiveBroadcast)))
            .where(LiveBroadcast.room_id == bindparam("room_id"),
                   or_(LiveBroadcast.ended_at.is_(None),
                       LiveBroadcast.replay_status == ReplayStatus.ready))
            .order_by(LiveBroadcast.started_at.desc(), LiveBroadcast.id.desc())
            .limit(bindparam("limit")))


def room_broadcasts(room_id: int, limit: int = 6) -> tuple[BroadcastCopy | None,
                                                            list[BroadcastCopy]]:
    """The room's broadcast on air (None when none is) and its replays that can be watched,
    newest first (`replays_of_room`), in one query: at most one broadcast is on air, and it is
    the room's newest (a new one starts only after the last one ended). Plain copies
    (BroadcastCopy), not entities: the room page reads them, nothing changes them."""
    columns = column_attributes(LiveBroadcast)
    found = [plain_copy(columns, row, BroadcastCopy) for row in plain_rows(
        _room_broadcasts_statement(), {"room_id": room_id, "limit": limit + 1})]
    on_air = next((b for b in found if b.ended_at is None), None)
    return on_air, [b for b in found if b.replay_status == ReplayStatus.ready][:limit]


def latest_replay(room_id: int) -> LiveBroadcast | None:
    found = replays_of_room(room_id, limit=1)
    return found[0] if found else None


def replay_view(room: LiveRoom, broadcast: LiveBroadcast, start: int) -> ReplayView:
    """The replay page: its playlist, and the goods explained in the order first explained,
    each with its moments (a fixed number of queries: markers with products, then which of
    them can be bought now)."""
    markers = list(db.session.scalars(
        select(LiveMarker).where(LiveMarker.broadcast_id == broadcast.id)
        .options(selectinload(LiveMarker.product).selectinload(Product.photos))
        .order_by(LiveMarker.offset_seconds, LiveMarker.id)))
    goods: dict[int, ExplainedGood] = {}
    for marker in markers:
        good = goods.setdefault(marker.product_id, ExplainedGood(marker.product))
        if not good.offsets or good.offsets[-1] != marker.offset_seconds:
            good.offsets.append(marker.offset_seconds)
    if goods:
        buyable = set(db.session.scalars(
            listable_products().with_only_columns(Product.id)
            .where(Product.id.in_(list(goods)))))
        for good in goods.values():
            good.buyable = good.product.id in buyable and good.product.stock > 0
    length = broadcast.replay_seconds or broadcast.duration_seconds or 0
    start = max(0, min(start, max(length - 1, 0))) if length else max(0, start)
    url = replay_url(broadcast) if broadcast.replay_status == ReplayStatus.ready else None
    return ReplayView(room, broadcast, url, list(goods.values()), start)
