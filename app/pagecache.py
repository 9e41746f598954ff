"""A short-lived page cache for anonymous visitors with an empty session.

Such a visitor sees exactly what every other one sees, except the CSRF token. The page is
rendered once with a placeholder where the token goes, kept for PUBLIC_PAGE_TTL (≤ 2 s, so
stock and prices on it are never staler than that) and served with each visitor's own token.
Signed-in users, visitors with a cart or flash messages, and non-GET requests bypass it. If
anything in the page generated a real token (a FlaskForm's csrf field), the page isn't cached.

Listing and product pages (`public_page(revalidate=…)`) renew more cheaply: the product cards rendered on
the page note the goods they show, and when the copy is due for renewal one small query
compares those goods' price, stock, status … now with the values the cards were rendered from.
Unchanged: the copy counts as fresh again, without re-rendering, for up to PUBLIC_PAGE_HOLD
seconds since its render (the rest of such a page — rankings, live rooms — may lag that long;
stock and prices on it never lag more than MAX_AGE). Changed: it is rendered again.

A copy is kept gzip-compressed once, in pieces cut at the token's places (see `Body`): a
visitor who accepts gzip gets the pieces joined around their own token, without compressing
the page again (which cost more than everything else a cached page does)."""
from __future__ import annotations

import re
import struct
import time
import zlib
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from functools import wraps

from flask import Flask, Response, current_app, g, make_response, request, session
from flask_login import current_user
from markupsafe import Markup

from app.csrf_mask import masked_csrf
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
# (version, checked_at, body, headers, rendered_at, ids of the goods shown, what they showed)
ENTRY_VERSION = "body-v2"
ENTRY_FIELDS = 7
_TOKEN_PLACES = re.compile(re.escape(PLACEHOLDER.encode()) + b"|" + re.escape(PLACEHOLDER_JSON.encode()))
# A gzip member's header: deflate, no name or time, "unknown" OS (RFC 1952).
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
COMPRESS_LEVEL = 6


def _deflated(data: bytes, level: int = COMPRESS_LEVEL) -> bytes:
    """`data` as raw deflate blocks ending in a full flush: byte-aligned, not final, and
    referring to nothing before them, so such pieces joined in order are one deflate stream."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)


def _stored(data: bytes) -> bytes:
    """`data` as one stored (uncompressed) deflate block, not final: for the token, a few dozen
    bytes, not worth a compressor (RFC 1951 3.2.4: a zero header byte, since the pieces end
    byte-aligned, then LEN and its complement)."""
    return b"\x00" + struct.pack("<HH", len(data), len(data) ^ 0xFFFF) + data


_FINAL_BLOCK = zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS).flush(zlib.Z_FINISH)


@dataclass(frozen=True)
class Body:
    """A shared page's text cut at the places where each visitor's CSRF token goes: `texts`
    (one more than the places) and the same texts as deflate pieces (`_deflated`)."""

    texts: tuple[bytes, ...]
    pieces: tuple[bytes, ...]

    @classmethod
    def of(cls, data: bytes) -> Body:
        texts = tuple(_TOKEN_PLACES.split(data))
        return cls(texts, tuple(_deflated(text) for text in texts))

    def plain(self, token: bytes) -> bytes:
        return token.join(self.texts)

    def gzipped(self, token: bytes) -> bytes:
        """The page with `token` in its places as one gzip member: the kept pieces, the token
        as a stored block between them, and the checksum of the whole text."""
        between = _stored(token) if len(self.texts) > 1 else b""
        crc = 0
        out = [GZIP_HEADER]
        for i, (text, piece) in enumerate(zip(self.texts, self.pieces, strict=True)):
            if i:
                out.append(between)
                crc = zlib.crc32(token, crc)
            out.append(piece)
            crc = zlib.crc32(text, crc)
        size = sum(map(len, self.texts)) + len(token) * (len(self.texts) - 1)
        out += [_FINAL_BLOCK, struct.pack("<II", crc, size & 0xFFFFFFFF)]
        return b"".join(out)


def csrf_token() -> str:
    """The `csrf_token()` templates call: a placeholder while rendering a shared page."""
    if g.get("yt_public_render"):
        return Markup(PLACEHOLDER)  # noqa: S704 (a constant, never user text)
    return masked_csrf()


def shown_product(product) -> str:
    """Called by the product card while a shared page renders: remember the goods it shows."""
    if g.get("yt_public_render"):
        g.yt_shown_products.append(product)
    return ""


def fresh_only() -> None:
    """Called by a view whose page shows something revalidation does not check (a flash price,
    a live room's state): its cached copy is renewed by rendering, never kept by the check."""
    if g.get("yt_public_render"):
        g.yt_fresh_only = True


def _cacheable_request() -> bool:
    if request.method not in ("GET", "HEAD") or current_user.is_authenticated:
        return False
    # Flask-Login's session protection marks anonymous sessions `_fresh = False`.
    return set(session.keys()) <= {"csrf_token", "_fresh"}


def _key() -> str:
    return "page:" + "|".join((
        locale_code(), request.headers.get("HX-Request", ""),
        request.headers.get("HX-Target", ""), request.full_path))


@dataclass(frozen=True)
class Revalidation:
    """How a listing tells whether its goods still show the same: `shown` describes the goods
    objects the cards were rendered from, `current` reads the same description from the
    database by id; equal descriptions mean the page would show the same for them."""

    shown: Callable[[Sequence], Hashable]
    current: Callable[[Sequence[int]], Hashable]


def public_page(view=None, *, revalidate: Revalidation | None = None):
    """Cache the view's page for anonymous visitors (see the module docstring)."""
    if view is None:
        return lambda inner: public_page(inner, revalidate=revalidate)

    @wraps(view)
    def wrapper(*args, **kwargs):
        ttl = current_app.config["PUBLIC_PAGE_TTL"]
        if not ttl or not _cacheable_request():
            return view(*args, **kwargs)
        key = _key()
        entry = cache.get(key)
        if entry is not None and (len(entry) != ENTRY_FIELDS or entry[0] != ENTRY_VERSION):
            entry = None  # written by an earlier version (a shared cache across a deploy)
        now = time.time()
        if entry is not None:
            age = now - entry[1]
            if age > MAX_AGE or (age > ttl and cache.add(key + ":renewing", 1, timeout=5)):
                entry = _renew_cheaply(key, entry, now, revalidate)  # None: render it again
        if entry is None:
            entry = _render(key, view, args, kwargs, now, revalidate)
            if not isinstance(entry, tuple):
                return _with_token(entry)  # not shareable: this visitor's own response
        return _served(entry[2], entry[3])

    return wrapper


def _hold() -> float:
    return current_app.config["PUBLIC_PAGE_HOLD"]


def _render(key: str, view, args, kwargs, now: float, revalidate: Revalidation | None):
    before = dict(session)
    g.yt_public_render = True
    g.yt_shown_products = []
    g.yt_fresh_only = False
    try:
        response = make_response(view(*args, **kwargs))
    finally:
        g.yt_public_render = False
    shareable = (response.status_code == 200 and "csrf_token" not in g
                 and dict(session) == before and not response.headers.get("Set-Cookie")
                 and not response.direct_passthrough)
    if not shareable:
        cache.delete(key + ":renewing")
        return response
    goods = g.yt_shown_products
    shown = tuple(sorted({product.id for product in goods}))
    # From the very objects the cards were rendered from (not a second read, which could
    # already see a change the page does not show).
    fingerprint = (revalidate.shown(goods) if revalidate is not None and _hold() > 0
                   and not g.get("yt_fresh_only") else None)
    entry = (ENTRY_VERSION, now, Body.of(response.get_data()),
             [(h, response.headers[h]) for h in KEPT_HEADERS if h in response.headers],
             now, shown, fingerprint)
    cache.set(key, entry, timeout=_lifetime(revalidate))
    cache.delete(key + ":renewing")
    return entry


def _renew_cheaply(key: str, entry: tuple, now: float, revalidate: Revalidation | None):
    """The copy is due: keep it if the goods on it show the same as when it was rendered and
    it is younger than the hold; else None (render again)."""
    version, _checked_at, body, headers, rendered_at, shown, fingerprint = entry
    if (revalidate is None or fingerprint is None or now - rendered_at > _hold()
            or revalidate.current(shown) != fingerprint):
        return None
    entry = (version, now, body, headers, rendered_at, shown, fingerprint)
    cache.set(key, entry, timeout=_lifetime(revalidate))
    cache.delete(key + ":renewing")
    return entry


def _lifetime(revalidate: Revalidation | None) -> int:
    """How long the cache keeps an entry: a little over what it may be served for."""
    return int(_hold()) + 2 if revalidate is not None else 2


def _served(body: Body, headers: list) -> Response:
    """A kept copy with this visitor's token: gzip from the kept pieces when the browser takes
    it, else the plain text (which Flask-Compress may still compress, e.g. for brotli only)."""
    token = masked_csrf().encode() if len(body.texts) > 1 else b""
    if request.accept_encodings["gzip"]:
        response = make_response(body.gzipped(token), 200, headers)
        response.headers["Content-Encoding"] = "gzip"
        vary = response.headers.get("Vary")
        if not vary:
            response.headers["Vary"] = "Accept-Encoding"
        elif "accept-encoding" not in vary.lower():
            response.headers["Vary"] = f"{vary}, Accept-Encoding"
        return response
    return make_response(body.plain(token), 200, headers)


def _with_token(response):
    if response.direct_passthrough:
        return response
    body = response.get_data()
    if PLACEHOLDER.encode() in body or PLACEHOLDER_JSON.encode() in body:
        token = masked_csrf().encode()
        body = body.replace(PLACEHOLDER.encode(), token).replace(PLACEHOLDER_JSON.encode(), token)
        response.set_data(body)
    return response


def init_pagecache(app: Flask) -> None:
    app.config.setdefault("PUBLIC_PAGE_TTL", 1)
    app.config.setdefault("PUBLIC_PAGE_HOLD", 10)
    if app.config["PUBLIC_PAGE_TTL"] > MAX_AGE:
        raise ValueError("PUBLIC_PAGE_TTL must stay below 2 s (stock and prices on pages)")
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["shown_product"] = shown_product
    # Flask-WTF also injects its generate_csrf through a context processor; a later processor
    # wins, so every template's csrf_token() is this one.
    app.context_processor(lambda: {"csrf_token": csrf_token})
