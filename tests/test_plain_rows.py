"""app.db.plain_rows: a statement built once, run with a driver cursor on the session's
connection, gives the rows SQLAlchemy gives (the same values and types, by position and by
name), is seen by before_cursor_execute listeners, and refuses what it cannot run."""
from __future__ import annotations

import functools
from datetime import timedelta

import pytest
from sqlalchemy import bindparam, column, event, select, table
from sqlalchemy.exc import DBAPIError

from app import clock
from app.catalog import services
from app.catalog.models import Product
from app.db import plain_rows
from app.extensions import db
from tests import factories as make


@functools.cache
def _goods_statement():
    return (select(Product.id, Product.title, Product.price_fen, Product.status,
                   Product.merchant_suspended_until, Product.merchant_active,
                   Product.created_at, Product.is_lightning)
            .where(Product.merchant_id == bindparam("merchant_id"))
            .order_by(Product.id))


@pytest.fixture
def shop(app):
    with app.app_context():
        shop = make.merchant("玉匠人")
        make.product(shop, "手镯", price_fen=128000)
        other = make.product(shop, "吊坠", price_fen=9900)
        other.merchant_suspended_until = clock.now() + timedelta(days=1)
        db.session.commit()
        return shop.id


def test_the_rows_are_the_sessions_rows_with_the_same_types(app, shop):
    with app.app_context():
        params = {"merchant_id": shop}
        expected = [tuple(row) for row in db.session.execute(_goods_statement(), params)]
        rows = plain_rows(_goods_statement(), params)
        assert rows == expected and len(rows) == 2
        for row, want in zip(rows, expected, strict=True):
            assert [type(value) for value in row] == [type(value) for value in want]
        # the suspension read back as an aware datetime (SQLite stores text: converted)
        assert rows[1].merchant_suspended_until.tzinfo is not None
        assert rows[0].title == "手镯" and rows[1].price_fen == 9900


def test_card_statements_give_the_same_cards_as_the_session(app, shop):
    with app.app_context():
        statement = services._browse_shape(((("merchant_id",)), "default"), 10, None)
        params = {"merchant_id": shop, "offset": 0, "now": clock.now()}
        via_session = [services.card_of(row) for row in db.session.execute(statement, params)]
        assert services.cards_of(statement, params) == via_session
        assert [card.title for card in via_session] == ["手镯"]  # the suspended shop's good is not listed


def test_each_run_is_announced_to_statement_listeners(app, shop):
    """Before and after, with a context a timer can keep its start on (as bench/catalog.py's
    SQL timer does with SQLAlchemy's execution context)."""
    seen: list[tuple[str, str, float]] = []

    def start(conn, cursor, statement, parameters, context, executemany):
        context.started = 1.5
        seen.append(("before", statement, 0))

    def end(conn, cursor, statement, parameters, context, executemany):
        seen.append(("after", statement, context.started))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", start)
        event.listen(db.engine, "after_cursor_execute", end)
        try:
            plain_rows(_goods_statement(), {"merchant_id": shop})
            plain_rows(_goods_statement(), {"merchant_id": shop})
        finally:
            event.remove(db.engine, "before_cursor_execute", start)
            event.remove(db.engine, "after_cursor_execute", end)
    ours = [(when, started) for when, sql, started in seen if "FROM products" in sql]
    assert ours == [("before", 0), ("after", 1.5)] * 2


def test_it_reads_in_the_sessions_transaction(app, shop):
    with app.app_context():
        first = plain_rows(_goods_statement(), {"merchant_id": shop})[0]
        db.session.get(Product, first.id).title = "改名手镯"
        db.session.flush()  # written, not committed: the same connection sees it
        assert plain_rows(_goods_statement(), {"merchant_id": shop})[0].title == "改名手镯"
        db.session.rollback()
        assert plain_rows(_goods_statement(), {"merchant_id": shop})[0].title == "手镯"


def test_an_expanding_in_list_is_refused(app):
    statement = select(Product.id).where(Product.id.in_(bindparam("ids", expanding=True)))
    with app.app_context(), pytest.raises(ValueError, match="expanding"):
        plain_rows(statement, {"ids": [1, 2]})


def test_a_driver_error_comes_as_sqlalchemys(app):
    statement = select(column("id")).select_from(table("no_such_table")) \
        .where(column("id") == bindparam("wanted"))
    with app.app_context(), pytest.raises(DBAPIError):
        plain_rows(statement, {"wanted": 1})
    with app.app_context():
        db.session.rollback()


def test_a_missing_parameter_is_refused_not_sent_as_null(app, shop):
    from sqlalchemy.exc import InvalidRequestError

    with app.app_context(), pytest.raises(InvalidRequestError, match="merchant_id"):
        plain_rows(_goods_statement(), {})


def test_statements_of_one_shape_share_a_compiled_form_and_keep_their_own_values(app, shop):
    """A search builds its statements for its own words; statements that differ only in the
    values of their literals take the first one's compiled form, with their own values."""
    from sqlalchemy import literal

    from app.db import _plain_read

    def titled(title: str, price: int):
        return (select(Product.title, Product.price_fen)
                .where(Product.title == literal(title), Product.price_fen >= literal(price),
                       Product.merchant_id == bindparam("merchant_id")))

    with app.app_context():
        bangle, pendant = titled("手镯", 100), titled("吊坠", 100)
        assert plain_rows(bangle, {"merchant_id": shop}) == [("手镯", 128000)]
        assert plain_rows(pendant, {"merchant_id": shop}) == [("吊坠", 9900)]
        assert plain_rows(titled("吊坠", 10000), {"merchant_id": shop}) == []
        dialect = db.session.connection().dialect
        assert _plain_read(pendant, dialect).compiled is _plain_read(bangle, dialect).compiled
        # a statement of another shape is compiled for itself
        other = select(Product.title).where(Product.title == literal("手镯"))
        assert _plain_read(other, dialect).compiled is not _plain_read(bangle, dialect).compiled
        assert plain_rows(other) == [("手镯",)]
        # and the first keeps its own values
        assert plain_rows(bangle, {"merchant_id": shop}) == [("手镯", 128000)]
