"""Viewer counts (N 人在看) that stay honest without a database write per poll.

A viewer is a signed-in user, or else one browser (a random id kept in its signed session
cookie). "Watching" means the viewer opened or polled the live room (its live part or its
comments, which poll every second or few) in the last `WINDOW`: someone who closed the page
drops out within two minutes. A client that keeps no cookie (a crawler, a link preview, a
script) is never counted: a browser is counted from its second request, which carries the id
the first one was given (for a phone with JavaScript, the first poll a second later).
Each viewer's row in `live_viewers` is refreshed at most once per `REFRESH_SECONDS`: the
shared cache (Redis with REDIS_URL, else per process) remembers who was written recently, so
a buyer polling every second costs one small upsert a minute, not one per poll. The count
is one indexed range count per room, cached for `COUNT_TTL` seconds.

Without Redis, every gunicorn worker keeps its own memory of recent writes, so a viewer may be
written once a minute per worker — still bounded, and the count stays exact."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from app import clock
from app.extensions import cache, db
from app.live.models import LiveViewer

WINDOW = timedelta(minutes=2)  # > REFRESH_SECONDS: a viewer still polling is always in it
REFRESH_SECONDS = 60
COUNT_TTL = 5


def touch(room_id: int, key: str | None) -> bool:
    """Note that the viewer `key` (from the route's `viewer_key()`: 'u42' or 'b<id>'; None for
    a browser seen for the first time) is watching; writes at most once per REFRESH_SECONDS.
    True when it wrote (a caller's open read transaction will not see the row: on SQLite its
    snapshot is older, so end it before counting)."""
    if key is None:
        return False
    memo = f"live:seen:{room_id}:{key}"
    if not cache.add(memo, 1, timeout=REFRESH_SECONDS):
        return False
    now = clock.now()
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    statement = insert(LiveViewer).values(room_id=room_id, viewer_key=key, last_seen_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=[LiveViewer.room_id, LiveViewer.viewer_key],
        set_={"last_seen_at": now})
    try:
        # Its own short transaction on its own connection (called from GET requests, whose
        # session holds no write lock).
        with db.engine.begin() as connection:
            connection.execute(statement)
    except SQLAlchemyError:
        # A busy database must not break watching; the viewer is counted on a later poll.
        current_app.logger.warning("live: could not record a viewer of room %s", room_id,
                                   exc_info=True)
        cache.delete(memo)
        return False
    return True


def count(room_id: int) -> int:
    """Distinct viewers of the room in the last WINDOW (cached COUNT_TTL seconds)."""
    memo = f"live:viewers:{room_id}"
    cached = cache.get(memo)
    if cached is not None:
        return int(cached)
    return counts([room_id])[room_id]


def counts(room_ids: list[int]) -> dict[int, int]:
    """Viewer counts for several rooms: cached ones from the cache, the rest in one query."""
    result: dict[int, int] = {}
    missing = []
    for room_id in room_ids:
        cached = cache.get(f"live:viewers:{room_id}")
        if cached is None:
            missing.append(room_id)
        else:
            result[room_id] = int(cached)
    if missing:
        since = clock.now() - WINDOW
        found = dict(db.session.execute(
            select(LiveViewer.room_id, func.count()).where(
                LiveViewer.room_id.in_(missing), LiveViewer.last_seen_at >= since)
            .group_by(LiveViewer.room_id)).all())
        for room_id in missing:
            result[room_id] = found.get(room_id, 0)
            cache.set(f"live:viewers:{room_id}", result[room_id], timeout=COUNT_TTL)
    return result


def prune() -> int:
    """Tick job: forget viewers not seen for an hour (the count only looks back WINDOW)."""
    result = db.session.execute(
        delete(LiveViewer).where(LiveViewer.last_seen_at < clock.now() - timedelta(hours=1)))
    db.session.commit()
    return result.rowcount or 0
