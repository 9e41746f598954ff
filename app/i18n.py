"""Locale choice, translation catalogues per domain, and display filters (money, counts, time)."""
from __future__ import annotations

from pathlib import Path

from babel.numbers import format_compact_decimal
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import format_datetime, get_locale, get_translations
from markupsafe import Markup, escape

from app import money

LOCALE_COOKIE = "lang"
APP_DIR = Path(__file__).resolve().parent
# Each domain keeps its own catalogue (app/<domain>/translations); the core one holds the
# layout, errors and shared macros. Flask-Babel merges them in this order.
DOMAINS = ["catalog", "merchants", "accounts", "live", "orders", "campaigns", "flash", "sale",
           "governance"]


def N_(text: str) -> str:
    """Mark a msgid for extraction where it is stored, not shown (it is translated later)."""
    return text


def translation_directories() -> str:
    dirs = [APP_DIR / "translations"] + [APP_DIR / d / "translations" for d in DOMAINS]
    return ";".join(str(d) for d in dirs if d.is_dir())


def select_locale() -> str:
    supported = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = request.cookies.get(LOCALE_COOKIE)
    if chosen in supported:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def locale_code() -> str:
    return str(get_locale() or "zh_Hans_CN")


def in_english() -> bool:
    return locale_code().startswith("en")


def in_reader_language(params: dict) -> dict:
    """Stored message parameters with values kept in both languages ({"zh": …, "en": …}, see
    app.catalog.names.both_languages) reduced to the reader's one."""
    key = "en" if in_english() else "zh"
    return {name: (value.get(key) or value.get("zh", "")) if isinstance(value, dict) else value
            for name, value in params.items()}


def reader_text(value) -> str:
    """A text kept in both languages ({"zh": …, "en": …}) in the reader's one; a plain
    string as it is."""
    return in_reader_language({"text": value})["text"]


def html_lang() -> str:
    return "en" if locale_code().startswith("en") else "zh-Hans"


def price_html(fen: int, css_class: str = "") -> Markup:
    """¥ small, yuan large, fen small: the price typography shoppers expect.

    Both our locales group thousands with commas, so plain formatting (fast: it runs for
    every card) matches Babel's."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(int(fen)), 100)
    return Markup(  # noqa: S704 (only numbers and an escaped class name go in)
        f'<span class="price {escape(css_class)}"><span class="price-sym">{sign}¥</span>'
        f'<span class="price-yuan">{yuan:,}</span><span class="price-fen">.{cents:02d}</span></span>'
    )


def compact_count(value: int) -> str:
    """已售 1.2万 / 12K: counts the way people read them."""
    if value < 10000 and locale_code().startswith("zh"):
        return str(value)
    if value < 1000:
        return str(value)
    return format_compact_decimal(value, locale=locale_code(), fraction_digits=1)


def local_datetime(value, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    if value is None:
        return ""
    return format_datetime(value, fmt)


def _request_translations():
    """Flask-Babel looks the catalogue up on every gettext call (a page makes ~150): keep the
    request's catalogue on `g` instead."""
    cached = g.get("yt_translations")
    if cached is None:
        cached = g.yt_translations = (locale_code(), get_translations())
    return cached[1]


# A template's text without variables is the same for every reader of a language: kept per
# language (a page makes ~40 such calls; formatting each anew cost ~8 µs). Bounded, in case a
# template ever passes a text that is not a fixed msgid.
_FIXED_TEXT: dict[str, dict[str, Markup]] = {}
_FIXED_TEXT_MAX = 5000


def template_gettext(string: str, **variables) -> Markup:
    if variables:
        return Markup(_request_translations().ugettext(string)) % variables  # noqa: S704
    language = template_locale()
    known = _FIXED_TEXT.setdefault(language, {})
    text = known.get(string)
    if text is None:
        # formatted without variables, as Jinja does ("100%%" → "100%")
        text = Markup(_request_translations().ugettext(string)) % {}  # noqa: S704
        if len(known) < _FIXED_TEXT_MAX:
            known[string] = text
    return text


def template_ngettext(singular: str, plural: str, num: int, **variables) -> Markup:
    variables.setdefault("num", num)
    return Markup(  # noqa: S704 (a catalogue's text; the variables are escaped into it)
        _request_translations().ungettext(singular, plural, num)) % variables


def template_locale() -> str:
    """The language templates' gettext speaks in this request (fixed at its first call)."""
    _request_translations()
    return g.yt_translations[0]


def init_i18n(app: Flask) -> None:
    from app.extensions import babel

    app.config["BABEL_TRANSLATION_DIRECTORIES"] = translation_directories()
    babel.init_app(app, locale_selector=select_locale)
    # Same behaviour as Flask-Babel's template callables (newstyle, autoescaped), cached per request.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _request_translations().ugettext(s),
        ngettext=lambda s, p, n: _request_translations().ungettext(s, p, n),
        pgettext=lambda c, s: _request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _request_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    # `_()` and `ngettext()` in templates, the same as the newstyle ones just installed
    # (autoescaped: the text is Markup, the variables escaped into it) without their two extra
    # context calls: a page makes ~100 of them, the live room ~170.
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext,
                                 ngettext=template_ngettext)
    app.jinja_env.filters["price"] = price_html
    app.jinja_env.filters["money"] = lambda fen: money.format_fen(fen, locale_code())
    app.jinja_env.filters["compact"] = compact_count
    app.jinja_env.filters["localtime"] = local_datetime
    app.jinja_env.globals["html_lang"] = html_lang
    app.jinja_env.globals["locale_code"] = locale_code
    app.jinja_env.filters["in_reader_language"] = in_reader_language
    app.jinja_env.globals["reader_text"] = reader_text
