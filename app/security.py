"""Response headers and request guards that apply to every route."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, abort, current_app, request, session

# Merchants set their own HLS / video URLs for live rooms and source videos (https media);
# hls.js feeds the <video> through MediaSource (blob:).
MEDIA_SRC = "'self' https: blob:"


def _csp(media: str = MEDIA_SRC, connect: str = "'self'") -> str:
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        f"media-src {media}",
        f"connect-src {connect}",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


CSP = _csp()


def _origin(url: str | None) -> str | None:
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"


def player_csp(*urls: str | None) -> str:
    """The policy of a page with a video player: hls.js fetches the playlists and fragments
    (connect-src), so the origins of the given stream URLs are allowed there and as media,
    and nothing else. Same-origin URLs (/hls/…) need nothing more than 'self'."""
    origins = sorted({o for o in map(_origin, urls) if o})
    if not origins:
        return CSP
    extra = " ".join(origins)
    return _csp(media=f"{MEDIA_SRC} {extra}", connect=f"'self' {extra}")


BASE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def static_headers(headers, path: str, url: str) -> None:
    """WhiteNoise answers static files before Flask runs: give them the same headers."""
    for name, value in BASE_HEADERS.items():
        headers[name] = value


# What an anonymous visitor's session may hold while the page is still the same for everyone.
ANONYMOUS_SESSION_KEYS = {"csrf_token", "_fresh", "_id", "_remember"}


def _personal() -> bool:
    """The response was made for one person: their session names them (Flask-Login's
    `_user_id`) or holds their own things (a cart, a flash message), or they carry a
    remember-me cookie. Read from the cookies alone: loading the account here would cost the
    hot paths that never load it (the flash-sale button) a query."""
    if set(session.keys()) - ANONYMOUS_SESSION_KEYS:
        return True
    return current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies


def keep_personal_pages_private(response):
    """The one rule for pages specific to someone (orders, addresses, account, coupons,
    wallet, shop desk, statements, certification, notifications …): no cache anywhere keeps
    them (`private, no-store`). A view that says otherwise keeps its own answer, except that
    a personal one is never left storable by a shared cache: `public` is the view's explicit
    word, anything else gains `private` (ETag polling with `no-cache` keeps working)."""
    if not _personal():
        return response
    control = response.headers.get("Cache-Control")
    if not control:
        response.headers["Cache-Control"] = "private, no-store"
        return response
    directives = {part.strip().split("=")[0].lower() for part in control.split(",")}
    if not directives & {"public", "private", "no-store"}:
        response.headers["Cache-Control"] = control + ", private"
    return response


def _has_nul(values) -> bool:
    return any("\x00" in value for value in values)


def init_security(app: Flask) -> None:
    @app.before_request
    def refuse_nul_bytes():
        """NUL can't be stored in PostgreSQL text and has no business in any field."""
        if "\x00" in request.path or _has_nul(request.args.values()):
            abort(400)
        if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ) and _has_nul(request.form.values()):
            abort(400)

    app.after_request(keep_personal_pages_private)

    @app.after_request
    def security_headers(response):
        headers = response.headers
        for name, value in BASE_HEADERS.items():
            headers.setdefault(name, value)
        headers.setdefault("Permissions-Policy", "geolocation=(), microphone=(), camera=(self)")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config["SESSION_COOKIE_SECURE"]:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
