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

from flask import g
from flask_wtf import CSRFProtect
from flask_wtf.csrf import generate_csrf

PREFIX = "m."


def _xor(data: bytes, pad: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(data, pad, strict=True))


def masked_csrf() -> str:
    """This request's CSRF token under a fresh pad (what templates show). One pad per
    response: a page shows the token in every form (the live room: 16), and what defeats
    BREACH is that the bytes differ from one response to the next."""
    token = generate_csrf()
    cached = g.get("yt_masked_csrf")
    if cached is not None and cached[0] == token:  # not when the token was rotated (sign-in)
        return cached[1]
    raw = token.encode()
    pad = secrets.token_bytes(len(raw))
    masked = PREFIX + base64.urlsafe_b64encode(pad + _xor(raw, pad)).decode()
    g.yt_masked_csrf = (token, masked)
    return masked


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
