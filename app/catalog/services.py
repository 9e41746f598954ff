"""Catalog rules: what is listed, in which order, and how search finds it."""
from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from flask import current_app, g, has_app_context
from sqlalchemy import ARRAY, Integer, and_, any_, bindparam, func, or_, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import selectinload

from app import clock
from app.catalog import matching
from app.catalog.filters import ProductFilter
from app.catalog.models import Belt, Category, Industry, Product, ProductPhoto, ProductStatus
from app.db import plain_rows, written_limit
from app.extensions import cache, db


@dataclass(frozen=True, slots=True)
class CardShop:
    """The shop as a card shows it (from the goods' copies of its name and certification)."""

    id: int
    name: str
    certified: bool


@dataclass(frozen=True, slots=True)
class CardPhoto:
    image_key: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class ProductCard:
    """What a product card shows, read as plain columns (no ORM entities: a listing builds 20
    of these per page). The attribute names are the Product's, so the card macro and the page
    cache's revalidation (`shown_goods`) read either."""

    id: int
    title: str
    price_fen: int
    stock: int
    sales_count: int
    status: str
    merchant_suspended_until: datetime | None
    source_type: str
    is_lightning: bool
    merchant_id: int
    merchant_active: bool
    merchant_certified: bool
    merchant: CardShop
    cover: CardPhoto | None


_CARD_COLUMNS = (Product.id, Product.title, Product.price_fen, Product.stock, Product.sales_count,
                 Product.status, Product.merchant_suspended_until, Product.source_type,
                 Product.is_lightning, Product.merchant_id, Product.merchant_active,
                 Product.merchant_certified, Product.merchant_name,
                 ProductPhoto.image_key, ProductPhoto.width, ProductPhoto.height)


CARD_WIDTH = len(_CARD_COLUMNS)  # a card_select row's card columns, before any added ones


def card_select(query):
    """`query` (built on `listable_products()`) reading what cards show: its goods' columns
    (with their copies of the shop's name and state) and their cover photo's (position 0:
    photos are always numbered from 0)."""
    return (query.with_only_columns(*_CARD_COLUMNS)
            .outerjoin(ProductPhoto, (ProductPhoto.product_id == Product.id)
                       & (ProductPhoto.position == 0)))


def card_of(row) -> ProductCard:
    """One row of a `card_select` statement (its first columns) as a card, for a caller that
    selects more columns after them."""
    return ProductCard(*row[:12], CardShop(row[9], row[12], row[11]),
                       CardPhoto(row[13], row[14], row[15]) if row[13] is not None else None)


def cards_of(statement, params: dict | None = None) -> list[ProductCard]:
    """Run a `card_select` statement built once (functools.cache), with `params`: one query,
    plain rows (app.db.plain_rows)."""
    return [card_of(row) for row in plain_rows(statement, params)]


def card_rows(query) -> list[ProductCard]:
    """Run a `card_select` of `query`, a statement built for this call."""
    return [card_of(row) for row in db.session.execute(card_select(query))]


@dataclass
class ProductPage:
    items: list[ProductCard]
    page: int
    has_more: bool
    relaxed: bool = False  # no exact match: results for the query split into shorter words


def now_param():
    """`now` as a bound parameter, for statements built once (`functools.cache`) and run with
    `{"now": clock.now()}`: building a select and its cache key costs more Python than running
    it, and a page runs several."""
    return bindparam("now", type_=Product.merchant_suspended_until.type)


def listable_products(now=None):
    """The single rule for what buyers can see and buy: active goods (not taken off the shelf
    nor delisted by a base) of active shops that are not under a suspension in force.

    Every listing (home, portals, belts, shops, search, live rooms) starts from this. The shop's
    state is read from the product row's copies (`merchant_active`, `merchant_suspended_until`,
    kept by app.merchants.sync), the suspension compared with clock.now(): a suspension ends by
    itself, without a timer. No join: a caller that needs the shop joins `Product.merchant`."""
    now = clock.now() if now is None else now
    return (
        select(Product)
        .where(Product.status == ProductStatus.active, Product.merchant_active.is_(True),
               or_(Product.merchant_suspended_until.is_(None),
                   Product.merchant_suspended_until <= now))
    )


# What a product card shows that must never be stale, and whether the goods may be shown
# (the shop's state as copied onto the goods). Products and cards both have these.
_SHOWN_PRODUCT = ("id", "price_fen", "stock", "sales_count", "status", "merchant_suspended_until",
                  "merchant_active", "merchant_certified")


def _shown_row(product: Product | ProductCard) -> tuple:
    return tuple(getattr(product, name) for name in _SHOWN_PRODUCT)


def shown_goods(products: Sequence[Product]) -> tuple:
    """What product cards show that must never be stale (price, stock, sales) and whether the
    goods may be shown at all (status, suspension, shop status, certification)."""
    return tuple(sorted({_shown_row(p) for p in products}))


@functools.cache
def _current_goods_statement(dialect: str):
    """Built once. On PostgreSQL the ids go as one array (`= ANY`), so every page's check is the
    same prepared statement whatever its number of goods; elsewhere an expanding IN."""
    columns = select(*(getattr(Product, name) for name in _SHOWN_PRODUCT))
    if dialect == "postgresql":
        ids = bindparam("ids", type_=ARRAY(Integer))
        return columns.where(Product.id == any_(ids)).order_by(Product.id)
    return columns.where(Product.id.in_(bindparam("ids", expanding=True))).order_by(Product.id)


def current_goods(product_ids: Sequence[int]) -> tuple:
    """The same as `shown_goods`, read from the database now (one indexed query; plain rows
    on PostgreSQL, where every kept page's renewal runs it)."""
    if not product_ids:
        return ()
    dialect = db.engine.dialect.name
    statement, params = _current_goods_statement(dialect), {"ids": list(product_ids)}
    rows = (plain_rows(statement, params) if dialect == "postgresql"
            else db.session.execute(statement, params))
    return tuple(tuple(row) for row in rows)



def is_listable(product: Product, now: datetime | None = None) -> bool:
    """`listable_products` for one product in hand (its copies of the shop's state)."""
    now = clock.now() if now is None else now
    return (product.status == ProductStatus.active and product.merchant_active
            and (product.merchant_suspended_until is None
                 or product.merchant_suspended_until <= now))


def query_terms(q: str, *, relaxed: bool = False) -> list[matching.Term]:
    """The query's terms with their synonyms and the categories and industries they name."""
    if not q:
        return []
    names = _cached("catalog:name-index", matching.NameIndex.load)
    return matching.terms_for(q, names, relaxed=relaxed)


def _apply_filter(query, f: ProductFilter, terms: list[matching.Term], *,
                  facets: tuple[str, ...] = ("industry", "belt", "category", "source",
                                             "certified"), by_row: bool = False):
    """The filter as conditions. `facets` are the facet filters applied (the facet counts
    leave them out to count what each choice would give); `by_row`: the words tested on each
    row, not through their index (matching.match_conditions)."""
    if f.industry and "industry" in facets:
        query = query.where(Product.industry_id == select(Industry.id)
                            .where(Industry.slug == f.industry).scalar_subquery())
    if f.belt and "belt" in facets:
        query = query.where(Product.belt_id == select(Belt.id).where(Belt.slug == f.belt)
                            .scalar_subquery())
    if f.category and "category" in facets:
        query = query.where(Product.category_id == select(Category.id)
                            .where(Category.slug == f.category).scalar_subquery())
    if f.merchant_id:
        query = query.where(Product.merchant_id == f.merchant_id)
    if f.source and "source" in facets:
        query = query.where(Product.source_type == f.source)
    if f.certified and "certified" in facets:
        query = query.where(Product.merchant_certified.is_(True))
    if f.min_fen is not None:
        query = query.where(Product.price_fen >= f.min_fen)
    if f.max_fen is not None:
        query = query.where(Product.price_fen <= f.max_fen)
    for condition in matching.match_conditions(terms, by_row=by_row):
        query = query.where(condition)
    return query


def _ordering(f: ProductFilter, terms: list[matching.Term]):
    if f.sort == "newest":
        return [Product.created_at.desc(), Product.id.desc()]
    if f.sort == "price":
        return [Product.price_fen.asc(), Product.id.asc()]
    if f.sort == "price_desc":
        return [Product.price_fen.desc(), Product.id.desc()]
    if f.sort == "sales":
        return [Product.sales_count.desc(), Product.id.desc()]
    # Relevance: where the words matched (app.catalog.matching); then certified shops first
    # (the seed's traffic support for certified merchants), then best sellers.
    order = [matching.relevance(terms, f.q).desc()] if terms else []
    order += [Product.merchant_certified.desc(), Product.sales_count.desc(), Product.id.desc()]
    return order


# How many of the first goods in the listing order (certified shops first, best sellers) a
# broad query's ranking looks at before the rest, in turn: see _ranked_rows.
LISTING_PREFIXES = (200, 1000, 5000)


def _listing_prefix(size: int):
    """(certified, sales, goods) of the size-th active goods in the listing order, `goods`
    being how many the prefix up to it holds (all its ties too), or False with fewer goods
    (cached: any such boundary is right, a stale one too)."""
    def compute():
        row = db.session.execute(
            select(Product.merchant_certified, Product.sales_count)
            .where(Product.status == ProductStatus.active)
            .order_by(Product.merchant_certified.desc(), Product.sales_count.desc())
            .offset(size - 1).limit(1)).first()
        if row is None:
            return False
        certified, sales = row
        goods = db.session.scalar(select(func.count()).select_from(Product).where(
            Product.status == ProductStatus.active, _in_prefix(certified, sales))) or 0
        return certified, sales, goods
    return _cached(f"catalog:listing-prefix:{size}:with-count", compute)


def _in_prefix(certified: bool, sales):
    """The goods up to the prefix ending at (`certified`, `sales`) in the listing order (all
    its ties too): one index range. `sales` is a bound parameter (see _SearchStatements)."""
    if certified:
        return and_(Product.merchant_certified == True,  # noqa: E712 (an index condition)
                    Product.sales_count >= sales)
    return or_(Product.merchant_certified == True, Product.sales_count >= sales)  # noqa: E712


def _tested_by_row(prefix) -> bool:
    """Whether the first ranking round tests the words on each of its rows (see
    _SearchStatements.ranked): only when its prefix really holds a few hundred goods, at most
    twice LISTING_PREFIXES[0]. The prefix takes every tie at its boundary, so where most goods
    have sold the same (none, in a young shop) it can be the whole catalogue, which the words'
    index answers far quicker than a test of every row."""
    return prefix[2] <= 2 * LISTING_PREFIXES[0]


def _ranks_by_prefix() -> bool:
    """PostgreSQL ranks a broad query's goods by listing prefixes; SQLite, at its scale, sorts
    them all (the tests also run the prefixes on SQLite: the results must be the same)."""
    return db.engine.dialect.name == "postgresql"


# How many searches' statements a process keeps (_search_statements): the 200 searches of the
# real-traffic benchmark and the long tail's repeats; a few KB of expression objects each.
SEARCH_STATEMENTS_KEPT = 512


class _SearchStatements:
    """Every statement one search (its words, its filters and its sort, any page) runs, built
    on first use and kept (`_search_statements`): building a search's selects and their cache
    keys cost more Python than running them (~100 expressions: each word's conditions,
    relevance, the rounds of _ranked_rows). What changes between runs is bound: the listing
    rule's time (`now`), the page's offset and limit, the prefixes' sales bounds."""

    def __init__(self, f: ProductFilter, terms: tuple[matching.Term, ...]):
        self.f, self.terms = f, list(terms)
        self.query = _apply_filter(listable_products(now_param()), f, self.terms)
        self.order = _ordering(f, self.terms)
        self._built: dict = {}

    def _once(self, key, build):
        statement = self._built.get(key)
        if statement is None:
            statement = self._built[key] = build()
        return statement

    def page(self):
        """The page's cards in the filter's order, every match sorted."""
        return self._once("page", lambda: card_select(
            self.query.order_by(*self.order)
            .offset(bindparam("offset")).limit(bindparam("limit"))))

    @functools.cached_property
    def query_by_row(self):
        """`query` with the words tested on each row (matching.match_conditions(by_row))."""
        return _apply_filter(listable_products(now_param()), self.f, self.terms, by_row=True)

    @functools.cached_property
    def relevance(self):
        return matching.relevance(self.terms, self.f.q)

    @functools.cached_property
    def most(self) -> int:
        return matching.max_relevance(self.terms)

    def ranked(self, seen: bool | None, prefix: bool | None, least: int | None,
               by_row: bool = False):
        """One round of _ranked_rows: what the page is sorted by, for the goods after the
        prefix `seen` (its certified flag; sales bound `seen_sales`) up to the prefix `prefix`
        (`prefix_sales`), scoring at least `least` when given. `by_row` (the first round, when
        its prefix is a few hundred goods of one range of the listing order's index:
        _tested_by_row) tests the words on each of its rows rather than reading all their
        matches from the words' index."""
        def build():
            part = [] if seen is None else [~_in_prefix(seen, bindparam("seen_sales"))]
            if prefix is not None:
                part.append(_in_prefix(prefix, bindparam("prefix_sales")))
            if least is not None:
                part += [self.relevance >= least,
                         matching.relevance_at_least(self.terms, self.f.q, least)]
            query = self.query_by_row if by_row else self.query
            return (query.with_only_columns(self.relevance, Product.merchant_certified,
                                            Product.sales_count, Product.id)
                    .where(*part).order_by(*self.order).limit(bindparam("limit")))
        return self._once(("ranked", seen, prefix, least, by_row), build)

    def cards(self):
        """The cards of the page's ids (`ids`: an array on PostgreSQL, an expanding IN
        elsewhere, as current_goods)."""
        def build():
            if db.engine.dialect.name == "postgresql":
                chosen = Product.id == any_(bindparam("ids", type_=ARRAY(Integer)))
            else:
                chosen = Product.id.in_(bindparam("ids", expanding=True))
            return card_select(self.query.where(chosen))
        return self._once("cards", build)

    @staticmethod
    def rows(statement, params: dict) -> list:
        """A kept statement's rows: plain rows (app.db.plain_rows) on PostgreSQL, where a kept
        search statement has no expanding IN (matching._in_ids); through the session elsewhere."""
        if db.engine.dialect.name == "postgresql":
            return plain_rows(statement, params)
        return list(db.session.execute(statement, params))

    def run(self, statement, params: dict) -> list[ProductCard]:
        """A card statement's cards (see `rows`)."""
        return [card_of(row) for row in self.rows(statement, params)]


@functools.lru_cache(maxsize=SEARCH_STATEMENTS_KEPT)
def _search_statements(f: ProductFilter, terms: tuple[matching.Term, ...],
                       dialect: str) -> _SearchStatements:
    """One search's statements, kept per process: `f` with page 1 (the page is a parameter),
    and its terms (with the categories and industries they name: a renamed category makes
    other terms, so other statements)."""
    return _SearchStatements(f, terms)


def _ranked_rows(search: _SearchStatements, f: ProductFilter,
                 page_size: int) -> list[ProductCard]:
    """The page's cards (and one more) by relevance, then the listing order.

    On PostgreSQL a broad query matches tens of thousands of goods, and ranking them all for
    one page was most of a search's time. So it ranks, first, only the matching goods among
    the first 200 of the listing order (one range of an index); then those among the next
    800, the next 4,000 (LISTING_PREFIXES), then the rest, keeping the best page so far. Once
    the page is full, goods further on can only enter it by scoring more than its last (of the
    same score, they come later in the listing order): the next parts are asked only for
    those, which an index finds (matching.relevance_at_least), and there are usually none or
    few. A page that is still not full after the prefixes means the matches are few: the
    rest are ranked all together, as on SQLite (and as everywhere when the catalogue is
    smaller than the first prefix). Every statement comes from `search` (built once)."""
    offset, wanted = (f.page - 1) * page_size, f.page * page_size + 1
    now = clock.now()
    prefixes = []
    for size in LISTING_PREFIXES if _ranks_by_prefix() else ():
        if not (prefix := _listing_prefix(size)):
            break  # fewer goods than that: none of the longer prefixes either
        prefixes.append(prefix)
    if not prefixes:
        return search.run(search.page(), {"offset": offset, "limit": wanted - offset, "now": now})

    def key(row) -> tuple:
        return (-row[0], not row[1], -row[2], -row[3])  # relevance, certified, sales, id

    rows, seen = [], None  # the best `wanted` so far; the prefix they come from
    for prefix in [*prefixes, None]:
        params = {"limit": wanted, "now": now}
        if seen is not None:
            params["seen_sales"] = seen[1]
        if prefix is not None:
            params["prefix_sales"] = prefix[1]
        least = None
        if len(rows) == wanted:  # full: only better scores can enter
            least = rows[-1][0] + 1
            if least > search.most:
                break
        by_row = seen is None and prefix is not None and _tested_by_row(prefix)
        statement = search.ranked(None if seen is None else bool(seen[0]),
                                  None if prefix is None else bool(prefix[0]), least, by_row)
        rows = sorted([*rows, *search.rows(statement, params)], key=key)[:wanted]
        seen = prefix
    ids = [row[3] for row in rows[offset:wanted]]
    if not ids:
        return []
    cards = {card.id: card for card in search.run(search.cards(), {"ids": ids, "now": now})}
    return [cards[i] for i in ids if i in cards]


# The filters of a listing without words, as (field, condition on a bound parameter named
# after the field): the same conditions as _apply_filter's, so the same SQL.
_BROWSE_CONDITIONS = (
    ("industry", lambda: Product.industry_id == select(Industry.id)
     .where(Industry.slug == bindparam("industry")).scalar_subquery()),
    ("belt", lambda: Product.belt_id == select(Belt.id)
     .where(Belt.slug == bindparam("belt")).scalar_subquery()),
    ("category", lambda: Product.category_id == select(Category.id)
     .where(Category.slug == bindparam("category")).scalar_subquery()),
    ("merchant_id", lambda: Product.merchant_id == bindparam("merchant_id")),
    ("source", lambda: Product.source_type == bindparam("source")),
    ("certified", lambda: Product.merchant_certified.is_(True)),
    ("min_fen", lambda: Product.price_fen >= bindparam("min_fen")),
    ("max_fen", lambda: Product.price_fen <= bindparam("max_fen")),
)


# The pages whose OFFSET a listing writes into its SQL, as its LIMIT (app.db.written_limit):
# pages 2 to WRITTEN_PAGES, a statement each (a bound OFFSET is planned on every run, as a
# bound LIMIT was: ~0.6 ms more for a belt's page 2 than for its page 1). Pages further on,
# which buyers seldom reach, bind it: one statement for all of them.
WRITTEN_PAGES = 5


@functools.cache
def _browse_shape(shape: tuple[tuple[str, ...], str], rows: int, offset: int | None):
    """The card statement for the filters named in `shape` and a sort, reading `rows` rows
    after skipping `offset` (both written: app.db.written_limit; 0 on a first page: no OFFSET),
    or after a bound `offset` parameter when `offset` is None; every other value is a bound
    parameter (now too): built once per shape (see now_param)."""
    named, sort = shape
    query = listable_products(now_param()).where(
        *(condition() for field, condition in _BROWSE_CONDITIONS if field in named))
    query = query.order_by(*_ordering(ProductFilter(sort=sort), [])).limit(written_limit(rows))
    if offset is None:
        query = query.offset(bindparam("offset"))
    elif offset:
        query = query.offset(written_limit(offset))
    return card_select(query)


def _browse_statement(f: ProductFilter, page_size: int) -> tuple:
    """`_browse_shape`'s statement for `f`'s page (`f` has no words) and its parameters: it
    reads page_size+1 rows (one more tells that more exist). The offset is written for the
    first WRITTEN_PAGES pages (a few statements per shape, whatever page a request asks for)
    and bound after them."""
    params = {}
    for field, _condition in _BROWSE_CONDITIONS:
        value = getattr(f, field)
        if value is not None and value is not False and value != "":
            params[field] = value
    named = tuple(params)
    params.pop("certified", None)
    offset: int | None = (f.page - 1) * page_size
    if f.page > WRITTEN_PAGES:
        params["offset"], offset = offset, None
    return _browse_shape((named, f.sort), page_size + 1, offset), params


def find_products(f: ProductFilter, page_size: int = 20) -> ProductPage:
    """One page of listable goods matching the filter; page_size+1 rows tell if more exist."""
    if not f.q:  # browsing (a belt, portal, shop, the home page): a statement built once
        statement, params = _browse_statement(f, page_size)
        params["now"] = clock.now()
        rows = cards_of(statement, params)
        return ProductPage(rows[:page_size], f.page, len(rows) > page_size)
    exact = query_terms(f.q)
    dialect = db.engine.dialect.name
    for relaxed in (False, True):
        terms = query_terms(f.q, relaxed=True) if relaxed else exact
        if relaxed and (not f.q or [t.text for t in terms] == [t.text for t in exact]):
            break
        search = _search_statements(f.with_(page=1), tuple(terms), dialect)
        if f.sort == "relevance" and terms:
            rows = _ranked_rows(search, f, page_size)
        else:  # another order: every match is sorted, read through the words' index
            params = {"offset": (f.page - 1) * page_size, "limit": page_size + 1,
                      "now": clock.now()}
            rows = matching.through_word_index(
                terms, lambda search=search, params=params: search.run(search.page(), params))
        if rows or f.page > 1 or not f.q:
            return ProductPage(rows[:page_size], f.page, len(rows) > page_size, relaxed)
    return ProductPage([], f.page, False, False)


def count_products(f: ProductFilter) -> int:
    query = _apply_filter(listable_products(), f, query_terms(f.q))
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


# --- reference lookups ---------------------------------------------------------------

def all_industries() -> list[Industry]:
    return list(db.session.scalars(
        select(Industry).options(selectinload(Industry.belts)).order_by(Industry.position)))


@dataclass(frozen=True)
class IndustryTile:
    """An industry as cached page data (app.catalog.names reads its names)."""

    slug: str
    name: str
    name_en: str
    portal_name: str
    portal_name_en: str
    belt_count: int


def industry_tiles() -> list[IndustryTile]:
    """Every industry with its number of belts, for the home page's portal tiles (cached)."""
    return _cached("catalog:industry-tiles", lambda: [
        IndustryTile(i.slug, i.name, i.name_en, i.portal_name, i.portal_name_en, len(i.belts))
        for i in all_industries()])


def industries_by_slug() -> dict[str, Industry]:
    """Every industry by slug, read once per request (a handful of rows)."""
    found = g.get("yt_industries_by_slug") if has_app_context() else None
    if found is None:
        found = {i.slug: i for i in db.session.scalars(select(Industry))}
        if has_app_context():
            g.yt_industries_by_slug = found
    return found


@functools.cache
def _by_slug_statement(model):
    return select(model).where(model.slug == bindparam("slug"))  # built once (see now_param)


def industry_by_slug(slug: str) -> Industry | None:
    return db.session.scalar(_by_slug_statement(Industry), {"slug": slug})


def all_belts() -> list[Belt]:
    return list(db.session.scalars(select(Belt).order_by(Belt.industry_id, Belt.id)))


def belt_by_slug(slug: str) -> Belt | None:
    return db.session.scalar(_by_slug_statement(Belt), {"slug": slug})


# --- the belt, industry or category a page shows, kept per process -----------------------
# A belt page and a portal page each began with a query for their row by slug, and a product
# page joined its goods' belt, industry and category. The rows are reference data (operators
# change them rarely): kept as plain copies with the other reference data
# (REFERENCE_CACHE_TTL), and dropped at once when a belt, industry or category row changes
# (`forget_page_reference`, run after every commit that flushed one: init_catalog).

PAGE_REFERENCE_KEYS = ("catalog:page-belts", "catalog:page-industries", "catalog:page-categories")


def _row_copy(row, **extra) -> SimpleNamespace:
    """A plain copy of a row's columns (pickles, outlives its session; the attribute names
    are the model's, so templates, app.catalog.names and page providers read either)."""
    return SimpleNamespace(**{attribute.key: getattr(row, attribute.key)
                              for attribute in sa_inspect(row).mapper.column_attrs}, **extra)


def page_belt(slug: str) -> SimpleNamespace | None:
    """The belt with this slug and its industry, as plain copies (one query for every belt
    when not cached: Belt.industry is joined)."""
    return _page_belts().get(slug)


def page_belts_by_id() -> dict[int, SimpleNamespace]:
    """Every belt by id, the same plain copies as `page_belt`'s (for lists that name each
    row's belt: the shop cards of a belt or portal page)."""
    return {belt.id: belt for belt in _page_belts().values()}


def _page_belts() -> dict[str, SimpleNamespace]:
    """Every belt by slug (a belt page asks for its belt, its shops' and its rooms' belts)."""
    return _page_reference(0, lambda: {
        belt.slug: _row_copy(belt, industry=_row_copy(belt.industry))
        for belt in db.session.scalars(select(Belt))})


def page_industry(slug: str) -> SimpleNamespace | None:
    """The industry with this slug, as a plain copy (one query for all when not cached)."""
    return _page_industries().get(slug)


def page_industries_by_id() -> dict[int, SimpleNamespace]:
    return {industry.id: industry for industry in _page_industries().values()}


def _page_industries() -> dict[str, SimpleNamespace]:
    return _page_reference(1, lambda: {
        industry.slug: _row_copy(industry) for industry in db.session.scalars(select(Industry))})


def page_categories_by_id() -> dict[int, SimpleNamespace]:
    """Every category by id, as plain copies."""
    return _page_reference(2, lambda: {
        category.id: _row_copy(category) for category in db.session.scalars(select(Category))})


# The copies are kept in the process itself (app.extensions), beside the shared cache: read
# from the cache, every page paid for three reads and for unpickling every belt, industry and
# category (~0.1 ms here; three round trips more with Redis). A request now reads one short
# value, the reference data's version: a change anywhere (forget_page_reference, in whichever
# worker made it) writes a new one, and every process drops its copies at its next request. A
# copy also lasts REFERENCE_CACHE_TTL at most, as the shared one does (a change no commit
# announced: a migration, SQL by hand).
REFERENCE_VERSION_KEY = "catalog:reference-version"


def _page_reference(which: int, compute) -> dict:
    """PAGE_REFERENCE_KEYS[which]'s copies: this request's, else the process's while they are
    of the current version and younger than REFERENCE_CACHE_TTL, else the shared cache's."""
    kept = g.setdefault("yt_page_reference", {})
    value = kept.get(which)
    if value is None:
        value = kept[which] = _process_reference(which, compute)
    return value


def _process_reference(which: int, compute) -> dict:
    ttl = _reference_ttl()
    if not ttl:
        return compute()
    held = current_app.extensions.setdefault("yt_reference_copies", {})
    version, now = _reference_version(), time.monotonic()
    copy = held.get(which)
    if copy is not None and copy[0] == version and now - copy[1] < ttl:
        return copy[2]
    value = _cached(PAGE_REFERENCE_KEYS[which], compute)
    held[which] = (version, now, value)
    return value


def _reference_version() -> str:
    """The reference data's version, read once per request. A version missing from the cache
    (cleared, evicted) is a new one: no copy made under an older one still matches it."""
    version = g.get("yt_reference_version")
    if version is None:
        version = cache.get(REFERENCE_VERSION_KEY)
        if version is None:
            cache.add(REFERENCE_VERSION_KEY, uuid.uuid4().hex, timeout=0)  # the first wins
            version = cache.get(REFERENCE_VERSION_KEY) or ""
        g.yt_reference_version = version
    return version


def forget_page_reference() -> None:
    """Drop every copy of the belts, industries and categories: the shared cache's, this
    process's, and (through a new version) every other process's."""
    cache.delete_many(*PAGE_REFERENCE_KEYS)
    cache.set(REFERENCE_VERSION_KEY, uuid.uuid4().hex, timeout=0)
    current_app.extensions.get("yt_reference_copies", {}).clear()
    g.pop("yt_page_reference", None)
    g.pop("yt_reference_version", None)


def all_categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.position, Category.id)))


def _reference_ttl() -> int:
    """Seconds to keep belts, counts and facets (never stock or prices); 0 disables."""
    return current_app.config["REFERENCE_CACHE_TTL"]


def _cached(key: str, compute, ttl: int | None = None):
    """`compute()` kept `ttl` seconds (REFERENCE_CACHE_TTL by default) in the app's cache
    (Redis when configured: shared by every worker). Nothing is kept when
    REFERENCE_CACHE_TTL is 0 (the tests)."""
    if not _reference_ttl():
        return compute()
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout=ttl or _reference_ttl())
    return value


# --- the goods' version, for counts kept longer than a minute -----------------------------
# Facet counts (app.catalog.facets) are the costliest thing a search reads: a broad word's
# counts group every match (~100 ms of SQL for "jade" at 100,000 goods). They change only when
# goods come, go, or change what the counts group or filter by (status, the shop's state,
# category, belt, industry, source, certification, price, words), never with a sale or a
# stock change. So they are kept FACET_CACHE_TTL (10 minutes) under the goods' version, a
# token renewed after every commit that changed such a column (the listeners in
# init_catalog, and app.merchants.sync for a shop's state copied onto its goods): counts are
# then recomputed at the next render. What no write announces is a shop's suspension ending
# by itself: its goods are listed again at once, and counted within FACET_CACHE_TTL.

GOODS_VERSION_KEY = "catalog:goods-version"
# Product columns whose change changes a listing's facet counts (or which goods match).
COUNTED_COLUMNS = frozenset({
    "status", "merchant_id", "merchant_active", "merchant_suspended_until",
    "merchant_certified", "industry_id", "belt_id", "category_id", "source_type", "price_fen",
    "title", "description", "search_tokens"})


def goods_version() -> str:
    """The goods' version (see above): one cache read. A version gone from the cache (evicted)
    is a new one, never an old one that counts kept under it could still match."""
    version = cache.get(GOODS_VERSION_KEY)
    if version is None:
        import uuid

        cache.add(GOODS_VERSION_KEY, uuid.uuid4().hex, timeout=0)
        version = cache.get(GOODS_VERSION_KEY)
    return version


def note_goods_changed(session) -> None:
    """Mark `session`'s transaction as changing counted goods: the goods' version is renewed
    after it commits (and forgotten if it rolls back)."""
    session.info["yt_goods_changed"] = True


def renew_goods_version() -> None:
    import uuid

    cache.set(GOODS_VERSION_KEY, uuid.uuid4().hex, timeout=0)


def facet_ttl() -> int:
    return current_app.config["FACET_CACHE_TTL"]


def filter_vocabulary() -> dict[str, set[str]]:
    """The slugs a filter may name (unknown ones are ignored with a note)."""
    return _cached("catalog:vocabulary", lambda: {
        "known_industries": set(db.session.scalars(select(Industry.slug))),
        "known_belts": set(db.session.scalars(select(Belt.slug))),
        "known_categories": set(db.session.scalars(select(Category.slug))),
    })


# --- page data -----------------------------------------------------------------------

@dataclass(frozen=True)
class IndustryCard:
    slug: str
    name: str
    name_en: str


@dataclass(frozen=True)
class BeltCard:
    """A belt as cached page data: both languages' names (app.catalog.names picks one)."""

    slug: str
    name: str
    name_en: str
    province: str
    city: str
    industry: IndustryCard


@dataclass(frozen=True)
class BeltSummary:
    belt: BeltCard
    products: int


def belt_summaries(industry_id: int | None = None) -> list[BeltSummary]:
    """Each belt with its count of listable goods (cached a minute). Its shops are counted by
    the merchants domain (the portal page's `belt_shop_counts` part)."""
    return _cached(f"catalog:belt-summaries:{industry_id or 'all'}",
                   lambda: _belt_summaries(industry_id))


def _belt_goods_counts() -> dict[int, int]:
    """Listable goods per belt, every belt at once (~90 ms at 100,000 goods): one count shared
    by the home page's and every portal's belt chips instead of one such scan each."""
    return dict(db.session.execute(
        listable_products().with_only_columns(Product.belt_id, func.count())
        .where(Product.belt_id.is_not(None)).group_by(Product.belt_id)
    ).all())


def _belt_summaries(industry_id: int | None) -> list[BeltSummary]:
    belts_query = select(Belt).order_by(Belt.industry_id, Belt.id)
    if industry_id is not None:
        belts_query = belts_query.where(Belt.industry_id == industry_id)
    belts = list(db.session.scalars(belts_query))
    goods = _cached("catalog:belt-goods-counts", _belt_goods_counts)
    summaries = []
    for b in belts:
        industry = IndustryCard(b.industry.slug, b.industry.name, b.industry.name_en)
        card = BeltCard(b.slug, b.name, b.name_en, b.province, b.city, industry)
        summaries.append(BeltSummary(card, goods.get(b.id, 0)))
    return summaries
