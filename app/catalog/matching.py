"""What a search query matches, and which matches come first.

A query is split into terms. A product matches a term when the term (or one of its synonyms:
Chinese words for an English one, app.catalog.synonyms) is in its title or description, or
names its category or industry. A product must match every term.

Relevance weighs where each term matched: the category (4) and the title (3) say what the
goods *are*, the industry (2) where they belong; a description only mentions it (0). So 茶
ranks tea (category 绿茶, industry 茶叶) before tea trays (茶盘: 茶 in the title only), and a
title match before a description-only one.

On PostgreSQL the GIN index on the product's search words (products.search_words, the
tokens as a stored text[]: every Chinese character and pair of characters, and every English
word) decides: a one- or two-character word is one token lookup, exact; a longer one needs all
its pairs, then LIKE keeps the substring meaning. Categories and industries are matched by id.
SQLite, at its scale, uses LIKE.

A broad word matches tens of thousands of goods; ranking them all to show twenty is most of
the work. `relevance_tiers` splits a one-word query's matches by where the word matched
(category, title, industry: one score each, highest first); within a tier the order is the
listing's own (certified, best sellers), which PostgreSQL reads from an index and stops after
the page, or takes from the tier's few rows. app.catalog.services reads the tiers in turn
until the page is full: the same goods in the same order as sorting by `relevance`. Its first
round looks at only the first 200 goods of the listing order, so there the words are tested on
each of those rows (`match_conditions(by_row=True)`: the same condition on the row's token
text) instead of ANDing the 200 with every match the GIN index holds — unless ties at the
prefix's boundary make it many more goods (services._tested_by_row)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import (
    Integer,
    Text,
    and_,
    any_,
    case,
    false,
    literal,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY

from app.catalog.models import Category, Industry, Product
from app.catalog.search import TITLE, required_tokens
from app.catalog.synonyms import split_english
from app.db import set_local
from app.extensions import db

CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
ASCII_WORD = re.compile(r"^[0-9a-z][0-9a-z'\-]*$")
MAX_TERMS = 6
WEIGHTS = {"category": 4, "title": 3, "industry": 2}


@dataclass(frozen=True)
class Term:
    text: str                                  # as the buyer typed it (lower-cased)
    alternatives: tuple[str, ...]              # the text and its synonyms
    categories: frozenset[int] = frozenset()   # categories whose name matches
    industries: frozenset[int] = frozenset()   # industries whose name matches


def _split_relaxed(term: str) -> list[str]:
    """Long Chinese runs split into two-character words, since Chinese has no spaces
    ('翡翠手镯' → '翡翠', '手镯')."""
    pieces, last = [], 0
    for run in CJK_RUN.finditer(term):
        pieces.append(term[last:run.start()])
        text = run.group()
        pieces.extend(text[i:i + 2] for i in range(0, len(text), 2) if len(text) >= 4)
        if len(text) < 4:
            pieces.append(text)
        last = run.end()
    pieces.append(term[last:])
    return [p for p in pieces if p.strip()]


def query_words(q: str, *, relaxed: bool = False) -> list[tuple[str, tuple[str, ...]]]:
    """The query's terms with their synonyms, before looking at categories."""
    words = q.lower().split()[:MAX_TERMS]
    if relaxed:
        words = [piece for word in words for piece in _split_relaxed(word)][:MAX_TERMS + 2]
    return [(text, (text, *(s for s in synonyms if s != text)))
            for text, synonyms in split_english(words)]


@dataclass(frozen=True)
class NameIndex:
    """Category and industry names (Chinese and English) to match terms against: a few dozen
    short rows, read once per search."""

    categories: tuple[tuple[int, str], ...]
    industries: tuple[tuple[int, str], ...]

    @classmethod
    def load(cls) -> NameIndex:
        from flask_babel import force_locale
        from flask_babel import gettext as _

        categories = []
        for category_id, name in db.session.execute(select(Category.id, Category.name)):
            with force_locale("en"):
                english = _(name)
            categories.append((category_id, f"{name}\n{english}".lower()))
        industries = tuple((i, f"{name}\n{name_en}".lower()) for i, name, name_en in
                           db.session.execute(select(Industry.id, Industry.name, Industry.name_en)))
        return cls(tuple(categories), industries)

    def ids(self, rows: tuple[tuple[int, str], ...], alternatives: tuple[str, ...]) -> frozenset:
        return frozenset(row_id for row_id, names in rows
                         if any(alt in names for alt in alternatives))


def terms_for(q: str, names: NameIndex, *, relaxed: bool = False) -> list[Term]:
    return [Term(text, alternatives, names.ids(names.categories, alternatives),
                 names.ids(names.industries, alternatives))
            for text, alternatives in query_words(q, relaxed=relaxed)]


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _contains(column, alt: str):
    # Chinese has no case: LIKE (cheaper than ILIKE, which folds case on every row).
    if CJK_RUN.search(alt):
        return column.like(_like(alt), escape="\\")
    return column.ilike(_like(alt), escape="\\")


def _in_text(column, alternatives: tuple[str, ...]):
    return or_(*(_contains(column, alt) for alt in alternatives)) if alternatives else false()


def _in_ids(column, ids: frozenset[int]):
    """`column IN ids`; on PostgreSQL `= ANY(array)`, which it plans alike (it turns an IN list
    into that), and which is one parameter in the statements a search keeps
    (services._SearchStatements): an IN list is rendered anew at every run."""
    if not ids:
        return false()
    if _postgres():
        return column == any_(literal(sorted(ids), ARRAY(Integer)))
    return column.in_(sorted(ids))


def _single_token(alt: str, term: Term) -> bool:
    """An alternative that is one search token: a Chinese word of one or two characters (every
    character and pair is a token), or an English word standing for Chinese synonyms (a
    whole-word token). Its token in the list is exactly "the text contains it"."""
    if CJK_RUN.fullmatch(alt):
        return len(alt) <= 2
    return len(term.alternatives) > 1 and bool(ASCII_WORD.match(alt))


# Words of products.search_words besides the search tokens: the goods' category and industry.
CATEGORY, INDUSTRY = "c:", "i:"


def _tokens():
    # products.search_words, PostgreSQL only and not mapped on Product: a stored generated
    # column, string_to_array(search_tokens, ' ') with CATEGORY and INDUSTRY words (migration
    # 0018), with its GIN index.
    return literal_column("products.search_words", ARRAY(Text))


def _longer_alternatives(term: Term):
    """The term's alternatives that are no single search token, each as (the tokens every
    product containing it has, its text condition). An English fragment has no such tokens:
    its text condition alone (a scan)."""
    for alt in term.alternatives:
        if _single_token(alt, term):
            continue
        needed = required_tokens(alt)
        if not needed and len(term.alternatives) > 1 and all(
                ASCII_WORD.match(word) for word in alt.split()):
            needed = alt.split()  # an English phrase standing for Chinese words: its words
        yield needed, or_(_contains(Product.title, alt), _contains(Product.description, alt))


def _term_condition_postgres(term: Term):
    """Single-token alternatives, and the categories and industries the term names, are one
    GIN lookup (array overlap) and need no recheck; a longer Chinese word needs all its
    bigrams, then LIKE keeps the substring meaning. A fragment of an English word can't be
    looked up by token: LIKE alone (a scan)."""
    single = [alt for alt in term.alternatives if _single_token(alt, term)]
    words = (single + [f"{CATEGORY}{i}" for i in sorted(term.categories)]
             + [f"{INDUSTRY}{i}" for i in sorted(term.industries)])
    options = [_tokens().overlap(literal(words, ARRAY(Text)))] if words else []
    for needed, text in _longer_alternatives(term):
        options.append(_tokens().contains(literal(needed, ARRAY(Text))) & text
                       if needed else text)
    return or_(*options)


def _has_token(token: str):
    """The product's search tokens hold `token` (a whole token: they are separated by single
    spaces and hold none), tested on the row's own text: what `_tokens() && {token}` says
    without the GIN index."""
    padded = literal(" ", Text).concat(Product.search_tokens).concat(" ")
    return padded.like(_like(f" {token} "), escape="\\")


def _term_condition_by_row(term: Term):
    """`_term_condition_postgres`'s very condition, tested on each row (its token text, ids and
    text) instead of looked up in the GIN index. For a few hundred rows already picked by
    another index (the first prefix of a broad query's ranking) this is the cheaper way: the
    index must read every match of a common word (14,700 for 翡翠, ~1.6 ms) to AND it with the
    200 rows, while testing the 200 rows' text costs ~0.3–0.6 ms. Testing `search_words` row by
    row would cost more still (~18 µs a row to unpack the array)."""
    options = [_has_token(alt) for alt in term.alternatives if _single_token(alt, term)]
    for needed, text in _longer_alternatives(term):
        options.append(and_(*(_has_token(token) for token in needed), text) if needed else text)
    if term.categories:
        options.append(_in_ids(Product.category_id, term.categories))
    if term.industries:
        options.append(_in_ids(Product.industry_id, term.industries))
    return or_(*options)


def match_conditions(terms: list[Term], *, by_row: bool = False) -> list:
    """One condition per term (all must hold). On PostgreSQL through the words' GIN index, or
    with `by_row` tested on each row (for statements that visit only a few rows anyway:
    `_term_condition_by_row`); SQLite always tests each row."""
    if db.engine.dialect.name == "postgresql":
        if by_row:
            return [_term_condition_by_row(term) for term in terms]
        return [_term_condition_postgres(term) for term in terms]
    return [or_(_in_text(Product.title, term.alternatives),
                _in_text(Product.description, term.alternatives),
                _in_ids(Product.category_id, term.categories),
                _in_ids(Product.industry_id, term.industries)) for term in terms]


def relevance(terms: list[Term], q: str):
    """The relevance score: per term, where it matched (WEIGHTS). Every result matched each
    term somewhere, so a term found in neither the category, the title nor the industry was
    in the description: it scores 0 there (no description scan for the sort). For a query of
    several words, the whole query in the title counts once more."""
    parts = []
    for term in terms:
        parts += [
            case((_in_ids(Product.category_id, term.categories), WEIGHTS["category"]), else_=0),
            case((_in_text(Product.title, term.alternatives), WEIGHTS["title"]), else_=0),
            case((_in_ids(Product.industry_id, term.industries), WEIGHTS["industry"]), else_=0),
        ]
    if len(terms) > 1:
        parts.append(case((_contains(Product.title, q.lower()), WEIGHTS["title"]), else_=0))
    return sum(parts[1:], start=parts[0]) if parts else literal(0)


# --- ranking a broad query ---------------------------------------------------------------------

def _postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def _title_hint(alternatives: tuple[str, ...]):
    """A condition that holds for every product whose title contains one of `alternatives`
    and that PostgreSQL answers from an index: the title's marked tokens (TITLE, exact for a
    Chinese word of one or two characters), else the title's trigram index for an English word
    of three letters or more. True when there is none (a short English fragment). Only a
    hint: `relevance` keeps the exact test."""
    if not _postgres():
        return true()
    single, options = [], []
    for alt in alternatives:
        needed = required_tokens(alt)
        if CJK_RUN.fullmatch(alt) and len(alt) <= 2:
            single.append(TITLE + alt)
        elif needed:
            options.append(_tokens().contains(literal([TITLE + t for t in needed], ARRAY(Text))))
        elif len(alt.strip()) >= 3:
            options.append(_contains(Product.title, alt))
        else:
            return true()
    if single:
        options.append(_tokens().overlap(literal(single, ARRAY(Text))))
    return or_(*options)


def _possible(term: Term) -> dict[str, int]:
    """The places a term can match the goods, with their weights."""
    return {kind: WEIGHTS[kind] for kind, possible in (
        ("category", bool(term.categories)), ("title", True), ("industry", bool(term.industries)))
        if possible}


def _bonus(terms: list[Term]) -> int:
    return WEIGHTS["title"] if len(terms) > 1 else 0


def max_relevance(terms: list[Term]) -> int:
    """The highest score `relevance` can give for these terms."""
    return sum(sum(_possible(term).values()) for term in terms) + _bonus(terms)


def _scores_at_least(term: Term, least: int):
    """An index-friendly condition every product scoring `least` or more on `term` meets."""
    possible = _possible(term)
    if least <= 0:
        return true()
    places = {"category": lambda: _in_ids(Product.category_id, term.categories),
              "title": lambda: _title_hint(term.alternatives),
              "industry": lambda: _in_ids(Product.industry_id, term.industries)}
    kinds = list(possible)
    options = []
    for mask in range(1, 2 ** len(kinds)):
        chosen = [kind for n, kind in enumerate(kinds) if mask >> n & 1]
        if sum(possible[kind] for kind in chosen) < least:
            continue
        if any(set(other) < set(chosen) for other in options):
            continue  # a smaller set of places already reaches it
        options.append(chosen)
    if not options:
        return false()
    return or_(*(and_(*(places[kind]() for kind in chosen)) for chosen in options))


def relevance_at_least(terms: list[Term], q: str, least: int):
    """An index-friendly condition (PostgreSQL) that every product with `relevance` of `least`
    or more meets: each term must score what the others and the whole-query bonus can't make
    up. A superset: the caller keeps `relevance >= least` for the exact set."""
    if least > max_relevance(terms) - _bonus(terms) and _bonus(terms):
        bonus = [_title_hint((q.lower(),))]  # only the whole query in the title gets there
    else:
        bonus = []
    most = [sum(_possible(term).values()) for term in terms]
    return and_(*(_scores_at_least(term, least - (sum(most) - most[n]) - _bonus(terms))
                  for n, term in enumerate(terms)), *bonus)


def through_word_index(terms: list[Term], run):
    """`run()` (a query over every match: counts, facets) with PostgreSQL reading the matches
    from the words' GIN index, never by testing each row. The planner prices `&&` on a row's
    hundred-odd words like any cheap operator, so for a word matching a third of the goods it
    picks a sequential scan that tests all 100,000 rows at ~20 µs each (2 s); the index
    answers without testing a row (its bitmap is exact). Only for this statement: the
    setting is put back at once (and SET LOCAL ends with the transaction anyway). The settings
    are no write (app.db.set_local): a search page still ends with COMMIT, and psycopg keeps
    the connection's prepared statements."""
    if not terms or not _postgres():
        return run()
    set_local("enable_seqscan = off")
    try:
        return run()
    finally:
        set_local("enable_seqscan = on")
