"""Coupon grab benchmark (issue 6): N buyers, each with its own signed-in client, tap 领取 on one
anchor coupon with Q copies at the same moment (threads released by a barrier, each request
through the whole WSGI app: session, CSRF, rate limit, the grab transaction, the htmx card).
Then the same buyers tap again after it is gone (the 已抢光 path that never writes the hot row).
Prints wall time, grabs per second, p50/p95 latency and the outcome counts, beside the same
clients' bare /ping measured the same way in the same run.

    .venv/bin/python bench/coupon_grab.py                          # SQLite in a temp dir
    .venv/bin/python bench/coupon_grab.py --buyers 200 --quantity 50 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/yt6bench \\
        --redis-url redis://127.0.0.1:6379/15        # the Redis gate in front of the coupon row

The PostgreSQL database's schema is dropped and rebuilt: give it a scratch one.
"""
from __future__ import annotations

import argparse
import contextvars
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def timed_race(app, clients, make_request) -> tuple[float, list[float], list[int]]:
    barrier = threading.Barrier(len(clients))
    latencies = [0.0] * len(clients)
    statuses = [0] * len(clients)

    def worker(i: int) -> None:
        barrier.wait()
        started = time.perf_counter()
        response = contextvars.Context().run(make_request, clients[i])
        latencies[i] = time.perf_counter() - started
        statuses[i] = response.status_code

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(clients))]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, latencies, statuses


def summary(name: str, wall: float, latencies: list[float], statuses: list[int]) -> str:
    ordered = sorted(latencies)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    counts = {s: statuses.count(s) for s in sorted(set(statuses))}
    return (f"{name:<22} {len(latencies):>4} requests in {wall:6.2f} s = "
            f"{len(latencies) / wall:7.1f}/s   p50 {statistics.median(ordered) * 1000:7.1f} ms"
            f"   p95 {p95 * 1000:7.1f} ms   statuses {counts}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--buyers", type=int, default=120)
    parser.add_argument("--quantity", type=int, default=30)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--redis-url", default="", help="put the Redis gate in front (app.campaigns.gate)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="coupon-bench-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
    if url.startswith("postgresql"):
        from sqlalchemy import create_engine, text

        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    os.environ.setdefault("SECRET_KEY", "bench")
    from app import create_app
    from app.extensions import db

    app = create_app({
        "SQLALCHEMY_DATABASE_URI": url, "MEDIA_ROOT": str(tmp / "media"),
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "RATELIMIT_ENABLED": False,
        "PUBLIC_PAGE_TTL": 0, "CACHE_TYPE": "SimpleCache",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 10, "max_overflow": args.buyers + 10,
                                      "pool_timeout": 120},
    })
    if args.redis_url:
        import uuid

        app.config["REDIS_URL"] = args.redis_url  # the gate only: limits and caches stay local
        app.config["COUPON_GATE_PREFIX"] = f"bench-{uuid.uuid4().hex[:8]}:"
    from tests import factories as make
    from tests.conftest import BrowserLikeClient

    app.test_client_class = BrowserLikeClient
    with app.app_context():
        from flask_migrate import upgrade

        from app.catalog.reference_data import ensure_reference_data

        upgrade()
        ensure_reference_data()
        shop = make.merchant("玉匠人", certified=True)
        coupon = make.coupon(shop, quantity=args.quantity, per_user_limit=1)
        grab_url = f"/coupons/{coupon.id}/grab"
        buyers = [make.user(f"b{n}") for n in range(args.buyers)]
        clients = []
        for buyer in buyers:
            client = app.test_client()
            make.sign_in(client, buyer)
            client.csrf_token()
            clients.append(client)
        db.session.commit()

        def ping(client):
            return client.get("/ping")

        def grab(client):
            return client.post(grab_url, headers={"HX-Request": "true"})

        print(f"database: {url.split('@')[-1]}; gate: {'Redis' if args.redis_url else 'none'}; "
              f"{args.buyers} buyers, {args.quantity} coupons")
        print(summary("/ping", *timed_race(app, clients, ping)))
        print(summary("grab (last coupons)", *timed_race(app, clients, grab)))
        print(summary("grab (all gone)", *timed_race(app, clients, grab)))
        db.session.expire_all()
        from sqlalchemy import func, select

        from app.campaigns.models import Coupon, CouponClaim

        left = db.session.scalar(select(Coupon.remaining).where(Coupon.id == coupon.id))
        claims = db.session.scalar(select(func.count()).select_from(CouponClaim))
        print(f"check: remaining {left}, wallet copies {claims} (quantity {args.quantity})")
        assert left == 0 and claims == args.quantity


if __name__ == "__main__":
    main()
