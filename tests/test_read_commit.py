"""app.db.end_reads_with_commit: a context that only read ends its transaction with COMMIT
(psycopg keeps its prepared statements; on ROLLBACK it forgets them), and one that wrote
anything it did not commit still loses it."""
from __future__ import annotations

import pytest
from sqlalchemy import bindparam, column, event, func, select, table, text, update

from app.catalog.models import Product
from app.extensions import db
from tests import factories as make


@pytest.fixture
def product_id(app):
    with app.app_context():
        product_id = make.product(make.merchant("玉匠人"), "手镯", stock=3).id
        db.session.commit()
    return product_id


@pytest.fixture
def endings(app):
    """How each transaction on the engine ended: 'commit' or 'rollback'."""
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def on_commit(conn):
        seen.append("commit")

    def on_rollback(conn):
        seen.append("rollback")

    event.listen(engine, "commit", on_commit)
    event.listen(engine, "rollback", on_rollback)
    yield seen
    event.remove(engine, "commit", on_commit)
    event.remove(engine, "rollback", on_rollback)


def stock(app, product_id: int) -> int:
    with app.app_context():
        return db.session.get(Product, product_id).stock


def test_a_context_that_only_read_commits(app, product_id, endings):
    with app.app_context():
        db.session.execute(select(Product.title).where(Product.id == product_id)).one()
    assert endings == ["commit"]


def test_a_page_that_only_reads_commits(app, client, product_id, endings):
    assert client.get(f"/products/{product_id}").status_code == 200
    assert endings and set(endings) == {"commit"}


def test_a_flushed_change_left_uncommitted_is_rolled_back(app, product_id, endings):
    with app.app_context():
        db.session.get(Product, product_id).stock = 9
        db.session.flush()
        db.session.execute(select(Product.id)).all()  # reads after the write change nothing
    assert endings == ["rollback"]
    assert stock(app, product_id) == 3


def test_an_unflushed_change_is_not_committed(app, product_id, endings):
    with app.app_context():
        db.session.get(Product, product_id).stock = 9
        db.session.autoflush = False
    assert endings == ["rollback"]
    assert stock(app, product_id) == 3


def test_an_update_statement_left_uncommitted_is_rolled_back(app, product_id, endings):
    with app.app_context():
        db.session.execute(update(Product).where(Product.id == product_id).values(stock=7))
    assert endings == ["rollback"]
    assert stock(app, product_id) == 3


def test_a_text_statement_counts_as_a_write(app, product_id, endings):
    with app.app_context():
        db.session.execute(text("UPDATE products SET stock = 8 WHERE id = :id"),
                           {"id": product_id})
    assert stock(app, product_id) == 3
    assert endings[0] == "rollback"


def test_after_a_commit_the_next_transaction_starts_clean(app, product_id, endings):
    with app.app_context():
        db.session.get(Product, product_id).stock = 5
        db.session.commit()
        db.session.execute(select(Product.title)).all()
    assert endings == ["commit", "commit"]
    assert stock(app, product_id) == 5


def test_an_error_rolls_back(app, product_id, endings):
    with pytest.raises(RuntimeError), app.app_context():
        db.session.execute(select(Product.title)).all()
        raise RuntimeError("boom")
    assert endings == ["rollback"]


def test_postgres_keeps_prepared_statements_across_requests(app, product_id):
    """The point of it all: after a few requests psycopg has prepared the page's statement
    (each ROLLBACK used to make it forget, so every query was planned anew)."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("prepared statements are psycopg's")
    statement = select(Product.title).where(Product.id == bindparam("product_id"))
    marker = "products.title"
    prepared = 0
    for _ in range(60):  # the pool hands out its connections in turn: each gets enough uses
        with app.app_context():
            db.session.execute(statement, {"product_id": product_id}).one()
            # a select(), not text(): text counts as a write (and would roll back)
            prepared = db.session.execute(
                select(func.count()).select_from(table("pg_prepared_statements"))
                .where(column("statement").like(f"%{marker}%"))).scalar_one()
    assert prepared >= 1


# --- PostgreSQL: transactions begin at the first write (app.db.begin_at_first_write) ----------

def test_which_statements_only_read():
    from app.db import only_reads

    assert only_reads("SELECT products.id FROM products WHERE products.id = %(id)s")
    assert only_reads("  WITH matched AS MATERIALIZED (SELECT 1) SELECT * FROM matched")
    assert only_reads("SELECT products.updated_at FROM products")  # a column is no UPDATE
    for statement in ("SELECT users.id FROM users WHERE users.id = 1 FOR UPDATE",
                      "SELECT t.id FROM t FOR UPDATE SKIP LOCKED", "SELECT 1 FROM t FOR SHARE",
                      "WITH hot_0 AS (UPDATE flash_sales SET sold = sold + 1 RETURNING 1) "
                      "SELECT count(*) FROM hot_0",
                      "INSERT INTO t VALUES (1)", "UPDATE t SET a = 1", "DELETE FROM t",
                      "SET LOCAL enable_seqscan = off", "TRUNCATE t"):
        assert not only_reads(statement), statement


@pytest.fixture
def pg(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("psycopg's autocommit")


def status(session=None) -> str:
    raw = (session or db.session).connection().connection.driver_connection
    return raw.info.transaction_status.name


def test_reads_run_outside_a_transaction_and_a_write_begins_one(app, pg, product_id):
    with app.app_context():
        db.session.execute(select(Product.title).where(Product.id == product_id)).one()
        assert status() == "IDLE"  # no BEGIN was sent
        db.session.execute(update(Product).where(Product.id == product_id).values(stock=4))
        assert status() == "INTRANS"
        db.session.execute(select(Product.title)).all()
        assert status() == "INTRANS"  # everything after the first write is in it
        db.session.rollback()
    assert stock(app, product_id) == 3  # the rollback undid it: it was a transaction
    with app.app_context():  # the connection came back to the pool in autocommit
        db.session.execute(select(Product.title)).all()
        assert status() == "IDLE"


def test_a_locking_read_begins_the_transaction_and_holds_the_lock(app, pg, product_id):
    import psycopg

    with app.app_context():
        db.session.execute(select(Product.id).where(Product.id == product_id)
                           .with_for_update()).one()
        assert status() == "INTRANS"
        url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        with (psycopg.connect(url, autocommit=True) as other,
              pytest.raises(psycopg.errors.LockNotAvailable)):
            other.execute("SELECT id FROM products WHERE id = %s FOR UPDATE NOWAIT",
                          (product_id,))
        db.session.commit()


def test_an_explicit_autocommit_connection_stays_so(app, pg, product_id):
    """Alembic's autocommit_block (CREATE INDEX CONCURRENTLY) asks for AUTOCOMMIT itself."""
    with app.app_context(), db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(update(Product).where(Product.id == product_id).values(stock=6))
        assert conn.connection.driver_connection.info.transaction_status.name == "IDLE"
    assert stock(app, product_id) == 6


def test_a_product_page_sends_no_begin(app, pg, client, product_id):
    import psycopg

    sent: list[bytes] = []
    original = psycopg.Connection._exec_command

    def spy(self, command, *args, **kwargs):
        sent.append(bytes(command) if not isinstance(command, bytes) else command)
        return original(self, command, *args, **kwargs)

    psycopg.Connection._exec_command = spy
    try:
        assert client.get(f"/products/{product_id}").status_code == 200
    finally:
        psycopg.Connection._exec_command = original
    assert not [c for c in sent if c.strip().upper() in (b"BEGIN", b"COMMIT", b"ROLLBACK")]


def postgres_only(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SET LOCAL: PostgreSQL")


def test_a_planner_setting_is_no_write(app, product_id, endings):
    """app.db.set_local (SET LOCAL, the words' index for a search's facets and other sorts)
    begins a transaction on PostgreSQL, but a request that otherwise read ends with COMMIT."""
    from app.db import set_local

    postgres_only(app)
    with app.app_context():
        set_local("enable_seqscan = off")
        db.session.execute(select(Product.title).where(Product.id == product_id)).one()
        set_local("enable_seqscan = on")
    assert endings == ["commit"]


def test_a_write_beside_a_planner_setting_is_still_rolled_back(app, product_id, endings):
    from app.db import set_local

    postgres_only(app)
    with app.app_context():
        db.session.execute(update(Product).where(Product.id == product_id).values(stock=7))
        set_local("enable_seqscan = off")
        set_local("enable_seqscan = on")
    assert endings == ["rollback"]
    assert stock(app, product_id) == 3


def test_a_search_sorted_by_price_ends_with_commit(app, client, product_id, endings):
    assert client.get("/search?q=手镯&sort=price").status_code == 200
    assert endings and set(endings) == {"commit"}
