"""Reading an English page the way a careful English reader would, apart from the data on it.

Shop names, titles and descriptions are Chinese whatever the reader's language: they are data.
Everything else on an English page is the app speaking, and must read as English: no Chinese
left untranslated, no Chinese (full-width) punctuation ("Source："), no words run together
("JadeIndustry belt"), no "1 coins". `StoredText` holds every text stored in the database so
the data can be set aside before the page is read."""
from __future__ import annotations

import re
from html.parser import HTMLParser

from sqlalchemy import JSON, String, Text, select

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
FULL_WIDTH = "：，（）。、；！？【】《》\u3000"
CHINESE_RUN = re.compile(rf"[{CJK}{FULL_WIDTH}“”‘’·…—]+")
HAS_CJK = re.compile(rf"[{CJK}]")
HAS_FULL_WIDTH = re.compile(rf"[{FULL_WIDTH}]")
# "1 coins", "1 items": a count of one with a plural noun (and not "1 of", "1 is" …).
ONE_PLURAL = re.compile(
    r"(?<![\d.,:/#])\b1 (?!(?:is|was|has|of|plus|bps|yes|this|days?-)\b)([a-z]+s)\b")
RUN_TOGETHER = re.compile(r"\b[A-Z]?[a-z]{2,}[A-Z][a-z]{2,}\b")
ALLOWED = {"简体中文"}  # the language switch names each language in itself
TEXT_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
SKIPPED = {"script", "style", "template"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class _Texts(HTMLParser):
    """Visible text nodes and the attributes a reader meets (labels, placeholders, alt)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._hidden = 0   # depth inside aria-hidden / script / style
        self._stack: list[bool] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        hidden = tag in SKIPPED or values.get("aria-hidden") == "true"
        for name in TEXT_ATTRIBUTES:
            if values.get(name) and not self._hidden:
                self.texts.append(values[name])
        if tag == "meta" and values.get("name") == "description" and values.get("content"):
            self.texts.append(values["content"])
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.texts.append(values["value"])
        if tag in VOID:
            return
        self._stack.append(hidden)
        self._hidden += hidden

    def handle_endtag(self, tag):
        if tag in VOID or not self._stack:
            return
        self._hidden -= self._stack.pop()

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.texts.append(data)


def page_texts(html: str) -> list[str]:
    parser = _Texts()
    parser.feed(html)
    return parser.texts


class StoredText:
    """Every string stored in the database (names, titles, descriptions, reasons …)."""

    def __init__(self, db) -> None:
        values: set[str] = set()
        for table in db.metadata.sorted_tables:
            columns = [c for c in table.columns
                       if isinstance(c.type, (String, Text, JSON)) and c.name != "password_hash"]
            if not columns:
                continue
            for row in db.session.execute(select(*columns)):
                for value in row:
                    values.update(_strings(value))
        self.values = sorted((v for v in values if HAS_CJK.search(v)), key=len, reverse=True)
        self.joined = "\n".join(self.values)

    def on_page(self, texts: list[str]) -> list[str]:
        """The stored values that appear in these texts, longest first."""
        page = "\n".join(texts)
        return [value for value in self.values if value in page]

    def strip(self, text: str, present: list[str], also: tuple[str, ...] = ()) -> str:
        """The text with stored values (then `also`) blanked, and long pieces of stored values
        (an intro shortened for a meta description). Short Chinese left over is the app's."""
        for value in [*present, *also]:
            if value in text:
                text = text.replace(value, " ")
        return CHINESE_RUN.sub(
            lambda m: " " if len(m.group()) >= 8 and m.group() in self.joined else m.group(),
            text)


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def english_problems(texts: list[str], stored: StoredText, also_data: tuple[str, ...] = ()
                     ) -> list[str]:
    """What an English reader would trip over in these texts, data set aside (`also_data`:
    more text that is the reader's own, e.g. the query they searched for)."""
    problems = []
    present = stored.on_page(texts)
    for raw in texts:
        text = " ".join(stored.strip(raw, present, also_data).split())
        for allowed in ALLOWED:
            text = text.replace(allowed, " ")
        for match in CHINESE_RUN.finditer(text):
            around = text[max(0, match.start() - 30):match.end() + 30]
            kind = "Chinese left in English" if HAS_CJK.search(match.group()) else (
                "Chinese punctuation" if HAS_FULL_WIDTH.search(match.group()) else None)
            if kind:
                problems.append(f"{kind}: {match.group()!r} in {around!r}")
        for match in ONE_PLURAL.finditer(text):
            problems.append(f"plural after 1 ({match.group()!r}): {raw.strip()[:80]!r}")
        for match in RUN_TOGETHER.finditer(text):
            problems.append(f"words run together ({match.group()!r}): {raw.strip()[:80]!r}")
    return problems
