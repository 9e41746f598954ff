"""app.db.ping_after_idle: on PostgreSQL a pooled connection is pinged only when it has sat
idle; one the server closed meanwhile is replaced before a request uses it, while one used a
moment ago goes straight to work (no round trip)."""
from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import create_engine, exc

from app.db import _IDLE_SINCE, ping_after_idle
from app.extensions import db


@pytest.fixture
def engine(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL's pool (SQLite has no server to lose)")
        url = db.engine.url
    engine = create_engine(url, pool_pre_ping=False, pool_size=1, max_overflow=0)
    ping_after_idle(engine)
    yield engine
    engine.dispose()


def _server_closes(engine, pid: int) -> None:
    plain = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def _pid_and_record(engine):
    with engine.connect() as conn:
        return (conn.exec_driver_sql("SELECT pg_backend_pid()").scalar(),
                conn.connection._connection_record)


def test_an_idle_connection_the_server_closed_is_replaced_before_use(engine):
    pid, record = _pid_and_record(engine)
    _server_closes(engine, pid)
    record.info[_IDLE_SINCE] -= 60  # idle for a minute
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() != pid


def test_a_connection_used_a_moment_ago_is_not_pinged(engine):
    pid, _record = _pid_and_record(engine)
    _server_closes(engine, pid)
    # no ping: the closed connection is handed out as it is, and its first statement fails
    with pytest.raises(exc.OperationalError), engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
    with engine.connect() as conn:  # the pool replaced it after the failure
        assert conn.exec_driver_sql("SELECT 1").scalar() == 1
