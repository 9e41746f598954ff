"""The real ingest for tests: nginx with the RTMP module on free ports, its configuration and
folders in a temporary directory, calling back the app served from a thread; and ffmpeg
pushing a test pattern. Nothing is mocked. Where nginx or ffmpeg is missing the live tests
are skipped on a developer's machine and fail under CI=true (CI installs them: make test)."""
from __future__ import annotations

import os
import secrets
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app.extensions import db
from app.live.ingest_server import (
    IngestLayout,
    IngestServer,
    IngestUnavailable,
    find_ffmpeg,
    find_nginx,
    free_port,
    push_test_stream,
)


def require_live_tools() -> None:
    try:
        find_nginx()
        find_ffmpeg()
    except IngestUnavailable as missing:
        if os.environ.get("CI"):
            pytest.fail(f"live tests need nginx, its RTMP module and ffmpeg: {missing}")
        pytest.skip(str(missing))


@pytest.fixture(scope="session")
def app_server(app):
    """The app on a free port, for nginx's callbacks and its proxy (the browser tests have
    their own `live_server`; this one serves tests/live)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_port}"
    server.shutdown()


@dataclass
class RunningIngest:
    server: IngestServer
    layout: IngestLayout

    @property
    def rtmp_url(self) -> str:
        return self.layout.rtmp_url

    @property
    def http_url(self) -> str:
        return self.layout.http_url

    def push(self, key: str, seconds: float | None = None, **options):
        release_database()
        log = self.layout.workdir / f"ffmpeg-{secrets.token_hex(3)}.log"
        return push_test_stream(f"{self.rtmp_url}/{key}", seconds=seconds, log=log, **options)

    def get(self, path: str) -> tuple[int, bytes]:
        release_database()
        try:
            with urllib.request.urlopen(self.http_url + path, timeout=5) as answer:  # noqa: S310
                return answer.status, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def hls_entries(self) -> list[str]:
        return sorted(p.name for p in self.layout.hls_dir.iterdir())


def start_ingest(app, upstream: str, tmp_path: Path, monkeypatch) -> RunningIngest:
    """nginx on free ports, pointed at the app server `upstream`; the app's LIVE_* settings
    point back at it for the length of the test."""
    require_live_tools()
    secret = secrets.token_urlsafe(16)
    layout = IngestLayout(
        workdir=tmp_path / "nginx", hls_dir=tmp_path / "hls",
        replay_dir=Path(app.config["MEDIA_ROOT"]) / "replays", app_upstream=upstream,
        secret=secret, http_port=free_port(), rtmp_port=free_port(), internal_port=free_port(),
        update_seconds=2)
    for key, value in {"LIVE_INGEST_SECRET": secret, "LIVE_RTMP_URL": layout.rtmp_url,
                       "LIVE_HLS_URL": "/hls", "LIVE_HLS_DIR": str(layout.hls_dir),
                       "LIVE_STALE_SECONDS": 20}.items():
        monkeypatch.setitem(app.config, key, value)
    server = IngestServer(layout).start()
    return RunningIngest(server, layout)


@pytest.fixture
def ingest(app, app_server, tmp_path, monkeypatch):
    running = start_ingest(app, app_server, tmp_path, monkeypatch)
    yield running
    running.server.stop()


def release_database() -> None:
    """End the test's transaction: on SQLite even a read holds the write lock (BEGIN
    IMMEDIATE), and nginx's callbacks to the app must be able to write."""
    from flask import has_app_context

    if has_app_context():
        db.session.commit()


def pause(seconds: float) -> None:
    release_database()
    time.sleep(seconds)


def wait_until(condition, timeout: float = 15.0, every: float = 0.1, message: str = ""):
    """Poll `condition()` (re-reading the database each time) until it is truthy. The
    database is released between tries (see release_database)."""
    deadline = time.monotonic() + timeout
    while True:
        db.session.expire_all()
        value = condition()
        release_database()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(message or f"timed out after {timeout}s")
        time.sleep(every)


def stop_push(process, timeout: float = 10.0) -> None:
    """The anchor presses 停止推流: ffmpeg finishes the stream and closes the connection."""
    release_database()
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except Exception:  # noqa: BLE001
            process.kill()
            process.wait(5)
