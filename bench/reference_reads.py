"""What a page pays for the belts, industries and categories it names (issue 15): the three
reads `catalog.services.page_belts_by_id`, `page_industries_by_id` and `page_categories_by_id`,
as one request makes them, with everything kept warm (REFERENCE_CACHE_TTL on, no Redis).

    .venv/bin/python bench/reference_reads.py [CHECKOUT ...] [--requests 2000] [--rounds 3]

Each CHECKOUT (default: this one) is measured in its own process, round after round in turn,
on the database `bench/cold_render.py` fills: give an older checkout and this one to compare.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/yt_coldrender"


def measure(checkout: str, requests: int) -> float:
    """Microseconds per request, in this process (run as the checkout's own)."""
    sys.path.insert(0, checkout)
    os.chdir(checkout)
    os.environ.pop("REDIS_URL", None)
    from flask import g

    from app import create_app
    from app.catalog import services

    app = create_app({"REFERENCE_CACHE_TTL": 60})

    with app.test_request_context("/"):  # warm: the process keeps the copies
        services.page_belts_by_id()
        services.page_industries_by_id()
        services.page_categories_by_id()
    with app.test_request_context("/"):
        started = time.perf_counter()
        for _ in range(requests):
            # what a new request's context starts without
            g.pop("yt_page_reference", None)
            g.pop("yt_reference_version", None)
            services.page_belts_by_id()
            services.page_industries_by_id()
            services.page_categories_by_id()
        return (time.perf_counter() - started) / requests * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkouts", nargs="*", default=[str(Path(__file__).resolve().parent.parent)])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--one", help=argparse.SUPPRESS)  # a worker: measure this checkout
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    if args.one:
        print(f"{measure(args.one, args.requests):.1f}")
        return
    results: dict[str, list[str]] = {checkout: [] for checkout in args.checkouts}
    for _ in range(args.rounds):
        for checkout in args.checkouts:
            python = Path(checkout) / ".venv" / "bin" / "python"
            out = subprocess.run([str(python), __file__, "--one", str(Path(checkout).resolve()),
                                  "--requests", str(args.requests)], env=os.environ,
                                 capture_output=True, text=True, check=True).stdout
            results[checkout].append(out.strip().splitlines()[-1])
    print("µs per request for the three reference reads, each round in turn:")
    for checkout, figures in results.items():
        print(f"  {checkout}: {', '.join(figures)}")


if __name__ == "__main__":
    main()
