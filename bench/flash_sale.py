"""Flash-sale benchmark (issue 7): 500 signed-in buyers race for 100 units with a per-user
limit of 1, on PostgreSQL, gunicorn with 4 workers and REDIS_URL set (the Redis admission
gate and shared rate limits on). Prints successful orders, oversold units and per-user-limit
breaches (checked in the database: order lines at the flash price, the sale's `sold`, the
product's stock), the buy endpoint's req/s and p99, beside the same server's bare route /ping
measured with the same concurrency in the same run.

    .venv/bin/python bench/flash_sale.py                       # yt7bench, 3 races
    .venv/bin/python bench/flash_sale.py --runs 5 --duration 10 --buyers 500 --units 100 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/yt7bench \\
        --redis-url redis://127.0.0.1:6379/7

The database's schema is dropped and rebuilt (give it a scratch one; it is created when
missing). In Redis everything goes under a prefix of this run's own (CACHE_KEY_PREFIX), removed
at the end: nothing else in that Redis database is touched. Buyers are pre-created with
signed-in sessions (a session cookie and CSRF token made by the app itself), so the race measures
buying, not signing in. wrk keeps 500 connections open; request n of a connection is buyer n's
(rotating through the 500), each POST a new submission (its own idempotency key) of the form
the page renders. Each race uses a fresh sale that opens just before wrk starts: the first
requests race for the units, the rest of the run is buyers pressing on after it sold out
(answered without a write).
Targets (issue 15): zero oversold and zero breaches in every run; buy p99 ≤ 1 s and buy req/s
≥ 40 % of /ping's.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/yt7bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/7"
USER_AGENT = "yuantou-bench/1"
STOCK = 1000


# --- inside the app (run as `flash_sale.py _prepare|_sale`, in the server's environment) ----

def _app():
    sys.path.insert(0, str(ROOT))
    from app import create_app

    return create_app()


def _prepare(buyers: int) -> None:
    """Seed a shop with a live room and `buyers` buyers with addresses; print their signed-in
    session cookies and CSRF tokens as JSON."""
    from flask import g, session
    from flask_wtf.csrf import generate_csrf

    from app import clock
    from app.accounts import sessions as signed_in
    from app.accounts.models import User
    from app.catalog.reference_data import ensure_reference_data
    from app.demo import _belts
    from app.extensions import db
    from app.live.models import LiveRoom
    from app.merchants.models import Merchant
    from app.orders.models import Address

    app = _app()
    with app.app_context():
        ensure_reference_data()
        belt = _belts()["zhenping-jade"]
        owner = User(email="anchor@bench.yuantou.cn", display_name="玉匠人",
                     password_hash="!")  # noqa: S106 (never signs in)
        db.session.add(owner)
        db.session.flush()
        shop = Merchant(owner_id=owner.id, name="玉匠人", source_type="industry_belt",
                        industry_id=belt.industry_id, belt_id=belt.id, certified=True,
                        certified_at=clock.now())
        db.session.add(shop)
        db.session.flush()
        db.session.add(LiveRoom(merchant_id=shop.id, title="秒杀压测直播间", status="live",
                                started_at=clock.now()))
        people = [User(email=f"buyer{i}@bench.yuantou.cn", display_name=f"买家{i}",
                       password_hash="!") for i in range(buyers)]  # noqa: S106 (no sign-in)
        db.session.add_all(people)
        db.session.flush()
        db.session.add_all([Address(user_id=u.id, recipient="张老铁", phone="13800138000",
                                    region="河南省 南阳市 镇平县", detail="石佛寺镇 8 号",
                                    is_default=True) for u in people])
        db.session.commit()
        sessions = []
        for user in people:
            with app.test_request_context("/", environ_base={"REMOTE_ADDR": "127.0.0.1"},
                                          headers={"User-Agent": USER_AGENT}):
                signed_in.start(user)
                g.pop("csrf_token", None)  # generate_csrf caches per app context
                token = generate_csrf()
                cookie = app.session_interface.get_signing_serializer(app).dumps(dict(session))
                sessions.append({"user_id": user.id, "cookie": cookie, "csrf": token})
        print(json.dumps({"shop_id": shop.id, "sessions": sessions}))


def _sale(shop_id: int, units: int, limit: int, opens_in: float) -> None:
    """A fresh product and a flash sale on it opening in `opens_in` seconds; print ids."""
    from datetime import timedelta

    from app import clock
    from app.catalog.models import Product
    from app.extensions import db
    from app.flash.models import FlashSale
    from app.live.models import LiveRoom
    from app.merchants.models import Merchant

    app = _app()
    with app.app_context():
        shop = db.session.get(Merchant, shop_id)
        product = Product(merchant_id=shop.id, industry_id=shop.industry_id, belt_id=shop.belt_id,
                          title=f"冰种飘花翡翠手镯 {secrets.token_hex(3)}", description="源头直发。",
                          price_fen=128000, stock=STOCK, source_type=shop.source_type,
                          status="active")
        db.session.add(product)
        db.session.flush()
        room = db.session.query(LiveRoom).filter_by(merchant_id=shop.id).one()
        starts_at = clock.now() + timedelta(seconds=opens_in)
        sale = FlashSale(product_id=product.id, merchant_id=shop.id, live_room_id=room.id,
                         price_fen=9900, quantity=units, per_user_limit=limit,
                         starts_at=starts_at, ends_at=starts_at + timedelta(minutes=30))
        db.session.add(sale)
        db.session.commit()
        print(json.dumps({"sale_id": sale.id, "product_id": product.id,
                          "starts_at": starts_at.timestamp(), "price_fen": sale.price_fen}))


# --- the benchmark ---------------------------------------------------------------------------

def reset_database(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    server = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                        {"name": target.database}).scalar() is None:
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
            print(f"created database {target.database}")
    server.dispose()
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def pg_connect(url: str):
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))


def free_connections(url: str) -> int:
    from sqlalchemy.engine import make_url

    server = make_url(url).set(database="postgres").render_as_string(hide_password=False)
    with pg_connect(server) as conn:
        limit = int(conn.execute("SHOW max_connections").fetchone()[0])
        used = int(conn.execute("SELECT count(*) FROM pg_stat_activity").fetchone()[0])
    return limit - used


def child(env: dict, *args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def start_server(env: dict, port: int, workers: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--workers", str(workers),
         "--bind", f"127.0.0.1:{port}", "--backlog", "2048", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True)
    for _ in range(150):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
            return server
        except OSError:
            time.sleep(0.2)
    os.killpg(server.pid, signal.SIGKILL)
    sys.exit("gunicorn did not start: " + server.stderr.read().decode()[-2000:])


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def lua_buy(sessions: list[dict], path: str, price_fen: int) -> str:
    run_tag = "r" + secrets.token_hex(4)  # every run's submissions are new (no replays)
    cookies = ",".join(f'"session={s["cookie"]}"' for s in sessions)
    tokens = ",".join(f'"{s["csrf"]}"' for s in sessions)
    return f"""
local cookies = {{{cookies}}}
local tokens = {{{tokens}}}
local n = #cookies
local threads = {{}}
local counter = 0
statuses = {{}}
function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end
function request()
  counter = counter + 1
  local i = ((counter * 2 + tid) % n) + 1
  local key = string.format("{run_tag}%02d%010d%05d", tid, counter, i)
  local body = "csrf_token=" .. tokens[i] .. "&key=" .. key .. "&price_fen={price_fen}&quantity=1"
  return wrk.format("POST", "{path}", {{["Cookie"] = cookies[i],
    ["Content-Type"] = "application/x-www-form-urlencoded", ["User-Agent"] = "{USER_AGENT}"}}, body)
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local total = {{}}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
  end
  local parts = {{}}
  for status, count in pairs(total) do table.insert(parts, status .. "=" .. count) end
  io.write("STATUSES " .. table.concat(parts, " ") .. "\\n")
end
"""


def parse_wrk(output: str) -> dict:
    def latency(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        if not match:
            return float("nan")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    statuses = {}
    found = re.search(r"^STATUSES (.*)$", output, re.M)
    if found:
        for part in found.group(1).split():
            code, count = part.split("=")
            statuses[int(code)] = int(count)
    socket = re.search(r"Socket errors: (.*)", output)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
            "requests": int(re.search(r"(\d+) requests in", output).group(1)),
            "p50": latency("50"), "p99": latency("99"), "statuses": statuses,
            "socket": socket.group(1) if socket else ""}


def wrk(port: int, path: str, connections: int, duration: int, script: str | None = None) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "30s"]
    name = None
    if script:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
            handle.write(script)
            name = handle.name
        cmd += ["-s", name]
    try:
        result = subprocess.run(cmd + [f"http://127.0.0.1:{port}{path}"], capture_output=True,
                                text=True, check=True)
    finally:
        if name:
            os.unlink(name)
    return parse_wrk(result.stdout)


def check(url: str, sale_id: int, product_id: int) -> dict:
    """The truth, from the database: one snapshot (orders still committing when wrk stops
    must not make `sold` and the stock read at different moments look inconsistent)."""
    import psycopg

    with pg_connect(url) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        quantity, sold, limit = conn.execute(
            "SELECT quantity, sold, per_user_limit FROM flash_sales WHERE id = %s",
            (sale_id,)).fetchone()
        stock = conn.execute("SELECT stock FROM products WHERE id = %s",
                             (product_id,)).fetchone()[0]
        orders, flash_units = conn.execute(
            "SELECT count(DISTINCT o.id), coalesce(sum(l.quantity), 0) FROM order_lines l "
            "JOIN orders o ON o.id = l.order_id WHERE l.product_id = %s "
            "AND l.price_source = 'flash_sale'", (product_id,)).fetchone()
        all_units = conn.execute("SELECT coalesce(sum(quantity), 0) FROM order_lines "
                                 "WHERE product_id = %s", (product_id,)).fetchone()[0]
        breaches = conn.execute(
            "SELECT count(*) FROM (SELECT o.buyer_id FROM order_lines l JOIN orders o "
            "ON o.id = l.order_id WHERE l.product_id = %s AND l.price_source = 'flash_sale' "
            "GROUP BY o.buyer_id HAVING sum(l.quantity) > %s) AS over",
            (product_id, limit)).fetchone()[0]
        first, last = conn.execute(
            "SELECT min(o.created_at), max(o.created_at) FROM orders o JOIN order_lines l "
            "ON l.order_id = o.id WHERE l.product_id = %s", (product_id,)).fetchone()
    return {"quantity": quantity, "sold": sold, "orders": orders, "flash_units": flash_units,
            "oversold": max(0, flash_units - quantity) + max(0, sold - quantity)
            + max(0, all_units - STOCK) + (1 if stock != STOCK - all_units else 0),
            "consistent": sold == flash_units and stock == STOCK - all_units,
            "breaches": breaches,
            "sellout_s": (last - first).total_seconds() if first else float("nan")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--redis-url", default=DEFAULT_REDIS)
    parser.add_argument("--no-redis", action="store_true", help="the database alone decides")
    parser.add_argument("--buyers", type=int, default=500)
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--limit", type=int, default=1)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=32,
                        help="gunicorn threads per worker: admitted buyers wait on the database "
                             "holding one; refusals need none, so more threads keep them flowing")
    parser.add_argument("--db-connections", type=int, default=60,
                        help="PostgreSQL connections the server may use in all (workers × "
                             "(pool + 5 overflow)); fewer when the server has fewer free")
    parser.add_argument("--port", type=int, default=5107)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", metavar="PREFIX",
                        help="sample the workers with py-spy during each race (PREFIX-runN.txt)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: `make bench-flash` installs it (as root), or apt-get install -y wrk")
    if not args.database_url.startswith("postgresql"):
        sys.exit("this benchmark runs on PostgreSQL (--database-url)")

    media = Path(tempfile.gettempdir()) / "yuantou-bench-media"
    env = {**os.environ, "DATABASE_URL": args.database_url, "MEDIA_ROOT": str(media),
           "SECRET_KEY": secrets.token_hex(32), "WEB_CONCURRENCY": str(args.workers),
           "GUNICORN_THREADS": str(args.threads),
           "ACCESS_LOG": "/dev/null", "SESSION_COOKIE_SECURE": "0",
           # The per-buyer limit stays on (its Redis round trip is part of the cost), high
           # enough that a buyer pressing for the whole run is not turned away by it.
           "RATELIMIT_FLASH": "1000 per minute"}
    # One connection per thread that may place an order, within what the server has free
    # (others share it) and --db-connections.
    headroom = min(args.db_connections, free_connections(args.database_url) - 10)
    env["DB_POOL_SIZE"] = str(max(2, min(args.threads, headroom // args.workers - 5)))
    prefix = f"yt-bench-{secrets.token_hex(4)}:"
    env["CACHE_KEY_PREFIX"] = prefix
    if args.no_redis:
        env.pop("REDIS_URL", None)
    else:
        env["REDIS_URL"] = args.redis_url
    reset_database(args.database_url)
    subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started = time.perf_counter()
    prepared = child(env, "_prepare", str(args.buyers))
    print(f"{args.buyers} buyers with signed-in sessions ready in "
          f"{time.perf_counter() - started:.1f}s")
    server = start_server(env, args.port, args.workers)
    load = os.getloadavg()[0]
    try:
        # Warm up like a server that has been up: every worker's threads, database
        # connections and templates, through a throwaway race (not reported).
        wrk(args.port, "/ping", args.buyers, 2)
        warm = child(env, "_sale", str(prepared["shop_id"]), str(args.units), str(args.limit),
                     "0")
        wrk(args.port, f"/flash/{warm['sale_id']}/buy", args.buyers, 4,
            lua_buy(prepared["sessions"], f"/flash/{warm['sale_id']}/buy", warm["price_fen"]))
        print(f"\nPostgreSQL · gunicorn {args.workers} workers × "
              f"{args.threads} threads, {env['DB_POOL_SIZE']}+5 connections each · "
              f"{'REDIS_URL set' if not args.no_redis else 'no Redis'} · wrk {args.buyers} "
              f"connections · {args.duration}s per measurement · {args.units} units, "
              f"limit {args.limit} per buyer · load avg {load:.1f}\n")
        print(f"{'run':<5}{'/ping req/s':>12}{'p99 ms':>9}{'buy req/s':>11}{'p99 ms':>9}"
              f"{'vs bare':>9}{'orders':>8}{'oversold':>10}{'breaches':>10}{'sold out in':>13}"
              "  answers")
        for run in range(1, args.runs + 1):
            ping = wrk(args.port, "/ping", args.buyers, args.duration)
            sale = child(env, "_sale", str(prepared["shop_id"]), str(args.units),
                         str(args.limit), "1.5")
            script = lua_buy(prepared["sessions"], f"/flash/{sale['sale_id']}/buy",
                             sale["price_fen"])
            time.sleep(max(0.0, sale["starts_at"] - time.time()) + 0.05)
            spy = profile(server, args.profile, run, args.duration) if args.profile else None
            buy = wrk(args.port, f"/flash/{sale['sale_id']}/buy", args.buyers, args.duration,
                      script)
            if spy is not None:
                spy.wait(timeout=60)
            time.sleep(2)  # presses still in flight when wrk stopped finish (or fail) first
            truth = check(args.database_url, sale["sale_id"], sale["product_id"])
            answers = " ".join(f"{code}:{count}" for code, count in sorted(buy["statuses"].items()))
            if buy["socket"]:
                answers += f" (socket: {buy['socket']})"
            print(f"{run:<5}{ping['rps']:>12.0f}{ping['p99']:>9.1f}{buy['rps']:>11.0f}"
                  f"{buy['p99']:>9.1f}{buy['rps'] / ping['rps']:>9.0%}{truth['orders']:>8}"
                  f"{truth['oversold']:>10}{truth['breaches']:>10}"
                  f"{truth['sellout_s']:>12.2f}s  {answers}"
                  + ("" if truth["consistent"] else "  INCONSISTENT sold/stock"))
        print(f"\nload avg after: {os.getloadavg()[0]:.1f}")
    finally:
        stop_server(server)
        if not args.no_redis:
            forget_keys(args.redis_url, prefix)


def profile(server: subprocess.Popen, prefix: str, run: int, duration: int) -> subprocess.Popen:
    """py-spy (`pip install py-spy`) samples every worker, waiting threads included, for the
    race: collapsed stacks in PREFIX-runN.txt (one line per stack and its sample count)."""
    spy = shutil.which("py-spy") or str(BIN / "py-spy")
    return subprocess.Popen(
        [spy, "record", "--pid", str(server.pid), "--subprocesses", "--idle", "--threads",
         "--rate", "200", "--format", "raw", "--duration", str(duration), "--nonblocking",
         "--output", f"{prefix}-run{run}.txt"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def forget_keys(url: str, prefix: str) -> None:
    """Remove this run's keys (and only them) from the shared Redis."""
    import redis

    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match=prefix + "*", count=1000):
        client.delete(key)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_prepare":
        _prepare(int(sys.argv[2]))
    elif len(sys.argv) > 1 and sys.argv[1] == "_sale":
        _sale(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
    else:
        main()
