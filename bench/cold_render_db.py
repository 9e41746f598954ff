"""Cold renders with the database's share (issue 15): per public page, the app's CPU, the
PostgreSQL server's CPU (its backends for this process's connections) and the wall time per
request, page cache off, on the database `bench/cold_render.py` fills.

    .venv/bin/python bench/cold_render_db.py [CHECKOUT] [--requests 300]

CHECKOUT (default: this one) is the app whose pages are rendered: run it for an older checkout
and this one, one after the other, to see what a change saves the database (planning a query
again on every run, say), which `cold_render.py`'s CPU column cannot show. The server's CPU is
read from /proc/<backend pid>/stat: PostgreSQL must run on this machine. Its clock ticks are
10 ms, so take at least 200 requests per page.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/yt_coldrender"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkout", nargs="?", default=str(HERE.parent))
    parser.add_argument("--requests", type=int, default=300, help="measured requests per page")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    args = parser.parse_args()

    checkout = str(Path(args.checkout).resolve())
    sys.path[:0] = [str(HERE), checkout]
    os.chdir(checkout)
    os.environ.update({"DATABASE_URL": args.database_url, "PUBLIC_PAGE_TTL": "0"})
    os.environ.pop("REDIS_URL", None)  # one process: its own caches, as one worker has
    import cold_render  # this checkout's: the same URLs for both checkouts
    from processes import cpu_seconds

    from app import create_app
    from app.extensions import db

    app = create_app({"PUBLIC_PAGE_TTL": 0})
    pages, _total = cold_render.page_urls(app)
    backends: set[int] = set()

    @app.teardown_request
    def note_backend(exc):  # which server processes answer this app
        backends.add(db.session.connection().connection.dbapi_connection.info.backend_pid)

    def server_cpu_ms() -> float:
        return cpu_seconds(list(backends)) * 1000

    client = app.test_client()
    for paths in pages.values():  # warm up: connections, prepared statements, caches
        cold_render.timed(client, paths, max(len(paths), 30))
    print(f"\n{checkout} · {args.requests} requests per page · CPU and wall ms per request\n")
    print(f"{'page':<18}{'app CPU':>9}{'database CPU':>14}{'wall':>8}")
    n = args.requests
    for name, paths in pages.items():
        server, cpu, wall = server_cpu_ms(), time.process_time(), time.perf_counter()
        cold_render.timed(client, paths, n)
        print(f"{name:<18}{(time.process_time() - cpu) * 1000 / n:>9.2f}"
              f"{(server_cpu_ms() - server) / n:>14.2f}{(time.perf_counter() - wall) * 1000 / n:>8.2f}",
              flush=True)


if __name__ == "__main__":
    main()
