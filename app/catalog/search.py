"""Chinese-aware search tokens.

Chinese has no spaces, so a title like “冰种飘花翡翠手镯” is one long run. We index every
CJK character and every adjacent pair of characters (unigrams and bigrams) plus lower-cased
ASCII words. A query term needs all of its bigrams (or its single character); PostgreSQL finds
candidates through a GIN index on these tokens, then an ILIKE recheck keeps the exact
substring meaning (which is all SQLite uses: fine at its scale).

The title's tokens are stored a second time with the TITLE mark ("t:手镯"), so PostgreSQL
also finds "the title says it" through the index: relevance weighs a title match above a
description's (app.catalog.matching), and ranking a broad query starts from those goods."""
from __future__ import annotations

import re

CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
RUNS = re.compile(rf"[{CJK}]+|[0-9a-z]+")
CJK_RUN = re.compile(rf"^[{CJK}]+$")
MAX_TOKENS = 400   # of title and description together; the title's marked copies come on top
TITLE = "t:"       # no token has a colon: "t:手镯" is "手镯 is in the title"


def _run_tokens(run: str) -> list[str]:
    if CJK_RUN.match(run):
        return list(run) + [run[i:i + 2] for i in range(len(run) - 1)]
    return [run]


def _tokens(text: str) -> list[str]:
    return [token for run in RUNS.findall((text or "").lower()) for token in _run_tokens(run)]


def tokens_for(title: str, *texts: str) -> str:
    """The space-separated token set stored with a product (deduplicated, bounded): the
    tokens of the title and the other texts (the description), then the title's tokens
    marked as the title's (TITLE)."""
    seen: dict[str, None] = {}
    title_tokens = _tokens(title)
    for token in title_tokens + [t for text in texts for t in _tokens(text)]:
        seen.setdefault(token, None)
        if len(seen) >= MAX_TOKENS:
            break
    marked = dict.fromkeys(TITLE + token for token in title_tokens)
    return " ".join([*seen, *marked])


def required_tokens(term: str) -> list[str]:
    """Tokens every product matching `term` as a substring must have. ASCII words are left to
    the ILIKE recheck (a substring of a word is not a token), so they add no requirement."""
    required: list[str] = []
    for run in RUNS.findall(term.lower()):
        if CJK_RUN.match(run):
            required += list(run) if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)]
    return list(dict.fromkeys(required))
