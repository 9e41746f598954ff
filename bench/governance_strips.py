"""What the 源头实拍 strips and the upheld-complaints line cost on the hot public pages.

Renders the belt, portal, shop and product pages in process (no server, page cache off) with the
governance slot partials registered and without them, and prints the median render time and the
number of SQL statements of each. Usage:

    .venv/bin/python bench/governance_strips.py                    # temporary SQLite, demo data
    .venv/bin/python bench/governance_strips.py --database-url postgresql+psycopg://…/scratch
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="yt-gov-bench-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
    from sqlalchemy import create_engine, event, select, text

    if url.startswith("postgresql"):
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    from app import create_app
    from app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "MEDIA_ROOT": str(tmp / "media"),
                      "PUBLIC_PAGE_TTL": 0, "REFERENCE_CACHE_TTL": 60, "TESTING": True,
                      "RATELIMIT_ENABLED": False})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        from app.demo import seed

        seed(0)
        from app.catalog.models import Belt, Product
        from app.governance.models import SourceVideo, SourceVideoProduct

        video = db.session.scalar(select(SourceVideo).where(SourceVideo.belt_id == select(
            Belt.id).where(Belt.slug == "zhenping-jade").scalar_subquery()))
        product_id = db.session.scalar(select(SourceVideoProduct.product_id)
                                       .where(SourceVideoProduct.video_id == video.id))
        shop_id = db.session.get(Product, product_id).merchant_id
        statements = []
        event.listen(db.engine, "before_cursor_execute",
                     lambda *a, **k: statements.append(1))
    pages = {"belt": "/belts/zhenping-jade", "portal": "/portals/jade",
             "shop": f"/shops/{shop_id}", "product": f"/products/{product_id}"}
    slots = app.extensions["yt_slots"]
    ours = {name: [t for t in entries if t.startswith("governance/")]
            for name, entries in slots.items()}
    client = app.test_client()

    def toggle(on: bool) -> None:
        for slot, templates in ours.items():
            for t in templates:
                if on and t not in slots[slot]:
                    slots[slot].append(t)
                if not on and t in slots[slot]:
                    slots[slot].remove(t)

    def once(path: str) -> tuple[float, int]:
        statements.clear()
        start = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == 200, path
        return elapsed, len(statements)

    print(f"database: {url.split('://')[0]}, {args.requests} requests per page and variant "
          f"(alternating, so machine noise hits both alike)")
    print(f"{'page':8} {'with governance':>22} {'without':>18}")
    for name, path in pages.items():
        runs = {True: [], False: []}
        queries = {}
        for on in (True, False):  # warm both
            toggle(on)
            once(path)
        for _ in range(args.requests):
            for on in (True, False):
                toggle(on)
                ms, q = once(path)
                runs[on].append(ms)
                queries[on] = q
        toggle(True)
        print(f"{name:8} {statistics.median(runs[True]):12.1f} ms {queries[True]:3d} q "
              f"{statistics.median(runs[False]):9.1f} ms {queries[False]:3d} q")
    if url.startswith("postgresql"):
        with app.app_context():
            from app.governance import videos

            query = videos._public().where(SourceVideo.belt_id == video.belt_id).limit(6)
            compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
            for row in db.session.execute(text(f"EXPLAIN ANALYZE {compiled}")):
                print("   ", row[0])


if __name__ == "__main__":
    main()
