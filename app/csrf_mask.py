"""CSRF tokens masked anew in every response, against BREACH.

Pages go out compressed (Flask-Compress) and some reflect what a visitor typed (a search).
Flask-WTF's signed token carries the session's secret in the same bytes on every page, and a
secret that repeats beside attacker-chosen text in a compressed body can be guessed from the
responses' sizes (BREACH). So every token a page shows is the signed token XOR a fresh random
pad, sent with the pad: the bytes differ in every response, and the check removes the pad
before Flask-WTF compares as usual (the technique Django and Rails use)."""
from __future__ import annotations

import base64
import binascii
import secrets

from flask_wtf import CSRFProtect
from flask_wtf.csrf import generate_csrf

PREFIX = "m."


def _xor(data: bytes, pad: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(data, pad, strict=True))


def masked_csrf() -> str:
    """This request's CSRF token under a fresh pad (what templates show)."""
    token = generate_csrf().encode()
    pad = secrets.token_bytes(len(token))
    return PREFIX + base64.urlsafe_b64encode(pad + _xor(token, pad)).decode()


def unmask(value: str | None) -> str | None:
    """The signed token inside a masked one; anything else as it came (a bad value then fails
    Flask-WTF's own check with its own message)."""
    if not value or not value.startswith(PREFIX) or len(value) > 2048:
        return value
    try:
        raw = base64.urlsafe_b64decode(value[len(PREFIX):].encode())
    except (binascii.Error, ValueError):
        return value
    if not raw or len(raw) % 2:
        return value
    half = len(raw) // 2
    try:
        return _xor(raw[half:], raw[:half]).decode("ascii")
    except UnicodeDecodeError:
        return value


class MaskedCSRFProtect(CSRFProtect):
    """Flask-WTF's CSRFProtect, reading masked tokens from the form field or the header."""

    def _get_csrf_token(self) -> str | None:
        return unmask(super()._get_csrf_token())
