"""Catalog benchmark (issue 2): 100,000 products on PostgreSQL, gunicorn with 2 workers,
16 concurrent clients on the belt page, the jade portal, search and a product page — each
beside the same server's bare route (/ping) measured in the same run.

    .venv/bin/python bench/catalog.py [--database-url URL] [--scale 100000] [--duration 10] \
        [--rounds 3]

Every round measures every scenario once, /ping first; the table gives each scenario's median
over the rounds (req/s, p50, p99, and req/s against the same round's /ping), because on a shared
2-core virtual machine a whole 10 s measurement can run at half speed; the rounds' own p99s are
printed beside the median so a bad round shows.

Needs PostgreSQL (default: the `ytbench` database on 127.0.0.1) and wrk (installed with
apt-get when missing and running as root). Each scenario rotates through many URLs (all 12
belts, 40 search queries, 2,000 product ids …) so caches see realistic traffic, not one URL.
"""
from __future__ import annotations

import argparse
import gzip
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/ytbench"
PORT = int(os.environ.get("BENCH_PORT", "5120"))  # another free port when 5120 is taken

SEARCH_TERMS = ["手镯", "翡翠", "吊坠", "平安扣", "和田玉", "岫玉", "绿松石", "原石", "摆件", "手串",
                "连衣裙", "大衣", "羊毛衫", "皮衣", "皮草", "童装", "羽绒服", "卫衣", "衬衫", "毛衣",
                "普洱", "龙井", "黑茶", "脐橙", "猕猴桃", "牛肉干", "面霜", "口红", "收纳箱", "保温杯",
                "冰种", "飘花", "紫罗兰", "独山玉", "档口直发", "工厂直供", "源头直发", "附证书", "翡翠手镯",
                "羊绒毛衣"]
BELTS = ["hangzhou-apparel", "zhengzhou-apparel", "tongerbao-apparel", "changshu-apparel",
         "cangzhou-apparel", "ruili-jade", "sihui-jade", "jieyang-jade", "ketang-jade",
         "zhenping-jade", "xiuyan-jade", "shiyan-jade"]


def run(cmd: list[str], env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, env=env, check=True, cwd=ROOT, **kwargs)


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    if os.geteuid() == 0:
        run(["apt-get", "install", "-y", "wrk"], stdout=subprocess.DEVNULL)
        path = shutil.which("wrk")
    if not path:
        sys.exit("wrk is needed: apt-get install -y wrk")
    return path


def seed(env: dict, scale: int) -> None:
    flask = [str(VENV_BIN / "flask"), "--app", "wsgi"]
    run(flask + ["db", "upgrade"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started = time.perf_counter()
    run(flask + ["seed-demo", "--scale", str(scale)], env=env, stdout=subprocess.DEVNULL)
    print(f"seed-demo --scale {scale}: {time.perf_counter() - started:.1f}s (idempotent top-up)")


def start_server(env: dict, workers: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--workers", str(workers),
         "--bind", f"127.0.0.1:{PORT}", "--access-logfile", "/dev/null", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/ping", timeout=1).read()
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    sys.exit("server did not start: " + server.stderr.read().decode()[-2000:])


def lua_rotating(paths: list[str]) -> str:
    quoted = ",".join('"' + p.replace('"', '\\"') + '"' for p in paths)
    return (f"local paths = {{{quoted}}}\nlocal i = 0\n"
            "request = function()\n  i = i + 1\n"
            "  return wrk.format(\"GET\", paths[(i % #paths) + 1])\nend\n")


def parse_wrk(output: str) -> dict:
    def latency(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        if not match:
            return float("nan")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket = re.search(r"Socket errors: (.*)", output)
    return {"rps": rps, "p50": latency("50"), "p99": latency("99"),
            "non2xx": int(errors.group(1)) if errors else 0,
            "socket": socket.group(1) if socket else ""}


def load(wrk: str, paths: list[str], duration: int, connections: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua_rotating(paths))
    try:
        result = subprocess.run(
            [wrk, "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", script.name,
             f"http://127.0.0.1:{PORT}"],
            capture_output=True, text=True, check=True)
    finally:
        os.unlink(script.name)
    return parse_wrk(result.stdout)


def page_weight(path: str) -> dict:
    """First load of a page: compressed HTML + the CSS and JS it links (photos excluded)."""
    def fetch(url: str) -> bytes:
        request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request) as response:
            body = response.read()
            if response.headers.get("Content-Encoding") == "gzip":
                return body  # already compressed on the wire
            return gzip.compress(body, 6)

    base = f"http://127.0.0.1:{PORT}"
    html = fetch(base + path)
    page = gzip.decompress(html).decode()
    assets = re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js)\?v=[0-9a-f]+)"', page)
    sizes = {"html": len(html)}
    for asset in assets:
        sizes[asset.split("?")[0]] = len(fetch(base + asset))
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--redis", action="store_true",
                        help="keep REDIS_URL (shared cache) instead of per-worker caches")
    args = parser.parse_args()

    wrk = ensure_wrk()
    media = Path(tempfile.gettempdir()) / "yuantou-bench-media"
    env = {**os.environ, "DATABASE_URL": args.database_url, "MEDIA_ROOT": str(media),
           "WEB_CONCURRENCY": str(args.workers), "ACCESS_LOG": "/dev/null"}
    if not args.redis:
        env.pop("REDIS_URL", None)
    seed(env, args.scale)
    server = start_server(env, args.workers)
    try:
        import psycopg

        url = args.database_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(url) as conn:
            product_ids = [row[0] for row in conn.execute(
                "SELECT id FROM products WHERE status = 'active' ORDER BY random() LIMIT 2000")]
            total = conn.execute("SELECT count(*) FROM products").fetchone()[0]
        belt_variants = [f"/belts/{b}{q}" for b in BELTS
                         for q in ("", "?sort=price", "?certified=1", "?page=2")]
        scenarios = {
            "bare route /ping": ["/ping"],
            # The scenarios: one URL each.
            "belt page": ["/belts/zhenping-jade"],
            "jade portal (见宝)": ["/portals/jade"],
            "search": [f"/search?q={urllib.parse.quote('翡翠手镯')}"],
            "product page": [f"/products/{product_ids[0]}"],
            # Mixed traffic: many URLs, so cold renders and queries show up too.
            "belt pages ×48": belt_variants,
            "search ×40 queries": [f"/search?q={urllib.parse.quote(t)}" for t in SEARCH_TERMS],
            "product pages ×2000": [f"/products/{i}" for i in product_ids],
        }
        for paths in scenarios.values():  # warm up each worker's connections and caches
            load(wrk, paths, 2, args.connections)
        print(f"\n{total} products · gunicorn {args.workers} workers × 8 threads · wrk "
              f"{args.connections} connections · {args.duration}s per scenario\n")
        print(f"{'scenario':<24}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'vs bare':>10}"
              f"  {'p99 of each round':<24}errors")
        rounds: list[dict] = []
        for _round in range(args.rounds):
            rounds.append({name: load(wrk, paths, args.duration, args.connections)
                           for name, paths in scenarios.items()})
        for name in scenarios:
            runs = [r[name] for r in rounds]
            ratio = statistics.median(r[name]["rps"] / r["bare route /ping"]["rps"] for r in rounds)
            errors = sum(r["non2xx"] for r in runs) or ";".join(r["socket"] for r in runs
                                                               if r["socket"]) or "-"
            each = " ".join(f"{r['p99']:.0f}" for r in runs)
            print(f"{name:<24}{statistics.median(r['rps'] for r in runs):>10.0f}"
                  f"{statistics.median(r['p50'] for r in runs):>10.2f}"
                  f"{statistics.median(r['p99'] for r in runs):>10.2f}{ratio:>9.0%}"
                  f"  {each:<24}{errors}")
        weight = page_weight("/belts/zhenping-jade")
        total_kb = sum(weight.values()) / 1024
        print(f"\nfirst load of /belts/zhenping-jade, gzip on the wire (photos excluded): "
              f"{total_kb:.1f} KB = " + " + ".join(f"{k} {v / 1024:.1f}" for k, v in weight.items()))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
