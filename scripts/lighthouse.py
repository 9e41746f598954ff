"""Lighthouse (mobile, headless Chromium) over the demo's public pages: prints each page's
accessibility score (and, with --all, performance, best practices and SEO) and the audits that
failed. Exits 1 when a page's accessibility is below 100.

Lighthouse is an npm package (not in pyproject): `npm install lighthouse` in any folder, then
pass that folder's node_modules/.bin/lighthouse with --lighthouse (or put it on PATH; without
either the script runs `npx --yes lighthouse`). Chromium is Debian's /usr/bin/chromium
(CHROME_PATH). The server must be running on the seeded demo, the same DATABASE_URL as this
script reads page ids from:

    make run &                                    # or: flask --app wsgi run -p 5000
    .venv/bin/python scripts/lighthouse.py --base http://127.0.0.1:5000 \\
        --lighthouse ~/lh/node_modules/.bin/lighthouse [--all] [--lang en]

usage: python scripts/lighthouse.py [--base URL] [--lighthouse CMD] [--all] [--lang zh|en]
                                    [--page NAME …] [--keep DIR]"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"
CATEGORIES = ("accessibility", "performance", "best-practices", "seo")


def lighthouse_command(given: str | None) -> list[str]:
    if given:
        return [given]
    found = shutil.which("lighthouse")
    return [found] if found else ["npx", "--yes", "lighthouse"]


def demo_pages() -> dict[str, str]:
    from app import create_app
    from app.demo.showcase import public_pages

    app = create_app()
    with app.app_context():
        return public_pages()


def audit(command: list[str], url: str, categories: tuple[str, ...], lang: str,
          out: Path) -> dict:
    """One Lighthouse run (mobile emulation, its default); the JSON report."""
    env = dict(os.environ, CHROME_PATH=os.environ.get("CHROME_PATH", "/usr/bin/chromium"))
    headers = json.dumps({"Cookie": f"lang={lang}"})
    subprocess.run(
        [*command, url, "--quiet", "--output=json", f"--output-path={out}",
         f"--only-categories={','.join(categories)}", f"--chrome-flags={CHROME_FLAGS}",
         f"--extra-headers={headers}"],
        check=True, env=env, stdout=subprocess.DEVNULL)
    return json.loads(out.read_text())


def failed_audits(report: dict, category: str) -> list[str]:
    audits = report["audits"]
    failed = []
    for ref in report["categories"][category]["auditRefs"]:
        result = audits[ref["id"]]
        if ref.get("weight", 0) and result.get("score") is not None and result["score"] < 1:
            failed.append(ref["id"])
    return failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:5000")
    parser.add_argument("--lighthouse", help="the lighthouse command (default: PATH, then npx)")
    parser.add_argument("--all", action="store_true", help="all four categories, not just a11y")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    parser.add_argument("--page", action="append", help="only these pages (by name)")
    parser.add_argument("--keep", help="keep the JSON reports in this folder")
    args = parser.parse_args()

    command = lighthouse_command(args.lighthouse)
    categories = CATEGORIES if args.all else CATEGORIES[:1]
    lang = "en" if args.lang == "en" else "zh_Hans_CN"
    pages = demo_pages()
    if args.page:
        pages = {name: path for name, path in pages.items() if name in args.page}
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="lighthouse-"))
    folder.mkdir(parents=True, exist_ok=True)

    print(f"Lighthouse, mobile, {args.base}, lang={lang}")
    header = "  ".join(f"{c[:13]:>13}" for c in categories)
    print(f"{'page':<22} {header}  failed audits (accessibility)")
    below = 0
    for name, path in pages.items():
        url = args.base.rstrip("/") + quote(path, safe="/?=&")
        report = audit(command, url, categories, lang, folder / f"{name.replace(' ', '_')}.json")
        scores = [round((report["categories"][c]["score"] or 0) * 100) for c in categories]
        failed = failed_audits(report, "accessibility")
        below += scores[0] < 100
        cells = "  ".join(f"{s:>13}" for s in scores)
        print(f"{name:<22} {cells}  {', '.join(failed) or '-'}", flush=True)
    if args.keep:
        print(f"reports in {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main())
