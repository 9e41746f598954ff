"""What viewers of a live room see of its comments, and how their polling stays cheap.

Every viewer's page polls the comment feed (every LIVE_CHAT_POLL_SECONDS, 1 s while live) with
the ETag of what it shows; nothing changed answers 304. The ETag comes from the server's own
state, never from rendering:
  * with REDIS_URL, from a per-room generation counter in Redis that every change (a comment,
    a removal, a mute) increments after its commit, plus the room's status and start time kept
    in Redis for ROOM_STATE_TTL seconds. A poll that changed nothing is answered from two Redis
    reads: no database query, no rendering. The counter is read before the comments are, so a
    change committed meanwhile always yields a newer ETag on the next poll. A counter that
    expired (or a Redis that lost it) starts again at a random value, never at one an old ETag
    was made from.
  * without Redis (one machine, several workers that share nothing), from one indexed query:
    the room's status and shop, its newest comment id and its moderation version
    (`LiveChatState`); an unchanged feed costs that query and no rendering.
A changed feed is rendered once per ETag, not once per viewer: the plain feed (what every
viewer who is not a moderator sees) holds nothing of the viewer's, so its HTML is kept in the
shared cache under its ETag for FRAGMENT_TTL seconds and the next viewers get that copy.
The feed shows the latest FEED_SIZE comments of the current broadcast (since the room last went
live); a scheduled room shows none. Moderators get the same feed with remove / mute buttons and
the list of muted users (a variant of its own ETag: `?v=m` in the poll URL only picks which
ETag to compare; what is rendered is decided from the signed-in user)."""
from __future__ import annotations

import functools
import hashlib
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_login import current_user
from sqlalchemy import bindparam, func, select

from app import db as app_db
from app.accounts.models import BeltAdmin, User
from app.accounts.services import is_signed_in
from app.extensions import cache, db
from app.live.comment_models import LiveChatState, LiveComment, LiveMute
from app.live.models import LiveRoom, RoomStatus
from app.merchants.models import Merchant
from app.merchants.services import open_shops_clause

log = logging.getLogger(__name__)

FEED_SIZE = 40
GENERATION_TTL = 600   # seconds a room's counter lives after its last change
ROOM_STATE_TTL = 5     # seconds a poll may go on trusting a room's status and start time
MODERATOR_VARIANT = "m"
FRAGMENT_TTL = 60      # seconds a rendered plain feed is kept for the viewers after the first


def plain_rows(statement, params: dict) -> list[tuple]:
    """A select of columns (no ORM entities) built once, run without SQLAlchemy's result
    machinery (app.db.plain_rows): the room page and every feed poll run these. No autoflush:
    for reads of committed state, as the room's GET and polls are."""
    return app_db.plain_rows(statement, params)


# --- Redis ----------------------------------------------------------------------------------

def redis_client():
    """The shared Redis (REDIS_URL) for live chat counters, or None on one machine."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    client = current_app.extensions.get("yt_live_chat_redis")
    if client is None or client.yt_url != url:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        client.yt_url = url
        current_app.extensions["yt_live_chat_redis"] = client
    return client


def redis_key(*parts: object) -> str:
    """Keys under the deployment's own prefix (CACHE_KEY_PREFIX, "yt:")."""
    return current_app.config.get("CACHE_KEY_PREFIX", "yt:") + ":".join(
        ("live", *(str(p) for p in parts)))


def changed(room_id: int) -> None:
    """After a committed change to a room's comments: every viewer's next poll re-renders."""
    client = redis_client()
    if client is None:
        return
    key = redis_key("chat", room_id, "gen")
    try:
        pipe = client.pipeline()
        pipe.set(key, secrets.randbits(48), nx=True, ex=GENERATION_TTL)
        pipe.incr(key)
        pipe.expire(key, GENERATION_TTL)
        pipe.execute()
    except Exception:  # noqa: BLE001 (the comment is saved; viewers get it at the latest
        # when the counter expires, or at once if Redis is down and polls use the database)
        log.warning("live chat: could not signal a change in room %s", room_id, exc_info=True)


def _state_of(status: str, started_at: datetime | None) -> str:
    return f"{status}|{started_at.timestamp() if started_at else 0:.3f}"


def _room_state(room: LiveRoom) -> str:
    return _state_of(room.status, room.started_at)


def _comments_state(room_id: int):
    """The room's newest comment id and its moderation version, as two scalar subqueries."""
    return (select(func.max(LiveComment.id)).where(LiveComment.room_id == room_id)
            .scalar_subquery(),
            select(LiveChatState.moderation_version).where(LiveChatState.room_id == room_id)
            .scalar_subquery())


@dataclass(frozen=True)
class StoredState:
    """What the database says of a room's chat: its newest comment id, moderation version and
    stored likes (read with the room: `state_columns`)."""

    newest: int
    version: int
    likes: int


def state_columns():
    """The room's StoredState as three scalar subqueries on the bound parameter `room_id`, for
    a statement that loads the room (the room page reads both in one query)."""
    room_id = bindparam("room_id")
    return (select(func.max(LiveComment.id)).where(LiveComment.room_id == room_id)
            .scalar_subquery().label("chat_newest"),
            select(LiveChatState.moderation_version).where(LiveChatState.room_id == room_id)
            .scalar_subquery().label("chat_version"),
            select(LiveChatState.likes).where(LiveChatState.room_id == room_id)
            .scalar_subquery().label("chat_likes"))


@functools.cache
def _state_statement():
    return select(*state_columns())


def stored_state(room_id: int) -> StoredState:
    newest, version, likes = db.session.execute(_state_statement(), {"room_id": room_id}).one()
    return StoredState(newest or 0, version or 0, likes or 0)


def _tag(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:24]


def _cached(room_id: int) -> tuple[int | None, str | None]:
    """(generation, room state) from Redis; (None, None) when Redis can't say."""
    client = redis_client()
    if client is None:
        return None, None
    try:
        generation, state = client.mget(redis_key("chat", room_id, "gen"),
                                        redis_key("chat", room_id, "room"))
    except Exception:  # noqa: BLE001 (the database answers instead)
        return None, None
    return (int(generation) if generation is not None else None,
            state.decode() if state is not None else None)


def cached_room_status(room_id: int) -> str | None:
    """The room's status as a recent poll saw it (≤ ROOM_STATE_TTL old), from Redis alone."""
    state = _cached(room_id)[1]
    return state.partition("|")[0] if state else None


def cached_tag(room_id: int, locale: str, variant: str) -> tuple[str, bool] | None:
    """(ETag, room is live) without loading the room: with Redis from Redis alone, without it
    from one query (the room's status, its shop being open, its comments' state). None when
    that can't say (the room's state not in Redis yet, an unknown room, a closed shop): then
    the caller loads the room and uses `feed_tag`."""
    if redis_client() is not None:
        generation, state = _cached(room_id)
        if generation is None or state is None:
            return None
        return _tag("r", generation, state, locale, variant), state.startswith("live|")
    newest, version = _comments_state(room_id)
    row = db.session.execute(
        select(LiveRoom.status, LiveRoom.started_at, open_shops_clause().label("open"),
               newest.label("newest"), version.label("version"))
        .join(Merchant, Merchant.id == LiveRoom.merchant_id)
        .where(LiveRoom.id == room_id)).one_or_none()
    if row is None or not row.open:
        return None
    return (_tag("d", row.newest or 0, row.version or 0, _state_of(row.status, row.started_at),
                 locale, variant), row.status == RoomStatus.live)


def feed_tag(room: LiveRoom, locale: str, variant: str,
             stored: StoredState | None = None) -> str:
    """The feed's ETag for a loaded room. Call it before reading the comments (`stored`: the
    chat's state if the caller read it with the room, used without Redis)."""
    state = _room_state(room)
    client = redis_client()
    if client is not None:
        key = redis_key("chat", room.id, "gen")
        try:
            pipe = client.pipeline()
            pipe.set(key, secrets.randbits(48), nx=True, ex=GENERATION_TTL)
            pipe.get(key)
            pipe.set(redis_key("chat", room.id, "room"), state, ex=ROOM_STATE_TTL)
            generation = pipe.execute()[1]
            return _tag("r", int(generation), state, locale, variant)
        except Exception:  # noqa: BLE001
            log.warning("live chat: Redis unavailable, ETag from the database", exc_info=True)
    stored = stored or stored_state(room.id)
    return _tag("d", stored.newest, stored.version, state, locale, variant)


def shared_fragment(tag: str) -> str | None:
    """The plain feed already rendered for this ETag (by any worker, with Redis)."""
    try:
        return cache.get(f"live:chat:html:{tag}")
    except Exception:  # noqa: BLE001 (render it instead)
        return None


def share_fragment(tag: str, html: str) -> None:
    try:
        cache.set(f"live:chat:html:{tag}", html, timeout=FRAGMENT_TTL)
    except Exception:  # noqa: BLE001
        log.warning("live chat: could not keep a rendered feed", exc_info=True)


# --- the feed -------------------------------------------------------------------------------

@dataclass
class FeedComment:
    id: int
    body: str
    author_id: int
    author_name: str
    role: str  # "anchor", "staff" (a moderator of this room who is not its anchor) or ""
    created_at: datetime


@dataclass
class MutedUser:
    user_id: int
    name: str


@dataclass
class ChatView:
    """The comments panel as one viewer sees it (template context `chat`)."""

    room: LiveRoom
    comments: list[FeedComment]   # newest first
    tag: str
    can_moderate: bool
    signed_in: bool
    viewer_muted: bool
    likes: int
    likes_tag: str
    poll_seconds: int
    muted: list[MutedUser] = field(default_factory=list)  # moderators only
    draft: str = ""                # what the viewer typed, kept when it was refused
    error: str | None = None       # why the comment, like or moderation was refused
    error_for: str = "comment"     # "comment", "like" or "moderation"
    notice: str | None = None      # what a moderator's action did

    @property
    def variant(self) -> str:
        return MODERATOR_VARIANT if self.can_moderate else ""

    @property
    def is_open(self) -> bool:
        """Comments and likes are taken while the room is live."""
        return self.room.status == RoomStatus.live

    @property
    def muted_ids(self) -> set[int]:
        return {m.user_id for m in self.muted}


def poll_seconds(room: LiveRoom) -> int:
    seconds = current_app.config["LIVE_CHAT_POLL_SECONDS"]
    return seconds if room.status == RoomStatus.live else max(seconds, 15)


@functools.cache
def _comments_statement(in_belt: bool):
    # Built once per shape (the shop in a belt or not), run with parameters.
    staff = User.is_operator
    if in_belt:
        staff = staff | select(BeltAdmin.user_id).where(
            BeltAdmin.user_id == User.id, BeltAdmin.belt_id == bindparam("belt_id")).exists()
    return (select(LiveComment.id, LiveComment.body, LiveComment.user_id, User.display_name,
                   staff, LiveComment.created_at)
            .join(User, User.id == LiveComment.user_id)
            .where(LiveComment.room_id == bindparam("room_id"), LiveComment.removed_at.is_(None))
            .order_by(LiveComment.id.desc()).limit(FEED_SIZE))


def _comments(room: LiveRoom) -> list[FeedComment]:
    if room.status == RoomStatus.scheduled:
        return []
    belt_id = room.merchant.belt_id
    rows = plain_rows(_comments_statement(belt_id is not None),
                      {"room_id": room.id, "belt_id": belt_id})
    since = room.started_at
    anchor = room.merchant.owner_id
    return [FeedComment(id, body, user_id, name,
                        "anchor" if user_id == anchor else "staff" if is_staff else "",
                        created_at)
            for id, body, user_id, name, is_staff, created_at in rows
            if since is None or created_at >= since]


def variant_for(room: LiveRoom, viewer: User | None = None) -> str:
    from app.live.comments import may_moderate

    viewer = viewer if viewer is not None else current_user
    return MODERATOR_VARIANT if may_moderate(viewer, room) else ""


def chat_view(room: LiveRoom, *, tag: str | None = None, viewer: User | None = None,
              stored: StoredState | None = None, **shown) -> ChatView:
    """The panel for the current user (or `viewer`), in a fixed number of queries. `tag`: the
    feed's ETag if the caller has it; `stored`: the chat's state if the caller read it with the
    room (then, without Redis, the tag and likes cost no query); `shown`: draft, error,
    notice."""
    from app.i18n import locale_code
    from app.live import likes

    viewer = viewer if viewer is not None else current_user
    signed_in = is_signed_in(viewer)
    variant = variant_for(room, viewer)
    locale = locale_code()
    if stored is None and tag is None and redis_client() is None:
        stored = stored_state(room.id)  # the tag's and the likes' one query
    if tag is None:  # before the comments: see the module docstring
        tag = feed_tag(room, locale, variant, stored)
    muted: list[MutedUser] = []
    viewer_muted = False
    if variant == MODERATOR_VARIANT:
        muted = [MutedUser(user_id, name) for user_id, name in db.session.execute(
            select(LiveMute.user_id, User.display_name).join(User, User.id == LiveMute.user_id)
            .where(LiveMute.room_id == room.id).order_by(LiveMute.created_at.desc()))]
    elif signed_in:
        viewer_muted = db.session.get(LiveMute, (room.id, viewer.id)) is not None
    count = likes.total(room.id, stored.likes if stored is not None else None)
    return ChatView(room=room, comments=_comments(room), tag=tag,
                    can_moderate=variant == MODERATOR_VARIANT, signed_in=signed_in,
                    viewer_muted=viewer_muted, likes=count,
                    likes_tag=likes.likes_tag(count, room.status, signed_in, locale),
                    poll_seconds=poll_seconds(room), muted=muted, **shown)
