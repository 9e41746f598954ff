"""gunicorn's access log without the live ingest's callback secret.

nginx-rtmp can send no header, so the secret shared with the ingest travels in the callback
URL (/live/ingest/<secret>/publish). Anyone reading the access log would otherwise hold it and
could start or end broadcasts. gunicorn.conf.py sets this class as its `logger_class`."""
from __future__ import annotations

import re

from gunicorn.glogging import Logger

CALLBACK_SECRET = re.compile(r"(/live/ingest/)[^/?\s\"]+")


def redact(text: str) -> str:
    return CALLBACK_SECRET.sub(r"\1[secret]", text)


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):  # noqa: ANN001, ANN201 - gunicorn's API
        found = super().atoms(resp, req, environ, request_time)
        for name, value in found.items():
            if isinstance(value, str) and "/live/ingest/" in value:
                found[name] = redact(value)
        return found
