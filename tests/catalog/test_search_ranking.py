"""Ranking a broad query without sorting every match (issue 15): PostgreSQL ranks the matches
among the first goods of the listing order, then fetches only what can still outrank them
(app.catalog.services._ranked_rows). It must give the very page sorting them all gives: these
tests run it with tiny prefixes, on SQLite too, against the plain sort."""
from __future__ import annotations

import random

import pytest
from sqlalchemy import and_, func, or_, select, update

from app.catalog import matching, services
from app.catalog.filters import ProductFilter
from app.catalog.models import Category, Product
from app.extensions import db
from tests import factories as make

QUERIES = ["手镯", "翡翠", "茶", "玉", "吊坠", "jade", "bangle", "clothing", "tea", "jade bangle",
           "翡翠手镯", "翡翠吊坠", "女装 连衣裙", "green tea", "源头", "s925", "手镯 翡翠 送礼"]

TITLES = [("冰种翡翠手镯", "jade-bangle"), ("和田玉贵妃镯", "jade-bangle"),
          ("翡翠平安扣吊坠", "jade-pendant"), ("岫玉吊坠", "jade-pendant"),
          ("翡翠茶盘 送礼", "jade-ornament"), ("玉石摆件", "jade-ornament"),
          ("女装连衣裙", "womenswear"), ("男装衬衫 S925扣", "menswear"), ("羊毛衫", "knitwear"),
          ("明前龙井", "tea-green"), ("老茶普洱饼", "tea-dark"), ("保温杯", "household"),
          ("Jade bangle 56mm", "jade-bangle"), ("茶叶罐", "household")]
DESCRIPTIONS = ["", "可与手镯搭配。", "附证书，送礼佳品。", "泡茶好物。", "源头工厂，翡翠原料。"]


@pytest.fixture
def crowd(ctx):
    """Sixty-odd goods of shops of four industries, certified and not, with tied sales."""
    rng = random.Random(15)
    shops = [make.merchant("玉匠人", certified=True), make.merchant("瑞丽翠韵", belt_slug="ruili-jade"),
             make.merchant("四季青女装", belt_slug="hangzhou-apparel", certified=True),
             make.merchant("西湖茶农", belt_slug=None, industry_slug="tea"),
             make.merchant("义乌百货", belt_slug=None, industry_slug="small-commodities")]
    for n in range(64):
        title, category = rng.choice(TITLES)
        make.product(rng.choice(shops), f"{title} {n}", category_slug=category,
                     description=rng.choice(DESCRIPTIONS), sales=rng.choice([0, 5, 5, 30, 200]))


def page_ids(f: ProductFilter, page_size: int):
    found = services.find_products(f, page_size)
    return [p.id for p in found.items], found.has_more, found.relaxed


@pytest.mark.parametrize("prefixes", [(3, 7, 15), (1,), (40, 1000)])
def test_prefix_ranking_gives_the_same_pages_as_sorting_every_match(crowd, monkeypatch,
                                                                    prefixes):
    filters = [{}, {"certified": True}, {"industry": "jade"}, {"min_fen": 100, "max_fen": 200000}]
    cases = [ProductFilter(q=q, page=page, **extra) for q in QUERIES for page in (1, 2, 3)
             for extra in filters]
    monkeypatch.setattr(services, "_ranks_by_prefix", lambda: False)
    sorted_all = [page_ids(f, 4) for f in cases]
    assert sum(1 for ids, _, _ in sorted_all if ids) > len(cases) // 2  # the queries find goods
    monkeypatch.setattr(services, "_ranks_by_prefix", lambda: True)
    monkeypatch.setattr(services, "LISTING_PREFIXES", prefixes)
    by_prefix = [page_ids(f, 4) for f in cases]
    for f, expected, got in zip(cases, sorted_all, by_prefix, strict=True):
        assert got == expected, (f.q, f.page, f)


def test_the_best_match_far_down_the_listing_order_still_comes_first(ctx, monkeypatch):
    big = make.merchant("镇平大卖家", certified=True)
    for n in range(8):  # best sellers that only mention 手镯 in their description
        make.product(big, f"玉石摆件 {n}", category_slug="jade-ornament", sales=1000 + n,
                     description="可与手镯搭配摆放。")
    small = make.merchant("小店")
    bangle = make.product(small, "冰种手镯", category_slug="jade-bangle", sales=0)
    monkeypatch.setattr(services, "_ranks_by_prefix", lambda: True)
    monkeypatch.setattr(services, "LISTING_PREFIXES", (3,))
    found = services.find_products(ProductFilter(q="手镯"), page_size=2)
    assert found.items[0].id == bangle.id and found.has_more
    second = services.find_products(ProductFilter(q="手镯", page=2), page_size=2)
    assert [p.title for p in second.items] == ["玉石摆件 6", "玉石摆件 5"]


def test_the_index_condition_keeps_every_product_scoring_that_much(crowd):
    """relevance_at_least is what lets PostgreSQL look up the few goods that can outrank a
    page: it must hold for every matching product whose score reaches the bound."""
    for q in QUERIES:
        for relaxed in (False, True):
            terms = services.query_terms(q, relaxed=relaxed)
            relevance = matching.relevance(terms, q)
            for least in range(1, matching.max_relevance(terms) + 1):
                missed = db.session.scalar(
                    select(func.count()).select_from(Product)
                    .where(*matching.match_conditions(terms), relevance >= least,
                           ~matching.relevance_at_least(terms, q, least)))
                assert missed == 0, (q, relaxed, least)
            assert db.session.scalar(select(func.count()).select_from(Product).where(
                *matching.match_conditions(terms),
                relevance > matching.max_relevance(terms))) == 0


def test_the_title_tokens_are_marked_as_the_titles():
    from app.catalog.search import tokens_for

    tokens = tokens_for("翡翠手镯 56mm", "可与吊坠搭配").split()
    assert {"t:手镯", "t:翡", "t:56mm", "手镯", "吊坠"} <= set(tokens)
    assert "t:吊坠" not in tokens
    assert len(tokens) == len(set(tokens))


def test_a_category_changed_by_a_bulk_update_is_searched_at_once(client, ctx):
    """On PostgreSQL the category is a word of the goods' search words, which the database
    keeps in step whatever writes the row."""
    shop = make.merchant("玉匠人")
    item = make.product(shop, "木那平安扣", category_slug="jade-pendant", description="冰糯种。")

    def found(q: str) -> bool:
        return item.id in [p.id for p in services.find_products(ProductFilter(q=q)).items]

    assert found("吊坠") and not found("手镯")
    bangles = db.session.scalar(select(Category.id).where(Category.slug == "jade-bangle"))
    db.session.execute(update(Product).where(Product.id == item.id).values(category_id=bangles))
    db.session.commit()
    assert found("手镯") and not found("吊坠")
    if db.engine.dialect.name == "postgresql":
        words = db.session.execute(select(matching._tokens()).where(Product.id == item.id))
        assert f"c:{bangles}" in words.scalar_one()


def test_words_tested_on_each_row_match_exactly_what_the_words_index_finds(crowd):
    """The first round of a broad query's ranking tests the words on each of its rows
    (matching._term_condition_by_row) instead of reading their matches from the GIN index:
    both must hold for the very same goods, whole English words (jade is not jadeite) and a
    long description's words past the tokens kept (MAX_TOKENS) included."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite tests every row anyway")
    from app.catalog.search import MAX_TOKENS

    shop = make.merchant("缅料行", certified=True)
    make.product(shop, "Jadeite bangle 冰种", category_slug="jade-bangle")
    make.product(shop, "Green jade ring", category_slug="jade-bangle",
                 description="Tea-green colour.")
    cups = make.merchant("义乌杯具", belt_slug=None, industry_slug="small-commodities")
    make.product(cups, "Jadeite look glass cup", category_slug="household", description="Glass.")
    filler = "".join(chr(0x4E00 + n) for n in range(MAX_TOKENS))  # 400 characters: tokens enough
    make.product(shop, "老料摆件", category_slug="jade-ornament", description=filler + "手镯翡翠吊坠")
    db.session.commit()
    checked = 0
    for q in [*QUERIES, "jadeite", "ring", "colour", "吊坠", "翡翠吊坠"]:
        for relaxed in (False, True):
            terms = services.query_terms(q, relaxed=relaxed)
            if not terms:
                continue
            by_index = and_(*matching.match_conditions(terms))
            by_row = and_(*matching.match_conditions(terms, by_row=True))
            found = db.session.scalar(select(func.count()).select_from(Product).where(by_index))
            differ = db.session.scalar(select(func.count()).select_from(Product).where(
                or_(and_(by_index, ~by_row), and_(by_row, ~by_index))))
            assert differ == 0, (q, relaxed)
            checked += found
    assert checked > 100  # the queries find goods, so the comparison says something


def test_the_first_round_tests_its_rows_only_when_its_prefix_is_a_few_goods(ctx, monkeypatch):
    """The first prefix takes every tie at its boundary: where the goods have all sold the
    same it is the whole catalogue, and testing each row's words would read all of it. Then
    the first round goes through the words' index like the others."""
    shop = make.merchant("玉匠人", certified=True)
    for n in range(10):
        make.product(shop, f"冰种手镯 {n}", sales=100 + n)
    for n in range(30):
        make.product(shop, f"玉石摆件 {n}", description="可与手镯搭配。", sales=0)
    db.session.commit()
    monkeypatch.setattr(services, "_ranks_by_prefix", lambda: True)
    monkeypatch.setattr(services, "LISTING_PREFIXES", (5, 20))
    first_rounds = []
    ranked = services._SearchStatements.ranked

    def spy(search, seen, prefix, least, by_row=False):
        if seen is None and prefix is not None:
            first_rounds.append(by_row)
        return ranked(search, seen, prefix, least, by_row)

    monkeypatch.setattr(services._SearchStatements, "ranked", spy)
    expected = [f"冰种手镯 {n}" for n in (9, 8, 7, 6)]
    assert [p.title for p in services.find_products(ProductFilter(q="手镯"), 4).items] == expected
    assert first_rounds == [True]  # the first 5 goods: 5 rows, at most twice 5
    db.session.execute(update(Product).values(sales_count=0))
    db.session.commit()
    first_rounds.clear()
    found = services.find_products(ProductFilter(q="手镯"), 4).items
    assert first_rounds == [False]  # the first "5" goods are all 40 of them
    assert [p.title for p in found] == [f"冰种手镯 {n}" for n in (9, 8, 7, 6)]
