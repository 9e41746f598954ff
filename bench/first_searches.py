"""First-time searches (issue 15 part 3): what a search nobody asked for lately costs, in
process, page cache off — the real-traffic scenario's slowest requests. Each of the
real-traffic plan's 200 searches (bench/catalog.py's `search_queries`) but the first ten is
rendered once cold (its statements, plans and facet counts not kept yet), then all of them
again (kept), beside `/ping`; then where a cold one's time went.

    .venv/bin/python bench/first_searches.py [--database-url URL]

Needs the database bench/cold_render.py fills (`yt_coldrender`, 100,000 goods: run that once
first). CPU is this thread's (`time.thread_time`); wall includes the database's time. The
breakdown times the app's own steps (building the search's statements, their cache keys and
compiling, the goods, the facet counts) by wrapping them, so a step's figure includes the
database time inside it.
"""
from __future__ import annotations

import argparse
import collections
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/yt_coldrender"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    args = parser.parse_args()
    os.environ.update({"DATABASE_URL": args.database_url, "PUBLIC_PAGE_TTL": "0"})
    os.environ.pop("REDIS_URL", None)  # one process: its own caches, as one worker has

    import catalog as bench_catalog
    import psycopg

    from app import create_app
    from app import db as app_db
    from app.catalog import facets, services

    app = create_app({"PUBLIC_PAGE_TTL": 0})
    with psycopg.connect(args.database_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        urls = bench_catalog.search_queries(conn)
    client = app.test_client()
    for url in urls[:10]:  # warm up: connections, templates, the shapes' compiled forms
        client.get(url)
    steps: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0.0])

    def timed_step(module, name: str, label: str) -> None:
        original = getattr(module, name)

        def step(*a, **kw):
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return original(*a, **kw)
            finally:
                steps[label][0] += time.thread_time() - cpu
                steps[label][1] += time.perf_counter() - wall
        setattr(module, name, step)

    def run(paths: list[str]) -> tuple[list[float], list[float]]:
        cpu_ms, wall_ms = [], []
        for path in paths:
            wall, cpu = time.perf_counter(), time.thread_time()
            response = client.get(path, headers={"Accept-Encoding": "gzip"})
            cpu_ms.append((time.thread_time() - cpu) * 1000)
            wall_ms.append((time.perf_counter() - wall) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{path}: HTTP {response.status_code}")
        return cpu_ms, wall_ms

    ping_cpu, ping_wall = run(["/ping"] * 300)
    for module, name, label in (
            (services, "find_products", "the goods (with their SQL)"),
            (services, "_SearchStatements", "  building the search's statements"),
            (app_db, "_plain_read", "  cache keys and compiling"),
            (facets, "_grouped_counts", "the facet counts (with their SQL)")):
        timed_step(module, name, label)
    cold = urls[10:]
    first_cpu, first_wall = run(cold)
    order = ["the goods (with their SQL)", "  building the search's statements",
             "  cache keys and compiling", "the facet counts (with their SQL)"]
    breakdown = {label: tuple(steps[label]) for label in order}
    again_cpu, again_wall = run(cold)
    print(f"\n{len(cold)} searches, PostgreSQL, page cache off, in process; mean (median) ms\n")
    print(f"{'':<36}{'CPU':>16}{'wall':>16}")
    for label, cpu_ms, wall_ms in (("/ping", ping_cpu, ping_wall),
                                   ("first time", first_cpu, first_wall),
                                   ("again (kept statements, facets)", again_cpu, again_wall)):
        print(f"{label:<36}{statistics.mean(cpu_ms):>8.2f} ({statistics.median(cpu_ms):5.2f})"
              f"{statistics.mean(wall_ms):>9.2f} ({statistics.median(wall_ms):5.2f})")
    print("\nwhere a first-time search's time went (mean ms per search):")
    for label, (cpu, wall) in breakdown.items():
        print(f"  {label:<34}{cpu * 1000 / len(cold):>8.2f}{wall * 1000 / len(cold):>16.2f}")


if __name__ == "__main__":
    main()
