"""Names of industries and belts in the reader's language.

Industries and belts are rows that operators add, so their English names are stored beside the
Chinese ones (`name_en`, `portal_name_en`) instead of living in the gettext catalogues. On
English pages a belt reads as its place and its industry — "Zhenping, Henan (jade)" — because
a place alone says nothing to a reader who doesn't know it carves jade; in Chinese it is its
name, 河南镇平. A row without an English name shows its Chinese one (never an empty string).

Each function takes a model row or any object with the same attributes (the cached
`BeltCard`), so cached page data carries both languages and the reader's one is picked when
the page renders."""
from __future__ import annotations

from typing import Protocol

from app.i18n import in_english


class Named(Protocol):
    name: str
    name_en: str


class IndustryLike(Named, Protocol):
    portal_name: str
    portal_name_en: str


class BeltLike(Named, Protocol):
    province: str
    city: str
    industry: Named


def _english(english: bool | None) -> bool:
    return in_english() if english is None else english


def _local(chinese: str, english_name: str, english: bool | None) -> str:
    return english_name if english_name and _english(english) else chinese


def industry_name(industry: Named, english: bool | None = None) -> str:
    """玉石 / Jade."""
    return _local(industry.name, industry.name_en, english)


def portal_name(industry: IndustryLike, english: bool | None = None) -> str:
    """见宝 / Jianbao."""
    return _local(industry.portal_name, industry.portal_name_en, english)


def belt_place(belt: BeltLike, english: bool | None = None) -> str:
    """The belt without its industry, where the industry is already shown beside it:
    河南镇平 / Zhenping, Henan."""
    return _local(belt.name, belt.name_en, english)


def belt_name(belt: BeltLike, english: bool | None = None) -> str:
    """How a belt is named on its own (titles, breadcrumbs, chips, sentences):
    河南镇平 / Zhenping, Henan (jade)."""
    if not _english(english):
        return belt.name
    industry = industry_name(belt.industry, english=True)
    if industry.isascii():
        industry = industry[:1].lower() + industry[1:]
    return f"{belt.name_en or belt.name} ({industry})"


def belt_region(belt: BeltLike, english: bool | None = None) -> str:
    """The province and city (河南省南阳市) in Chinese. English pages name the place in the belt's
    English name already, and the administrative names are stored in Chinese only: empty."""
    return "" if _english(english) else f"{belt.province}{belt.city}"


def both_languages(name_of, thing) -> dict[str, str]:
    """`name_of(thing)` in each language, for text stored now and shown later in its reader's
    language (notification parameters): {"zh": "河南镇平", "en": "Zhenping, Henan (jade)"}."""
    return {"zh": name_of(thing, english=False), "en": name_of(thing, english=True)}


NAMES = {"industry_name": industry_name, "portal_name": portal_name, "belt_place": belt_place,
         "belt_name": belt_name, "belt_region": belt_region}
