"""Cold renders of two checkouts side by side (issue 15): which one renders each public page
with less CPU, measured in the same minutes so a busy shared machine treats both alike.

    .venv/bin/python bench/cold_render_ab.py OLD_CHECKOUT NEW_CHECKOUT [--rounds 8] [--batch 25]

Each checkout runs in its own process with its own virtualenv (`<checkout>/.venv`), on the
database `bench/cold_render.py` fills (`yt_coldrender`, page cache off). Both render the very
same URLs (the pages' ids drawn in a fixed pseudo-random order, not `random()`), in batches of
`--batch` requests per page, alternating which goes first. The table gives each page's median
CPU and wall milliseconds per request for both, and the CPU ratio new / old; `/ping` is the
reference both share. Run `bench/cold_render.py` once first: it creates and seeds the database.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()
DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/yt_coldrender"
PAGES = ["bare route /ping", "product", "shop", "belt", "portal", "search", "home", "live room"]


def _worker(checkout: str, database_url: str) -> None:
    """In the checkout's own interpreter: warm up, then answer "<page> <n>" lines with the CPU
    and wall milliseconds of the next n requests of that page (as JSON)."""
    import inspect
    import textwrap

    os.chdir(checkout)
    sys.path[:0] = [checkout, str(Path(checkout) / "bench")]
    os.environ.update({"DATABASE_URL": database_url, "PUBLIC_PAGE_TTL": "0"})
    os.environ.pop("REDIS_URL", None)
    import cold_render

    from app import create_app

    # The checkout's own page list, with a fixed order instead of random(): the same URLs
    # for both checkouts.
    source = textwrap.dedent(inspect.getsource(cold_render.page_urls))
    namespace = dict(vars(cold_render))
    exec(source.replace("ORDER BY random()", "ORDER BY md5(id::text)"), namespace)  # noqa: S102
    app = create_app({"PUBLIC_PAGE_TTL": 0})
    pages, _total = namespace["page_urls"](app)
    client = app.test_client()
    headers = {"Accept-Encoding": "gzip"}
    for paths in pages.values():
        for path in paths:
            client.get(path, headers=headers)
    position = dict.fromkeys(pages, 0)
    print("ready", flush=True)
    for line in sys.stdin:
        page, count = line.rsplit(" ", 1)
        paths, times = pages[page], []
        for _ in range(int(count)):
            path = paths[position[page] % len(paths)]
            position[page] += 1
            cpu, wall = time.process_time(), time.perf_counter()
            response = client.get(path, headers=headers)
            times.append(((time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000))
            if response.status_code != 200:
                raise SystemExit(f"{checkout}: {path} answered {response.status_code}")
        print(json.dumps(times), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--batch", type=int, default=25)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    args = parser.parse_args()
    checkouts = [str(Path(args.old).resolve()), str(Path(args.new).resolve())]
    workers = [subprocess.Popen(
        [str(Path(checkout) / ".venv" / "bin" / "python"), str(HERE), "--worker", checkout,
         args.database_url], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for checkout in checkouts]
    for worker in workers:
        if worker.stdout.readline().strip() != "ready":
            raise SystemExit("a checkout failed to start (see above)")
    results = [{page: [] for page in PAGES} for _ in workers]
    for round_ in range(args.rounds):
        for page in PAGES:
            order = [0, 1] if round_ % 2 == 0 else [1, 0]
            for i in order:
                workers[i].stdin.write(f"{page} {args.batch}\n")
                workers[i].stdin.flush()
                results[i][page] += json.loads(workers[i].stdout.readline())
    for worker in workers:
        worker.stdin.close()
        worker.wait()
    print(f"\nold: {checkouts[0]}\nnew: {checkouts[1]}\n{args.rounds} rounds × {args.batch} "
          f"requests per page each, alternating; load average {os.getloadavg()[0]:.1f}\n")
    print(f"{'page':<18}{'old CPU ms':>11}{'old wall':>10}{'new CPU ms':>11}{'new wall':>10}"
          f"{'CPU new/old':>13}")
    for page in PAGES:
        old, new = ((statistics.median(c for c, _w in r[page]),
                     statistics.median(w for _c, w in r[page])) for r in results)
        print(f"{page:<18}{old[0]:>11.2f}{old[1]:>10.2f}{new[0]:>11.2f}{new[1]:>10.2f}"
              f"{new[0] / old[0]:>13.2f}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        _worker(sys.argv[2], sys.argv[3])
    else:
        main()
