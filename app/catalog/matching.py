"""What a search query matches, and which matches come first.

A query is split into terms. A product matches a term when the term (or one of its synonyms:
Chinese words for an English one, app.catalog.synonyms) is in its title or description, or
names its category or industry. A product must match every term.

Relevance weighs where each term matched: the category (4) and the title (3) say what the
goods *are*, the industry (2) where they belong, the description (1) only mentions it. So 茶
ranks tea (category 绿茶, industry 茶叶) before tea trays (茶盘: 茶 in the title only), and a
title match before a description-only one.

On PostgreSQL a GIN index on the product's search tokens finds candidates first (every
bigram of a Chinese word, or an English word as a whole token), OR-ed with the matching
categories and industries; the ILIKE conditions then keep the exact substring meaning."""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Text, case, false, func, literal, literal_column, or_, select
from sqlalchemy.dialects.postgresql import ARRAY

from app.catalog.models import Category, Industry, Product
from app.catalog.search import required_tokens
from app.catalog.synonyms import split_english
from app.extensions import db

CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
ASCII_WORD = re.compile(r"^[0-9a-z][0-9a-z'\-]*$")
MAX_TERMS = 6
WEIGHTS = {"category": 4, "title": 3, "industry": 2, "description": 1}


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


def _in_text(column, term: Term):
    return or_(*(column.ilike(_like(alt), escape="\\") for alt in term.alternatives))


def _in_ids(column, ids: frozenset[int]):
    return column.in_(sorted(ids)) if ids else false()


def _token_candidates(term: Term):
    """The GIN-indexed candidate condition for a term on PostgreSQL, or None when some
    alternative can't be looked up by tokens (a fragment of an English word): then the
    ILIKE conditions alone decide, as a scan."""
    tokens_column = func.string_to_array(Product.search_tokens, literal_column("' '"),
                                         type_=ARRAY(Text))
    options = []
    for alt in term.alternatives:
        if CJK_RUN.search(alt):
            needed = required_tokens(alt)
        elif len(term.alternatives) > 1 and all(ASCII_WORD.match(w) for w in alt.split()):
            needed = alt.split()  # an English word with synonyms: as a whole token
        else:
            return None
        if not needed:
            return None
        # The expression must match the index's exactly (a literal separator).
        options.append(tokens_column.contains(literal(needed, ARRAY(Text))))
    options += [_in_ids(Product.category_id, term.categories),
                _in_ids(Product.industry_id, term.industries)]
    return or_(*options)


def match_conditions(terms: list[Term]) -> list:
    """One condition per term (all must hold)."""
    use_tokens = db.engine.dialect.name == "postgresql"
    conditions = []
    for term in terms:
        exact = or_(_in_text(Product.title, term), _in_text(Product.description, term),
                    _in_ids(Product.category_id, term.categories),
                    _in_ids(Product.industry_id, term.industries))
        candidates = _token_candidates(term) if use_tokens else None
        conditions.append(exact if candidates is None else candidates & exact)
    return conditions


def relevance(terms: list[Term], q: str):
    """The relevance score: per term, where it matched (WEIGHTS); for a query of several
    words, the whole query in the title counts once more."""
    parts = []
    for term in terms:
        parts += [
            case((_in_ids(Product.category_id, term.categories), WEIGHTS["category"]), else_=0),
            case((_in_text(Product.title, term), WEIGHTS["title"]), else_=0),
            case((_in_ids(Product.industry_id, term.industries), WEIGHTS["industry"]), else_=0),
            case((_in_text(Product.description, term), WEIGHTS["description"]), else_=0),
        ]
    if len(terms) > 1:
        parts.append(case((Product.title.ilike(_like(q.lower()), escape="\\"),
                           WEIGHTS["title"]), else_=0))
    return sum(parts[1:], start=parts[0]) if parts else literal(0)
