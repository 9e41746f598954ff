"""Chinese-aware search tokens.

Chinese has no spaces, so a title like “冰种飘花翡翠手镯” is one long run. We index every
CJK character and every adjacent pair of characters (unigrams and bigrams) plus lower-cased
ASCII words. A query term needs all of its bigrams (or its single character); PostgreSQL finds
candidates through a GIN index on these tokens, then an ILIKE recheck keeps the exact
substring meaning (which is all SQLite uses: fine at its scale)."""
from __future__ import annotations

import re

CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
RUNS = re.compile(rf"[{CJK}]+|[0-9a-z]+")
CJK_RUN = re.compile(rf"^[{CJK}]+$")
MAX_TOKENS = 400


def _run_tokens(run: str) -> list[str]:
    if CJK_RUN.match(run):
        return list(run) + [run[i:i + 2] for i in range(len(run) - 1)]
    return [run]


def tokens_for(*texts: str) -> str:
    """The space-separated token set stored with a product (deduplicated, bounded)."""
    seen: dict[str, None] = {}
    for text in texts:
        for run in RUNS.findall((text or "").lower()):
            for token in _run_tokens(run):
                seen.setdefault(token, None)
                if len(seen) >= MAX_TOKENS:
                    return " ".join(seen)
    return " ".join(seen)


def required_tokens(term: str) -> list[str]:
    """Tokens every product matching `term` as a substring must have. ASCII words are left to
    the ILIKE recheck (a substring of a word is not a token), so they add no requirement."""
    required: list[str] = []
    for run in RUNS.findall(term.lower()):
        if CJK_RUN.match(run):
            required += list(run) if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)]
    return list(dict.fromkeys(required))
