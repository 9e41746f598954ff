"""One function per public catalog page: it gathers everything the page shows with a fixed,
small number of queries (eager loading, one query per list) into plain data, and the template
only lays it out. Other domains' parts of a page (DSR, certificates, a flash sale, the live
room …) come from their providers (app.pagedata), called here without importing them."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from types import SimpleNamespace

from sqlalchemy import bindparam, select
from sqlalchemy import inspect as sa_inspect

from app import clock
from app.catalog import services
from app.catalog.facets import listing_facets
from app.catalog.filters import ParsedFilter, ProductFilter
from app.catalog.models import Belt, Industry, Product, ProductPhoto
from app.catalog.reference import VENUE_GROUPS
from app.db import column_attributes, columns_of, plain_copy, plain_rows, written_limit
from app.pagedata import Parts, gather


@dataclass
class ProductView:
    product: SimpleNamespace  # a plain copy: see `_product_with_everything`
    listable: bool
    visible: bool  # False: not listable and not the viewer's own (the page says it is gone)
    related: list[services.ProductCard]
    parts: Parts  # other domains' parts: certificates, hotline, dsr, flash, live, videos
    venue_groups: dict


# What the product page reads of its goods and of their shop, as columns (the goods' search
# words are never shown). The shop's table is reached through the relationship: the catalog
# imports no shops. (Read once the mappers are configured, at the first page.)
@functools.cache
def _product_columns() -> tuple:
    return tuple(attribute for attribute in column_attributes(Product)
                 if attribute.key != "search_tokens")


def _shop_columns() -> tuple:
    return column_attributes(_shop_mapper().class_)


def _shop_mapper():
    return sa_inspect(Product).relationships["merchant"].mapper


@functools.cache
def _shop_kind() -> type:
    """The shops domain's plain copy (it carries the shop's rules, e.g. `is_open`)."""
    return getattr(_shop_mapper().class_, "plain_kind", SimpleNamespace)


_PHOTO_COLUMNS = (ProductPhoto.image_key, ProductPhoto.width, ProductPhoto.height)


@functools.cache
def _product_statement():
    """The product, its shop and its photos in order: a row per photo (one, with empty photo
    columns, when it has none), plain columns (built once: see services.now_param)."""
    return (select(*columns_of(_product_columns()),
                   *columns_of(_shop_columns()), *_PHOTO_COLUMNS)
            .select_from(Product).join(Product.merchant)
            .outerjoin(ProductPhoto, ProductPhoto.product_id == Product.id)
            .where(Product.id == bindparam("product_id"))
            .order_by(ProductPhoto.position))


def _product_with_everything(product_id: int) -> SimpleNamespace | None:
    """The product with everything its page shows about it, as plain copies with the
    models' attribute names (templates, page providers and the page cache read them as they
    read the models): its shop, photos, belt (with its industry), industry and category. One
    query; the belt, industry and category are reference data kept per process (no query
    while kept). Reading entities took the ORM ~2 ms of Python per page."""
    rows = plain_rows(_product_statement(), {"product_id": product_id})
    if not rows:
        return None
    columns, shop = _product_columns(), _shop_columns()
    products = len(columns)
    first = rows[0]
    belts = services.page_belts_by_id()
    merchant = plain_copy(shop, first[products:products + len(shop)], _shop_kind())
    merchant.belt = belts.get(merchant.belt_id)
    photos = [services.CardPhoto(*row[-3:]) for row in rows if row[-3] is not None]
    product = plain_copy(columns, first[:products], merchant=merchant, photos=photos,
                         cover=photos[0] if photos else None)
    product.belt = belts.get(product.belt_id)
    product.industry = services.page_industries_by_id().get(product.industry_id)
    product.category = services.page_categories_by_id().get(product.category_id)
    return product


@functools.cache
def _related_statement(limit: int):
    return services.card_select(
        services.listable_products(services.now_param())
        .where(Product.id != bindparam("product_id"),
               Product.merchant_id == bindparam("merchant_id"))
        # One shop's goods all have the same merchant_certified: naming it lets the shop's
        # listing index (ix_products_shop_listing) give them in order, without a sort.
        .order_by(Product.merchant_certified.desc(), Product.sales_count.desc(),
                  Product.id.desc()).limit(written_limit(limit)))


def related_products(product: SimpleNamespace, limit: int = 6) -> list[services.ProductCard]:
    """More listable goods of the same shop, as cards: one query."""
    return services.cards_of(_related_statement(limit), {
        "product_id": product.id, "merchant_id": product.merchant_id, "now": clock.now()})


def product_page(product_id: int, viewer_id: int | None) -> ProductView | None:
    """The product page's data, or None when there is no such product. Goods buyers may not
    see come back not `visible` (and without the rest) unless the viewer owns the shop."""
    product = _product_with_everything(product_id)
    if product is None:
        return None
    listable = services.is_listable(product)
    if not listable and viewer_id != product.merchant.owner_id:
        return ProductView(product, False, False, [], Parts(), VENUE_GROUPS)
    return ProductView(product, listable, True, related_products(product),
                       gather("product", product=product), VENUE_GROUPS)


@dataclass
class ListingView:
    """A page of goods with its filter form: the belt and portal pages and search."""

    filter: ProductFilter
    notes: list[str]
    goods: services.ProductPage
    facets: dict
    base_url: str
    parts: Parts


@dataclass
class BeltView(ListingView):
    belt: Belt | None = None  # a plain copy (services.page_belt)


@dataclass
class PortalView(ListingView):
    industry: Industry | None = None  # a plain copy (services.page_industry)
    belts: list[services.BeltSummary] | None = None


@dataclass
class HomeView:
    industries: list[services.IndustryTile]
    belts: list[services.BeltSummary]
    featured: services.ProductPage
    parts: Parts


def _listing(parsed: ParsedFilter, page_size: int, base_url: str, fixed: tuple[str, ...],
             parts: Parts) -> dict:
    return {"filter": parsed.filter, "notes": parsed.notes,
            "goods": services.find_products(parsed.filter, page_size),
            "facets": listing_facets(parsed.filter, fixed=fixed), "base_url": base_url,
            "parts": parts}


def belt_page(slug: str, parsed: ParsedFilter, page_size: int, base_url: str) -> BeltView | None:
    """The belt (cached reference data), its goods (one query with their shops and photos),
    facet counts (cached), and the other domains' parts: its shops, live rooms, source
    videos."""
    belt = services.page_belt(slug)
    if belt is None:
        return None
    parsed.filter = parsed.filter.with_(belt=belt.slug, implied=("belt",))
    return BeltView(**_listing(parsed, page_size, base_url, ("belt",),
                               gather("belt", belt=belt)), belt=belt)


def portal_page(slug: str, parsed: ParsedFilter, page_size: int,
                base_url: str) -> PortalView | None:
    industry = services.page_industry(slug)
    if industry is None:
        return None
    parsed.filter = parsed.filter.with_(industry=industry.slug, implied=("industry",))
    return PortalView(**_listing(parsed, page_size, base_url, ("industry",),
                                 gather("portal", industry=industry)),
                      industry=industry, belts=services.belt_summaries(industry.id))


def search_page(parsed: ParsedFilter, page_size: int, base_url: str) -> ListingView:
    return ListingView(**_listing(parsed, page_size, base_url, (), Parts()))


def home_page(page_size: int) -> HomeView:
    """Portal tiles and belt chips (reference data, cached), certified goods (one query), and
    the other domains' parts: the campaign banner, live rooms."""
    return HomeView(services.industry_tiles(), services.belt_summaries(),
                    services.find_products(ProductFilter(certified=True), page_size=page_size),
                    gather("home"))
