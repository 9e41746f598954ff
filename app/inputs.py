"""Cleaning what clients send: text, bounded integers, enumerations.

Anything from a query string, path or form passes through here before it reaches a query,
so hostile values (control characters, huge numbers, odd encodings) never reach the database.
"""
from __future__ import annotations

import unicodedata

MAX_PAGE = 500
PG_INT_MAX = 2_147_483_647


def strip_controls(text: str, *, keep_newlines: bool = False) -> str:
    kept = []
    for ch in text:
        if ch in "\n\t" and keep_newlines:
            kept.append(ch)
        elif unicodedata.category(ch) in ("Cc", "Cs", "Cf") and ch not in "\u200d":
            continue
        else:
            kept.append(ch)
    return "".join(kept)


def clean_text(raw: str | None, *, max_len: int, keep_newlines: bool = False) -> str:
    """NFC-normalised, control characters removed, trimmed; callers check length separately."""
    if raw is None:
        return ""
    text = unicodedata.normalize("NFC", strip_controls(raw, keep_newlines=keep_newlines))
    text = text.replace("\r\n", "\n").strip()
    return text[: max_len * 4] if max_len else text


def has_controls(raw: str) -> bool:
    return strip_controls(raw, keep_newlines=True) != raw


def parse_int(raw: str | None, *, minimum: int = 0, maximum: int = PG_INT_MAX) -> int | None:
    """A decimal integer within bounds, or None for anything else."""
    if raw is None:
        return None
    raw = raw.strip()
    if not raw or len(raw) > 12 or not raw.isascii() or not raw.lstrip("-").isdigit():
        return None
    value = int(raw)
    if value < minimum or value > maximum:
        return None
    return value
