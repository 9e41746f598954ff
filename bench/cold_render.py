"""Cold renders (issue 15 part 2): the server time of each public page with the page cache
off, at 100,000 products on PostgreSQL, beside the same app's bare route (/ping).

    .venv/bin/python bench/cold_render.py [--database-url URL] [--scale 100000] \
        [--requests 300] [--profile PAGE]

Every request renders: PUBLIC_PAGE_TTL=0, so nothing comes from the anonymous page cache.
What a real server keeps does stay warm: the reference data (industries, belts, categories,
the filters' words, facet counts; REFERENCE_CACHE_TTL) and the short per-shop caches. The
requests go through the whole Flask app in this process (routing, the view, its queries,
the template, the security headers and compression), one at a time, rotating through many
URLs per page (300 product ids, 100 shops, 12 belts × 4 filters …) so no one row stays hot.
The figure is the median and p95 of the time per request, in milliseconds. Product cards
(app.cards) are reused when what they show is unchanged, as on a real server; the last two
columns render the same pages with that cache emptied before every request.

The database (default `yt_coldrender` on 127.0.0.1) is created when missing and filled by
`flask seed-demo --scale N` (idempotent: a second run only tops it up). --profile PAGE
prints a pyinstrument profile of that page's renders instead (pip install pyinstrument).
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VENV_BIN = ROOT / ".venv" / "bin"
DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/yt_coldrender"
SEARCH_TERMS = ["手镯", "翡翠", "吊坠", "平安扣", "和田玉", "岫玉", "原石", "摆件", "手串", "连衣裙",
                "大衣", "羊毛衫", "皮衣", "皮草", "童装", "羽绒服", "卫衣", "衬衫", "毛衣", "冰种",
                "飘花", "紫罗兰", "档口直发", "工厂直供", "源头直发", "附证书", "翡翠手镯", "羊绒毛衣",
                "jade", "bangle", "普洱", "龙井", "收纳箱", "保温杯", "面霜", "口红", "牛肉干", "脐橙",
                "黑茶", "猕猴桃"]


def ensure_database(url: str) -> None:
    """CREATE DATABASE when it is missing (on the server's `postgres` database)."""
    import psycopg
    from psycopg import sql

    plain = url.replace("postgresql+psycopg://", "postgresql://")
    parsed = urllib.parse.urlsplit(plain)
    name = parsed.path.lstrip("/")
    admin = urllib.parse.urlunsplit(parsed._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        print(f"created database {name}")


def seed(env: dict, scale: int) -> None:
    flask = [str(VENV_BIN / "flask"), "--app", "wsgi"]
    subprocess.run(flask + ["db", "upgrade"], env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started = time.perf_counter()
    subprocess.run(flask + ["seed-demo", "--scale", str(scale)], env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    print(f"seed-demo --scale {scale}: {time.perf_counter() - started:.1f}s (idempotent top-up)")


def page_urls(app) -> dict[str, list[str]]:
    """Many URLs per page, chosen from the database."""
    from sqlalchemy import text

    from app.extensions import db

    rng = random.Random(15)
    with app.app_context():
        def ids(query: str) -> list[int]:
            return [row[0] for row in db.session.execute(text(query))]

        products = ids("SELECT id FROM products WHERE status = 'active' ORDER BY random() LIMIT 300")
        shops = ids("SELECT id FROM merchants WHERE status = 'active' ORDER BY random() LIMIT 100")
        belts = [row[0] for row in db.session.execute(text("SELECT slug FROM belts ORDER BY id"))]
        industries = [row[0] for row in db.session.execute(
            text("SELECT slug FROM industries ORDER BY position"))]
        rooms = ids("SELECT id FROM live_rooms ORDER BY id LIMIT 50")
        total = db.session.execute(text("SELECT count(*) FROM products")).scalar_one()
    rng.shuffle(products)
    filters = ("", "?sort=price", "?certified=1", "?page=2")
    return {
        "bare route /ping": ["/ping"],
        "product": [f"/products/{i}" for i in products],
        "shop": [f"/shops/{i}" for i in shops],
        "belt": [f"/belts/{b}{f}" for b in belts for f in filters],
        "portal": [f"/portals/{i}{f}" for i in industries for f in filters],
        "search": [f"/search?q={urllib.parse.quote(t)}" for t in SEARCH_TERMS],
        "home": ["/"],
        "live room": [f"/live/{i}" for i in rooms],
    }, total


def timed(client, paths: list[str], n: int, cpu: list[float] | None = None,
          cards=None) -> list[float]:
    """Wall milliseconds per request; `cpu` gets this process's CPU milliseconds (the app's
    own work, less sensitive than wall time to a busy machine; the database's is not in it).
    `cards`: the product-card cache (app.cards), emptied before each request (not timed)."""
    times = []
    for i in range(n):
        path = paths[i % len(paths)]
        if cards is not None:
            cards.clear()
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(path, headers={"Accept-Encoding": "gzip"})
        times.append((time.perf_counter() - started) * 1000)
        if cpu is not None:
            cpu.append((time.process_time() - started_cpu) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300, help="measured requests per page")
    parser.add_argument("--profile", help="print a pyinstrument profile of this page instead")
    parser.add_argument("--no-seed", action="store_true", help="use the database as it is")
    args = parser.parse_args()

    env = {**os.environ, "DATABASE_URL": args.database_url}
    env.pop("REDIS_URL", None)  # one process: its own caches, as one worker of a server has
    if args.database_url.startswith("postgresql"):
        ensure_database(args.database_url)
    if not args.no_seed:
        seed(env, args.scale)
    os.environ.update({"DATABASE_URL": args.database_url, "PUBLIC_PAGE_TTL": "0"})
    os.environ.pop("REDIS_URL", None)

    from app import create_app

    app = create_app({"PUBLIC_PAGE_TTL": 0})
    pages, total = page_urls(app)
    client = app.test_client()
    for paths in pages.values():  # warm up: connections, compiled SQL and templates, caches
        timed(client, paths, len(paths))

    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
        timed(client, pages[args.profile], args.requests)
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
        return

    database = "PostgreSQL" if args.database_url.startswith("postgresql") else "SQLite"
    print(f"\n{total} products on {database} · page cache off · {args.requests} requests per "
          f"page, one at a time, in process · load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs\n")
    print(f"{'page':<18}{'URLs':>6}{'median ms':>11}{'p95 ms':>9}{'× bare':>9}{'CPU ms':>9}"
          f"{'no card reuse: median ms':>26}{'CPU ms':>9}")
    cpu: dict[str, list[float]] = {name: [] for name in pages}
    results = {name: timed(client, paths, args.requests, cpu[name])
               for name, paths in pages.items()}
    # The same pages with no product card kept from an earlier render (app.cards): each card
    # rendered anew, as for goods nobody has looked at lately.
    cards = app.extensions["yt_cards"]
    bare_cpu: dict[str, list[float]] = {name: [] for name in pages}
    bare_cards = {name: timed(client, paths, max(args.requests // 3, 20), bare_cpu[name], cards)
                  for name, paths in pages.items()}
    bare = statistics.median(results["bare route /ping"])
    for name, times in results.items():
        median = statistics.median(times)
        p95 = statistics.quantiles(times, n=20)[-1]
        print(f"{name:<18}{len(pages[name]):>6}{median:>11.2f}{p95:>9.2f}{median / bare:>9.1f}"
              f"{statistics.median(cpu[name]):>9.2f}"
              f"{statistics.median(bare_cards[name]):>26.2f}{statistics.median(bare_cpu[name]):>9.2f}")


if __name__ == "__main__":
    main()
