"""Broadcasting routes: nginx's callbacks, the anchor's stream key, and replays (直播回放).
Thin: parse, call app.live.ingest / replays, answer. Registered on the live blueprint."""
from __future__ import annotations

from flask import Response, abort, current_app, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.exceptions import DomainError, InvalidInput
from app.extensions import csrf, db
from app.inputs import parse_int
from app.live import ingest, replays, services
from app.live.models import LiveBroadcast, ReplayStatus
from app.live.routes import _failed, _is_owner, bp, render_console
from app.rendering import render_page
from app.security import player_csp

MAX_FIELD = 300
# What nginx-rtmp sends as `call` to each of our callback URLs.
EXPECTED_CALL = {"publish": "publish", "publish_done": "publish_done",
                 "update": "update_publish", "replay_done": "publish_done"}


def _plain(status: int, text: str = "") -> Response:
    """nginx reads only the status (2xx accept, 3xx accept and rename, else refuse); the text
    is for whoever reads its error log."""
    return Response(text, status, {"Content-Type": "text/plain; charset=utf-8",
                                   "Cache-Control": "no-store"})


def _field(name: str) -> str:
    value = request.form.get(name, "")
    if len(value) > MAX_FIELD:
        raise InvalidInput(f"{name} too long")
    return value


@bp.post("/live/ingest/<secret>/<any(publish, publish_done, update, replay_done):call>")
@csrf.exempt
def ingest_callback(secret: str, call: str):
    """nginx-rtmp's on_publish, on_update, on_publish_done (application live) and the
    replay application's on_publish_done. Anyone without the configured secret gets a plain 404,
    like any unknown address."""
    if len(secret) > 200 or not ingest.secret_matches(secret):
        abort(404)
    try:
        name, client = _field("name"), _field("clientid")
        if call == "update" and request.form.get("call", "").startswith("update_") \
                and request.form.get("call") != "update_publish":
            # nginx also asks about its own relays (the pushes to hls and replay): not ours.
            return _plain(200, "not a publisher")
        if not name or request.form.get("call") != EXPECTED_CALL[call]:
            raise InvalidInput("missing or unexpected fields: name, call")
        if call == "publish":
            if not client:
                raise InvalidInput("missing field: clientid")
            broadcast = ingest.start_broadcast(name, client)
            current_app.logger.info("live: room %s on air as %s", broadcast.room_id,
                                    broadcast.stream_name)
            # The stream continues under its public name: the key never reaches a URL.
            response = _plain(302)
            response.headers["Location"] = broadcast.stream_name
            response.autocorrect_location_header = False
            return response
        if call == "update":
            return _publisher_may_go_on(name, client)
        if call == "publish_done":
            if not client:
                raise InvalidInput("missing field: clientid")
            broadcast = ingest.end_broadcast(name, client)
            return _plain(200, f"ended {broadcast.stream_name}")
        recorded = replays.recording_done(name)
        if recorded is None:
            return _plain(404, "no such broadcast")
        return _plain(200, recorded.replay_status)
    except DomainError as error:
        db.session.rollback()
        return _plain(error.status, error.message)


def _publisher_may_go_on(name: str, client: str) -> Response:
    """nginx drops the publisher on any answer but 2xx/3xx, so only a decided refusal may
    say no: a fault of ours (the database away for a moment) must not cut a broadcast."""
    try:
        broadcast = ingest.check_publisher(name, client)
    except DomainError:
        raise
    except Exception:  # noqa: BLE001 - see the docstring; the watchdog still applies
        db.session.rollback()
        current_app.logger.exception("live: on_update could not check %s", client)
        return _plain(200, "unchecked")
    return _plain(200, f"on air {broadcast.stream_name}")


# --- the anchor's stream key --------------------------------------------------------------

@bp.post("/live/<id:room_id>/key")
@login_required
def rotate_key(room_id: int):
    """Make (or replace) the stream key; this answer is the only place it is ever shown."""
    try:
        key = ingest.rotate_stream_key(current_user, room_id)
    except DomainError as error:
        return _failed(room_id, error)
    room = services.get_room(room_id)
    response = render_console(room, new_key=key, notice=_(
        "新的推流码已生成，旧推流码立即失效。它只显示这一次，请现在复制到推流软件里。"))
    response.headers["Cache-Control"] = "no-store"
    return response


# --- replays ------------------------------------------------------------------------------

def _visible_room(room_id: int):
    room = services.viewable_room(current_user, room_id)
    if room is None:
        abort(404)
    return room


@bp.get("/live/<id:room_id>/replays/<id:broadcast_id>")
def replay(room_id: int, broadcast_id: int):
    """直播回放: the replay with the goods explained in it. `?t=SECONDS` starts it there (with
    JavaScript off the player gets a #t= media fragment)."""
    room = _visible_room(room_id)
    broadcast = db.session.get(LiveBroadcast, broadcast_id)
    if broadcast is None or broadcast.room_id != room.id or broadcast.ended_at is None:
        abort(404)
    start = parse_int(request.args.get("t"), minimum=0, maximum=24 * 3600) or 0
    view = replays.replay_view(room, broadcast, start)
    status = 410 if broadcast.replay_status in (ReplayStatus.expired,
                                                 ReplayStatus.missing) else 200
    response = render_page("live/replay.html", status=status, room=room, view=view,
                           is_owner=_is_owner(room))
    response.headers["Content-Security-Policy"] = player_csp(view.url)
    return response


@bp.get("/live/<id:room_id>/replay")
def latest_replay(room_id: int):
    """The room's newest replay (the ended room's 看回放 link)."""
    room = _visible_room(room_id)
    found = replays.latest_replay(room.id)
    if found is None:
        abort(404)
    return redirect(url_for("live.replay", room_id=room.id, broadcast_id=found.id), code=303)
