"""Test fixtures. The schema is built by the real migrations (so they are tested too), on
SQLite by default or on PostgreSQL when TEST_DATABASE_URL is set. CSRF stays on: the test
client fills in the token the way a browser form would."""
from __future__ import annotations

import contextvars
import os
import re
from pathlib import Path

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from app import clock, create_app
from app.extensions import cache, db, limiter

REFERENCE_TABLES = {"industries", "categories", "alembic_version"}
TEST_DB_CONNECTIONS = 32
# One Redis for every test that needs one (keys under a prefix of each test's own).
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _database_url(tmp_dir: Path) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_dir / 'test.db'}"


def _reset_postgres(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


class BrowserLikeClient(FlaskClient):
    """POSTs carry the CSRF token a rendered form would (pass csrf=False to leave it out)."""

    _token: str | None = None
    _token_secret: str | None = None

    def _session_csrf_secret(self) -> str | None:
        """The CSRF secret in the session cookie (signing in starts a new one)."""
        cookie = self.get_cookie("session")
        if cookie is None:
            return None
        app = self.application
        data = app.session_interface.get_signing_serializer(app).loads(cookie.value)
        return data.get("csrf_token")

    def csrf_token(self) -> str:
        if self._token is None or self._token_secret != self._session_csrf_secret():
            page = contextvars.Context().run(super().open, "/signin", method="GET")
            page = page.get_data(as_text=True)
            match = CSRF_RE.search(page)
            assert match, "no csrf token on /signin"
            self._token = match.group(1)
            self._token_secret = self._session_csrf_secret()
        return self._token

    def open(self, *args, csrf: bool = True, **kwargs):
        method = kwargs.get("method", "GET").upper()
        if method == "POST" and csrf:
            data = kwargs.get("data")
            if data is None:
                kwargs["data"] = data = {}
            if isinstance(data, dict) and "csrf_token" not in data:
                data["csrf_token"] = self.csrf_token()
        if has_app_context():
            # The test's own session ends its transaction (SQLite locks) and reloads later.
            db.session.commit()
        # Like a real server: the request gets its own app context (and database session),
        # even when the test has one pushed for calling services.
        return contextvars.Context().run(super().open, *args, **kwargs)


def _compile_translations() -> None:
    """make test compiles them and compresses the static files too; this keeps a bare `pytest`
    run honest (WhiteNoise serves a stale app.css.gz over an edited app.css)."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    subprocess.run([sys.executable, str(root / "scripts" / "i18n.py"), "compile"], check=True)
    subprocess.run([sys.executable, "-m", "whitenoise.compress", "-q", str(root / "static")],
                   check=True)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    _compile_translations()
    tmp = tmp_path_factory.mktemp("yuantou")
    url = _database_url(tmp)
    if url.startswith("postgresql"):
        _reset_postgres(url)
    application = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "MEDIA_ROOT": str(tmp / "media"),
        # Cheap hashes keep the suite fast; production uses scrypt.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "CACHE_TYPE": "SimpleCache",
        # Tests change data and look again at once: caches off unless a test turns them on.
        "PUBLIC_PAGE_TTL": 0,
        "REFERENCE_CACHE_TTL": 0,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": None,
        # The PostgreSQL server is shared (100 connections in all): the suite holds at most
        # TEST_DB_CONNECTIONS. A race with more clients than that still runs that many
        # transactions at once; the others queue for a connection, then race the remainder.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 6, "max_overflow": TEST_DB_CONNECTIONS - 6,
                                      "pool_timeout": 60},
    })
    application.test_client_class = BrowserLikeClient
    with application.app_context():
        from flask_migrate import upgrade

        upgrade()
    yield application
    with application.app_context():
        db.engine.dispose()


def _clear_tables() -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in REFERENCE_TABLES]
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        # Tables without AUTOINCREMENT reuse ids from 1 once emptied, like RESTART IDENTITY.
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture(autouse=True)
def _fresh_state(app):
    yield
    clock.reset()
    with app.app_context():
        db.session.remove()
        _clear_tables()
        cache.clear()
        app.extensions["yt_cards"].clear()
        limiter.reset()


@pytest.fixture
def ctx(app):
    """An application context for calling services directly."""
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app) -> BrowserLikeClient:
    return app.test_client()


@pytest.fixture
def make_client(app):
    """More clients: one per person in a story (buyer, merchant, admin …)."""
    return app.test_client


def answering_redis(url: str) -> str:
    """`url` if a Redis answers there. Otherwise the test is skipped on a developer's machine
    and fails in CI (CI=true), where a skipped Redis test would hide a broken feature."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        message = f"no Redis at TEST_REDIS_URL={url} ({error})"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
    return url


@pytest.fixture
def redis_url() -> str:
    """The one Redis of the Redis tests: TEST_REDIS_URL (default a local database 15)."""
    return answering_redis(TEST_REDIS_URL)
