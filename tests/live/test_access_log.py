"""The ingest's callback secret never reaches gunicorn's access log (a real gunicorn, as
production runs it)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from app.access_log import redact
from app.live.ingest_server import free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET = "the-ingest-secret-0123456789abcdef"


def test_redact_hides_the_secret_in_every_form_a_log_line_has():
    assert redact(f"POST /live/ingest/{SECRET}/publish HTTP/1.1") == \
        "POST /live/ingest/[secret]/publish HTTP/1.1"
    assert redact(f"/live/ingest/{SECRET}") == "/live/ingest/[secret]"
    assert redact("/live/42/key") == "/live/42/key"


def test_gunicorns_access_log_shows_no_callback_secret(app, tmp_path):
    port, log = free_port(), tmp_path / "access.log"
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "MEDIA_ROOT": app.config["MEDIA_ROOT"], "SECRET_KEY": "access-log-test",
           "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "2",
           "ACCESS_LOG": str(log), "DB_POOL_SIZE": "2", "LIVE_INGEST_SECRET": SECRET}
    env.pop("REDIS_URL", None)
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                               "wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                # Ready when a worker answers, not when the port opens (before the workers
                # have booted, which on a busy machine takes a while).
                urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=5).close()  # noqa: S310
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(server.stderr.read().decode()[-2000:])
                time.sleep(0.2)
        request = urllib.request.Request(f"http://127.0.0.1:{port}/live/ingest/{SECRET}/publish",
                                         data=b"call=publish", method="POST")
        with pytest.raises(urllib.error.HTTPError) as answer:  # no name: a 400
            urllib.request.urlopen(request, timeout=10)  # noqa: S310
        assert answer.value.code == 400
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = log.read_text()
    assert "/live/ingest/[secret]/publish" in text and SECRET not in text
