"""Live comments (弹幕) and likes (点赞) in a live room: routes on the live blueprint.

Rules are in app.live.comments and app.live.likes; what viewers see and the polling's ETag in
app.live.chat_feed. Every action is first a plain form that redirects back to the room (PRG);
htmx posts get the part of the page that changed. A refusal comes back in the panel with its
message, what was typed and a 4xx; floods are refused by per-user rate limits with a 429."""
from __future__ import annotations

from flask import abort, current_app, flash, make_response, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from jinja2_fragments.flask import render_block

from app.exceptions import DomainError, NotFound
from app.extensions import db, limiter
from app.forms import is_form_body
from app.i18n import locale_code
from app.inputs import strip_controls
from app.live import chat_feed, comments, likes, presence, services
from app.live.models import LiveRoom
from app.live.routes import bp, render_room, viewer_key
from app.rendering import client_has, is_htmx, not_modified, polled, render_page

ROOM_TEMPLATE = "live/room.html"
# A refused comment is given back to its writer, but never more than this much of it.
DRAFT_KEPT_CHARS = 240


class TooFast(DomainError):
    status = 429


# --- helpers --------------------------------------------------------------------------------

def _forms_only() -> None:
    """These endpoints take what a form sends; a JSON body (or anything else) is a 415."""
    if not is_form_body():
        abort(415)


def _per_user() -> str:
    """Rate limits per signed-in user (many phones share a carrier's address), read from the
    signed session without loading the account; per address before signing in."""
    user_id = str(session.get("_user_id") or "").partition(":")[0]
    return f"live-user:{user_id}" if user_id.isdigit() else f"ip:{request.remote_addr}"


def _comment_limit() -> str:
    return current_app.config["RATELIMIT_LIVE_COMMENT"]


def _like_limit() -> str:
    return current_app.config["RATELIMIT_LIVE_LIKE"]


def _viewable(room_id: int) -> LiveRoom:
    """The room if this visitor may see it (buyers: an open shop's; its anchor: always)."""
    room = services.viewable_room(current_user, room_id)
    if room is None:
        raise NotFound(_("直播间不存在。"))
    return room


def _back_to_room(room_id: int):
    return redirect(url_for("live.room", room_id=room_id, _anchor="live-chat"), code=303)


# --- the feed -------------------------------------------------------------------------------

@bp.get("/live/<id:room_id>/comments")
def comment_feed(room_id: int):
    """The comment feed, polled every second while live: 304 while nothing changed, decided
    without loading the room (with Redis from Redis alone, else one query) and without
    rendering. A changed plain feed is rendered by the first viewer who asks and copied to the
    rest; a moderator's (with their tools) is rendered for them."""
    if not is_htmx():
        return _back_to_room(room_id)
    locale = locale_code()
    variant = request.args.get("v", "")[:2]
    cached = chat_feed.cached_tag(room_id, locale, variant)
    if cached is not None:
        tag, live = cached
        if live:
            presence.touch(room_id, viewer_key())  # polling the comments counts as watching
        if client_has(tag):
            return not_modified(tag)
        html = chat_feed.shared_fragment(tag) if not variant else None
        if html is not None:
            return polled(tag, lambda: _fragment(html))
    room = _viewable(room_id)
    if room.is_live:
        presence.touch(room.id, viewer_key())
    variant = chat_feed.variant_for(room)
    tag = chat_feed.feed_tag(room, locale, variant)
    if not variant:
        def plain():
            html = chat_feed.shared_fragment(tag)
            if html is None:
                html = render_block(ROOM_TEMPLATE, "live_comments", room=room,
                                    chat=chat_feed.chat_view(room, tag=tag))
                chat_feed.share_fragment(tag, html)
            return _fragment(html)

        return polled(tag, plain)
    return polled(tag, lambda: render_page(ROOM_TEMPLATE, "live_comments", room=room,
                                           chat=chat_feed.chat_view(room, tag=tag)))


def _fragment(html: str):
    response = make_response(html)
    response.vary.add("HX-Request")
    return response


# --- commenting -----------------------------------------------------------------------------

def _comment_refused(room_id: int, error: DomainError, raw: str | None = None):
    """The panel again, saying why, with what was typed (a 10 KB paste is not echoed whole)."""
    db.session.rollback()
    room = _viewable(room_id)
    draft = strip_controls(raw or "")[:DRAFT_KEPT_CHARS]
    chat = chat_feed.chat_view(room, draft=draft, error=error.message)
    if is_htmx():
        return render_page(ROOM_TEMPLATE, "live_chat", status=error.status, room=room, chat=chat)
    return render_room(room, status=error.status, chat=chat)


def _comment_flood(_limit):
    return _comment_refused(request.view_args["room_id"], TooFast(
        _("发得太快了，请过几秒再发。"), field="body"), request.form.get("body"))


@bp.post("/live/<id:room_id>/comments")
@limiter.limit(_comment_limit, key_func=_per_user, on_breach=_comment_flood)
def post_comment(room_id: int):
    _forms_only()
    raw = request.form.get("body")
    try:
        comments.post_comment(current_user, room_id, raw)
    except DomainError as error:
        return _comment_refused(room_id, error, raw)
    if not is_htmx():
        return _back_to_room(room_id)
    db.session.expire_all()
    room = _viewable(room_id)
    return render_page(ROOM_TEMPLATE, "live_chat", room=room, chat=chat_feed.chat_view(room))


# --- moderation ---------------------------------------------------------------------------

def _moderated(room_id: int, message: str):
    if not is_htmx():
        flash(message, "success")
        return _back_to_room(room_id)
    db.session.expire_all()
    room = _viewable(room_id)
    return render_page(ROOM_TEMPLATE, "live_comments", room=room,
                       chat=chat_feed.chat_view(room, notice=message))


def _moderation_refused(room_id: int, error: DomainError):
    """A moderator's refused action comes back in the feed; anyone else gets the error."""
    db.session.rollback()
    room = services.get_room(room_id)
    if room is None or not is_htmx() or not comments.may_moderate(current_user, room):
        raise error
    return render_page(ROOM_TEMPLATE, "live_comments", status=error.status, room=room,
                       chat=chat_feed.chat_view(room, error=error.message,
                                                error_for="moderation"))


@bp.post("/live/<id:room_id>/comments/<id:comment_id>/remove")
def remove_comment(room_id: int, comment_id: int):
    _forms_only()
    try:
        comments.remove_comment(current_user, room_id, comment_id)
    except DomainError as error:
        return _moderation_refused(room_id, error)
    return _moderated(room_id, _("已删除这条弹幕。"))


@bp.post("/live/<id:room_id>/mutes/<id:user_id>")
def mute(room_id: int, user_id: int):
    _forms_only()
    try:
        comments.mute_user(current_user, room_id, user_id)
    except DomainError as error:
        return _moderation_refused(room_id, error)
    return _moderated(room_id, _("已禁言，该用户不能再在本直播间发弹幕。"))


@bp.post("/live/<id:room_id>/mutes/<id:user_id>/remove")
def unmute(room_id: int, user_id: int):
    _forms_only()
    try:
        comments.unmute_user(current_user, room_id, user_id)
    except DomainError as error:
        return _moderation_refused(room_id, error)
    return _moderated(room_id, _("已解除禁言。"))


# --- likes ----------------------------------------------------------------------------------

def _likes_block(room: LiveRoom, *, status: int = 200, error: str | None = None):
    return render_page(ROOM_TEMPLATE, "live_likes", status=status, room=room,
                       chat=chat_feed.chat_view(room, error=error, error_for="like"))


def _like_refused(room_id: int, error: DomainError):
    db.session.rollback()
    if not is_htmx():
        raise error
    return _likes_block(_viewable(room_id), status=error.status, error=error.message)


def _like_flood(_limit):
    return _like_refused(request.view_args["room_id"],
                         TooFast(_("点得太快了，歇一会儿再点吧。")))


@bp.post("/live/<id:room_id>/like")
@limiter.limit(_like_limit, key_func=_per_user, on_breach=_like_flood)
def like(room_id: int):
    _forms_only()
    try:
        likes.like(current_user, room_id)
    except DomainError as error:
        return _like_refused(room_id, error)
    response = _likes_block(_viewable(room_id)) if is_htmx() else _back_to_room(room_id)
    return likes.flush_if_due(response)


@bp.get("/live/<id:room_id>/likes")
def like_count(room_id: int):
    """The like counter, polled every few seconds: 304 while it shows the same. With Redis
    an unchanged counter costs no query."""
    if not is_htmx():
        return _back_to_room(room_id)
    locale = locale_code()
    signed_in = "_user_id" in session
    status = chat_feed.cached_room_status(room_id)
    if status is not None:
        tag = likes.likes_tag(likes.total(room_id), status, signed_in, locale)
        if client_has(tag):
            return likes.flush_if_due(not_modified(tag))
    room = _viewable(room_id)
    tag = likes.likes_tag(likes.total(room.id), room.status, signed_in, locale)
    return likes.flush_if_due(polled(tag, lambda: _likes_block(room)))


def init_chat(app) -> None:
    """Settings, the tick job and the per-worker like buffer (called by init_live)."""
    import os

    from app import tick

    # Viewers see a new comment within this many seconds (plus a request's time).
    app.config.setdefault("LIVE_CHAT_POLL_SECONDS",
                          int(os.environ.get("LIVE_CHAT_POLL_SECONDS", "1")))
    app.config.setdefault("LIVE_LIKES_POLL_SECONDS",
                          int(os.environ.get("LIVE_LIKES_POLL_SECONDS", "3")))
    # Without Redis, a worker writes its buffered likes at most this often (None: only when
    # asked — the tests' default, so no test writes another's taps).
    app.config.setdefault("LIVE_LIKE_FLUSH_SECONDS",
                          None if app.config.get("TESTING") else 2)
    app.config.setdefault("RATELIMIT_LIVE_COMMENT", os.environ.get(
        "RATELIMIT_LIVE_COMMENT", "5 per 10 seconds;30 per minute"))
    app.config.setdefault("RATELIMIT_LIVE_LIKE", os.environ.get(
        "RATELIMIT_LIVE_LIKE", "30 per 10 seconds;600 per hour"))
    likes.init_likes(app)
    if "live.flush_likes" not in dict(tick.JOBS):
        tick.job("live.flush_likes")(likes.flush)

