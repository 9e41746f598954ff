"""The demo's public pages, one of each kind (for the heading test and scripts/lighthouse.py)."""
from __future__ import annotations

from sqlalchemy import func, select

from app.catalog.models import Product, ProductPhoto
from app.extensions import db
from app.flash.models import FlashSale
from app.live.models import LiveRoom
from app.merchants.models import Merchant


def public_pages() -> dict[str, str]:
    """name → path on the seeded demo: home, portal, belt, a multi-photo product of 玉匠人, its
    shop, search (with and without results), its live room, the venues and a flash sale."""
    shop = db.session.scalar(select(Merchant).where(Merchant.name == "玉匠人"))
    product_id = db.session.scalar(
        select(ProductPhoto.product_id).join(Product, Product.id == ProductPhoto.product_id)
        .where(Product.merchant_id == shop.id)
        .group_by(ProductPhoto.product_id).having(func.count() > 1)
        .order_by(ProductPhoto.product_id).limit(1))
    room_id = db.session.scalar(select(LiveRoom.id).where(LiveRoom.merchant_id == shop.id)
                                .order_by(LiveRoom.id))
    sale_id = db.session.scalar(select(FlashSale.id).order_by(FlashSale.id))
    return {
        "home": "/", "portal": "/portals/jade", "belt": "/belts/zhenping-jade",
        "product": f"/products/{product_id}", "shop": f"/shops/{shop.id}",
        "search": "/search?q=手镯", "search, nothing found": "/search?q=zzzz",
        "live room": f"/live/{room_id}", "campaign venue": "/campaigns/116-demo",
        "ended campaign venue": "/campaigns/116-2025", "flash sale": f"/flash/{sale_id}",
    }
