"""Facet counts beside a listing's filters: how many goods each choice would show.

Each facet counts what the listing would show with that choice, keeping every *other* filter
(the usual faceted-search rule: choosing a category shows the other categories' counts too,
not zeros). All facets come from one grouped query — goods matching the query words, price
range and the page's own scope, grouped by industry, belt, category, source type and
certification — added up per facet in Python. The groups are few (a belt has a handful of
categories and source types), so the work is the one scan the listing itself needs. Counts,
not stock or prices: kept FACET_CACHE_TTL (10 minutes) per normalized query and filter under
the goods' version, which every commit that changes counted goods renews
(app.catalog.services.goods_version), in the app's cache (Redis: shared by the workers)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import Column, Integer, func, select
from sqlalchemy.sql import visitors
from sqlalchemy.sql.util import ClauseAdapter

from app.catalog.filters import ProductFilter
from app.catalog.matching import through_word_index
from app.catalog.models import Belt, Category, Industry, Product
from app.catalog.reference import SOURCE_TYPE_NAMES, SourceType
from app.extensions import db

FACETS = ("industry", "belt", "category", "source", "certified")


@dataclass(frozen=True)
class Choice:
    """One facet value: what the link/option sends, what it is called, how many goods."""

    value: str
    label: str       # a Chinese msgid (categories, source types) or a name
    count: int
    named: object | None = None   # the row-like thing to name in the reader's language


@dataclass(frozen=True)
class _Name:
    slug: str
    name: str
    name_en: str
    province: str = ""
    city: str = ""
    industry: object | None = None


def _labels() -> dict[str, dict[int, tuple]]:
    industries = {i.id: _Name(i.slug, i.name, i.name_en) for i in db.session.scalars(
        select(Industry).order_by(Industry.position))}
    belts = {b.id: _Name(b.slug, b.name, b.name_en, b.province, b.city,
                         industries.get(b.industry_id))
             for b in db.session.scalars(select(Belt).order_by(Belt.industry_id, Belt.id))}
    categories = {c.id: _Name(c.slug, c.name, "") for c in db.session.scalars(
        select(Category).order_by(Category.position, Category.id))}
    return {"industry": industries, "belt": belts, "category": categories}


def _key_args(f: ProductFilter) -> dict[str, str]:
    """The filter's query string without page and sort, its words normalized as search reads
    them (lower case, single spaces: "Jade  Bangle" counts what "jade bangle" counts)."""
    args = f.query_args(drop=("page", "sort", "q"))
    if words := " ".join(f.q.lower().split()):
        args["q"] = words
    return args


def listing_facets(f: ProductFilter, *, fixed: tuple[str, ...] = ()) -> dict[str, list[Choice]]:
    """Facet choices with counts for the listing `f` (kept under the goods' version: see the
    module). `fixed` facets are the page's own scope (a belt page's belt): always applied,
    never offered."""
    from app.catalog.services import _cached, facet_ttl, goods_version

    version = goods_version()
    key = "catalog:facets:" + "&".join(f"{k}={v}" for k, v in sorted(_key_args(f).items()))
    key += f"|{','.join(fixed)}|{f.merchant_id or ''}|{version}"
    return _cached(key, lambda: _listing_facets(f, fixed, version), facet_ttl())


def _facet_groups(f: ProductFilter, fixed: tuple[str, ...], version: str) -> list[tuple]:
    """The grouped counts behind every facet of listings like `f` (kept under the goods'
    `version`). The query applies only the page's own scope, the words, the price range and
    the shop, never a facet choice (those are added up in Python), so one belt's or one
    search's filter variants — each category, source, certified — share it instead of each
    scanning the same goods."""
    from app.catalog.services import _cached, facet_ttl

    key = "catalog:facet-groups:" + "&".join(
        f"{k}={v}" for k, v in sorted(_key_args(f).items())
        if k in ("q", "min", "max") or k in fixed)
    key += f"|{','.join(sorted(fixed))}|{f.merchant_id or ''}|{version}"
    return _cached(key, lambda: _grouped_counts(f, fixed), facet_ttl())


def _grouped_counts(f: ProductFilter, fixed: tuple[str, ...]) -> list[tuple]:
    from app.catalog.services import _apply_filter, listable_products, query_terms

    terms = query_terms(f.q)
    listable = listable_products()
    facet_columns = (Product.industry_id, Product.belt_id, Product.category_id,
                     Product.source_type, Product.merchant_certified)
    if terms and db.engine.dialect.name == "postgresql":
        # The goods matching the words first, counted by the facets' columns and the listing
        # rule's, read from the words' GIN index alone (a materialized CTE), then the rule on
        # those few groups: in one query PostgreSQL may read the rule's indexes instead and
        # test every row's words (2 s for a word matching a third of 100,000 goods;
        # through_word_index says why).
        rule_columns = {c for c in visitors.iterate(listable.whereclause)
                        if isinstance(c, Column) and c.table is Product.__table__}
        grouped = [*facet_columns, *sorted(rule_columns - set(facet_columns),
                                          key=lambda c: c.name)]
        scope = (_apply_filter(select(*grouped, func.count().label("n")), f, terms, facets=fixed)
                 .group_by(*grouped).cte("matched").prefix_with("MATERIALIZED"))
        columns = [scope.c[c.name] for c in facet_columns]
        statement = (select(*columns, func.sum(scope.c.n).cast(Integer))
                     .where(ClauseAdapter(scope).traverse(listable.whereclause))
                     .group_by(*columns))
    else:
        scope = _apply_filter(listable, f, terms, facets=fixed).subquery()
        columns = [scope.c[c.name] for c in facet_columns]
        statement = select(*columns, func.count()).group_by(*columns)
    return [tuple(row) for row in
            through_word_index(terms, lambda: db.session.execute(statement).all())]


def _listing_facets(f: ProductFilter, fixed: tuple[str, ...],
                    version: str = "") -> dict[str, list[Choice]]:
    from app.catalog.services import _cached

    groups = _facet_groups(f, fixed, version)
    labels = _cached("catalog:facet-labels", _labels)
    ids = {kind: {v.slug: k for k, v in rows.items()} for kind, rows in labels.items()}
    chosen = {
        "industry": ids["industry"].get(f.industry) if f.industry else None,
        "belt": ids["belt"].get(f.belt) if f.belt else None,
        "category": ids["category"].get(f.category) if f.category else None,
        "source": f.source or None,
        "certified": True if f.certified else None,
    }
    counts = {facet: Counter() for facet in FACETS}
    for industry_id, belt_id, category_id, source, certified, n in groups:
        values = {"industry": industry_id, "belt": belt_id, "category": category_id,
                  "source": source, "certified": bool(certified)}
        for facet in FACETS:
            if facet in fixed:
                continue
            others = all(chosen[o] is None or values[o] == chosen[o]
                         for o in FACETS if o != facet and o not in fixed)
            if others:
                counts[facet][values[facet]] += n

    def choices(kind: str) -> list[Choice]:
        return [Choice(v.slug, v.name, counts[kind][row_id], v)
                for row_id, v in labels[kind].items()
                if counts[kind][row_id] or chosen[kind] == row_id]

    result = {kind: choices(kind) for kind in ("industry", "belt", "category")}
    result["source"] = [Choice(s.value, SOURCE_TYPE_NAMES[s], counts["source"][s.value])
                        for s in SourceType
                        if counts["source"][s.value] or chosen["source"] == s.value]
    result["certified"] = [Choice("1", "", counts["certified"][True])]
    return result
