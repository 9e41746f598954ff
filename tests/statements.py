"""The SQL a piece of test code sends, seen by a before_cursor_execute listener on the app's
engine (plain_rows announces its statements too)."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event

from app.extensions import db


def statements_during(run: Callable[[], object]) -> list[str]:
    seen: list[str] = []

    def note(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    return seen


def grouped_scans(run: Callable[[], object]) -> int:
    """How many grouped reads of the goods (facet counts) `run()` makes."""
    return sum("GROUP BY" in sql and "FROM products" in sql for sql in statements_during(run))
