from __future__ import annotations

from flask import Blueprint, abort, current_app, request, url_for

from app.catalog import services as catalog
from app.catalog.filters import parse_filter
from app.merchants import services
from app.pagecache import public_page
from app.rendering import render_page

bp = Blueprint("merchants", __name__)


@bp.get("/shops/<id:merchant_id>")
@public_page
def shop(merchant_id: int):
    merchant = services.get_shop(merchant_id)
    if merchant is None:
        abort(404)
    parsed = parse_filter(request.args, **catalog.filter_vocabulary())
    parsed.filter = parsed.filter.with_(merchant_id=merchant.id, belt=None, industry=None)
    goods = catalog.find_products(parsed.filter, current_app.config["PAGE_SIZE"])
    return render_page(
        "merchants/shop.html", {"listing": "listing", None: "results"},
        merchant=merchant, goods=goods, filter=parsed.filter, notes=parsed.notes,
        base_url=url_for("merchants.shop", merchant_id=merchant.id),
    )
