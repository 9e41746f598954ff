"""Listing filters parsed from a query string. Bad values are ignored with a visible note."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from app import money
from app.catalog.reference import SourceType
from app.inputs import MAX_PAGE, clean_text, has_controls, parse_int

MAX_QUERY = 60
SORTS = ("relevance", "sales", "newest", "price", "price_desc")
_SOURCES = frozenset(s.value for s in SourceType)


@dataclass(frozen=True)
class ProductFilter:
    q: str = ""
    industry: str | None = None   # industry slug
    belt: str | None = None       # belt slug
    merchant_id: int | None = None
    category: str | None = None   # category slug
    source: str | None = None
    certified: bool = False
    min_fen: int | None = None
    max_fen: int | None = None
    sort: str = "relevance"
    page: int = 1
    # Fields the page's own URL already names (/belts/<slug> is belt=<slug>): links built on
    # that URL leave them out of the query string.
    implied: tuple[str, ...] = field(default=(), compare=False)

    def with_(self, **changes) -> ProductFilter:
        return replace(self, **changes)

    def query_args(self, *, drop: tuple[str, ...] = (), **overrides) -> dict[str, str]:
        """The query string that reproduces this filter (for links, forms and load-more)."""
        values = {
            "q": self.q,
            "industry": self.industry or "",
            "belt": self.belt or "",
            "category": self.category or "",
            "source": self.source or "",
            "certified": "1" if self.certified else "",
            "min": money.input_value(self.min_fen).removesuffix(".00"),
            "max": money.input_value(self.max_fen).removesuffix(".00"),
            "sort": "" if self.sort == "relevance" else self.sort,
            "page": "" if self.page == 1 else str(self.page),
        }
        values.update({k: str(v) for k, v in overrides.items()})
        return {k: v for k, v in values.items() if v and k not in drop}

    def url(self, base: str, **overrides) -> str:
        args = self.query_args(drop=self.implied, **overrides)
        return f"{base}?{urlencode(args)}" if args else base


@dataclass
class ParsedFilter:
    filter: ProductFilter
    notes: list[str] = field(default_factory=list)


def _price(raw: str | None, label: Callable[[], str], notes: list[str]) -> int | None:
    """`label()`: the field's name, translated only for a note (gettext costs ~20 µs)."""
    if raw is None or not raw.strip():
        return None
    try:
        return money.parse_yuan(raw, allow_zero=True)
    except money.MoneyError:
        notes.append(_("%(label)s“%(value)s”不是有效金额，已忽略。", label=label(), value=raw[:20]))
        return None


def parse_filter(args: MultiDict, *, known_industries: set[str], known_belts: set[str],
                 known_categories: set[str]) -> ParsedFilter:
    notes: list[str] = []
    raw_q = args.get("q", "")
    q = clean_text(raw_q, max_len=MAX_QUERY)
    if has_controls(raw_q):
        notes.append(_("搜索词中的控制字符已移除。"))
    q = " ".join(q.split())
    if len(q) > MAX_QUERY:
        q = q[:MAX_QUERY]
        notes.append(_("搜索词过长，只使用前 %(n)d 个字。", n=MAX_QUERY))

    def choice(name: str, allowed: set[str], label: Callable[[], str]) -> str | None:
        value = args.get(name, "").strip()
        if not value:
            return None
        if value in allowed:
            return value
        notes.append(_("未知的%(label)s“%(value)s”，已忽略。", label=label(), value=value[:20]))
        return None

    industry = choice("industry", known_industries, lambda: _("行业"))
    belt = choice("belt", known_belts, lambda: _("产业带"))
    category = choice("category", known_categories, lambda: _("类目"))
    source = choice("source", _SOURCES, lambda: _("源头类型"))
    certified = args.get("certified", "") in {"1", "true", "on", "yes"}

    min_fen = _price(args.get("min"), lambda: _("最低价"), notes)
    max_fen = _price(args.get("max"), lambda: _("最高价"), notes)
    if min_fen is not None and max_fen is not None and min_fen > max_fen:
        min_fen, max_fen = max_fen, min_fen
        notes.append(_("最低价高于最高价，已为你对调。"))

    sort = args.get("sort", "").strip() or ("relevance" if q else "relevance")
    if sort not in SORTS:
        notes.append(_("未知的排序方式，已按综合排序。"))
        sort = "relevance"

    raw_page = args.get("page")
    page = 1
    if raw_page not in (None, ""):
        parsed = parse_int(raw_page, minimum=1, maximum=MAX_PAGE)
        if parsed is None:
            notes.append(_("页码无效（应为 1–%(max)d），已显示第 1 页。", max=MAX_PAGE))
        else:
            page = parsed
    return ParsedFilter(
        ProductFilter(q=q, industry=industry, belt=belt, category=category, source=source,
                      certified=certified, min_fen=min_fen, max_fen=max_fen, sort=sort,
                      page=page),
        notes,
    )
