"""Production wiring: Redis-backed rate limits and caches shared by workers; proxies."""
from __future__ import annotations

import uuid

import pytest

from app import create_app
from tests.conftest import answering_redis


def test_with_redis_url_rate_limits_are_shared_between_workers(app, monkeypatch, redis_url):
    """Two app instances (two gunicorn workers) count sign-in attempts together."""
    monkeypatch.setenv("REDIS_URL", redis_url)
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    overrides = {key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "MEDIA_ROOT")}
    overrides.update({"TESTING": True, "RATELIMIT_KEY_PREFIX": prefix,
                      "RATELIMIT_SIGNIN": "3 per minute", "CACHE_KEY_PREFIX": prefix})
    worker_a, worker_b = create_app(overrides), create_app(overrides)
    assert worker_a.config["RATELIMIT_STORAGE_URI"] == redis_url
    assert worker_a.config["CACHE_TYPE"] == "RedisCache"
    for worker in (worker_a, worker_b):
        worker.config["WTF_CSRF_ENABLED"] = False
    statuses = []
    for worker in (worker_a, worker_b, worker_a, worker_b):
        response = worker.test_client().post("/signin", data={"account": "x@example.cn",
                                                              "password": "wrong password"})
        statuses.append(response.status_code)
    assert statuses == [400, 400, 400, 429]
    with worker_a.app_context():
        from app.extensions import cache

        cache.set("shared", "from a")
    with worker_b.app_context():
        from app.extensions import cache

        assert cache.get("shared") == "from a"


def test_behind_a_proxy_the_buyers_address_is_used(app, monkeypatch):
    overrides = {key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "MEDIA_ROOT")}
    overrides.update({"TESTING": True, "TRUSTED_PROXY_HOPS": 1})
    proxied = create_app(overrides)

    @proxied.get("/_whoami")
    def whoami():
        from flask import request

        return request.remote_addr or ""

    response = proxied.test_client().get("/_whoami", headers={"X-Forwarded-For": "203.0.113.9"},
                                         environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert response.get_data(as_text=True) == "203.0.113.9"


def test_without_redis_a_redis_test_fails_in_ci_and_is_skipped_elsewhere(monkeypatch):
    nowhere = "redis://127.0.0.1:1/0"
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="TEST_REDIS_URL"):
        answering_redis(nowhere)
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        answering_redis(nowhere)


def test_the_suite_holds_at_most_about_forty_database_connections(app):
    """The PostgreSQL server is shared (100 connections): the suite's pool is capped."""
    from app.extensions import db
    from tests.conftest import TEST_DB_CONNECTIONS

    with app.app_context():
        pool = db.engine.pool
        assert pool.size() + pool._max_overflow == TEST_DB_CONNECTIONS <= 36
