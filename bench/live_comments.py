"""Live comments (弹幕) benchmark (issue 16): how long from a comment posted until another
viewer's screen has it, p95, against a real gunicorn server — beside the same server's bare
route /ping measured in the same run.

Starts gunicorn on a fresh database (a temporary SQLite file, or the PostgreSQL database you
name: its schema is dropped and rebuilt, so give it a scratch one), migrates it and seeds one
live room. Then VIEWERS simulated phones poll the room's comment feed the way the page does
(htmx, every LIVE_CHAT_POLL_SECONDS with the ETag of what they show; 304 while nothing
changed), each with its own browser session, while a few signed-in buyers post comments. For
every comment and every viewer: the time from sending the POST until that viewer's poll first
returns a feed with the comment in it. Also: the feed polls' own latency and the share
answered 304, and /ping's latency sampled the same way during the run.

    .venv/bin/python bench/live_comments.py                       # SQLite, 2 workers, 50 viewers
    .venv/bin/python bench/live_comments.py --viewers 200 --comments 60
    .venv/bin/python bench/live_comments.py --redis-url redis://127.0.0.1:6379/0 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/yt_live_chat

With --redis-url the keys go under a prefix of the run's own (CACHE_KEY_PREFIX), deleted at
the end; nothing else in that Redis is touched.
Target (docs/PERFORMANCE.md): comment seen by another viewer ≤ 2 s p95.

For bench/live.py: `measure(context)` (its hook) runs `measure_comment_latency(base_url,
room_id, posters, ...)` against its server, while its room is live; posters are signed-in
sessions made with `make_posters(env)` in the server's environment.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
USER_AGENT = "yuantou-bench/1"
FEED_ITEM = re.compile(r'<span class="chat-body">([^<]*)</span>')


# --- inside the app (run as `live_comments.py _seed|_posters`, in the server's environment) -

def _app():
    sys.path.insert(0, str(ROOT))
    from app import create_app

    return create_app()


def _seed() -> None:
    """One certified shop with a live room; prints its id."""
    from app import clock
    from app.accounts.models import User
    from app.catalog.reference_data import ensure_reference_data
    from app.demo import _belts
    from app.extensions import db
    from app.live.models import LiveRoom
    from app.merchants.models import Merchant

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
        room = LiveRoom(merchant_id=shop.id, title="弹幕压测直播间", status="live",
                        started_at=clock.now())
        db.session.add(room)
        db.session.commit()
        print(json.dumps({"room_id": room.id}))


def _posters(count: int) -> None:
    """`count` new buyer accounts, printed as signed-in sessions (cookie and CSRF token made
    by the app itself, so the run measures commenting, not signing in)."""
    from flask import g, session
    from flask_wtf.csrf import generate_csrf

    from app.accounts import sessions as signed_in
    from app.accounts.models import User
    from app.extensions import db

    app = _app()
    with app.app_context():
        tag = secrets.token_hex(3)
        people = [User(email=f"poster-{tag}-{i}@bench.yuantou.cn", display_name=f"压测老铁{i}",
                       password_hash="!") for i in range(count)]  # noqa: S106
        db.session.add_all(people)
        db.session.commit()
        sessions = []
        for user in people:
            with app.test_request_context("/", headers={"User-Agent": USER_AGENT}):
                signed_in.start(user)
                g.pop("csrf_token", None)
                token = generate_csrf()
                cookie = app.session_interface.get_signing_serializer(app).dumps(dict(session))
                sessions.append({"cookie": cookie, "csrf": token})
        print(json.dumps(sessions))


def _cpu(room_id: int, posters_json: str, rounds: int) -> None:
    """CPU time per request, in process (no network, no other load's scheduling): /ping, an
    unchanged feed (304), a changed feed served from the shared copy, and one rendered."""
    from app.extensions import cache

    app = _app()
    poster = json.loads(posters_json)[0]
    client = app.test_client()
    feed = f"/live/{room_id}/comments"
    htmx = {"HX-Request": "true", "HX-Target": "live-comments"}
    with app.app_context():
        cache.clear()
    client.post(f"/live/{room_id}/comments", headers={"Cookie": f"session={poster['cookie']}"},
                data={"csrf_token": poster["csrf"], "body": "CPU 测量"})
    client.get(feed, headers=htmx)
    etag = client.get(feed, headers=htmx).headers["ETag"]

    def per_request(fn) -> float:
        started = time.process_time()
        for _ in range(rounds):
            fn()
        return (time.process_time() - started) / rounds * 1000

    shared_key = "live:chat:html:" + etag.strip('"')

    def rendered():
        with app.app_context():
            cache.delete(shared_key)  # no shared copy: this viewer renders the feed
        client.get(feed, headers=htmx)

    costs = {"ping": per_request(lambda: client.get("/ping")),
             "not_modified": per_request(lambda: client.get(
                 feed, headers={**htmx, "If-None-Match": etag})),
             "shared": per_request(lambda: client.get(feed, headers=htmx)),
             "rendered": per_request(rendered)}
    print(json.dumps(costs))


def _child(env: dict, *args: str):
    out = subprocess.run([sys.executable, __file__, *args], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def make_posters(env: dict, count: int = 3) -> list[dict]:
    """Signed-in sessions of `count` new buyers in the database `env` names (DATABASE_URL,
    SECRET_KEY — the server's own)."""
    return _child(env, "_posters", str(count))


# --- the measurement ------------------------------------------------------------------------

class Phone:
    """One keep-alive connection with a browser's cookie jar (just the session cookie)."""

    def __init__(self, base_url: str, cookie: str = "", csrf: str = ""):
        parts = urllib.parse.urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.cookie, self.csrf = cookie, csrf
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)

    def request(self, method: str, path: str, body: str | None = None,
                headers: dict | None = None) -> tuple[int, dict, str]:
        headers = {"User-Agent": USER_AGENT, **(headers or {})}
        if self.cookie:
            headers["Cookie"] = f"session={self.cookie}"
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read().decode("utf-8", "replace")
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
                if attempt == 2:
                    raise
        found = re.search(r"session=([^;]+)", response.getheader("Set-Cookie") or "")
        if found:
            self.cookie = found.group(1)
        return response.status, dict(response.getheaders()), data


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


@dataclass
class CommentLatency:
    seen_ms: list[float] = field(default_factory=list)     # per (comment, viewer)
    poll_ms: list[float] = field(default_factory=list)     # each feed poll's round trip
    quiet_ms: list[float] = field(default_factory=list)    # polls before any comment (304s)
    quiet_ping_ms: list[float] = field(default_factory=list)  # /ping in those seconds
    ping_ms: list[float] = field(default_factory=list)     # /ping's round trip, same run
    polls: int = 0
    not_modified: int = 0
    comments: int = 0
    refused: int = 0
    missed: int = 0                                         # (comment, viewer) never seen

    def summary(self) -> dict:
        def stats(values):
            return {"p50": percentile(values, 50), "p95": percentile(values, 95),
                    "p99": percentile(values, 99), "max": max(values, default=float("nan"))}

        return {"seen": stats(self.seen_ms), "poll": stats(self.poll_ms),
                "quiet": stats(self.quiet_ms), "quiet_ping": stats(self.quiet_ping_ms),
                "ping": stats(self.ping_ms), "polls": self.polls,
                "share_304": self.not_modified / self.polls if self.polls else float("nan"),
                "comments": self.comments, "refused": self.refused, "missed": self.missed,
                "samples": len(self.seen_ms)}


def measure_comment_latency(base_url: str, room_id: int, posters: list[dict], *,
                            viewers: int = 50, comments: int = 30, interval: float = 1.0,
                            poll_seconds: float = 1.0, quiet: float = 5.0,
                            give_up: float = 10.0) -> CommentLatency:
    """Post `comments` comments (one every `interval` s, rotating through `posters`) while
    `viewers` phones poll the feed every `poll_seconds` like the page does; returns the time
    from each POST until each viewer's feed had it, and /ping sampled alongside. The first
    `quiet` seconds nobody comments: those polls show what an unchanged feed costs."""
    feed_path = f"/live/{room_id}/comments"
    result = CommentLatency()
    lock = threading.Lock()
    sent: dict[str, float] = {}        # comment text → when its POST was sent
    seen: dict[str, set[int]] = {}     # comment text → viewers that have shown it
    stop = threading.Event()
    talking = threading.Event()
    run = secrets.token_hex(2)

    ready = threading.Semaphore(0)

    def viewer(index: int) -> None:
        phone = Phone(base_url)  # its first poll gives it a browser id (a session cookie)
        etag = None
        time.sleep(poll_seconds * index / max(viewers, 1))  # phones opened at different times
        while not stop.is_set():
            headers = {"HX-Request": "true", "HX-Target": "live-comments"}
            if etag:
                headers["If-None-Match"] = etag
            started = time.monotonic()
            status, response_headers, body = phone.request("GET", feed_path, headers=headers)
            now = time.monotonic()
            with lock:
                result.polls += 1
                result.poll_ms.append((now - started) * 1000)
                if quiet_started.is_set() and not talking.is_set() and etag is not None:
                    result.quiet_ms.append((now - started) * 1000)
                if status == 304:
                    result.not_modified += 1
                elif status == 200:
                    if etag is None:
                        ready.release()
                    etag = response_headers.get("ETag", etag)
                    for text in FEED_ITEM.findall(body):
                        if text in sent and index not in seen[text]:
                            seen[text].add(index)
                            result.seen_ms.append((now - sent[text]) * 1000)
            # htmx polls `poll_seconds` after the previous answer arrived
            stop.wait(poll_seconds)

    quiet_started = threading.Event()

    def pinger() -> None:
        phone = Phone(base_url)
        while not stop.is_set():
            started = time.monotonic()
            phone.request("GET", "/ping")
            with lock:
                result.ping_ms.append((time.monotonic() - started) * 1000)
                if quiet_started.is_set() and not talking.is_set():
                    result.quiet_ping_ms.append((time.monotonic() - started) * 1000)
            stop.wait(0.25)

    threads = [threading.Thread(target=viewer, args=(i,), daemon=True) for i in range(viewers)]
    threads.append(threading.Thread(target=pinger, daemon=True))
    for thread in threads:
        thread.start()
    for _ in range(viewers):  # every viewer has its first feed …
        ready.acquire(timeout=120)
    time.sleep(poll_seconds * 2)  # … and has been counted as watching …
    quiet_started.set()
    time.sleep(quiet)  # … then nobody comments for a while
    talking.set()
    phones = [Phone(base_url, p["cookie"], p["csrf"]) for p in posters]
    for n in range(comments):
        phone = phones[n % len(phones)]
        text = f"压测{run}-{n:04d} 这个手镯还有货吗"
        body = urllib.parse.urlencode({"csrf_token": phone.csrf, "body": text})
        with lock:
            sent[text] = time.monotonic()
            seen[text] = set()
        status, _, _ = phone.request("POST", f"/live/{room_id}/comments", body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true",
            "HX-Target": "live-chat"})
        with lock:
            if status == 200:
                result.comments += 1
            else:
                result.refused += 1
                del sent[text], seen[text]
        time.sleep(interval)
    deadline = time.monotonic() + give_up
    while time.monotonic() < deadline:
        with lock:
            if all(len(v) == viewers for v in seen.values()):
                break
        time.sleep(0.1)
    stop.set()
    for thread in threads:
        thread.join(timeout=35)
    with lock:
        result.missed = sum(viewers - len(v) for v in seen.values())
    return result


def measure(context: dict, *, viewers: int = 30, comments: int = 20) -> dict:
    """bench/live.py's hook. `context`: base_url, room_id (live now), env (the server's)."""
    posters = make_posters(context["env"], 4)
    result = measure_comment_latency(context["base_url"], context["room_id"], posters,
                                     viewers=viewers, comments=comments)
    s = result.summary()
    return {"p50_ms": s["seen"]["p50"], "p95_ms": s["seen"]["p95"], "n": s["comments"],
            "pairs": s["samples"], "missed": s["missed"], "refused": s["refused"],
            "viewers": viewers, "ping_p95_ms": s["ping"]["p95"]}


# --- running it on its own ------------------------------------------------------------------

def reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def start_server(env: dict, port: int, workers: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--workers", str(workers),
         "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True)
    deadline = time.time() + 60
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


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a scratch PostgreSQL database (default: a "
                        "temporary SQLite file)")
    parser.add_argument("--redis-url", help="REDIS_URL for the server (default: none)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--viewers", type=int, default=50)
    parser.add_argument("--comments", type=int, default=40)
    parser.add_argument("--interval", type=float, default=1.0,
                        help="seconds between comments")
    parser.add_argument("--posters", type=int, default=4)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="yt-live-comments-"))
    prefix = f"yt-bench-{secrets.token_hex(4)}:"
    env = {**os.environ, "MEDIA_ROOT": str(scratch / "media"),
           "SECRET_KEY": secrets.token_hex(32), "ACCESS_LOG": "/dev/null",
           "SESSION_COOKIE_SECURE": "0", "CACHE_KEY_PREFIX": prefix,
           "DATABASE_URL": args.database_url or f"sqlite:///{scratch / 'bench.db'}"}
    env.pop("REDIS_URL", None)
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
    if env["DATABASE_URL"].startswith("postgresql"):
        reset_postgres(env["DATABASE_URL"])
    subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    room_id = _child(env, "_seed")["room_id"]
    posters = make_posters(env, args.posters)
    cpu = _child(env, "_cpu", str(room_id), json.dumps(posters[:1]), "300")
    port = free_port()
    server = start_server(env, port, args.workers)
    try:
        result = measure_comment_latency(f"http://127.0.0.1:{port}", room_id, posters,
                                         viewers=args.viewers, comments=args.comments,
                                         interval=args.interval)
    finally:
        stop_server(server)
        if args.redis_url:
            import redis

            client = redis.Redis.from_url(args.redis_url)
            for key in client.scan_iter(match=prefix + "*"):
                client.delete(key)
    s = result.summary()
    db_kind = "PostgreSQL" if env["DATABASE_URL"].startswith("postgresql") else "SQLite"
    print(f"live comments: {db_kind}, {'Redis' if args.redis_url else 'no Redis'}, gunicorn "
          f"{args.workers} workers × {os.environ.get('GUNICORN_THREADS', '8')} threads, "
          f"{args.viewers} viewers polling every 1 s, {s['comments']} comments "
          f"({s['refused']} refused), {s['samples']} (comment, viewer) pairs, "
          f"{s['missed']} never seen")
    print(f"{'':28} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for label, key in (("comment posted → seen", "seen"), ("feed poll, while talking", "poll"),
                       ("bare /ping, whole run", "ping"), ("feed poll, unchanged (304)", "quiet"),
                       ("bare /ping, same seconds", "quiet_ping")):
        row = s[key]
        print(f"{label:28} {row['p50']:8.1f} {row['p95']:8.1f} {row['p99']:8.1f} "
              f"{row['max']:8.1f}")
    print(f"feed polls: {s['polls']}, answered 304: {s['share_304']:.1%}; unchanged-feed poll "
          f"p50 / ping p50 in the same seconds: "
          f"{s['quiet']['p50'] / s['quiet_ping']['p50']:.2f}×")
    print(f"CPU per request in process (ms): /ping {cpu['ping']:.2f}, unchanged feed (304) "
          f"{cpu['not_modified']:.2f}, changed feed from the shared copy {cpu['shared']:.2f}, "
          f"changed feed rendered {cpu['rendered']:.2f}")
    target = s["seen"]["p95"] <= 2000 and s["missed"] == 0
    print(f"target comment seen ≤ 2 s p95: {'met' if target else 'NOT met'} "
          f"({s['seen']['p95'] / 1000:.2f} s)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_seed":
        _seed()
    elif len(sys.argv) > 1 and sys.argv[1] == "_cpu":
        _cpu(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
    elif len(sys.argv) > 1 and sys.argv[1] == "_posters":
        _posters(int(sys.argv[2]))
    else:
        main()
