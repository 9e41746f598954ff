"""Live rooms (直播间) and 闪电购 lightning listing."""
from __future__ import annotations

import os

from flask import Flask

SLOT_PARTIALS = {
    "home_sections": "live/_slot_home.html",
    "portal_sections": "live/_slot_portal.html",
    "belt_sections": "live/_slot_belt.html",
    "shop_sections": "live/_slot_shop.html",
    "product_extras": "live/_slot_product.html",
    "account_menu": "live/_slot_account.html",
}


def init_live(app: Flask) -> None:
    from app import money, tick
    from app.demo import register_demo_step
    from app.live import demo, presence, routes, services
    from app.slots import register_slot

    # How often buyers' rooms poll (seconds); the answer is 304 when nothing changed.
    app.config.setdefault("LIVE_POLL_SECONDS", int(os.environ.get("LIVE_POLL_SECONDS", "3")))
    # 闪电购 reads bodies up to this size so an oversized photo gets a clear message with the
    # typed fields kept; the photo itself is still limited to MAX_IMAGE_BYTES (15 MB).
    app.config.setdefault("LIVE_UPLOAD_MAX_BODY", 50 * 1024 * 1024)
    # Per merchant: a busy anchor lists one item every few seconds at most.
    app.config.setdefault("RATELIMIT_LIGHTNING",
                          os.environ.get("RATELIMIT_LIGHTNING", "30 per minute;600 per hour"))

    # Comments and likes add their routes to the live blueprint (before it is registered).
    from app.live import comment_routes

    comment_routes.init_chat(app)
    app.register_blueprint(routes.bp)
    for slot, template in SLOT_PARTIALS.items():
        register_slot(app, slot, template)
    app.jinja_env.globals.update(
        live_room_cards=services.room_cards,
        live_room_of_product=services.live_room_presenting,
        live_shop_of=services.shop_of_user,
        live_stream_kind=services.stream_kind,
        yuan_input=money.input_value,
    )
    if "live.prune_viewers" not in dict(tick.JOBS):
        tick.job("live.prune_viewers")(presence.prune)
    register_demo_step("live", demo.seed_live)
    from app.live.comment_demo import seed_comments

    register_demo_step("live_comments", seed_comments)
