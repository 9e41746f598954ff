"""Source content and market governance: short videos from the source (源头实拍), buyers'
complaints, and the belt base's enforcement (warning, delisting, suspension, revoking
certification), with a per-belt dashboard. See docs/GOVERNANCE.md."""
from __future__ import annotations

import os

from flask import Flask

SLOT_PARTIALS = (
    ("belt_sections", "governance/_slot_belt.html"),
    ("portal_sections", "governance/_slot_portal.html"),
    ("shop_sections", "governance/_slot_shop.html"),
    ("product_extras", "governance/_slot_product.html"),
    ("shop_header", "governance/_shop_complaints.html"),
    ("belt_header", "governance/_belt_admin_link.html"),
    ("account_menu", "governance/_account_menu.html"),
    ("head", "governance/_head.html"),
    ("order_actions", "governance/_order_complaint.html"),
)


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw and raw.strip().isdigit() else default


def init_governance(app: Flask) -> None:
    from sqlalchemy import select

    from app import clock
    from app.accounts.services import register_audit_action, register_audit_subject
    from app.governance import complaints, enforcement, routes, videos
    from app.governance.models import Complaint
    from app.merchants.models import Merchant
    from app.pagedata import register_page_data
    from app.slots import register_slot

    mb = 1024 * 1024
    # A short video: up to 30 MB and 60 seconds by default.
    app.config.setdefault("GOVERNANCE_VIDEO_MAX_BYTES", _env_int("GOVERNANCE_VIDEO_MAX_MB", 30) * mb)
    app.config.setdefault("GOVERNANCE_VIDEO_MAX_SECONDS", _env_int("GOVERNANCE_VIDEO_MAX_SECONDS", 60))
    # Bodies read before refusing with the form and a message (beyond this: a bare 413).
    app.config.setdefault("GOVERNANCE_VIDEO_MAX_BODY", app.config["GOVERNANCE_VIDEO_MAX_BYTES"] + 8 * mb)
    app.config.setdefault("GOVERNANCE_COMPLAINT_MAX_BODY", 64 * mb)

    app.register_blueprint(routes.bp)
    for slot, template in SLOT_PARTIALS:
        register_slot(app, slot, template)
    from app.catalog.extras import attached_to_goods
    from app.governance.models import SourceVideoProduct

    attached_to_goods(SourceVideoProduct)
    register_page_data(app, "product", "videos", lambda product, **_: (
        videos.strip(product_id=product.id, limit=4) if product.has_extras else []))
    register_page_data(app, "shop", "videos",
                       lambda merchant, **_: videos.strip(merchant_id=merchant.id))
    register_page_data(app, "shop", "upheld_complaints",
                       lambda merchant, **_: complaints.shown_upheld_count(merchant.id))
    register_page_data(app, "belt", "videos", lambda belt, **_: videos.strip(belt_id=belt.id))
    register_page_data(app, "portal", "videos",
                       lambda industry, **_: videos.strip(industry_id=industry.id))
    app.jinja_env.globals.update(
        video_playable=videos.playable_url,
        order_complaint=complaints.complaint_of_order,
        COMPLAINABLE_STATUSES=complaints.COMPLAINABLE,
        shop_suspended=lambda merchant: merchant.is_suspended(clock.now()),
        COMPLAINT_KIND_NAMES=complaints.KIND_NAMES,
        COMPLAINT_STATUS_NAMES=complaints.STATUS_NAMES,
        ACTION_NAMES=enforcement.ACTION_NAMES,
    )
    for action, names in (*complaints.AUDIT_LABELS.items(), *enforcement.AUDIT_LABELS.items()):
        register_audit_action(action, *names)
    # A complaint is named by the shop it is about, and links to its thread.
    register_audit_subject("complaint", lambda ids: select(Complaint.id, Merchant.name, Complaint.id)
                           .join(Merchant, Merchant.id == Complaint.merchant_id)
                           .where(Complaint.id.in_(ids)), url="/complaints/{}")
