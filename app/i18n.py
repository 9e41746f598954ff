"""Locale choice, translation catalogues per domain, and display filters (money, counts, time)."""
from __future__ import annotations

from pathlib import Path

from babel.numbers import format_compact_decimal
from flask import Flask, current_app, has_request_context, request
from flask_babel import format_datetime, get_locale
from markupsafe import Markup, escape

from app import money

LOCALE_COOKIE = "lang"
APP_DIR = Path(__file__).resolve().parent
# Each domain keeps its own catalogue (app/<domain>/translations); the core one holds the
# layout, errors and shared macros. Flask-Babel merges them in this order.
DOMAINS = ["catalog", "merchants", "accounts", "live", "orders", "campaigns", "governance"]


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


def html_lang() -> str:
    return "en" if locale_code().startswith("en") else "zh-Hans"


def price_html(fen: int, css_class: str = "") -> Markup:
    """¥ small, yuan large, fen small: the price typography shoppers expect."""
    sign = "-" if fen < 0 else ""
    return Markup(
        '<span class="price {cls}"><span class="price-sym">{sign}¥</span>'
        '<span class="price-yuan">{yuan}</span><span class="price-fen">.{fen}</span></span>'
    ).format(
        cls=escape(css_class), sign=sign, yuan=money.yuan_part(fen, locale_code()),
        fen=money.fen_part(fen),
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


def init_i18n(app: Flask) -> None:
    from app.extensions import babel

    app.config["BABEL_TRANSLATION_DIRECTORIES"] = translation_directories()
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters["price"] = price_html
    app.jinja_env.filters["money"] = lambda fen: money.format_fen(fen, locale_code())
    app.jinja_env.filters["compact"] = compact_count
    app.jinja_env.filters["localtime"] = local_datetime
    app.jinja_env.globals["html_lang"] = html_lang
    app.jinja_env.globals["locale_code"] = locale_code
