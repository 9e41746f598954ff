"""In-process cost of 立即抢购 (issue 15 part 4): what one admitted flash order and one refusal
cost inside the app, without wrk, gunicorn or other requests competing — time per press,
SQL statements and database round trips (BEGIN and COMMIT included) per press, beside
`/ping`. The same seed and sessions as bench/flash_sale.py, one process, the test client.

    .venv/bin/python bench/flash_cost.py --orders 200 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/yt_flash_cost \\
        --redis-url redis://127.0.0.1:6379/12

The database's schema is dropped and rebuilt (give it a scratch one). Redis keys go under a
prefix of this run's own, removed at the end.
"""
from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import flash_sale  # noqa: E402  (the benchmark's seed and sale, run as children)


class Counter:
    """Statements and round trips the app sends to PostgreSQL (psycopg level)."""

    def __init__(self):
        self.statements = 0
        self.round_trips = 0
        self.shapes: dict[str, list[float]] = {}
        self.record = False

    def install(self, engine) -> None:
        from sqlalchemy import event

        @event.listens_for(engine, "before_cursor_execute")
        def _statement(conn, _cursor, statement, *_args):
            self.statements += 1
            self.round_trips += 1
            conn.info["yt_t0"] = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def _done(conn, _cursor, statement, *_args):
            if self.record:
                spent = (time.perf_counter() - conn.info.pop("yt_t0", time.perf_counter()))
                self.shapes.setdefault(" ".join(statement.split())[:150], []).append(spent)

        @event.listens_for(engine, "begin")
        def _begin(_conn):
            self.round_trips += 1  # psycopg sends BEGIN on its own before the first statement

        @event.listens_for(engine, "commit")
        def _commit(_conn):
            self.round_trips += 1

        import app.db as appdb

        original = appdb.commit_hot

        def counted(steps, rows=()):
            if appdb.is_postgres():
                # the new rows' INSERTs, the hot steps and the COMMIT
                self.statements += len(rows) + len(steps) + 1
                self.round_trips += 1 - 1  # one round trip; the session's commit counts one
            return original(steps, rows)

        appdb.commit_hot = counted
        import app.orders.checkout as checkout

        checkout.commit_hot = counted


def measure(label: str, presses, counter: Counter) -> dict:
    times, statements, trips = [], [], []
    statuses: dict[int, int] = {}
    cpu0 = time.process_time()
    for press in presses:
        s0, r0 = counter.statements, counter.round_trips
        t0 = time.perf_counter()
        status = press()
        times.append((time.perf_counter() - t0) * 1000)
        statements.append(counter.statements - s0)
        trips.append(counter.round_trips - r0)
        statuses[status] = statuses.get(status, 0) + 1
    cpu_ms = (time.process_time() - cpu0) * 1000 / max(len(times), 1)
    row = {"label": label, "n": len(times), "mean_ms": statistics.fmean(times), "cpu_ms": cpu_ms,
           "median_ms": statistics.median(times), "statements": statistics.fmean(statements),
           "round_trips": statistics.fmean(trips), "statuses": statuses}
    print(f"{label:<34}{row['n']:>6}{row['mean_ms']:>10.2f}{row['median_ms']:>10.2f}"
          f"{cpu_ms:>9.2f}"
          f"{row['statements']:>12.1f}{row['round_trips']:>13.1f}  "
          + " ".join(f"{k}:{v}" for k, v in sorted(statuses.items())))
    return row


def profiled(path: str, run) -> None:
    """Run `run()` under cProfile and write its statistics to `path`."""
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()
    run()
    profiler.disable()
    profiler.dump_stats(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/yt_flash_cost")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--refusals", type=int, default=2000)
    parser.add_argument("--profile", metavar="FILE",
                        help="cProfile the admitted presses (FILE), the sold-out ones "
                             "(FILE.refusals)")
    args = parser.parse_args()

    prefix = f"yt-cost-{secrets.token_hex(4)}:"
    env = {**os.environ, "DATABASE_URL": args.database_url, "REDIS_URL": args.redis_url,
           "CACHE_KEY_PREFIX": prefix, "SECRET_KEY": secrets.token_hex(32),
           "SESSION_COOKIE_SECURE": "0", "RATELIMIT_FLASH": "100000 per minute",
           "MEDIA_ROOT": str(Path(tempfile.gettempdir()) / "yuantou-cost-media")}
    flash_sale.reset_database(args.database_url)
    subprocess.run([str(flash_sale.BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT,
                   env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    buyers = args.orders
    prepared = flash_sale.child(env, "_prepare", str(buyers))
    sale = flash_sale.child(env, "_sale", str(prepared["shop_id"]), str(2 * args.orders), "1",
                            "0")
    sold_out = flash_sale.child(env, "_sale", str(prepared["shop_id"]), "1", "1", "0")
    os.environ.update(env)

    from app import create_app
    from app.extensions import db

    app = create_app()
    counter = Counter()
    with app.app_context():
        counter.install(db.engine)
    client = app.test_client()
    sessions = prepared["sessions"]

    def press(sale_id: int, index: int, price_fen: int):
        def run() -> int:
            who = sessions[index % len(sessions)]
            client.set_cookie("session", who["cookie"], domain="localhost")
            body = {"csrf_token": who["csrf"], "key": "k" + secrets.token_hex(12),
                    "price_fen": str(price_fen), "quantity": "1"}
            response = client.post(f"/flash/{sale_id}/buy", data=body,
                                   headers={"User-Agent": flash_sale.USER_AGENT})
            response.close()  # as a server does once it has sent the answer
            return response.status_code
        return run

    def ping() -> int:
        return client.get("/ping").status_code

    print(f"{'press':<34}{'n':>6}{'mean ms':>10}{'median ms':>10}{'cpu ms':>9}{'statements':>12}"
          f"{'round trips':>13}  answers")
    measure("/ping", [ping] * 300, counter)
    # warm: one sold-out press caches the ticket and the refusal page
    client.set_cookie("session", sessions[0]["cookie"], domain="localhost")
    press(sold_out["sale_id"], 0, sold_out["price_fen"])()
    press(sold_out["sale_id"], 1, sold_out["price_fen"])()
    admitted = [press(sale["sale_id"], i, sale["price_fen"]) for i in range(args.orders)]
    if args.profile:
        profiled(args.profile, lambda: measure("admitted (an order placed)", admitted, counter))
    else:
        counter.record = True
        measure("admitted (an order placed)", admitted, counter)
        counter.record = False
        print("\nper admitted order, by statement (ms, execute to result):")
        for shape, spent in sorted(counter.shapes.items(), key=lambda kv: -sum(kv[1])):
            print(f"{sum(spent) * 1000 / args.orders:8.2f} x{len(spent) / args.orders:4.1f}  {shape}")
        print()
    measure("limit reached (gate, open sale)",
            [press(sale["sale_id"], i, sale["price_fen"]) for i in range(args.refusals // 4)],
            counter)
    refusals = [press(sold_out["sale_id"], i, sold_out["price_fen"]) for i in range(args.refusals)]
    if args.profile:
        profiled(args.profile + ".refusals",
                 lambda: measure("sold out (ticket, no Redis/DB)", refusals, counter))
    else:
        measure("sold out (ticket, no Redis/DB)", refusals, counter)
    measure("/ping", [ping] * 300, counter)

    import redis

    client_redis = redis.Redis.from_url(args.redis_url)
    for key in client_redis.scan_iter(match=prefix + "*", count=1000):
        client_redis.delete(key)


if __name__ == "__main__":
    main()
