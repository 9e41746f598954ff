from __future__ import annotations

from flask import Blueprint, abort, current_app, request, url_for

from app.catalog import services, views
from app.catalog.facets import listing_facets
from app.catalog.filters import parse_filter
from app.catalog.reference import SOURCE_TYPE_NAMES
from app.pagecache import public_page
from app.pagedata import gather
from app.rendering import render_page

bp = Blueprint("catalog", __name__)

LISTING_FRAGMENTS = {"listing": "listing", None: "results"}


def _parsed_filter(**fixed):
    parsed = parse_filter(request.args, **services.filter_vocabulary())
    if fixed:
        parsed.filter = parsed.filter.with_(**fixed, implied=tuple(fixed))
    return parsed


@bp.get("/")
@public_page
def home():
    industries = services.all_industries()
    featured = services.find_products(
        services.ProductFilter(certified=True), page_size=current_app.config["PAGE_SIZE"])
    return render_page("catalog/home.html", industries=industries, featured=featured,
                       belts=services.belt_summaries())


@bp.get("/portals/<slug:industry_slug>")
@public_page(revalidate=services.LISTED_GOODS)
def portal(industry_slug: str):
    industry = services.industry_by_slug(industry_slug)
    if industry is None:
        abort(404)
    parsed = _parsed_filter(industry=industry.slug)
    goods = services.find_products(parsed.filter, current_app.config["PAGE_SIZE"])
    return render_page(
        "catalog/portal.html", LISTING_FRAGMENTS,
        industry=industry, belts=services.belt_summaries(industry.id),
        merchants=services.ranked_merchants(industry_id=industry.id, certified_only=True,
                                            limit=20),
        filter=parsed.filter, notes=parsed.notes, goods=goods,
        facets=listing_facets(parsed.filter, fixed=("industry",)),
        base_url=url_for("catalog.portal", industry_slug=industry.slug),
    )


@bp.get("/belts/<slug:belt_slug>")
@public_page(revalidate=services.LISTED_GOODS)
def belt(belt_slug: str):
    belt = services.belt_by_slug(belt_slug)
    if belt is None:
        abort(404)
    parsed = _parsed_filter(belt=belt.slug)
    goods = services.find_products(parsed.filter, current_app.config["PAGE_SIZE"])
    return render_page(
        "catalog/belt.html", LISTING_FRAGMENTS,
        belt=belt, merchants=services.ranked_merchants(belt_id=belt.id),
        parts=gather("belt", belt=belt),  # other domains' parts: the base's featured shops
        facets=listing_facets(parsed.filter, fixed=("belt",)), filter=parsed.filter,
        notes=parsed.notes,
        goods=goods, source_names=SOURCE_TYPE_NAMES,
        base_url=url_for("catalog.belt", belt_slug=belt.slug),
    )


@bp.get("/search")
@public_page(revalidate=services.LISTED_GOODS)
def search():
    parsed = _parsed_filter()
    goods = services.find_products(parsed.filter, current_app.config["PAGE_SIZE"])
    return render_page(
        "catalog/search.html", LISTING_FRAGMENTS,
        filter=parsed.filter, notes=parsed.notes, goods=goods,
        facets=listing_facets(parsed.filter),
        source_names=SOURCE_TYPE_NAMES, base_url=url_for("catalog.search"),
    )


@bp.get("/products/<id:product_id>")
@public_page
def product(product_id: int):
    from flask_login import current_user

    page = views.product_page(product_id, current_user.id if current_user.is_authenticated else None)
    if page is None:
        abort(404)
    if not page.visible:
        return render_page("catalog/product_gone.html", product=page.product, status=404)
    return render_page("catalog/product.html", product=page.product, listable=page.listable,
                       related=page.related, parts=page.parts, venue_groups=page.venue_groups)
