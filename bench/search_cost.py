"""What one search costs the server, without the page cache: the 40 queries of bench/catalog.py
(and a few English ones) rendered one after another in-process on PostgreSQL at 100,000
products, beside the bare route /ping rendered the same way in the same run.

    .venv/bin/python bench/search_cost.py [--database-url URL] [--scale 100000] [--reps 3]

Two passes: "cold" with the reference caches off (every search also computes its facet counts
and reads the category and industry names: what a first visitor to a query pays), and "warm"
with them on for a minute as in production (facets computed once per query per minute). The
figure is the median over queries of each query's median over --reps renders; the machine's
load (other work on the same cores) moves every number, /ping included, so compare ratios.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from catalog import DEFAULT_DB, SEARCH_TERMS, seed  # noqa: E402

ENGLISH = ["jade bangle", "green tea", "tea", "wool coat", "turquoise bracelet"]


def timings(client, paths: list[str], reps: int) -> dict[str, float]:
    for path in paths[:3]:
        client.get(path)  # warm connections and templates
    found: dict[str, list[float]] = {}
    for _ in range(reps):
        for path in paths:
            started = time.perf_counter()
            response = client.get(path)
            found.setdefault(path, []).append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code)
    return {path: statistics.median(values) for path, values in found.items()}


def summary(label: str, medians: dict[str, float], ping: float) -> str:
    values = sorted(medians.values())
    median = statistics.median(values)
    p90 = values[max(0, int(len(values) * 0.9) - 1)]
    return (f"{label:<28} median {median:7.1f} ms  p90 {p90:7.1f} ms  max {values[-1]:7.1f} ms"
            f"  ({median / ping:5.0f}× /ping)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    env = dict(os.environ, DATABASE_URL=args.database_url, YUANTOU_ENV="development")
    seed(env, args.scale)
    os.environ.update(DATABASE_URL=args.database_url, PUBLIC_PAGE_TTL="0")

    from app import create_app
    from app.catalog.models import Product
    from app.extensions import db

    chinese = [f"/search?q={urllib.parse.quote(t)}" for t in SEARCH_TERMS]
    english = [f"/search?q={urllib.parse.quote(t)}" for t in ENGLISH]
    for label, ttl in (("cold (reference caches off)", 0), ("warm (caches on, 60 s)", 60)):
        app = create_app({"PUBLIC_PAGE_TTL": 0, "REFERENCE_CACHE_TTL": ttl})
        with app.app_context():
            products = db.session.query(Product).count()
        client = app.test_client()
        ping = statistics.median(timings(client, ["/ping"] * 20, args.reps).values())
        print(f"\n{label}: {products:,} products, /ping {ping:.2f} ms")
        print(summary("search ×40 Chinese queries", timings(client, chinese, args.reps), ping))
        print(summary("search ×5 English queries", timings(client, english, args.reps), ping))


if __name__ == "__main__":
    main()
