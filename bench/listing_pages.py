"""A listing's later pages against its first (issue 15 part 2): the 12 belt pages, their
pages 2 and 3, by price and by price page 2, rendered in process with the page cache off,
beside `/ping`. A later page's extra time over the first is what its statement costs more
(planning, when its OFFSET is bound) plus its cards (page 1's renders keep theirs).

    .venv/bin/python bench/listing_pages.py [--database-url URL] [--requests 240]

On PostgreSQL it then runs a belt's page-2 statement alone, prepared, 500 times with its OFFSET
bound (as pages past catalog.services.WRITTEN_PAGES have it) and 500 times written (as pages
2–5 have it): the time per run and PostgreSQL's count of generic and custom plans for each.

Needs the database bench/cold_render.py fills (`yt_coldrender`, 100,000 goods: run that once
first).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/yt_coldrender"
VARIANTS = ("", "?page=2", "?page=3", "?sort=price", "?sort=price&page=2")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--requests", type=int, default=240, help="renders per variant")
    args = parser.parse_args()
    os.environ.update({"DATABASE_URL": args.database_url, "PUBLIC_PAGE_TTL": "0"})
    os.environ.pop("REDIS_URL", None)

    from catalog import BELTS
    from cold_render import timed

    from app import create_app

    app = create_app({"PUBLIC_PAGE_TTL": 0})
    client = app.test_client()
    pages = {"/ping": ["/ping"]}
    pages.update({variant or "(first page)": [f"/belts/{belt}{variant}" for belt in BELTS]
                  for variant in VARIANTS})
    for paths in pages.values():  # warm up: each URL once, then its statement prepared
        timed(client, paths, len(paths) * 6)
    started = time.perf_counter()
    results = {name: timed(client, paths, args.requests) for name, paths in pages.items()}
    first = statistics.median(results["(first page)"])
    ping = statistics.median(results["/ping"])
    print(f"\n12 belts, PostgreSQL, page cache off, {args.requests} renders per variant "
          f"({time.perf_counter() - started:.0f} s)\n")
    print(f"{'variant':<22}{'median ms':>10}{'p95 ms':>9}{'× /ping':>9}{'vs page 1':>11}")
    for name, times in results.items():
        median = statistics.median(times)
        p95 = statistics.quantiles(times, n=20)[-1]
        extra = "" if name == "/ping" else f"{median - first:+.2f}"
        print(f"{name:<22}{median:>10.2f}{p95:>9.2f}{median / ping:>9.1f}{extra:>11}")
    if args.database_url.startswith("postgresql"):
        page_two_statement(args.database_url, app)


def page_two_statement(database_url: str, app) -> None:
    """A belt's page-2 statement run directly (psycopg, prepared), its OFFSET bound, then
    written."""
    import psycopg
    from sqlalchemy.dialects import postgresql

    from app import clock
    from app.catalog import services
    from app.catalog.filters import ProductFilter

    with app.app_context():
        statements = {}
        for label, written_pages in (("bound OFFSET", 1), ("written OFFSET", 5)):
            original = services.WRITTEN_PAGES
            services.WRITTEN_PAGES = written_pages
            try:
                statement, params = services._browse_statement(
                    ProductFilter(belt="ruili-jade", page=2), 20)
            finally:
                services.WRITTEN_PAGES = original
            compiled = statement.compile(dialect=postgresql.dialect())
            statements[label] = (str(compiled),
                                 {**compiled.params, **params, "now": clock.now()})
    url = database_url.replace("postgresql+psycopg://", "postgresql://")
    print("\na belt's page-2 statement alone, prepared (psycopg), 500 runs after 20:")
    for label, (sql, params) in statements.items():
        with psycopg.connect(url, autocommit=True) as conn:
            for _ in range(20):
                conn.execute(sql, params, prepare=True).fetchall()
            times = []
            for _ in range(500):
                started = time.perf_counter()
                conn.execute(sql, params, prepare=True).fetchall()
                times.append((time.perf_counter() - started) * 1000)
            generic, custom = conn.execute(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
                " WHERE statement LIKE '%OFFSET%'").fetchone()
        print(f"  {label:<16}{statistics.median(times):7.3f} ms a run · "
              f"{generic} generic and {custom} custom plans")


if __name__ == "__main__":
    main()
