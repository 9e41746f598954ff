"""Screenshots of pages at phone and desktop widths, for looking at them as a buyer would.

usage: python scripts/screenshots.py http://127.0.0.1:5000 out-dir /path [/path …]"""
from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
WIDTHS = {"phone": (390, 844), "desktop": (1280, 900)}


def main() -> None:
    base, out, *paths = sys.argv[1:]
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for label, (width, height) in WIDTHS.items():
            page = browser.new_page(viewport={"width": width, "height": height},
                                    device_scale_factor=1)
            for path in paths:
                page.goto(base + path, wait_until="networkidle")
                name = path.strip("/").replace("/", "_").replace("?", "_") or "home"
                page.screenshot(path=str(out_dir / f"{name}-{label}.png"), full_page=False)
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
