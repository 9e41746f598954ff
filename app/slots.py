"""Named places on shared pages where domains add their own partial templates.

A domain registers in its init: `register_slot(app, "product_extras", "orders/_dsr.html")`;
the page renders `{% for t in slot("product_extras") %}{% include t %}{% endfor %}`.
So the product page shows certificates, DSR, live status … without the catalog knowing."""
from __future__ import annotations

from flask import Flask

SLOTS = (
    "head",               # extra <link>/<script src> in <head>
    "header_icons",       # icons in the site header (cart, …)
    "tab_bar",            # extra tabs in the phone tab bar
    "home_top",           # home page, above the hero (campaign banner)
    "home_sections",      # home page, after the portal tiles (live now, …)
    "portal_sections",    # industry portal, after the belts
    "belt_header",        # belt page, inside the base-info card (admin links, …)
    "belt_sections",      # belt page, before the shops
    "shop_header",        # shop page, inside the shop card (DSR, titles, …)
    "shop_sections",      # shop page, before the goods
    "product_price",      # product page, under the price (flash sale, coupons, …)
    "product_extras",     # product page, after the tags (certificates, DSR, videos, …)
    "product_actions",    # product page's sticky bottom bar (add to cart, buy now)
    "account_menu",       # links on /account
    "live_item_actions",  # a live room's 小黄车 row, per item `p` (add to cart, …)
    "order_actions",      # the buyer's order page, beside confirm / review (`order`, `st`)
    "live_room_top",      # a live room, under the comments and its header: `room` (coupons, votes, gifts, …)
    "venue_sections",     # a campaign's venue, under its hero: `campaign`, `phase` (flash sales, boards)
)


def register_slot(app: Flask, name: str, template: str) -> None:
    if name not in SLOTS:
        raise KeyError(f"unknown slot {name!r}; add it to app.slots.SLOTS")
    registered = app.extensions.setdefault("yt_slots", {})
    entries = registered.setdefault(name, [])
    if template not in entries:
        entries.append(template)


def init_slots(app: Flask) -> None:
    def slot(name: str) -> list[str]:
        return app.extensions.get("yt_slots", {}).get(name, [])

    app.jinja_env.globals["slot"] = slot
