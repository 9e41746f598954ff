"""What the page cache spends making a copy of a page (app.pagecache.Body.of: finding the
token's and the viewer parts' places, deflating the pieces), per page kind, beside the same
page deflated whole in one go (zlib, the same level: the reference measured in this run).

    .venv/bin/python bench/page_copies.py [--database-url URL] [--repeat 300]

An anonymous render that may be shared makes one copy; in the real-traffic replay about
four requests in ten do (`bench/catalog.py --replay`). The pages are rendered once each as
an anonymous visitor on the cold-render database (`yt_coldrender`, created and seeded by
bench/cold_render.py when missing), then each copy is made `--repeat` times. A page kind
the page cache does not keep (the live room, always rendered) makes no copy and
is not listed.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import cold_render  # noqa: E402  (its database, seed and URLs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url",
                        default=os.environ.get("BENCH_DATABASE_URL", cold_render.DEFAULT_DB))
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--no-seed", action="store_true", help="use the database as it is")
    args = parser.parse_args()

    env = {**os.environ, "DATABASE_URL": args.database_url}
    env.pop("REDIS_URL", None)
    if args.database_url.startswith("postgresql"):
        cold_render.ensure_database(args.database_url)
    if not args.no_seed:
        cold_render.seed(env, 100_000)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.pop("REDIS_URL", None)

    from app import create_app, pagecache

    app = create_app({"PUBLIC_PAGE_TTL": 1})
    pages, _total = cold_render.page_urls(app)
    made: dict[str, bytes] = {}
    kind = [""]
    of = pagecache.Body.of.__func__

    def keep(cls, data: bytes):  # the page as the render hands it to the cache
        made.setdefault(kind[0], data)
        return of(cls, data)

    pagecache.Body.of = classmethod(keep)
    client = app.test_client()
    for name, paths in pages.items():
        if name != "bare route /ping":
            kind[0] = name
            client.get(paths[0], headers={"Accept-Encoding": "gzip"})
    pagecache.Body.of = classmethod(of)

    def timed(step) -> float:
        runs = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            step()
            runs.append((time.perf_counter() - started) * 1e6)
        return statistics.median(runs)

    def whole(data: bytes) -> bytes:
        compressor = zlib.compressobj(pagecache.COMPRESS_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
        return compressor.compress(data) + compressor.flush()

    print(f"{'page':<12}{'KB':>6}{'places':>8}{'copy µs':>10}{'whole deflate µs':>18}{'ratio':>7}")
    for name, data in made.items():
        places = len(pagecache.Body.of(data).places)
        copy = timed(lambda data=data: pagecache.Body.of(data))
        reference = timed(lambda data=data: whole(data))
        print(f"{name:<12}{len(data) / 1024:>6.1f}{places:>8}{copy:>10.0f}{reference:>18.0f}"
              f"{copy / reference:>7.2f}")


if __name__ == "__main__":
    main()
