"""Facet counts: a listing's filter variants (each category, source, certified, sort) share one
grouped query, cached, and their counts are exactly what each variant computed alone gives."""
from __future__ import annotations

import pytest
from sqlalchemy import event, select

from app.catalog.facets import _listing_facets, listing_facets
from app.catalog.filters import ProductFilter
from app.catalog.models import Industry
from app.extensions import cache, db
from tests import factories as make
from tests.statements import grouped_scans

BELT = ("belt",)


@pytest.fixture
def goods(ctx):
    certified = make.merchant("玉匠人", certified=True)
    plain = make.merchant("岫岩玉坊", source_type="origin")
    for i in range(3):
        make.product(certified, f"冰种翡翠手镯 {i}", category_slug="jade-bangle")
    make.product(certified, "翡翠吊坠", category_slug="jade-pendant", price_fen=50000)
    make.product(plain, "岫玉手镯", category_slug="jade-bangle", price_fen=30000)
    make.product(plain, "岫玉吊坠", category_slug="jade-pendant", price_fen=900000)
    db.session.commit()


VARIANTS = [
    {}, {"certified": True}, {"category": "jade-bangle"}, {"source": "origin"},
    {"category": "jade-pendant", "certified": True}, {"sort": "price"}, {"page": 2},
]


def test_a_belts_filter_variants_share_one_grouped_query(app, goods, monkeypatch):
    monkeypatch.setitem(app.config, "REFERENCE_CACHE_TTL", 60)
    base = ProductFilter(belt="zhenping-jade")
    assert grouped_scans(lambda: listing_facets(base, fixed=BELT)) == 1
    for changes in VARIANTS[1:]:
        variant = base.with_(**changes)
        assert grouped_scans(lambda v=variant: listing_facets(v, fixed=BELT)) == 0, changes
    # The words and the price range change what is scanned: their own query.
    priced = base.with_(min_fen=40000)
    assert grouped_scans(lambda: listing_facets(priced, fixed=BELT)) == 1
    assert grouped_scans(lambda: listing_facets(base.with_(q="吊坠"), fixed=BELT)) == 1
    # Another belt never reads this one's groups.
    other = ProductFilter(belt="sihui-jade")
    assert grouped_scans(lambda: listing_facets(other, fixed=BELT)) == 1


@pytest.mark.parametrize("changes", VARIANTS + [{"min_fen": 40000}, {"q": "手镯"}],
                         ids=str)
def test_shared_groups_give_each_variant_its_own_counts(app, goods, monkeypatch, changes):
    monkeypatch.setitem(app.config, "REFERENCE_CACHE_TTL", 60)
    for fixed, base in ((BELT, ProductFilter(belt="zhenping-jade")), ((), ProductFilter())):
        listing_facets(base, fixed=fixed)  # fills the shared groups
        variant = base.with_(**changes)
        cached = listing_facets(variant, fixed=fixed)
        cache.clear()
        monkeypatch.setitem(app.config, "REFERENCE_CACHE_TTL", 0)
        alone = _listing_facets(variant, fixed)
        monkeypatch.setitem(app.config, "REFERENCE_CACHE_TTL", 60)
        assert cached == alone
    counts = {c.value: c.count for c in alone["category"]}
    if changes == {"certified": True}:
        assert counts == {"jade-bangle": 3, "jade-pendant": 1}
    if changes == {}:
        assert counts == {"jade-bangle": 4, "jade-pendant": 2}


def test_the_belt_chips_of_home_and_every_portal_share_one_count(app, goods, monkeypatch):
    from app.catalog.services import belt_summaries

    make.product(make.merchant("杭州女装", belt_slug="hangzhou-apparel"), "羊绒大衣",
                 category_slug=None)
    db.session.commit()
    monkeypatch.setitem(app.config, "REFERENCE_CACHE_TTL", 60)
    counted = []

    def note(conn, cursor, statement, *args):
        if "GROUP BY products.belt_id" in statement:
            counted.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        everywhere = {b.belt.slug: b.products for b in belt_summaries()}
        jade = {b.belt.slug: b.products for b in belt_summaries(
            db.session.scalar(select(Industry.id).where(Industry.slug == "jade")))}
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert len(counted) == 1
    assert everywhere["zhenping-jade"] == jade["zhenping-jade"] == 6
    assert everywhere["hangzhou-apparel"] == 1 and "hangzhou-apparel" not in jade


def test_the_belts_reference_copies_are_read_in_one_query(app, ctx):
    """services.page_belt on a cold cache: every belt with its industry in one statement
    (not one more per industry)."""
    from sqlalchemy import event

    from app.catalog import services
    from app.extensions import db
    from tests import factories as make

    make.merchant("玉匠人")  # the demo belts and industries are there
    db.session.commit()
    db.session.expunge_all()  # nothing in the identity map to hide a query per industry
    app.config["REFERENCE_CACHE_TTL"] = 60
    services.forget_page_reference()
    seen = []

    def note(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        belt = services.page_belt("zhenping-jade")
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
        app.config["REFERENCE_CACHE_TTL"] = 0
        services.forget_page_reference()
    assert belt is not None and belt.industry.slug == "jade"
    assert len([s for s in seen if s.lstrip().upper().startswith("SELECT")]) == 1
