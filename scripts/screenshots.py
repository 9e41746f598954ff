"""Screenshots of pages at phone and desktop widths, for looking at them as a buyer would.

usage: python scripts/screenshots.py [--lang en] [--full] http://127.0.0.1:5000 out-dir /path [/path …]"""
from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
WIDTHS = {"phone": (390, 844), "desktop": (1280, 900)}


def main() -> None:
    args = sys.argv[1:]
    lang = None
    if args[:1] == ["--lang"]:
        lang, args = args[1], args[2:]
    full = args[:1] == ["--full"]
    if full:
        args = args[1:]
    base, out, *paths = args
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for label, (width, height) in WIDTHS.items():
            page = browser.new_page(viewport={"width": width, "height": height},
                                    device_scale_factor=1)
            if lang:  # the language switch's cookie, as a reader who chose it has
                page.context.add_cookies([{"name": "lang", "value": lang, "url": base}])
            for path in paths:
                page.goto(base + path, wait_until="networkidle")
                name = path.strip("/").replace("/", "_").replace("?", "_") or "home"
                name = f"{name}-{lang}" if lang else name
                page.screenshot(path=str(out_dir / f"{name}-{label}.png"), full_page=full)
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
