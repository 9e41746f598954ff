"""Flash sales (直播秒杀): a limited number of units at a special price in a countdown window,
in a live room or on a campaign venue, bought through the orders domain (see docs/FLASH.md)."""
from __future__ import annotations

import os

from flask import Flask


def init_flash(app: Flask) -> None:
    """Flash sales: blueprint, pricing rule, slots, tick job, audit labels."""
    from sqlalchemy import select

    from app import tick
    from app.accounts.services import register_audit_action, register_audit_subject
    from app.catalog.models import Product
    from app.flash import buy as flash_buy
    from app.flash import services as flash_sales
    from app.flash.models import FlashSale
    from app.flash.routes import bp
    from app.flash.views import (
        campaign_flash_views,
        product_flash_view,
        room_flash_views,
    )
    from app.i18n import N_
    from app.orders.pricing import register_unit_price_rule
    from app.pagedata import register_page_data
    from app.slots import register_slot

    app.config.setdefault("RATELIMIT_FLASH", os.environ.get("RATELIMIT_FLASH", "20 per minute"))
    # How long a process answers 立即抢购 refusals from its copy of the sale (seconds).
    app.config.setdefault("FLASH_TICKET_SECONDS", 0.0 if app.testing else float(
        os.environ.get("FLASH_TICKET_SECONDS", "1")))
    app.register_blueprint(bp)
    from app.flash import door

    door.install(app)  # presses on a sale known to be closed, answered before Flask
    register_unit_price_rule(flash_buy.flash_unit_price)
    for slot, template in (("head", "flash/_slot_head.html"),
                           ("live_room_top", "flash/_slot_live.html"),
                           ("venue_sections", "flash/_slot_venue.html"),
                           ("product_price", "flash/_slot_product.html"),
                           ("account_menu", "flash/_slot_account.html")):
        register_slot(app, slot, template)
    from app.catalog.extras import attached_to_goods

    attached_to_goods(FlashSale)
    register_page_data(app, "product", "flash", lambda product, **_: (
        product_flash_view(product.id) if product.has_extras else None))
    register_page_data(app, "live_room", "flash_views",
                       lambda room, **_: room_flash_views(room.id))
    app.jinja_env.globals.update(flash_campaign_views=campaign_flash_views)
    for name, job in (("flash.release_cancelled", flash_buy.release_cancelled),
                      ("flash.reconcile_gates", flash_sales.reconcile_gates)):
        if name not in dict(tick.JOBS):
            tick.job(name)(job)
    for action, label, sentence in (
            ("flash.schedule", N_("设置秒杀"), N_("%(actor)s 为 %(subject)s 设置了秒杀")),
            ("flash.update", N_("修改秒杀"), N_("%(actor)s 修改了 %(subject)s 的秒杀")),
            ("flash.cancel", N_("取消秒杀"), N_("%(actor)s 取消了 %(subject)s 的秒杀"))):
        register_audit_action(action, label, sentence)
    # A flash sale is named by its goods and links to its page.
    register_audit_subject("flash_sale", lambda ids: select(FlashSale.id, Product.title, FlashSale.id)
                           .join(Product, Product.id == FlashSale.product_id)
                           .where(FlashSale.id.in_(ids)), url="/flash/{}")
