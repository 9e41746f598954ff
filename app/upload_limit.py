"""Bodies over the request limit get an answer the sender can read.

Werkzeug refuses a body over `request.max_content_length` with 413 before reading it. The
server then closes a socket that still has the unread upload in it, the kernel answers with
a reset, and the browser shows "connection reset" halfway through sending a 50 MB photo —
never the page. So before anything reads the form (the CSRF check does, first thing), a
multipart body over the limit, up to UPLOAD_DRAIN_MAX, is read to its end anyway:

- its text fields are parsed as usual (each at most MAX_FORM_MEMORY_SIZE), so the view
  shows the form again with everything typed;
- its files are read and dropped. Each stays in `request.files` under its name, but reading
  it raises `TooLarge` (413) for that field: the view refuses it the way it refuses any bad
  photo — the form, the message beside the file field, what was typed — and stores nothing.

Any other body over the limit is read and dropped, then refused with the 413 page. A body
over UPLOAD_DRAIN_MAX is refused unread (werkzeug's own 413): reading it is not worth it.
"""
from __future__ import annotations

import io

from flask import Flask, current_app, request
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from app.exceptions import TooLarge

CHUNK = 64 * 1024


class DroppedUpload(io.RawIOBase):
    """A file of an oversized body: its bytes were read and dropped; reading it says why."""

    def __init__(self, field: str | None = None, limit: int = 0):
        super().__init__()
        self.field, self.limit = field, limit

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def write(self, data) -> int:
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return 0

    def readinto(self, buffer) -> int:
        raise TooLarge(_("上传的文件太大了：一次合计不能超过 %(mb)d MB。请压缩照片或分几次上传。",
                         mb=max(1, self.limit // (1024 * 1024))), field=self.field)


def _drain(remaining: int) -> None:
    stream = request.environ["wsgi.input"]
    while remaining > 0:
        data = stream.read(min(CHUNK, remaining))
        if not data:
            break
        remaining -= len(data)


def read_oversized_body() -> None:
    """Runs before every other before_request (and after the blueprints' per-endpoint limits
    were set by their url_value_preprocessors)."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    length, limit = request.content_length, request.max_content_length
    if length is None or limit is None or length <= limit:
        return
    if length > current_app.config["UPLOAD_DRAIN_MAX"] or "form" in request.__dict__:
        return
    if request.mimetype != "multipart/form-data":
        _drain(length)
        raise RequestEntityTooLarge()  # the 413 page, now read in full by the sender
    request._get_file_stream = lambda *args, **kwargs: DroppedUpload()
    # One more than the body: a server that ends the input itself (gunicorn) gets a stream
    # limited to this, which refuses a read at exactly its limit.
    request.max_content_length = length + 1
    try:
        request.form  # noqa: B018 (parse now: text fields kept, files dropped)
    finally:
        request.max_content_length = limit
    request.__dict__["files"] = MultiDict([
        (name, FileStorage(DroppedUpload(name, limit), filename=upload.filename, name=name,
                           content_type=upload.content_type, headers=upload.headers))
        for name, upload in request.files.items(multi=True)])


def init_upload_limit(app: Flask) -> None:
    # First of all before_request functions: the CSRF check reads the form.
    app.before_request_funcs.setdefault(None, []).insert(0, read_oversized_body)
