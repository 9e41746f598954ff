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
the page again (which cost more than everything else a cached page does).

Signed-in buyers share the anonymous copy too, when nothing on the page is theirs but the
viewer parts: the header's account links and cart, the tab bar's cart, the footer's sign-out
form. Templates lay those out with `viewer_part(template)`; in a shared render each comes out
between markers, and the copy is cut there as at the tokens. An anonymous visitor gets what the
render put there; a signed-in buyer gets those few small templates rendered for them. Viewers
who see more on these pages (operators, belt admins, shop owners: `register_distinct_viewer`)
and pages that show a buyer something of their own (`personal()`: a flash sale's claim) are
rendered for them as before. Only anonymous visitors' requests make a copy."""
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
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

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
# (version, checked_at, body, headers, rendered_at, ids of the goods shown, what they showed,
#  whether signed-in buyers may be served it)
ENTRY_VERSION = "body-v3"
ENTRY_FIELDS = 8
# A viewer part in a shared render: <yt-part t="template">what an anonymous visitor sees</yt-part>
# (template names are ours; user text cannot hold a raw '<', so only our markers match).
# The token's and the parts' places share the prefix "<yt-", which lets `re` skip to each
# candidate (one alternation of all three places tried at every byte took 0.33 ms on a 44 KB
# page, more than compressing it); the JSON token has no '<' and is found apart (_places).
_MARK = b"<yt-"
_MARKED = re.compile(re.escape(_MARK) + b"(?:" + re.escape(PLACEHOLDER.encode().removeprefix(_MARK))
                     + rb'|part t="([^"<>]+)">(.*?)</yt-part>)', re.S)
_JSON_TOKEN = PLACEHOLDER_JSON.encode()
_TOKENS = re.compile(re.escape(PLACEHOLDER.encode()) + b"|" + re.escape(PLACEHOLDER_JSON.encode()))
_PART_MARKS = re.compile(rb'<yt-part t="[^"<>]+">|</yt-part>')
# A signed-in session holds these and nothing else when its owner may share a copy.
VIEWER_SESSION_KEYS = frozenset({"_user_id", "_id", "_fresh", "csrf_token"})
ANONYMOUS_SESSION_KEYS = frozenset({"csrf_token", "_fresh"})
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


def _piece(fill: bytes) -> bytes:
    # A few dozen bytes are not worth a compressor; a header's links are.
    return _deflated(fill) if len(fill) > 120 else _stored(fill)


def _places(data: bytes) -> list[tuple[int, int, bytes | None, bytes | None]]:
    """(start, end, template, what an anonymous visitor sees) of each place in `data`, in
    order; template None at a token's. As one left-to-right scan reads them: a token inside
    a viewer part is that part's text (then `Body.token_in_a_part`)."""
    found = [(m.start(), m.end(), m.group(1), m.group(2)) for m in _MARKED.finditer(data)]
    at = data.find(_JSON_TOKEN)
    if at < 0:
        return found
    parts = [(begin, end) for begin, end, template, _shown in found if template]
    while at >= 0:
        if not any(begin <= at < end for begin, end in parts):
            found.append((at, at + len(_JSON_TOKEN), None, None))
        at = data.find(_JSON_TOKEN, at + len(_JSON_TOKEN))
    return sorted(found, key=lambda place: place[0])


@dataclass(frozen=True)
class Body:
    """A shared page's text cut at its places: where each visitor's CSRF token goes (`places`
    None) and each viewer part (`places` its template). `texts` has one more item than
    `places`; `pieces` are the texts as deflate pieces (`_deflated`); `anonymous` what an
    anonymous visitor gets at each place (b"" at a token's), `anonymous_pieces` the same
    deflated."""

    texts: tuple[bytes, ...]
    pieces: tuple[bytes, ...]
    places: tuple[str | None, ...]
    anonymous: tuple[bytes, ...]
    anonymous_pieces: tuple[bytes, ...]

    @classmethod
    def of(cls, data: bytes) -> Body:
        texts, places, anonymous = [], [], []
        start = 0
        for begin, end, template, shown in _places(data):
            texts.append(data[start:begin])
            places.append(template.decode() if template else None)
            anonymous.append(shown if template else b"")
            start = end
        texts.append(data[start:])
        return cls(tuple(texts), tuple(_deflated(text) for text in texts), tuple(places),
                   tuple(anonymous), tuple(_piece(fill) if place else b""
                                           for place, fill in zip(places, anonymous, strict=True)))

    @property
    def token_in_a_part(self) -> bool:
        """A viewer part that printed a CSRF token (a form) for the anonymous visitor: not
        kept, since a kept part's text is served as it is."""
        return any(_TOKENS.search(fill) for fill in self.anonymous)

    @property
    def has_token(self) -> bool:
        return None in self.places

    @property
    def parts(self) -> tuple[str, ...]:
        """The viewer parts' templates, each once, in page order."""
        return tuple(dict.fromkeys(place for place in self.places if place))

    def _fills(self, token: bytes, parts: dict[str, bytes] | None) -> list[bytes]:
        return [token if place is None else
                (self.anonymous[i] if parts is None else parts[place])
                for i, place in enumerate(self.places)]

    def plain(self, token: bytes, parts: dict[str, bytes] | None = None) -> bytes:
        """The page with `token` at the token's places and, at each viewer part's, what an
        anonymous visitor sees (`parts` None) or `parts[template]`."""
        out = [self.texts[0]]
        for fill, text in zip(self._fills(token, parts), self.texts[1:], strict=True):
            out += [fill, text]
        return b"".join(out)

    def gzipped(self, token: bytes, parts: dict[str, bytes] | None = None) -> bytes:
        """The same page as one gzip member: the kept pieces, the token as a stored block
        between them, an anonymous visitor's parts as kept, a viewer's compressed now, and
        the checksum of the whole text."""
        fills = self._fills(token, parts)
        stored_token = _stored(token) if self.has_token else b""
        out = [GZIP_HEADER, self.pieces[0]]
        crc = zlib.crc32(self.texts[0])
        size = len(self.texts[0])
        for i, (place, fill) in enumerate(zip(self.places, fills, strict=True)):
            if place is None:
                out.append(stored_token)
            else:
                out.append(self.anonymous_pieces[i] if parts is None else _piece(fill))
            text = self.texts[i + 1]
            out.append(self.pieces[i + 1])
            crc = zlib.crc32(text, zlib.crc32(fill, crc))
            size += len(fill) + len(text)
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


def personal() -> None:
    """Called by a view whose page shows a signed-in buyer something of their own beyond the
    viewer parts (a flash sale's claim and buy form): its copy is for anonymous visitors only."""
    if g.get("yt_public_render"):
        g.yt_personal = True


def _rendered(environment, template: str, parent: dict) -> str:
    """`template` rendered with `parent` as its context, not copied: Template.render would copy
    every global (a ChainMap, key by key in Python) for each of these small parts."""
    compiled = environment.get_template(template)
    return "".join(compiled.root_render_func(compiled.new_context(parent, shared=True)))


@pass_context
def viewer_part(context: Context, template: str) -> Markup:
    """A part of the page that depends on who is looking (`{{ viewer_part("…html") }}`),
    rendered with the page's context (not the page's own {% set %}s); marked in a shared
    render so each viewer gets their own."""
    html = _rendered(context.environment, template, context.parent)
    if g.get("yt_public_render"):
        return Markup(f'<yt-part t="{escape(template)}">{html}</yt-part>')  # noqa: S704
    return Markup(html)  # noqa: S704 (a template's own output, escaped where it renders)


def _viewer_parts(templates: Sequence[str]) -> dict[str, bytes]:
    """The viewer parts rendered for the current (signed-in) visitor, with the context every
    template gets (its processors run once)."""
    environment = current_app.jinja_env
    context: dict = {}
    current_app.update_template_context(context)
    parent = {**environment.globals, **context}
    return {name: _rendered(environment, name, parent).encode() for name in templates}


def register_distinct_viewer(app: Flask, sees_more: Callable[[object], bool]) -> None:
    """A domain's test for signed-in users who see more on the public pages than a buyer does
    (e.g. a shop owner's controls on their goods): they never get a shared copy."""
    app.extensions.setdefault("yt_distinct_viewers", []).append(sees_more)


def fresh_only() -> None:
    """Called by a view whose page shows something revalidation does not check (a flash price,
    a live room's state): its cached copy is renewed by rendering, never kept by the check."""
    if g.get("yt_public_render"):
        g.yt_fresh_only = True


def _audience() -> str | None:
    """Who may be served a shared copy: "anonymous" (they also make it), "viewer" (a signed-in
    buyer, served only the viewer parts of their own), or None (their own page, not kept)."""
    if request.method not in ("GET", "HEAD"):
        return None
    keys = session.keys()
    if not current_user.is_authenticated:
        # Flask-Login's session protection marks anonymous sessions `_fresh = False`.
        return "anonymous" if keys <= ANONYMOUS_SESSION_KEYS else None
    if keys <= VIEWER_SESSION_KEYS and not any(
            sees_more(current_user)
            for sees_more in current_app.extensions.get("yt_distinct_viewers", ())):
        return "viewer"
    return None


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
        audience = _audience() if ttl else None
        if audience is None:
            return view(*args, **kwargs)
        key = _key()
        entry = cache.get(key)
        if entry is not None and (len(entry) != ENTRY_FIELDS or entry[0] != ENTRY_VERSION):
            entry = None  # written by an earlier version (a shared cache across a deploy)
        now = time.time()
        claimed = False  # this request holds the renewal
        if entry is not None:
            age = now - entry[1]
            claimed = MAX_AGE >= age > ttl and cache.add(key + ":renewing", 1, timeout=5)
            if age > MAX_AGE or claimed:
                entry = _renew_cheaply(key, entry, now, revalidate)  # None: render it again
        if audience == "viewer":
            if entry is None or not entry[7]:
                if claimed and entry is None:  # anonymous visitors' requests render copies
                    cache.delete(key + ":renewing")
                return view(*args, **kwargs)
            return _served(entry[2], entry[3], viewer=True)
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
    g.yt_personal = False
    try:
        response = make_response(view(*args, **kwargs))
    finally:
        g.yt_public_render = False
    shareable = (response.status_code == 200 and "csrf_token" not in g
                 and dict(session) == before and not response.headers.get("Set-Cookie")
                 and not response.direct_passthrough)
    body = Body.of(response.get_data()) if shareable else None
    if body is None or body.token_in_a_part:
        cache.delete(key + ":renewing")
        return response
    goods = g.yt_shown_products
    shown = tuple(sorted({product.id for product in goods}))
    # From the very objects the cards were rendered from (not a second read, which could
    # already see a change the page does not show).
    fingerprint = (revalidate.shown(goods) if revalidate is not None and _hold() > 0
                   and not g.get("yt_fresh_only") else None)
    entry = (ENTRY_VERSION, now, body,
             [(h, response.headers[h]) for h in KEPT_HEADERS if h in response.headers],
             now, shown, fingerprint, not g.yt_personal)
    cache.set(key, entry, timeout=_lifetime(revalidate))
    cache.delete(key + ":renewing")
    return entry


def _renew_cheaply(key: str, entry: tuple, now: float, revalidate: Revalidation | None):
    """The copy is due: keep it if the goods on it show the same as when it was rendered and
    it is younger than the hold; else None (render again)."""
    version, _checked_at, body, headers, rendered_at, shown, fingerprint, for_viewers = entry
    if (revalidate is None or fingerprint is None or now - rendered_at > _hold()
            or revalidate.current(shown) != fingerprint):
        return None
    entry = (version, now, body, headers, rendered_at, shown, fingerprint, for_viewers)
    cache.set(key, entry, timeout=_lifetime(revalidate))
    cache.delete(key + ":renewing")
    return entry


def _lifetime(revalidate: Revalidation | None) -> int:
    """How long the cache keeps an entry: a little over what it may be served for."""
    return int(_hold()) + 2 if revalidate is not None else 2


def _served(body: Body, headers: list, viewer: bool = False) -> Response:
    """A kept copy with this visitor's token (and a viewer's own parts): gzip from the kept
    pieces when the browser takes it, else the plain text (which Flask-Compress may still
    compress, e.g. for brotli only)."""
    token = masked_csrf().encode() if body.has_token else b""
    parts = _viewer_parts(body.parts) if viewer else None
    if request.accept_encodings["gzip"]:
        response = make_response(body.gzipped(token, parts), 200, headers)
        response.headers["Content-Encoding"] = "gzip"
        vary = response.headers.get("Vary")
        if not vary:
            response.headers["Vary"] = "Accept-Encoding"
        elif "accept-encoding" not in vary.lower():
            response.headers["Vary"] = f"{vary}, Accept-Encoding"
        return response
    return make_response(body.plain(token, parts), 200, headers)


def _with_token(response):
    if response.direct_passthrough:
        return response
    body = response.get_data()
    if b"<yt-" not in body:
        return response
    if PLACEHOLDER.encode() in body or PLACEHOLDER_JSON.encode() in body:
        token = masked_csrf().encode()
        body = body.replace(PLACEHOLDER.encode(), token).replace(PLACEHOLDER_JSON.encode(), token)
    response.set_data(_PART_MARKS.sub(b"", body))  # what this (anonymous) visitor sees stays
    return response


def init_pagecache(app: Flask) -> None:
    app.config.setdefault("PUBLIC_PAGE_TTL", 1)
    app.config.setdefault("PUBLIC_PAGE_HOLD", 10)
    if app.config["PUBLIC_PAGE_TTL"] > MAX_AGE:
        raise ValueError("PUBLIC_PAGE_TTL must stay below 2 s (stock and prices on pages)")
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["shown_product"] = shown_product
    app.jinja_env.globals["viewer_part"] = viewer_part
    # Flask-WTF also injects its generate_csrf through a context processor; a later processor
    # wins, so every template's csrf_token() is this one.
    app.context_processor(lambda: {"csrf_token": csrf_token})
