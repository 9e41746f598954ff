"""An upload over the limit, against a real gunicorn over a socket (the test client never cuts
a connection): the merchant gets the form back with a 413 and what they typed, not a reset
connection halfway through sending a 50 MB photo."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from app.catalog.models import Product
from tests import factories as make

ROOT = Path(__file__).resolve().parent.parent
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
MB = 1024 * 1024


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def gunicorn(app):
    """One gunicorn worker on the tests' database, as production runs it."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "MEDIA_ROOT": app.config["MEDIA_ROOT"], "SECRET_KEY": "upload-limit-test",
           "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "2",
           "PUBLIC_PAGE_TTL": "0", "ACCESS_LOG": "/dev/null", "DB_POOL_SIZE": "2"}
    env.pop("REDIS_URL", None)
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                               "wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            # Ready when a worker answers (the port opens before the workers have booted,
            # which on a busy machine takes a while).
            urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=5).close()  # noqa: S310
            break
        except OSError:
            if server.poll() is not None:
                pytest.fail(server.stderr.read().decode()[-2000:])
            time.sleep(0.2)
    yield port
    server.terminate()
    server.wait(timeout=30)


def _complete(raw: bytes) -> bool:
    """A whole response: headers and Content-Length bytes of body."""
    header_text, found, body = raw.partition(b"\r\n\r\n")
    if not found:
        return False
    match = re.search(rb"(?im)^content-length:\s*(\d+)", header_text)
    return match is not None and len(body) >= int(match.group(1))


class Browser:
    """Just enough of a browser over a raw socket: cookies, and a body sent piece by piece
    (a server that stops reading shows up as a reset connection, as a browser sees it)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None,
                content_type: str = "application/x-www-form-urlencoded",
                *, body_size: int | None = None, body_tail: bytes = b"") -> tuple[int, str, str]:
        """(status, page, how the upload went: 'sent' or the error sending it)."""
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=60)
        # Keep-alive, as browsers ask for it.
        head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}",
                "User-Agent: upload-test"]
        if self.cookies:
            head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        length = len(body or b"") + (body_size or 0) + len(body_tail)
        if method == "POST":
            head += [f"Content-Type: {content_type}", f"Content-Length: {length}"]
        sent = "sent"
        try:
            sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + (body or b""))
            chunk = b"\0" * (256 * 1024)
            remaining = body_size or 0
            while remaining > 0:
                sock.sendall(chunk[:remaining])
                remaining -= min(remaining, len(chunk))
            sock.sendall(body_tail)
        except OSError as error:
            sent = f"cut after sending: {type(error).__name__}"
        raw = b""
        try:
            while not _complete(raw):
                data = sock.recv(65536)
                if not data:
                    break
                raw += data
        except OSError as error:
            if not raw:
                return 0, "", f"{sent}; no answer: {type(error).__name__}"
        finally:
            sock.close()
        header_text, _, page = raw.partition(b"\r\n\r\n")
        lines = header_text.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1]) if lines and lines[0].startswith("HTTP/") else 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.lower() == "set-cookie":
                key, _, rest = value.strip().partition("=")
                self.cookies[key] = rest.split(";")[0]
        return status, page.decode("utf-8", "replace"), sent

    def csrf(self, path: str) -> str:
        status, page, _ = self.request("GET", path)
        assert status == 200, (path, status)
        return CSRF_RE.search(page).group(1)


def _multipart(fields: dict[str, str], file_field: str, file_size: int) -> tuple[bytes, int,
                                                                                  bytes, str]:
    boundary = uuid.uuid4().hex
    head = b""
    for name, value in fields.items():
        head += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
                 f"{value}\r\n").encode()
    head += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{file_field}\"; "
             f"filename=\"big.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return head, file_size, tail, f"multipart/form-data; boundary={boundary}"


def test_an_oversized_plain_body_gets_the_413_page_in_full(gunicorn):
    browser = Browser(gunicorn)
    status, page, sent = browser.request("POST", "/signin", b"account=a&password=b&pad=",
                                         body_size=25 * MB)
    assert sent == "sent" and status == 413 and "内容太大" in page


def test_a_50_mb_photo_gets_the_form_back_with_413_and_what_was_typed(gunicorn, ctx):
    from app.extensions import db

    owner = make.user("玉匠人", email="anchor@example.cn")
    make.merchant("玉匠人", owner=owner, certified=True)
    db.session.commit()
    browser = Browser(gunicorn)
    token = browser.csrf("/signin")
    status, _, _ = browser.request("POST", "/signin", (
        f"csrf_token={token}&account=anchor%40example.cn&password={make.PASSWORD}").encode())
    assert status == 303
    token = browser.csrf("/sell/quick")
    head, size, tail, content_type = _multipart(
        {"csrf_token": token, "title": "冰种飘花翡翠手镯 直播专享", "price": "1280.50",
         "stock": "37"}, "photo", 50 * MB)
    status, page, sent = browser.request("POST", "/sell/quick", head, content_type,
                                         body_size=size, body_tail=tail)
    assert sent == "sent"
    assert status == 413
    assert "冰种飘花翡翠手镯 直播专享" in page and "1280.50" in page and 'value="37"' in page
    assert "上传的文件太大了" in page and 'id="photo-error"' in page  # beside the photo field
    db.session.expire_all()
    assert db.session.query(Product).count() == 0
