"""Listings write their LIMIT into the SQL (app.db.written_limit), and their OFFSET for the
first pages (none on a first page): PostgreSQL then keeps one plan for a listing's prepared
statement instead of planning it again on every run (with a bound LIMIT or OFFSET it could
not tell the generic plan reads a page, not a tenth of the goods). The pages are the same
either way."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from app.catalog import services, views
from app.catalog.filters import ProductFilter
from app.db import is_postgres
from app.extensions import db
from tests import factories as make

PAGE_SIZE = 3


@pytest.fixture
def shop(app):
    with app.app_context():
        shop = make.merchant("玉匠人")
        for i in range(8):
            make.product(shop, f"手镯{i}", sales=100 - i)
        db.session.commit()
        return shop.id


def _postgres_sql(statement) -> str:
    """The statement's SQL on PostgreSQL, on one line (SQLite's dialect always writes an
    OFFSET, bound to 0 when there is none)."""
    return " ".join(str(statement.compile(dialect=postgresql.dialect())).split())


def _titles(f: ProductFilter) -> list[str]:
    return [card.title for card in services.find_products(f, PAGE_SIZE).items]


def test_a_first_page_reads_a_written_number_of_rows_and_no_offset(app, shop):
    with app.app_context():
        first, first_params = services._browse_statement(ProductFilter(merchant_id=shop),
                                                         PAGE_SIZE)
        sql = _postgres_sql(first)
        assert f"LIMIT {PAGE_SIZE + 1}" in sql and "OFFSET" not in sql
        assert "offset" not in first_params
        related = str(views._related_statement(6).compile(db.engine))
        assert "LIMIT 6" in related


def test_the_next_pages_write_their_offset_and_later_ones_bind_it(app, shop):
    with app.app_context():
        last_written = services.WRITTEN_PAGES
        for page in (2, 3, last_written):
            statement, params = services._browse_statement(
                ProductFilter(merchant_id=shop, page=page), PAGE_SIZE)
            assert (f"LIMIT {PAGE_SIZE + 1} OFFSET {(page - 1) * PAGE_SIZE}"
                    in _postgres_sql(statement))
            assert "offset" not in params
        beyond = [services._browse_statement(ProductFilter(merchant_id=shop, page=page), PAGE_SIZE)
                  for page in (last_written + 1, last_written + 7)]
        assert beyond[0][0] is beyond[1][0]  # one statement for every page past them
        assert [params["offset"] for _statement, params in beyond] == [
            last_written * PAGE_SIZE, (last_written + 6) * PAGE_SIZE]
        assert f"LIMIT {PAGE_SIZE + 1} OFFSET %(offset)s" in _postgres_sql(beyond[0][0])


def test_the_pages_follow_one_another(app, shop, monkeypatch):
    with app.app_context():
        pages = [_titles(ProductFilter(merchant_id=shop, page=page)) for page in (1, 2, 3, 4)]
        assert pages == [["手镯0", "手镯1", "手镯2"], ["手镯3", "手镯4", "手镯5"], ["手镯6", "手镯7"], []]
        found = services.find_products(ProductFilter(merchant_id=shop, page=2), PAGE_SIZE)
        assert found.has_more and not services.find_products(
            ProductFilter(merchant_id=shop, page=3), PAGE_SIZE).has_more
        # the same pages when their offset is bound (pages past WRITTEN_PAGES)
        monkeypatch.setattr(services, "WRITTEN_PAGES", 1)
        assert [_titles(ProductFilter(merchant_id=shop, page=page))
                for page in (1, 2, 3, 4)] == pages


def _plans(fragment: str) -> list[tuple[int, int]]:
    """(generic, custom) plan counts of this connection's prepared statements whose SQL
    holds `fragment`."""
    rows = db.session.execute(text(
        "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
        " WHERE statement LIKE :fragment"), {"fragment": f"%{fragment}%"})
    return [tuple(row) for row in rows]


def _copies_of_the_shops_goods(shop: int, copies: int) -> None:
    """`copies` more rows of the shop's first good, unsold (PostgreSQL: one INSERT … SELECT), and fresh
    statistics: with a handful of rows any plan is cheap, and PostgreSQL keeps a generic plan
    even for a bound LIMIT; a shop of ~2,000 goods is where it did not."""
    columns = [row[0] for row in db.session.execute(text(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_name = 'products' AND column_name <> 'id' AND is_generated = 'NEVER'"))]
    values = ", ".join("0" if column == "sales_count" else column for column in columns)
    db.session.execute(text(
        f"INSERT INTO products ({', '.join(columns)}) SELECT {values} FROM products"  # noqa: S608 (catalog names)
        " CROSS JOIN generate_series(1, :copies)"
        " WHERE id = (SELECT min(id) FROM products WHERE merchant_id = :shop)"),
        {"copies": copies, "shop": shop})
    db.session.commit()
    db.session.execute(text("ANALYZE products"))
    db.session.commit()


def test_postgres_keeps_one_plan_for_a_listing_its_next_page_and_related_goods(app, shop):
    with app.app_context():
        if not is_postgres():
            pytest.skip("PostgreSQL's plan cache")
        _copies_of_the_shops_goods(shop, 2000)
        product = services.find_products(ProductFilter(merchant_id=shop), 1).items[0]
        # psycopg prepares a statement after five runs; PostgreSQL plans its first five
        # prepared runs for their parameters, then keeps a generic plan if it is as good
        for _ in range(20):
            assert _titles(ProductFilter(merchant_id=shop)) == ["手镯0", "手镯1", "手镯2"]
            assert _titles(ProductFilter(merchant_id=shop, page=2)) == ["手镯3", "手镯4", "手镯5"]
            views.related_products(views._product_with_everything(product.id))
        listing = _plans("products.merchant_id = $4::INTEGER ORDER BY")
        assert len(listing) == 2  # the first page's statement and the second's
        related = _plans("products.id != ")
        assert listing and all(generic >= 1 for generic, _custom in listing), listing
        assert related and all(generic >= 1 for generic, _custom in related), related
