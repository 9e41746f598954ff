"""What counting product-page views costs a buyer: the product page with counting on and off
(interleaved, same process), beside the bare /ping; then one flush of buffered views.

usage: .venv/bin/python bench/merchant_views.py [requests]   (needs `flask seed-demo` first;
       uses DATABASE_URL like the app, so it runs on SQLite or PostgreSQL)"""
from __future__ import annotations

import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import delete, select

from app import create_app
from app.catalog.models import Product
from app.extensions import db
from app.merchants import stats
from app.merchants.models import ProductViewCount


def timed(client, path: str) -> float:
    started = time.perf_counter()
    response = client.get(path)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, (path, response.status_code)
    return elapsed * 1000


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    app = create_app({"VIEW_FLUSH_SECONDS": 3600})  # flush only when asked, below
    client = app.test_client()
    with app.app_context():
        ids = list(db.session.scalars(select(Product.id).order_by(Product.id).limit(50)))
    paths = [f"/products/{i}" for i in ids]
    for path in paths:  # warm up templates and caches
        client.get(path)
    on, off, ping = [], [], []
    for n in range(rounds):
        path = paths[n % len(paths)]
        app.config["VIEW_COUNTING"] = False
        off.append(timed(client, path))
        app.config["VIEW_COUNTING"] = True
        on.append(timed(client, path))
        ping.append(timed(client, "/ping"))
    buffered = len(app.extensions["yt_view_buffer"])

    def line(label, samples):
        samples = sorted(samples)
        return (f"{label:<28} median {statistics.median(samples):6.2f} ms   "
                f"p95 {samples[int(len(samples) * .95)]:6.2f} ms")

    print(f"{rounds} requests each, database {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}")
    print(line("/ping", ping))
    print(line("/products/<id> counting off", off))
    print(line("/products/<id> counting on", on))
    print(f"difference of medians: {statistics.median(on) - statistics.median(off):+.3f} ms "
          f"({buffered} (product, hour) keys buffered, no database write per view)")

    with app.app_context():
        hour = 946684800 + 3600 * 200  # hours in the year 2000: deleted again below
        counts = Counter({(p, hour - 3600 * k): 7 for p in ids for k in range(200)})
        started = time.perf_counter()
        written = stats._write(counts)
        print(f"flush: {len(counts)} (product, hour) rows, {written} views in "
              f"{(time.perf_counter() - started) * 1000:.0f} ms (one upsert per 500 rows)")
        db.session.execute(delete(ProductViewCount).where(ProductViewCount.hour < datetime(
            2001, 1, 1, tzinfo=UTC)))
        db.session.commit()
        app.extensions["yt_view_buffer"].drain()  # the benchmark's own views are not real ones


if __name__ == "__main__":
    main()
