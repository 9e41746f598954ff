"""Production wiring: Redis-backed rate limits and caches shared by workers; proxies."""
from __future__ import annotations

import os
import uuid

import pytest

from app import create_app

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_available() -> bool:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
        return True
    except Exception:  # noqa: BLE001
        return False


needs_redis = pytest.mark.skipif(not _redis_available() and not os.environ.get("CI"),
                                 reason="Redis is not running")


@needs_redis
def test_with_redis_url_rate_limits_are_shared_between_workers(app, monkeypatch):
    """Two app instances (two gunicorn workers) count sign-in attempts together."""
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    overrides = {key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "MEDIA_ROOT")}
    overrides.update({"TESTING": True, "RATELIMIT_KEY_PREFIX": prefix,
                      "RATELIMIT_SIGNIN": "3 per minute", "CACHE_KEY_PREFIX": prefix})
    worker_a, worker_b = create_app(overrides), create_app(overrides)
    assert worker_a.config["RATELIMIT_STORAGE_URI"] == REDIS_URL
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
