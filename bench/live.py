"""Live broadcasting benchmark (issue 16): a real encoder through the real ingest.

    .venv/bin/python bench/live.py [--runs 10] [--viewers 1000] [--seconds 20] [--rate 40]

On a fresh machine it makes everything it needs in a temporary folder: its own SQLite database
(or --database-url) with the demo data, gunicorn (2 workers, as `make run`), and nginx with the
RTMP module on free ports, configured by app/live/ingest_server.py exactly as `make run` does.
ffmpeg pushes a live test pattern (testsrc2 + a sine tone, libx264 -tune zerolatency with a
keyframe every 1 s fragment) with the demo anchor's stream key. It measures:

1. publish → room shown as live: from starting ffmpeg until the room page (served by the web
   tier) shows the broadcast's video; p50/p95 over --runs publishes. Target ≤ 2 s.
2. segment delay: from a frame's capture until the live playlist lists the fragment holding
   it, for the fragment's first (oldest) frame — the worst frame of each fragment. ffmpeg
   reads the test source in real time (-re), so frame t is captured at start + t; the start is
   taken just before ffmpeg is launched (which only makes the figure larger). p50/p95 over all
   fragments of all runs. Target p95 ≤ 3 s.
3. the web tier's p99: the room page and the bare route /ping at a fixed rate each (--rate;
   by default half of what the room page can take at that moment), latency counted from when
   each request was due, so queueing shows; first with no viewers, then with --viewers
   simulated viewers — wrk, one keep-alive connection per viewer, each fetching the live
   playlist and the newest fragment from nginx about every second, as an HLS player at the
   live edge does. Target: the room page's p99 unchanged within noise (the /ping figures
   beside it show what the machine itself did meanwhile).
4. a comment posted → seen by another viewer: bench/live_comments.py (live chat) measures it
   when present; without it the line says so.

The rounds alternate (no viewers, then viewers, --rounds times) and the table gives medians,
because on a shared machine the load of everything else moves more than ours does. By default
everything shares both cores, so nginx's and the viewers' CPU lands on the web tier too;
--cores split puts the web tier (and the client timing it) on CPU 0 and nginx, ffmpeg and the
viewers on CPU 1, as when video goes out through the ingest and a CDN. Either way the CPU each
part used is printed. Needs wrk
(installed with apt-get when run as root).
"""
from __future__ import annotations

import argparse
import contextlib
import http.client
import importlib.util
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from processes import cpu_seconds, family

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VENV_BIN = ROOT / ".venv" / "bin"


# --- numbers -----------------------------------------------------------------------------------

def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[index]


def fmt(ms: float) -> str:
    return "n/a" if ms != ms else (f"{ms / 1000:.2f} s" if ms >= 1000 else f"{ms:.1f} ms")


# --- processes: CPU placement and accounting ---------------------------------------------------

def pin(pids: list[int], cpus: set[int] | None) -> None:
    if not cpus:
        return
    for pid in pids:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(pid, cpus)


# --- a fixed-rate HTTP load (open loop) ---------------------------------------------------------

def paced_load(host: str, port: int, path: str, rate: float, seconds: float,
               threads: int = 8) -> dict:
    """`rate` requests per second for `seconds`, spread over `threads` keep-alive connections.
    Latency runs from when a request was due, not when it was sent: a slow server makes the
    next requests late, and that lateness is counted (no coordinated omission)."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    start = time.perf_counter() + 0.2
    total = int(rate * seconds)

    def worker(offset: int) -> None:
        connection = http.client.HTTPConnection(host, port, timeout=30)
        mine = []
        for k in range(offset, total, threads):
            due = start + k / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            try:
                connection.request("GET", path, headers={"Accept-Encoding": "gzip"})
                answer = connection.getresponse()
                answer.read()
                if answer.status != 200:
                    with lock:
                        errors[0] += 1
            except (OSError, http.client.HTTPException):
                with lock:
                    errors[0] += 1
                connection.close()
                connection = http.client.HTTPConnection(host, port, timeout=30)
                continue
            mine.append((time.perf_counter() - due) * 1000)
        connection.close()
        with lock:
            latencies.extend(mine)

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return {"n": len(latencies), "errors": errors[0], "p50": percentile(latencies, 50),
            "p99": percentile(latencies, 99)}


# --- simulated HLS viewers: wrk, one connection per viewer ---------------------------------------

VIEWERS_LUA = """
-- Each connection is a viewer: about every second it fetches the live playlist and the newest
-- fragment listed there (an HLS player at the live edge fetches each new 1 s fragment once).
local playlist = "%(playlist)s"
local folder = "%(folder)s"
local latest = nil
local turn = 0
function request()
  turn = turn + 1
  if latest == nil or turn %% 2 == 1 then
    return wrk.format("GET", playlist)
  end
  return wrk.format("GET", folder .. latest)
end
function response(status, headers, body)
  if status == 200 and body and string.sub(body, 1, 7) == "#EXTM3U" then
    for name in string.gmatch(body, "([%%w-]+%%.ts)") do latest = name end
  end
end
function delay()
  return 500
end
"""


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path is None and os.geteuid() == 0:
        subprocess.run(["apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y", "wrk"],
                       stdout=subprocess.DEVNULL, check=False)
        path = shutil.which("wrk")
    if path is None:
        raise SystemExit("wrk is needed for the viewers: apt-get install -y wrk")
    return path


def start_viewers(port: int, playlist: str, viewers: int, seconds: float, folder: Path,
                  cpus: set[int] | None = None):
    """`viewers` keep-alive connections to nginx, each ~2 requests a second (the playlist,
    then the newest fragment), for `seconds`. Returns the running wrk."""
    script = folder / "viewers.lua"
    script.write_text(VIEWERS_LUA % {"playlist": playlist,
                                     "folder": playlist.rsplit("/", 1)[0] + "/"})
    return subprocess.Popen(  # noqa: S603
        [ensure_wrk(), "-t2", f"-c{viewers}", f"-d{int(seconds)}s", "--latency", "--timeout",
         "10s", "-s", str(script), f"http://127.0.0.1:{port}{playlist}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None)  # noqa: PLW1509


def parse_wrk(output: str) -> dict:
    def latency(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        if not match:
            return float("nan")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    transfer = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    sockets = re.search(r"Socket errors: (.*)", output)
    megabytes = 0.0
    if transfer:
        scale = {"B": 1e-6, "KB": 1e-3, "MB": 1.0, "GB": 1e3}.get(transfer.group(2), 1.0)
        megabytes = float(transfer.group(1)) * scale
    return {"rps": float(rate.group(1)) if rate else 0.0, "mb_per_s": megabytes,
            "p50": latency("50"), "p99": latency("99"),
            "errors": int(errors.group(1)) if errors else 0,
            "socket": sockets.group(1) if sockets else ""}


# --- the set-up ----------------------------------------------------------------------------------

class Bench:
    def __init__(self, args):
        from app.live.ingest_server import IngestLayout, IngestServer, find_ffmpeg, free_port

        find_ffmpeg()
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="yt-live-bench-"))
        self.web_port = free_port()
        self.processes: list[subprocess.Popen] = []
        database = args.database_url or f"sqlite:///{self.tmp / 'bench.db'}"
        layout = IngestLayout(
            workdir=self.tmp / "nginx", hls_dir=self.tmp / "hls",
            replay_dir=self.tmp / "media" / "replays", app_upstream=f"127.0.0.1:{self.web_port}",
            secret=secrets.token_urlsafe(16), http_port=free_port(), rtmp_port=free_port(),
            internal_port=free_port())
        self.layout = layout
        self.env = dict(os.environ, DATABASE_URL=database, MEDIA_ROOT=str(self.tmp / "media"),
                        SECRET_KEY=secrets.token_hex(16), FLASK_APP="wsgi",
                        SESSION_COOKIE_SECURE="0", ACCESS_LOG="/dev/null",
                        LIVE_INGEST_SECRET=layout.secret, LIVE_RTMP_URL=layout.rtmp_url,
                        LIVE_HLS_URL="/hls", LIVE_HLS_DIR=str(layout.hls_dir))
        self.ingest = IngestServer(layout)
        # --cores split: the web tier (and the client timing it) on CPU 0, video (nginx,
        # ffmpeg, the viewers) on CPU 1 — as in production, where HLS goes out through the
        # ingest and a CDN, not through the app hosts. --cores shared: the kernel decides.
        split = args.cores == "split" and len(os.sched_getaffinity(0)) >= 2
        cpus = sorted(os.sched_getaffinity(0))
        self.web_cpus = {cpus[0]} if split else None
        self.video_cpus = {cpus[1]} if split else None

    def setup(self) -> None:
        print(f"set-up in {self.tmp}: database, demo data (about a minute) …", flush=True)
        subprocess.run([str(VENV_BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT,
                       env=self.env, check=True, capture_output=True)
        subprocess.run([str(VENV_BIN / "flask"), "--app", "wsgi", "seed-demo"], cwd=ROOT,
                       env=self.env, check=True, capture_output=True)
        self.room_id = self._demo_room()
        gunicorn = subprocess.Popen(  # noqa: S603
            [str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--workers", "2",
             "--bind", f"127.0.0.1:{self.web_port}", "wsgi:app"], cwd=ROOT, env=self.env,
            stdout=subprocess.DEVNULL, stderr=open(self.tmp / "gunicorn.log", "wb"))  # noqa: SIM115
        self.processes.append(gunicorn)
        from app.live.ingest_server import wait_for_port

        if not wait_for_port(self.web_port, 60):
            raise SystemExit("gunicorn did not start; see " + str(self.tmp / "gunicorn.log"))
        self.gunicorn = gunicorn
        pin(family(gunicorn.pid), self.web_cpus)
        pin([os.getpid()], self.web_cpus)  # the timing client sits with the web tier
        self.ingest.start()
        pin(family(self.ingest.process.pid), self.video_cpus)
        for path in ("/ping", f"/live/{self.room_id}"):  # warm both workers
            for _ in range(20):
                urllib.request.urlopen(f"http://127.0.0.1:{self.web_port}{path}").read()  # noqa: S310

    def _demo_room(self) -> int:
        code = ("from app import create_app\nfrom app.demo.live import DEMO_STREAM_KEY\n"
                "from app.live.ingest import hash_key\nfrom app.live.models import LiveRoom\n"
                "from app.extensions import db\napp = create_app()\nwith app.app_context():\n"
                "    print(db.session.scalar(db.select(LiveRoom.id).where("
                "LiveRoom.stream_key_hash == hash_key(DEMO_STREAM_KEY))))\n")
        out = subprocess.run([str(VENV_BIN / "python"), "-c", code], cwd=ROOT, env=self.env,
                             check=True, capture_output=True, text=True).stdout
        return int(out.strip().splitlines()[-1])

    def push(self, seconds: float | None = None):
        from app.demo.live import DEMO_STREAM_KEY
        from app.live.ingest_server import push_test_stream

        process = push_test_stream(f"{self.layout.rtmp_url}/{DEMO_STREAM_KEY}",
                                   seconds=seconds, fragment_seconds=1,
                                   log=self.tmp / "ffmpeg.log")
        pin([process.pid], self.video_cpus)
        return process

    def cpu(self) -> dict[str, float]:
        return {"web tier": cpu_seconds(family(self.gunicorn.pid)),
                "nginx": cpu_seconds(family(self.ingest.process.pid))}

    def room_page(self) -> str:
        with urllib.request.urlopen(  # noqa: S310
                f"http://127.0.0.1:{self.web_port}/live/{self.room_id}", timeout=10) as answer:
            return answer.read().decode()

    def close(self) -> None:
        self.ingest.stop()
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
        if not self.args.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)


# --- the measurements ---------------------------------------------------------------------------

LIVE_SRC = re.compile(r'src="/hls/(r\d+-[0-9a-f]{16})/index\.m3u8"')


def publish_and_segments(bench: Bench, runs: int, watch: float) -> tuple[list, list]:
    """Per run: ffmpeg starts → the room page shows the video; then every fragment's delay."""
    to_live: list[float] = []
    delays: list[float] = []
    warm = bench.push(seconds=2)  # ffmpeg's first start reads its libraries from disk: not timed
    warm.wait(30)
    deadline = time.time() + 15
    while LIVE_SRC.search(bench.room_page()) and time.time() < deadline:
        time.sleep(0.1)
    for run in range(runs):
        start = time.time()
        push = bench.push()
        name = None
        while time.time() - start < 20:
            found = LIVE_SRC.search(bench.room_page())
            if found:
                name = found.group(1)
                break
            time.sleep(0.05)
        if name is None:
            push.terminate()
            raise SystemExit(f"run {run + 1}: the room never showed the broadcast")
        to_live.append((time.time() - start) * 1000)
        fragments: dict[int, tuple[float, float]] = {}  # sequence → (duration, listed at)
        playlist = bench.layout.hls_dir / name / "index.m3u8"
        while time.time() - start < watch:
            try:
                text = playlist.read_text()
            except FileNotFoundError:
                time.sleep(0.02)
                continue
            now = time.time()
            sequence = int(re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", text).group(1))
            for offset, duration in enumerate(re.findall(r"#EXTINF:([\d.]+),", text)):
                fragments.setdefault(sequence + offset, (float(duration), now))
            time.sleep(0.02)
        push.terminate()
        push.wait(10)
        known = sorted(fragments)
        mine: list[float] = []
        if known and known[0] == 0:
            begins = 0.0
            for number in known:
                if number != known[0] and number - 1 not in fragments:
                    break  # a gap: the sum of durations no longer holds
                duration, listed = fragments[number]
                mine.append((listed - (start + begins)) * 1000)
                begins += duration
        delays.extend(mine)
        # Wait until the room has ended (on_publish_done) before the next publish.
        deadline = time.time() + 15
        while LIVE_SRC.search(bench.room_page()) and time.time() < deadline:
            time.sleep(0.1)
        print(f"  run {run + 1}: live after {fmt(to_live[-1])}; {len(mine)} fragments, delays "
              + " ".join(f"{d / 1000:.2f}" for d in mine) + " s", flush=True)
    return to_live, delays


def pick_rate(bench: Bench, seconds: float = 4.0) -> float:
    """Half of what the room page can take right now (4 clients as fast as it answers): a
    steady load the web tier keeps up with, so p99 shows latency rather than a queue. On a
    shared machine that capacity moves with everyone else's work, hence measured, not fixed."""
    done = [0]
    lock = threading.Lock()
    until = time.perf_counter() + seconds

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", bench.web_port, timeout=30)
        while time.perf_counter() < until:
            connection.request("GET", f"/live/{bench.room_id}")
            connection.getresponse().read()
            with lock:
                done[0] += 1
        connection.close()

    clients = [threading.Thread(target=client) for _ in range(4)]
    for c in clients:
        c.start()
    for c in clients:
        c.join()
    capacity = done[0] / seconds
    rate = max(1.0, min(40.0, round(capacity / 2, 1)))
    print(f"  room page capacity now: {capacity:.1f} req/s → {rate:g} req/s per route")
    return rate


def web_tier(bench: Bench, rate: float, seconds: float) -> dict:
    results = {}
    for label, path in (("/ping", "/ping"), ("room page", f"/live/{bench.room_id}")):
        results[label] = paced_load("127.0.0.1", bench.web_port, path, rate, seconds)
    return results


def comment_latency(bench: Bench) -> dict | None:
    """The hook for live chat's figure: bench/live_comments.py's `measure(context)` returns a
    dict with at least `p95_ms` (and `n`). `context` has the web URL (through nginx), the
    room id, the database URL and the demo password."""
    path = ROOT / "bench" / "live_comments.py"
    if not path.exists():
        print("comment posted → seen: skipped (bench/live_comments.py is not in this tree; "
              "live chat adds it)")
        return None
    spec = importlib.util.spec_from_file_location("live_comments", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while defined
    spec.loader.exec_module(module)
    return module.measure({"base_url": bench.layout.http_url, "web_port": bench.web_port,
                           "room_id": bench.room_id, "database_url": bench.env["DATABASE_URL"],
                           "password": "yuantou-demo", "env": bench.env})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="publishes to time")
    parser.add_argument("--watch", type=float, default=8.0, help="seconds watched per publish")
    parser.add_argument("--viewers", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10.0,
                        help="each web-tier measurement (per route and round)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternating rounds without / with viewers")
    parser.add_argument("--rate", type=float, default=0.0,
                        help="requests/s on each route (default: half the room page's capacity)")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--cores", choices=("split", "shared"), default="shared",
                        help="split: web tier on CPU 0, nginx/ffmpeg/viewers on CPU 1")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    ensure_wrk()

    bench = Bench(args)
    try:
        bench.setup()
        print(f"\n1–2. {args.runs} publishes through nginx (RTMP → HLS, 1 s fragments):")
        to_live, delays = publish_and_segments(bench, args.runs, args.watch)

        print(f"\n3. the web tier, a stream on air, {args.rounds} rounds without and with "
              f"{args.viewers} viewers:")
        push = bench.push()
        time.sleep(4)
        name = LIVE_SRC.search(bench.room_page()).group(1)
        rate = args.rate or pick_rate(bench)
        playlist = f"/hls/{name}/index.m3u8"
        quiet_rounds, busy_rounds, viewer_rounds = [], [], []
        cpu_quiet: dict[str, float] = {}
        cpu_busy: dict[str, float] = {}
        span = 2 * args.seconds
        for _round in range(args.rounds):
            before = bench.cpu()
            quiet_rounds.append(web_tier(bench, rate, args.seconds))
            after = bench.cpu()
            for k in after:
                cpu_quiet[k] = cpu_quiet.get(k, 0) + (after[k] - before[k]) / span / args.rounds
            ramp = 3.0
            viewers = start_viewers(bench.layout.http_port, playlist, args.viewers,
                                    span + ramp + 2, bench.tmp, bench.video_cpus)
            time.sleep(ramp)
            before = bench.cpu()
            wrk_before = cpu_seconds([viewers.pid])
            busy_rounds.append(web_tier(bench, rate, args.seconds))
            after = bench.cpu()
            after["wrk (viewers)"] = cpu_seconds([viewers.pid])
            before["wrk (viewers)"] = wrk_before
            for k in after:
                cpu_busy[k] = cpu_busy.get(k, 0) + (after[k] - before[k]) / span / args.rounds
            viewer_rounds.append(parse_wrk(viewers.communicate()[0]))
            print(f"  round {_round + 1}: room page p99 {fmt(quiet_rounds[-1]['room page']['p99'])}"
                  f" without, {fmt(busy_rounds[-1]['room page']['p99'])} with viewers "
                  f"(/ping {fmt(quiet_rounds[-1]['/ping']['p99'])}, "
                  f"{fmt(busy_rounds[-1]['/ping']['p99'])})", flush=True)
        comments = comment_latency(bench)  # while the room is still live
        push.terminate()
        push.wait(10)
    finally:
        bench.close()

    print("\n=== live broadcasting (bench/live.py) ===")
    print(f"publish → room shown as live    p50 {fmt(percentile(to_live, 50))}   "
          f"p95 {fmt(percentile(to_live, 95))}   ({len(to_live)} publishes; target ≤ 2 s)")
    print(f"segment delay (capture → listed) p50 {fmt(percentile(delays, 50))}   "
          f"p95 {fmt(percentile(delays, 95))}   ({len(delays)} fragments; target p95 ≤ 3 s)")
    if comments:
        print(f"comment posted → seen           p95 {fmt(comments['p95_ms'])}   "
              f"({comments.get('n', '?')} comments; target ≤ 2 s)")
    print(f"\nweb tier at {rate:g} req/s per route, {args.seconds:g} s per route and round, "
          f"median of {args.rounds} rounds (latency from when each request was due):")
    print(f"{'':28}{'p50':>10}{'p99':>10}{'errors':>8}   p99 / /ping p99   p99 of each round")
    for label in ("/ping", "room page"):
        for title, rounds in (("no viewers", quiet_rounds), (f"{args.viewers} viewers", busy_rounds)):
            p50 = statistics.median(r[label]["p50"] for r in rounds)
            p99 = statistics.median(r[label]["p99"] for r in rounds)
            ping = statistics.median(r["/ping"]["p99"] for r in rounds)
            errors = sum(r[label]["errors"] for r in rounds)
            each = " ".join(fmt(r[label]["p99"]) for r in rounds)
            print(f"{label + ', ' + title:28}{fmt(p50):>10}{fmt(p99):>10}{errors:>8}"
                  f"   {p99 / ping:>6.2f}            {each}")
    print("\nCPU used (cores) while measuring the web tier: "
          + "; ".join(f"{k} {cpu_quiet.get(k, 0):.2f} → {cpu_busy[k]:.2f}" for k in cpu_busy)
          + f"  (placement: {args.cores}; load average {os.getloadavg()[0]:.1f})")
    viewer_stats = viewer_rounds[-1]
    print(f"\nviewers (wrk, {args.viewers} connections to nginx, last round): "
          f"{viewer_stats['rps']:.0f} requests/s (playlist + newest fragment each), "
          f"{viewer_stats['mb_per_s']:.1f} MB/s, p50 {fmt(viewer_stats['p50'])}, "
          f"p99 {fmt(viewer_stats['p99'])}, {viewer_stats['errors']} non-2xx "
          f"{viewer_stats['socket']}")


if __name__ == "__main__":
    main()
