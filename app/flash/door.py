"""立即抢购 on a sale this process already knows is closed, answered at the door.

In a rush almost every press comes after the units are gone, and Flask's work for each (the
request context, the session, the hooks before and after the view) costs about twice the
refusal itself. The first press the view refuses from the sale's ticket (app.flash.buy:
sold out, not yet open, ended, cancelled) leaves its answer here — status, headers without
any cookie, body — for the presses that follow, as long as

- it is the same copy of the sale (`current_ticket`: the ticket is re-read every
  FLASH_TICKET_SECONDS, or forgotten when units come back, and then Flask answers again),
  which says the same now (a sale about to open stops being refused the moment it opens);
- the press is a form post from a signed-in buyer (the session cookie, checked as Flask
  does; anyone else goes to Flask, which sends them to sign in);
- it asks in the same language and accepts the same encodings.

The answer holds nothing of the buyer's (the refusal page is the same for everyone) and never
sets a cookie. Anything else goes to Flask unchanged."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from flask import Flask
from werkzeug.http import parse_cookie

from app import clock
from app.flash import buy as flash_buy
from app.i18n import LOCALE_COOKIE

ENVIRON_KEY = "yuantou.flash_refusal"
_BUY = re.compile(r"/flash/([1-9][0-9]{0,9})/buy")
_MAX_ANSWERS = 512


class Door:
    def __init__(self, wsgi_app: Callable, app: Flask):
        self.wsgi_app = wsgi_app
        self.app = app
        # (sale id, state, language cookie, Accept-Encoding) -> (ticket, status, headers, body)
        self.answers: dict[tuple, tuple] = {}

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        match = None
        if environ.get("REQUEST_METHOD") == "POST":
            match = _BUY.fullmatch(environ.get("PATH_INFO", ""))
        if match is None:
            return self.wsgi_app(environ, start_response)
        sale_id = int(match.group(1))
        answer = self._known(sale_id, environ)
        if answer is not None:
            start_response(answer[0], list(answer[1]))
            return [answer[2]]
        return self._asked(sale_id, environ, start_response)

    # --- the presses that follow --------------------------------------------------------

    def _known(self, sale_id: int, environ: dict):
        if not self.answers or not _form_post(environ):
            return None
        cookies = parse_cookie(environ)
        ticket = flash_buy.current_ticket(sale_id)
        if ticket is None:
            return None
        state = ticket.state(clock.now())
        found = self.answers.get(_key(sale_id, state, environ, cookies))
        if found is None or found[0] is not ticket or not self._signed_in(cookies):
            return None
        return found[1:]

    def _signed_in(self, cookies) -> bool:
        """What the view asks (app.flash.routes.session_buyer_id): a valid session cookie
        naming a user."""
        app = self.app
        raw = cookies.get(app.config["SESSION_COOKIE_NAME"])
        if not raw:
            return False
        serializer = app.session_interface.get_signing_serializer(app)
        if serializer is None:
            return False
        try:
            data = serializer.loads(
                raw, max_age=int(app.permanent_session_lifetime.total_seconds()))
        except Exception:  # noqa: BLE001 (a bad cookie: Flask decides, as for any request)
            return False
        user_id = str(data.get("_user_id") or "").partition(":")[0]
        return user_id.isdigit()

    # --- the first press: Flask answers, the refusal is kept ----------------------------

    def _asked(self, sale_id: int, environ: dict, start_response: Callable):
        seen: dict = {}

        def keep_status(status: str, headers: list, exc_info=None):
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, keep_status)
        refusal = environ.get(ENVIRON_KEY)
        if refusal is None or not seen.get("status", "").startswith("409"):
            return body
        try:
            content = b"".join(body)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        ticket, state = refusal
        headers = tuple((name, value) for name, value in seen["headers"]
                        if name.lower() != "set-cookie")
        if len(self.answers) >= _MAX_ANSWERS:
            self.answers.clear()
        self.answers[_key(sale_id, state, environ, parse_cookie(environ))] = (
            ticket, seen["status"], headers, content)
        return [content]


def _form_post(environ: dict) -> bool:
    kind = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    return kind == "application/x-www-form-urlencoded" and "\x00" not in environ.get(
        "QUERY_STRING", "")


def _key(sale_id: int, state: str, environ: dict, cookies) -> tuple:
    return (sale_id, state, cookies.get(LOCALE_COOKIE),
            environ.get("HTTP_ACCEPT_ENCODING", ""))


def remember(environ: dict, refusal: flash_buy.Closed) -> None:
    """The view refused a press from the sale's ticket: the door may answer the same."""
    environ[ENVIRON_KEY] = (refusal.ticket, refusal.state)


def install(app: Flask) -> None:
    app.wsgi_app = Door(app.wsgi_app, app)
