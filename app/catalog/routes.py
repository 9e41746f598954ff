from __future__ import annotations

from flask import Blueprint, abort, current_app, request, url_for

from app.catalog import services, views
from app.catalog.filters import parse_filter
from app.catalog.reference import SOURCE_TYPE_NAMES
from app.pagecache import Revalidation, fresh_only, personal, public_page, shown_product
from app.rendering import render_page

bp = Blueprint("catalog", __name__)

# What the listing pages' cached copies are checked against before they are served again.
LISTED_GOODS = Revalidation(shown=services.shown_goods, current=services.current_goods)

LISTING_FRAGMENTS = {"listing": "listing", None: "results"}


def _parsed_filter(**fixed):
    parsed = parse_filter(request.args, **services.filter_vocabulary())
    if fixed:
        parsed.filter = parsed.filter.with_(**fixed, implied=tuple(fixed))
    return parsed


@bp.get("/")
@public_page
def home():
    page = views.home_page(current_app.config["PAGE_SIZE"])
    return render_page("catalog/home.html", industries=page.industries, featured=page.featured,
                       belts=page.belts, parts=page.parts)


@bp.get("/portals/<slug:industry_slug>")
@public_page(revalidate=LISTED_GOODS)
def portal(industry_slug: str):
    page = views.portal_page(industry_slug, _parsed_filter(), current_app.config["PAGE_SIZE"],
                             url_for("catalog.portal", industry_slug=industry_slug))
    if page is None:
        abort(404)
    return render_page("catalog/portal.html", LISTING_FRAGMENTS, **vars(page))


@bp.get("/belts/<slug:belt_slug>")
@public_page(revalidate=LISTED_GOODS)
def belt(belt_slug: str):
    page = views.belt_page(belt_slug, _parsed_filter(), current_app.config["PAGE_SIZE"],
                           url_for("catalog.belt", belt_slug=belt_slug))
    if page is None:
        abort(404)
    return render_page("catalog/belt.html", LISTING_FRAGMENTS, source_names=SOURCE_TYPE_NAMES,
                       **vars(page))


@bp.get("/search")
@public_page(revalidate=LISTED_GOODS)
def search():
    page = views.search_page(_parsed_filter(), current_app.config["PAGE_SIZE"],
                             url_for("catalog.search"))
    return render_page("catalog/search.html", LISTING_FRAGMENTS, source_names=SOURCE_TYPE_NAMES,
                       **vars(page))


@bp.get("/products/<id:product_id>")
@public_page(revalidate=LISTED_GOODS)
def product(product_id: int):
    from flask_login import current_user

    page = views.product_page(product_id, current_user.id if current_user.is_authenticated else None)
    if page is None:
        abort(404)
    if not page.visible:
        return render_page("catalog/product_gone.html", product=page.product, status=404)
    # A cached copy is kept while the product (price, stock, sales, status, its shop's state)
    # and its related cards show the same; goods with a flash sale or a live room show prices
    # and states the check does not cover: those copies are rendered again every TTL, and a
    # flash sale shows a signed-in buyer their own claim: theirs is rendered for them.
    shown_product(page.product)
    if page.product.has_extras:
        fresh_only()
        personal()
    return render_page("catalog/product.html", product=page.product, listable=page.listable,
                       related=page.related, parts=page.parts, venue_groups=page.venue_groups)
