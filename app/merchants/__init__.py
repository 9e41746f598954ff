"""Merchants: shops, the belt certification workflow, quality certificates, the dashboard."""
import os

from flask import Flask


def init_merchants(app: Flask) -> None:
    from sqlalchemy import select

    from app import tick
    from app.accounts.services import register_audit_action, register_audit_subject
    from app.accounts.sessions import register_viewer_count, viewer_count
    from app.i18n import N_
    from app.merchants import (  # noqa: F401 (importing registers the routes)
        admin_routes,
        bases_routes,
        belt_page_routes,
        belt_pages,
        certificates,
        certification,
        dashboard_routes,
        goods_routes,
        nav,
        routes,
        services,
        stats,
        upload_routes,
    )
    from app.merchants.cards import shop_card
    from app.merchants.models import Certificate, Merchant
    from app.pagecache import register_distinct_viewer
    from app.pagedata import register_page_data
    from app.rendering import TemplateModule
    from app.slots import register_slot

    app.config.setdefault("PUBLIC_BASE_URL", os.environ.get("PUBLIC_BASE_URL") or None)
    # Forms that store photos: a per-account cap, so nobody fills the disk from a script.
    app.config.setdefault("RATELIMIT_UPLOADS", os.environ.get("RATELIMIT_UPLOADS", "60 per hour"))
    app.register_blueprint(routes.bp)
    app.jinja_env.globals["mui"] = TemplateModule(app.jinja_env, "merchants/_macros.html")
    app.jinja_env.globals["shop_card"] = shop_card
    app.jinja_env.globals["merchant_nav"] = nav.nav_for_current_user
    app.jinja_env.globals["reviews_belt"] = nav.reviews_belt
    app.jinja_env.globals["certification_pending"] = certification.pending_count

    register_slot(app, "product_extras", "merchants/_product_certificates.html")
    from app.catalog.extras import attached_to_goods

    attached_to_goods(Certificate)
    register_page_data(app, "product", "certificates", lambda product, **_: (
        services.product_certificates(product.id) if product.has_extras else []))
    register_page_data(app, "product", "hotline",
                       lambda product, **_: services.shop_hotline(product.merchant))
    register_page_data(app, "shop", "hotline",
                       lambda merchant, **_: services.shop_hotline(merchant))
    register_page_data(app, "live_room", "hotline",
                       lambda room, **_: services.shop_hotline(room.merchant))
    # The belt's shops and the base's featured ones (belt_pages), from one query.
    register_page_data(app, "belt", "shops", lambda belt, **_: services.belt_shops(belt.id))
    register_page_data(app, "portal", "belt_shop_counts",
                       lambda **_: services.belt_shop_counts())
    register_page_data(app, "portal", "shops", lambda industry, **_: services.ranked_shops(
        industry_id=industry.id, certified_only=True, limit=20))
    # A shop owner sees their own goods' controls on the public pages: never a shared copy.
    register_viewer_count("shops", services.shops_of)
    register_distinct_viewer(app, lambda user: viewer_count(user, "shops") != 0)
    register_slot(app, "shop_header", "merchants/_shop_certification.html")
    register_slot(app, "belt_header", "merchants/_belt_admin_link.html")
    # The shops a belt's base features on its page (belt_pages), above the belt's sections.
    register_slot(app, "belt_sections", "merchants/_belt_featured.html")
    register_slot(app, "account_menu", "merchants/_account_menu.html")

    stats.init_view_counting(app)
    if not any(name == "merchant_views" for name, _fn in tick.JOBS):
        tick.job("merchant_views")(stats.flush_views)
    for action, names in (*certification.AUDIT_LABELS.items(), *certificates.AUDIT_LABELS.items()):
        register_audit_action(action, *names)
    register_audit_subject("merchant", lambda ids: select(Merchant.id, Merchant.name, Merchant.id)
                           .where(Merchant.id.in_(ids)), url="/shops/{}")
    register_audit_subject("certificate", lambda ids: select(
        Certificate.id, Certificate.number, Certificate.number).where(Certificate.id.in_(ids)),
        url="/certificates/{}")
    register_audit_action(belt_pages.EDIT, N_("编辑产业带页面"),
                          N_("%(actor)s 编辑了 %(subject)s 的产业带页面"))

