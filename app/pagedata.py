"""Data for the parts other domains lay out on a shared page (the slots of app.slots).

A page's view (e.g. the catalog's product view) gathers its own data, then asks every domain
that registered a provider for that page to add its part, and passes the result to the
template as `parts`. So the product page shows certificates, DSR, a flash sale or the live
room without the catalog importing those domains, and the slot partials only read data:

    register_page_data(app, "product", "dsr", lambda product, **_: dsr_summary(product.merchant))
    ...
    {% set dsr = parts.dsr %}                      {# in orders/_product_dsr.html #}

A provider runs a fixed number of queries (one at most, by convention) whatever the page
shows, and takes the page's subject as keyword arguments (ignore the ones it does not need)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app

PAGES = ("product", "shop", "belt", "portal", "home", "live_room")

Provider = Callable[..., Any]


def register_page_data(app: Flask, page: str, name: str, provider: Provider) -> None:
    if page not in PAGES:
        raise KeyError(f"unknown page {page!r}; add it to app.pagedata.PAGES")
    providers = app.extensions.setdefault("yt_page_data", {}).setdefault(page, {})
    providers[name] = provider


class Parts(dict):
    """The gathered parts; a part nobody registered reads as None (`parts.videos`)."""

    def __getattr__(self, name: str) -> Any:
        return self.get(name)


def gather(page: str, **subject: Any) -> Parts:
    """Every registered part of `page`, each computed from the page's subject."""
    providers = current_app.extensions.get("yt_page_data", {}).get(page, {})
    return Parts({name: provider(**subject) for name, provider in providers.items()})
