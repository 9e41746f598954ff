"""Live comments (弹幕): what a buyer may say in a live room, and who may take it back.

- Signed-in users (buyers, and the anchor answering them) comment while the room is live. In
  a room that has not started, or has ended, comments are closed: a clear 409, nothing stored.
- The text is cleaned by one rule, `clean_comment`: NFC, whitespace runs (newlines, tabs,
  full-width spaces) become one space, trimmed; then 1..COMMENT_MAX_CHARS characters. Control
  and invisible formatting characters (bidi overrides, zero-width spaces) are refused, not
  silently dropped, so what is shown is what was typed. Links are refused in the forms spammers
  use: schemes, www., bare domains, full-width or ideographic dots (．。｡), "点"/"dot" between
  name and suffix, spaces in between, IP addresses. HTML is not refused: it is stored as the
  text it is and escaped wherever it is shown (Jinja autoescape; never |safe).
- A user muted in the room (禁言) is refused with a message that says so.
- Moderators are the room's anchor, admins of the shop's own belt and platform operators
  (`may_moderate`, checked here for every action). They remove a comment (the row stays, hidden,
  for the audit log) and mute or unmute a user for the room. Each action is audited and bumps
  the room's moderation version, which the feed's ETag includes.
- How often one user may comment is a rate limit at the route (RATELIMIT_LIVE_COMMENT).
What viewers see, and how polling stays cheap, is app.live.chat_feed."""
from __future__ import annotations

import re
import unicodedata

from flask_babel import gettext as _
from sqlalchemy import delete, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app import clock
from app.accounts.models import User
from app.accounts.services import is_signed_in, record_audit, require_signed_in
from app.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from app.extensions import db
from app.live import chat_feed, services
from app.live.comment_models import LiveChatState, LiveComment, LiveMute
from app.live.models import LiveRoom, RoomStatus

COMMENT_MAX_CHARS = 60
# Past this many characters a comment is refused before any normalising work.
RAW_MAX_CHARS = 1000
# Kept inside text: the zero-width joiner glues emoji sequences (👨‍👩‍👧) together.
ALLOWED_FORMAT = {"\u200d"}
WHITESPACE = re.compile(r"\s+")

# Suffixes spammers use (generic and Chinese-market ones). Short English words (so, to, in,
# me …) are left out: "ok. so" is chat, not a link. "点" counts as a dot only before an ASCII
# suffix, since it is everyday Chinese ("有一点中国风").
ASCII_SUFFIXES = (
    "com|cn|net|org|top|xyz|cc|io|info|biz|vip|club|site|online|shop|store|link|ly|tv|app|"
    "co|hk|tw|jp|uk|ru|ink|fun|icu|wang|ltd|pro|tech|asia|mobi|cloud|ren|kim|xin|gov|edu|dev")
CJK_SUFFIXES = "中国|中國|公司|网络|網絡|在线|商城|网址|网店|集团|手机"
_DOT = r"\s*(?:\.|dot|点|點|\(\.\)|\[\.\]|\(dot\)|\[dot\]|\(点\)|\[点\])\s*"
LINK = re.compile(
    r"[a-z][a-z0-9+\-]{1,15}\s*:\s*/"                  # a scheme: http://, https:/, weixin://
    r"|www\s*\."                                       # www.
    r"|(?<![0-9])(?:\d{1,3}\.){3}\d{1,3}(?![0-9])"      # an IPv4 address
    rf"|[a-z0-9\-]+{_DOT}(?:{ASCII_SUFFIXES})(?![a-z0-9])"     # name.com, name 点 cn, name dot com
    rf"|[\w\-]+\s*\.\s*(?:{ASCII_SUFFIXES})(?![a-z0-9])"     # 淘宝.com
    rf"|[\w\-]+\s*\.\s*(?:{CJK_SUFFIXES})")                  # 网站.中国
# Dots as spammers type them (NFKC has already made ．→. and ｡→。).
DOT_VARIANTS = str.maketrans({"。": ".", "﹒": ".", "‧": ".", "∙": "."})


def has_link(text: str) -> bool:
    """A URL or domain in any of the common disguises (full-width, 。, 点, spaced out)."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(DOT_VARIANTS)
    return LINK.search(folded) is not None


def _is_refused_character(ch: str) -> bool:
    category = unicodedata.category(ch)
    if category == "Cc":
        return ch not in "\t\n\r"  # typed line breaks and tabs become a space
    return category in ("Cf", "Cs", "Co") and ch not in ALLOWED_FORMAT


def clean_comment(raw: str | None) -> str:
    """The comment as it will be stored and shown, or InvalidInput saying what is wrong."""
    if raw is None or not raw.strip():
        raise InvalidInput(_("请先写点什么再发送。"), field="body")
    if len(raw) > RAW_MAX_CHARS:
        raise InvalidInput(_("弹幕最多 %(n)d 个字，这条太长了。", n=COMMENT_MAX_CHARS), field="body")
    if any(_is_refused_character(ch) for ch in raw):
        raise InvalidInput(_("弹幕里不能有控制字符或看不见的格式字符。"), field="body")
    text = WHITESPACE.sub(" ", unicodedata.normalize("NFC", raw)).strip()
    if not text:
        raise InvalidInput(_("请先写点什么再发送。"), field="body")
    if len(text) > COMMENT_MAX_CHARS:
        raise InvalidInput(_("弹幕最多 %(n)d 个字（现在 %(count)d 个）。", n=COMMENT_MAX_CHARS,
                             count=len(text)), field="body")
    if has_link(text):
        raise InvalidInput(_("弹幕里不能带链接或网址。"), field="body")
    return text


# --- who may act --------------------------------------------------------------------------


def may_moderate(user: User | None, room: LiveRoom) -> bool:
    """The room's anchor, an admin of the shop's own belt, or a platform operator."""
    if not is_signed_in(user):
        return False
    return room.merchant.owner_id == user.id or user.administers(room.merchant.belt_id)


def require_moderator(actor: User | None, room: LiveRoom) -> User:
    actor = require_signed_in(actor)
    if not may_moderate(actor, room):
        raise PermissionDenied(_("只有主播、本产业带的基地管理员和平台运营可以管理弹幕。"))
    return actor


def _room(room_id: int, *, for_buyer: bool) -> LiveRoom:
    room = services.get_room(room_id)
    if room is None or (for_buyer and not services.is_visible(room)):
        raise NotFound(_("直播间不存在。"))
    return room


def is_muted(room_id: int, user_id: int) -> bool:
    return db.session.get(LiveMute, (room_id, user_id)) is not None


# --- commenting -----------------------------------------------------------------------------

def post_comment(actor: User | None, room_id: int, raw: str | None) -> LiveComment:
    """发弹幕: a signed-in, unmuted user's clean comment in a live room."""
    actor = require_signed_in(actor)
    room = _room(room_id, for_buyer=True)
    if room.status == RoomStatus.scheduled:
        raise Conflict(_("直播还没开始，开播后才能发弹幕。"), field="body")
    if room.status != RoomStatus.live:
        raise Conflict(_("直播已结束，弹幕已关闭。"), field="body")
    if is_muted(room.id, actor.id):
        raise PermissionDenied(_("你已被禁言，不能在这个直播间发弹幕。"), field="body")
    comment = LiveComment(room_id=room.id, user_id=actor.id, body=clean_comment(raw))
    db.session.add(comment)
    db.session.commit()
    chat_feed.changed(room.id)
    return comment


# --- moderation ---------------------------------------------------------------------------

def _insert():
    return pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert


def _bump_moderation(room_id: int) -> None:
    """In the caller's transaction: the feed's ETag changes for everyone."""
    statement = _insert()(LiveChatState).values(room_id=room_id, likes=0, moderation_version=1,
                                                updated_at=clock.now())
    db.session.execute(statement.on_conflict_do_update(
        index_elements=[LiveChatState.room_id],
        set_={"moderation_version": LiveChatState.moderation_version + 1,
              "updated_at": clock.now()}))


def remove_comment(actor: User | None, room_id: int, comment_id: int) -> LiveComment:
    """删除弹幕: hidden from every viewer; the row stays for the audit log. Removing an
    already removed comment changes nothing."""
    room = _room(room_id, for_buyer=False)
    actor = require_moderator(actor, room)
    comment = db.session.get(LiveComment, comment_id)
    if comment is None or comment.room_id != room.id:
        raise NotFound(_("这条弹幕不存在。"))
    removed = db.session.execute(
        update(LiveComment).where(LiveComment.id == comment.id, LiveComment.removed_at.is_(None))
        .values(removed_at=clock.now(), removed_by_id=actor.id)).rowcount
    if removed:
        _bump_moderation(room.id)
        record_audit(actor, "live.comment_remove", "live_comment", comment.id,
                     belt_id=room.merchant.belt_id, room_id=room.id, author_id=comment.user_id,
                     body=comment.body)
    db.session.commit()
    if removed:
        chat_feed.changed(room.id)
    return comment


def _target(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("找不到这个用户。"))
    return user


def mute_user(actor: User | None, room_id: int, user_id: int) -> bool:
    """禁言 a user in this room until lifted; True if they were not muted already. The anchor
    and the room's other moderators can't be muted."""
    room = _room(room_id, for_buyer=False)
    actor = require_moderator(actor, room)
    target = _target(user_id)
    if may_moderate(target, room):
        raise Conflict(_("主播和管理员不能被禁言。"))
    # RETURNING, not rowcount: a skipped INSERT's rowcount is not reported by every driver.
    muted = db.session.execute(
        _insert()(LiveMute).values(room_id=room.id, user_id=target.id, muted_by_id=actor.id,
                                   created_at=clock.now())
        .on_conflict_do_nothing(index_elements=[LiveMute.room_id, LiveMute.user_id])
        .returning(LiveMute.user_id)).scalar() is not None
    if muted:
        _bump_moderation(room.id)
        record_audit(actor, "live.mute", "user", target.id, belt_id=room.merchant.belt_id,
                     room_id=room.id)
    db.session.commit()
    if muted:
        chat_feed.changed(room.id)
    return muted


def unmute_user(actor: User | None, room_id: int, user_id: int) -> bool:
    """解除禁言; True if the user was muted."""
    room = _room(room_id, for_buyer=False)
    actor = require_moderator(actor, room)
    target = _target(user_id)
    lifted = db.session.execute(delete(LiveMute).where(
        LiveMute.room_id == room.id, LiveMute.user_id == target.id)).rowcount
    if lifted:
        _bump_moderation(room.id)
        record_audit(actor, "live.unmute", "user", target.id, belt_id=room.merchant.belt_id,
                     room_id=room.id)
    db.session.commit()
    if lifted:
        chat_feed.changed(room.id)
    return bool(lifted)
