"""The product card (and the shop card, app.merchants.cards), rendered once per version of what
it shows.

A listing page shows 20 cards and a product page 6; the card is the hottest markup in the app
(about 0.2 ms of Jinja each). Its HTML depends only on the values it prints — the goods' title,
price, stock, sales, photo, badges and the shop's name and certification — and on the reader's
language. So the HTML is kept per process, keyed by exactly those values: a card whose price,
stock or shop changed has a new key and renders again, so nothing can be stale. The data itself
still comes from the database on every request; only identical markup is reused.

The key is built from the same attributes the macro reads (`card_key`); a test renders cards
with each of them changed and checks the key changes too."""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, request
from markupsafe import Markup

from app.i18n import template_locale
from app.pagecache import shown_product

MAX_CARDS = 10_000  # ~1.3 KB of HTML and a ~0.5 KB key each: under 20 MB per worker


class CardCache:
    """A bounded least-recently-used map, safe across a worker's threads."""

    def __init__(self, size: int = MAX_CARDS):
        self.size = size
        self._cards: OrderedDict[tuple, Markup] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Markup | None:
        with self._lock:
            html = self._cards.get(key)
            if html is not None:
                self._cards.move_to_end(key)
            return html

    def put(self, key: tuple, html: Markup) -> None:
        with self._lock:
            self._cards[key] = html
            if len(self._cards) > self.size:
                self._cards.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._cards.clear()

    def __len__(self) -> int:
        return len(self._cards)


def render_once(key: tuple, macro_name: str, *args: Any,
                template: str = "macros.html") -> Markup:
    """`template`'s `macro_name(*args)`, reused while `key` — every value the macro prints or
    branches on — is the same (the reader's language is added here)."""
    return _kept((template, macro_name, template_locale(), *key),
                 lambda: _macro(template, macro_name)(*args))


def _macro(template: str, name: str):
    return getattr(current_app.jinja_env.get_template(template).module, name)


def _kept(full_key: tuple, render: Callable[[], str]) -> Markup:
    """The HTML `render()` makes, kept under `full_key` in the card cache (every value the
    markup prints or branches on is in the key, so a kept copy is never stale)."""
    cache: CardCache = current_app.extensions["yt_cards"]
    html = cache.get(full_key)
    if html is None:
        html = Markup(render())  # noqa: S704 (a template's autoescaped output)
        cache.put(full_key, html)
    return html


def render_partial_once(key: tuple, template: str, **context: Any) -> Markup:
    """`template` rendered with `context` alone — no request, no context processors: what it
    shows comes in `context` — reused while `key` (every value it prints or branches on) is
    the same (the reader's language is added here). For a listing's filter form: the same
    for every page of the same filter and counts."""
    return _kept((template, template_locale(), *key),
                 lambda: current_app.jinja_env.get_template(template).render(**context))


def chrome(part: str, *args: Any) -> Markup:
    """A fixed part of the site's chrome (the `part` macro of _chrome.html: the header's
    brand and search form, the tab bar), rendered once per language, address root and
    `args` (every value the macro reads besides the language)."""
    return _kept(("_chrome.html", part, template_locale(), request.script_root, *args),
                 lambda: _macro("_chrome.html", part)(*args))


def tab_bar(end: bool = False) -> Markup:
    """The tab bar's links before the domains' tabs (the `tab_bar` slot) or after them, with
    the current page's tab marked."""
    endpoint = request.endpoint or ""
    if end:
        return chrome("tab_bar_end", endpoint.startswith("accounts."))
    view_args = request.view_args
    return chrome("tab_bar_start", endpoint == "catalog.home",
                  bool(view_args) and view_args.get("industry_slug") == "jade",
                  endpoint == "catalog.search")


def card_key(product: Any, loading: str) -> tuple:
    """Every value `product_card_markup` in macros.html prints or branches on."""
    merchant = product.merchant
    cover = product.cover
    return (loading, product.id, product.title, product.price_fen,
            product.stock <= 0,  # the card shows only sold out or not
            product.sales_count, product.source_type, product.is_lightning,
            product.merchant_id, merchant.name, merchant.certified,
            (cover.image_key, cover.width, cover.height) if cover is not None else None)


def product_card(product: Any, loading: str = "lazy") -> Markup:
    """The card of `product` (`loading`: "lazy", "eager" or "high", see macros.html)."""
    shown_product(product)  # the page cache revalidates against what the cards showed
    return render_once(card_key(product, loading), "product_card_markup", product, loading)


def init_cards(app: Flask) -> None:
    app.extensions["yt_cards"] = CardCache(app.config.get("PRODUCT_CARD_CACHE", MAX_CARDS))
    app.jinja_env.globals["product_card"] = product_card
    app.jinja_env.globals.update(chrome=chrome, tab_bar=tab_bar)
