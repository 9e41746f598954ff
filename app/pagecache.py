"""A one-second page cache for anonymous visitors with an empty session.

Such a visitor sees exactly what every other one sees, except the CSRF token. The page is
rendered once with a placeholder where the token goes, kept for PUBLIC_PAGE_TTL (≤ 2 s, so
stock and prices on it are never staler than that) and served with each visitor's own token.
Signed-in users, visitors with a cart or flash messages, and non-GET requests bypass it. If
anything in the page generated a real token (a FlaskForm's csrf field), the page isn't cached."""
from __future__ import annotations

import time
from functools import wraps

from flask import Flask, current_app, g, make_response, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from app.extensions import cache
from app.i18n import locale_code

# Raw '<' can't come from escaped user text, so only our placeholder ever matches.
PLACEHOLDER = "<yt-csrf-token/>"
PLACEHOLDER_JSON = "\\u003cyt-csrf-token/\\u003e"  # the same inside |tojson (hx-headers)
KEPT_HEADERS = ("Content-Type", "Vary")
# A page is fresh for PUBLIC_PAGE_TTL seconds; after that one request re-renders it while the
# others keep getting the previous copy (no stampede of renders), which is never served once
# it is MAX_AGE old: stock and prices on a served page are at most ~2 s old.
MAX_AGE = 1.9


def csrf_token() -> str:
    """The `csrf_token()` templates call: a placeholder while rendering a shared page."""
    if g.get("yt_public_render"):
        return Markup(PLACEHOLDER)  # noqa: S704 (a constant, never user text)
    return generate_csrf()


def _cacheable_request() -> bool:
    if request.method not in ("GET", "HEAD") or current_user.is_authenticated:
        return False
    # Flask-Login's session protection marks anonymous sessions `_fresh = False`.
    return set(session.keys()) <= {"csrf_token", "_fresh"}


def _key() -> str:
    return "page:" + "|".join((
        locale_code(), request.headers.get("HX-Request", ""),
        request.headers.get("HX-Target", ""), request.full_path))


def public_page(view):
    """Cache the view's page for anonymous visitors (see the module docstring)."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        ttl = current_app.config["PUBLIC_PAGE_TTL"]
        if not ttl or not _cacheable_request():
            return view(*args, **kwargs)
        key = _key()
        entry = cache.get(key)
        now = time.time()
        if entry is not None:
            age = now - entry[0]
            if age > MAX_AGE or (age > ttl and cache.add(key + ":renewing", 1, timeout=5)):
                entry = None  # too old to serve, or ours to renew
        if entry is None:
            before = dict(session)
            g.yt_public_render = True
            try:
                response = make_response(view(*args, **kwargs))
            finally:
                g.yt_public_render = False
            shareable = (response.status_code == 200 and "csrf_token" not in g
                         and dict(session) == before and not response.headers.get("Set-Cookie")
                         and not response.direct_passthrough)
            if not shareable:
                return _with_token(response)
            entry = (now, response.get_data(), [(h, response.headers[h]) for h in KEPT_HEADERS
                                                if h in response.headers])
            cache.set(key, entry, timeout=2)
            cache.delete(key + ":renewing")
        _rendered_at, body, headers = entry
        return _with_token(make_response(body, 200, headers))

    return wrapper


def _with_token(response):
    if response.direct_passthrough:
        return response
    body = response.get_data()
    if PLACEHOLDER.encode() in body or PLACEHOLDER_JSON.encode() in body:
        token = generate_csrf().encode()
        body = body.replace(PLACEHOLDER.encode(), token).replace(PLACEHOLDER_JSON.encode(), token)
        response.set_data(body)
    return response


def init_pagecache(app: Flask) -> None:
    app.config.setdefault("PUBLIC_PAGE_TTL", 1)
    if app.config["PUBLIC_PAGE_TTL"] > MAX_AGE:
        raise ValueError("PUBLIC_PAGE_TTL must stay below 2 s (stock and prices on pages)")
    app.jinja_env.globals["csrf_token"] = csrf_token
    # Flask-WTF also injects its generate_csrf through a context processor; a later processor
    # wins, so every template's csrf_token() is this one.
    app.context_processor(lambda: {"csrf_token": csrf_token})
