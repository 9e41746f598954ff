"""A search's statements are built once per process and run with parameters (issue 15): building
its selects (each word's conditions, relevance, every round of the ranking) cost more Python
than running them. What changes between renders (the time, the page, the prefixes' bounds)
must be bound, not baked into the kept statement."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app import clock
from app.catalog import matching, services
from app.catalog.filters import ProductFilter
from app.extensions import db
from tests import factories as make


@pytest.fixture
def built(monkeypatch):
    """Counts the search expressions built (relevance and the words' conditions)."""
    counts = {"n": 0}
    for name in ("relevance", "match_conditions", "relevance_at_least"):
        original = getattr(matching, name)

        def counting(*args, original=original, **kwargs):
            counts["n"] += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(matching, name, counting)
    services._search_statements.cache_clear()
    monkeypatch.setattr(services, "_ranks_by_prefix", lambda: True)
    monkeypatch.setattr(services, "LISTING_PREFIXES", (2, 4))
    return counts


@pytest.fixture
def bangles(ctx):
    shop = make.merchant("玉匠人", certified=True)
    other = make.merchant("岫岩玉坊")
    items = [make.product(shop if n % 2 else other, f"冰种手镯 {n}", sales=n * 10,
                          category_slug="jade-bangle") for n in range(7)]
    items.append(make.product(other, "玉石摆件", description="可与手镯搭配。",
                              category_slug="jade-ornament", sales=500))
    db.session.commit()
    return items


def ids(f: ProductFilter, page_size: int = 3) -> list[int]:
    return [p.id for p in services.find_products(f, page_size).items]


def test_the_same_search_again_builds_nothing(bangles, built):
    first = ids(ProductFilter(q="手镯"))
    assert built["n"] > 0
    before = built["n"]
    assert ids(ProductFilter(q="手镯")) == first
    ids(ProductFilter(q="手镯", page=2))
    ids(ProductFilter(q="手镯", page=3))
    assert built["n"] == before
    ids(ProductFilter(q="手镯", sort="price"))  # another sort: statements of its own
    assert built["n"] > before


def test_kept_statements_give_what_fresh_ones_give(bangles, built, monkeypatch):
    cases = [ProductFilter(q=q, page=page, **extra) for q in ("手镯", "冰种", "jade", "摆件 手镯")
             for page in (1, 2, 3) for extra in ({}, {"certified": True}, {"sort": "price"})]
    kept = [ids(f) for f in cases]
    again = [ids(f) for f in cases]  # from the kept statements
    services._search_statements.cache_clear()
    fresh = [ids(f) for f in reversed(cases)][::-1]
    assert kept == again == fresh
    assert any(kept)


def test_the_listing_rules_time_is_bound_not_kept(bangles, built):
    """A suspension that ends between two renders shows the shop's goods on the second: the
    kept statement compares with the time of each run."""
    shop = make.merchant("停业小店")
    suspended = make.product(shop, "翡翠手镯 特价", category_slug="jade-bangle", sales=9999)
    shop.suspended_until = clock.now() + timedelta(hours=1)
    db.session.commit()
    assert suspended.id not in ids(ProductFilter(q="手镯"), page_size=20)
    clock.travel(timedelta(hours=2))
    assert suspended.id in ids(ProductFilter(q="手镯"), page_size=20)
