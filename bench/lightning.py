"""闪电购 benchmark: how long from the anchor's tap to "listed", with a 12-megapixel photo.

Starts the app with gunicorn on a fresh database (a temporary SQLite file, or the PostgreSQL
database you name — its schema is dropped and rebuilt, so give it a scratch one), migrates it,
seeds one certified merchant with a live room, signs in as that merchant and posts a
generated 12 MP JPEG listing (the htmx request the phone sends, pin included) N times:
sequentially, then from a few concurrent clients. Every photo differs by a few bytes, so each
listing does the full photo work. Prints p50/p95/max of the time until the server answered
"listed" (the product committed, in the live room's 小黄车 and pinned), beside the same
server's bare route /ping measured the same way in the same run.

    .venv/bin/python bench/lightning.py                       # SQLite, 40 listings, 1 and 4 clients
    .venv/bin/python bench/lightning.py --requests 60 --clients 1,2,4 --workers 2
    .venv/bin/python bench/lightning.py --database-url postgresql+psycopg://postgres@127.0.0.1/yt4bench

Target (docs/PERFORMANCE.md): p95 ≤ 300 ms sequentially on this machine.
"""
from __future__ import annotations

import argparse
import http.client
import io
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "bench-lightning-1"  # noqa: S105 (a throwaway account in a throwaway database)
ACCOUNT = "anchor@bench.yuantou.cn"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


# --- the photo -------------------------------------------------------------------------------

def twelve_megapixel_jpeg() -> bytes:
    """4000×3000, photo-like (gradients and sensor noise, ~5 MB at quality 88), taken with the
    phone held upright (EXIF orientation 6) and carrying camera metadata, as phones send."""
    from PIL import Image

    width, height = 4000, 3000
    base = Image.linear_gradient("L").resize((width, height))
    noise = Image.effect_noise((width, height), 60)
    channels = (Image.blend(base, noise, 0.35),
                Image.blend(base.transpose(Image.Transpose.FLIP_LEFT_RIGHT), noise, 0.3),
                Image.blend(base.transpose(Image.Transpose.FLIP_TOP_BOTTOM), noise, 0.4))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "BenchPhone"
    buffer = io.BytesIO()
    Image.merge("RGB", channels).save(buffer, "JPEG", quality=88, exif=exif)
    return buffer.getvalue()


def unique(photo: bytes) -> bytes:
    """The same pixels with a unique JPEG comment: a new file for the server to process."""
    nonce = uuid.uuid4().bytes
    return photo[:2] + b"\xff\xfe" + (len(nonce) + 2).to_bytes(2, "big") + nonce + photo[2:]


# --- the server ------------------------------------------------------------------------------

def prepare(env: dict[str, str], reset_postgres: bool) -> None:
    url = env["DATABASE_URL"]
    if url.startswith("postgresql") and reset_postgres:
        from sqlalchemy import create_engine, text

        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seed = (
        "from app import create_app\n"
        "from app.extensions import db\n"
        "from app.catalog.reference_data import ensure_reference_data\n"
        "from app.demo import BELTS, _belts\n"
        "from app.accounts.models import User\n"
        "from app.merchants.models import Merchant\n"
        "from app.live.models import LiveRoom\n"
        "from app import clock\n"
        "from werkzeug.security import generate_password_hash\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    ensure_reference_data(); belts = _belts()\n"
        f"    user = User(email={ACCOUNT!r}, display_name='玉匠人',"
        f" password_hash=generate_password_hash({PASSWORD!r}))\n"
        "    db.session.add(user); db.session.flush()\n"
        "    belt = belts['zhenping-jade']\n"
        "    shop = Merchant(owner_id=user.id, name='玉匠人', source_type='industry_belt',"
        " industry_id=belt.industry_id, belt_id=belt.id, certified=True,"
        " certified_at=clock.now())\n"
        "    db.session.add(shop); db.session.flush()\n"
        "    db.session.add(LiveRoom(merchant_id=shop.id, title='闪电购压测直播间',"
        " status='live', started_at=clock.now()))\n"
        "    db.session.commit()\n"
    )
    subprocess.run([sys.executable, "-c", seed], cwd=ROOT, env=env, check=True)


def start_server(env: dict[str, str], port: int, workers: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--workers", str(workers),
         "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    stop_server(server)
    raise SystemExit("gunicorn did not start: " + (server.stderr.read() or b"").decode()[-2000:])


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


# --- a client: a phone signed in as the anchor -----------------------------------------------

class Phone:
    def __init__(self, port: int, cookie: str = "", token: str = ""):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie, self.token = cookie, token

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None) -> tuple[int, str, http.client.HTTPResponse]:
        headers = dict(headers or {})
        if self.cookie:
            headers["Cookie"] = self.cookie
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith("session="):
                self.cookie = value.split(";", 1)[0]
        return response.status, text, response

    def sign_in(self) -> None:
        status, page, _ = self.request("GET", "/signin")
        self.token = CSRF_RE.search(page).group(1)
        form = urlencode({"csrf_token": self.token, "account": ACCOUNT, "password": PASSWORD})
        status, _, _ = self.request("POST", "/signin", form.encode(), {
            "Content-Type": "application/x-www-form-urlencoded"})
        if status != 303:
            raise SystemExit(f"sign-in failed: {status}")

    def twin(self) -> Phone:
        return Phone(self.conn.port, self.cookie, self.token)

    def list_by_lightning(self, photo: bytes, n: int) -> float:
        boundary = "----yuantou" + secrets.token_hex(8)
        parts = []
        for name, value in (("csrf_token", self.token), ("title", f"现雕独山玉平安扣 {n}号"),
                            ("price", "168"), ("stock", "12"), ("category", ""), ("pin", "y")):
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                         f"{value}\r\n".encode())
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; '
                     f'filename="IMG_{n:04d}.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
                     + photo + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}",
                   "HX-Request": "true", "HX-Target": "quick"}
        started = time.perf_counter()
        status, text, _ = self.request("POST", "/sell/quick", body, headers)
        elapsed = time.perf_counter() - started
        if status != 200 or "listed-card" not in text:
            raise RuntimeError(f"listing {n} failed: {status} {text[:300]}")
        return elapsed

    def ping(self) -> float:
        started = time.perf_counter()
        status, _, _ = self.request("GET", "/ping")
        if status != 200:
            raise RuntimeError(f"/ping answered {status}")
        return time.perf_counter() - started


# --- measuring -------------------------------------------------------------------------------

def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def run(phones: list[Phone], total: int, job) -> list[float]:
    """`total` calls of job(phone, n), shared by the phones running in parallel."""
    times: list[float] = []
    errors: list[BaseException] = []
    counter = iter(range(total))
    lock = threading.Lock()

    def worker(phone: Phone) -> None:
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            try:
                elapsed = job(phone, n)
            except BaseException as error:  # noqa: BLE001 (reported below)
                errors.append(error)
                return
            with lock:
                times.append(elapsed)

    threads = [threading.Thread(target=worker, args=(p,)) for p in phones]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return times


def line(label: str, times: list[float], wall: float) -> str:
    ms = [t * 1000 for t in times]
    return (f"{label:<34} n={len(ms):>4}  p50={percentile(ms, 50):7.1f} ms  "
            f"p95={percentile(ms, 95):7.1f} ms  max={max(ms):7.1f} ms  "
            f"{len(ms) / wall:6.1f}/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=40, help="listings per scenario")
    parser.add_argument("--clients", default="1,4", help="concurrent clients, e.g. 1,2,4")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--port", type=int, default=5114)
    parser.add_argument("--database-url", help="a scratch PostgreSQL database (its schema is "
                        "dropped); default: a temporary SQLite file")
    args = parser.parse_args()
    clients = [int(c) for c in args.clients.split(",")]

    tmp = Path(tempfile.mkdtemp(prefix="yt-bench-lightning-"))
    env = {**os.environ,
           "DATABASE_URL": args.database_url or f"sqlite:///{tmp / 'bench.db'}",
           "MEDIA_ROOT": str(tmp / "media"), "SECRET_KEY": secrets.token_hex(16),
           "RATELIMIT_LIGHTNING": "100000 per minute", "RATELIMIT_SIGNIN": "1000 per minute",
           "ACCESS_LOG": "/dev/null", "WEB_CONCURRENCY": str(args.workers),
           "SESSION_COOKIE_SECURE": "0"}
    env.pop("REDIS_URL", None)
    print("generating a 12-megapixel JPEG …", flush=True)
    photo = twelve_megapixel_jpeg()
    print(f"photo: 4000×3000, {len(photo) / 1e6:.1f} MB, EXIF orientation 6")
    prepare(env, reset_postgres=bool(args.database_url))
    server = start_server(env, args.port, args.workers)
    try:
        anchor = Phone(args.port)
        anchor.sign_in()
        load_before = os.getloadavg()
        print(f"server: gunicorn, {args.workers} sync workers, "
              f"{'PostgreSQL' if args.database_url else 'SQLite'}; "
              f"load average before: {load_before[0]:.2f} {load_before[1]:.2f}")
        for _ in range(3):  # warm up imports, connections and caches
            anchor.ping()
            anchor.list_by_lightning(unique(photo), -1)
        listed = 3
        for count in clients:
            phones = [anchor.twin() for _ in range(count)]
            started = time.perf_counter()
            pings = run(phones, args.requests * 5, lambda phone, n: phone.ping())
            ping_wall = time.perf_counter() - started
            photos = [unique(photo) for _ in range(args.requests)]
            started = time.perf_counter()
            times = run(phones, args.requests,
                        lambda phone, n, photos=photos: phone.list_by_lightning(photos[n], n))
            wall = time.perf_counter() - started
            listed += len(times)
            print(line(f"/ping, {count} client(s)", pings, ping_wall))
            print(line(f"闪电购 12 MP → listed, {count} client(s)", times, wall))
        status, page, _ = anchor.request("GET", "/live/1")
        in_room = page.count('class="cart-item')
        load_after = os.getloadavg()
        print(f"live room now shows {in_room} goods (expected {listed}); "
              f"load average after: {load_after[0]:.2f} {load_after[1]:.2f}")
        if in_room != listed:
            raise SystemExit("not every listing reached the live room")
    finally:
        stop_server(server)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
