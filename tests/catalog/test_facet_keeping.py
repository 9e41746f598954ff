"""Facet counts are kept (FACET_CACHE_TTL, 10 minutes) under the goods' version (issue 15): a
broad word's counts group every match, ~100 ms of SQL at 100,000 goods. A sale keeps them; goods
that come, go or change what is counted renew the version, and the next render counts again.
The counts shown are always what counting the listing now gives."""
from __future__ import annotations

import pytest
from sqlalchemy import select, update

from app.catalog import listing, services
from app.catalog.facets import listing_facets
from app.catalog.filters import ProductFilter
from app.catalog.models import Category, Product
from app.extensions import cache, db
from tests import factories as make
from tests.statements import grouped_scans

SEARCH = ProductFilter(q="手镯")


@pytest.fixture
def kept(app, monkeypatch):
    monkeypatch.setitem(app.config, "REFERENCE_CACHE_TTL", 60)
    monkeypatch.setitem(app.config, "FACET_CACHE_TTL", 600)
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def shops(ctx):
    certified = make.merchant("玉匠人", certified=True)
    plain = make.merchant("岫岩玉坊", source_type="origin")
    for i in range(3):
        make.product(certified, f"冰种翡翠手镯 {i}", category_slug="jade-bangle")
    make.product(plain, "岫玉手镯", category_slug="jade-bangle", price_fen=30000)
    make.product(plain, "手镯盒", category_slug="jade-ornament", price_fen=3000)
    db.session.commit()
    return certified, plain


def shown(f: ProductFilter = SEARCH) -> dict[str, int]:
    return {c.value: c.count for c in listing_facets(f)["category"]}


def counted(f: ProductFilter = SEARCH) -> dict[str, int]:
    """The straightforward count: the listing with each category chosen."""
    slugs = db.session.scalars(select(Category.slug)).all()
    counts = {slug: services.count_products(f.with_(category=slug)) for slug in slugs}
    return {slug: n for slug, n in counts.items() if n}


def test_a_sale_keeps_the_counts(kept, shops):
    assert shown() == counted() == {"jade-bangle": 4, "jade-ornament": 1}
    item = db.session.scalars(select(Product).where(Product.title == "岫玉手镯")).one()
    assert listing.take_stock(item.id, 1)
    db.session.commit()
    assert grouped_scans(shown) == 0


def test_new_goods_are_counted_at_once(kept, shops):
    certified, _ = shops
    shown()
    make.product(certified, "和田玉手镯", category_slug="jade-bangle")
    db.session.commit()
    assert grouped_scans(lambda: shown() == counted() == {"jade-bangle": 5, "jade-ornament": 1}) == 1
    assert shown() == {"jade-bangle": 5, "jade-ornament": 1}


def test_goods_taken_off_the_shelf_leave_the_counts(kept, shops):
    certified, _ = shops
    shown()
    item = db.session.scalars(select(Product).where(Product.title == "手镯盒")).one()
    item.status = "off_shelf"
    db.session.commit()
    assert shown() == counted() == {"jade-bangle": 4}


def test_a_bulk_update_of_a_counted_column_is_seen(kept, shops):
    shown()
    ornaments = db.session.scalar(select(Category.id).where(Category.slug == "jade-ornament"))
    db.session.execute(update(Product).where(Product.title == "岫玉手镯")
                       .values(category_id=ornaments))
    db.session.commit()
    assert shown() == counted() == {"jade-bangle": 3, "jade-ornament": 2}


def test_a_shops_certification_copied_onto_its_goods_is_seen(kept, shops):
    _, plain = shops
    certified_only = SEARCH.with_(certified=True)
    assert shown(certified_only) == {"jade-bangle": 3}
    plain.certified = True
    db.session.commit()
    assert shown(certified_only) == counted(certified_only) == {"jade-bangle": 4,
                                                               "jade-ornament": 1}


def test_a_rolled_back_change_keeps_the_counts(kept, shops):
    shown()
    version = services.goods_version()
    item = db.session.scalars(select(Product).where(Product.title == "手镯盒")).one()
    item.status = "off_shelf"
    db.session.flush()
    db.session.rollback()
    assert services.goods_version() == version
    assert grouped_scans(shown) == 0


def test_the_same_words_typed_differently_share_the_counts(kept, shops):
    shown(ProductFilter(q="冰种 手镯"))
    assert grouped_scans(lambda: shown(ProductFilter(q="  冰种   手镯 "))) == 0
    assert shown(ProductFilter(q="冰种  手镯")) == counted(ProductFilter(q="冰种 手镯"))


def test_a_lost_version_is_a_new_one(kept, shops):
    shown()
    cache.delete(services.GOODS_VERSION_KEY)
    assert grouped_scans(shown) == 1
