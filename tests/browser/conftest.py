"""Browser tests: the app served from a thread, driven by the system Chromium through
Playwright. Each page visited is checked with axe-core (critical or serious violations fail)."""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-dev-shm-usage"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pytest_collection_modifyitems(items):
    for item in items:
        if "browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: apt-get install -y chromium fonts-noto-cjk")
        pytest.skip("Chromium is not installed (apt-get install -y chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def _new_page(browser, *, javascript: bool, width: int = 390, height: int = 844):
    context = browser.new_context(viewport={"width": width, "height": height},
                                  java_script_enabled=javascript, locale="zh-CN")
    context.set_default_timeout(10_000)
    context.yt_javascript = javascript
    context.yt_browser = browser
    return context, context.new_page()


@pytest.fixture
def page(browser):
    """A phone-sized page with JavaScript on."""
    context, tab = _new_page(browser, javascript=True)
    yield tab
    context.close()


@pytest.fixture
def page_nojs(browser):
    """A phone-sized page with JavaScript off: everything must still work."""
    context, tab = _new_page(browser, javascript=False)
    yield tab
    context.close()


@pytest.fixture
def new_page(browser):
    """More pages (other people in a story); closed at the end."""
    contexts = []

    def make(javascript: bool = True, width: int = 390, height: int = 844):
        context, tab = _new_page(browser, javascript=javascript, width=width, height=height)
        contexts.append(context)
        return tab

    yield make
    for context in contexts:
        context.close()


_axe = None


def check_accessibility(page) -> None:
    """Fail on critical or serious axe-core violations on the page as it is now."""
    global _axe
    if _axe is None:
        from axe_playwright_python.sync_playwright import Axe

        _axe = Axe()
    if getattr(page.context, "yt_javascript", True):
        results = _axe.run(page)
    else:
        # axe-core waits on timers, which never fire with JavaScript off: audit the same URL
        # (same cookies) in a twin page with JavaScript on.
        twin = page.context.yt_browser.new_context(
            storage_state=page.context.storage_state(), viewport=page.viewport_size,
            locale="zh-CN")
        try:
            twin_page = twin.new_page()
            twin_page.goto(page.url)
            results = _axe.run(twin_page)
        finally:
            twin.close()
    bad = [v for v in results.response["violations"] if v["impact"] in ("critical", "serious")]
    if bad:
        ARTIFACTS.mkdir(exist_ok=True)
        details = "\n".join(
            f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(n["target"][0] if isinstance(n["target"][0], str) else str(n["target"])
                        for n in v["nodes"][:5])
            for v in bad)
        pytest.fail(f"axe violations on {page.url}:\n{details}")

