"""The app-wide promises: health, headers, cookies, error pages, CSRF, hostile requests."""
from __future__ import annotations

import json
import re

import pytest

from app import clock, money
from tests import factories as make


def test_healthz_answers_when_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_every_response_carries_the_security_headers(client):
    for path in ("/", "/healthz", "/does-not-exist", "/static/css/app.css"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("style-src")[0]
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_templates_have_no_inline_scripts_or_handlers(client):
    page = client.get("/").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert not re.search(r"\son[a-z]+=", page)


def test_session_cookie_is_httponly_and_samesite(client):
    client.get("/signin")
    cookie = client.get_cookie("session")
    assert cookie is not None
    assert cookie.http_only
    assert cookie.same_site == "Lax"


def test_production_config_uses_secure_cookies(monkeypatch):
    from app.config import load_config

    monkeypatch.setenv("YUANTOU_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    config = load_config()
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    monkeypatch.delenv("SECRET_KEY")
    with pytest.raises(RuntimeError):
        load_config()


def test_postgresql_pool_has_a_connection_per_thread(monkeypatch):
    """Threads that wait for a pooled connection hold their request meanwhile (a flash sale's
    admitted buyers queued behind 15 connections): the pool follows the thread count."""
    from app.config import load_config

    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db/x")
    monkeypatch.setenv("GUNICORN_THREADS", "32")
    monkeypatch.delenv("DB_POOL_SIZE", raising=False)
    options = load_config()["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["pool_size"] == 32 and options["max_overflow"] == 5
    monkeypatch.setenv("DB_POOL_SIZE", "12")
    assert load_config()["SQLALCHEMY_ENGINE_OPTIONS"]["pool_size"] == 12
    monkeypatch.setenv("DATABASE_URL", "sqlite:///x.db")
    assert "pool_size" not in load_config()["SQLALCHEMY_ENGINE_OPTIONS"]


@pytest.mark.parametrize("path", ["/nope", "/belts/no-such-belt", "/products/999999",
                                  "/shops/123456", "/portals/gadgets", "/products/0",
                                  "/products/99999999999999", "/products/-1", "/belts/ABC"])
def test_unknown_things_get_the_404_page_inside_the_layout(client, path):
    response = client.get(path)
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "页面不存在" in page and 'class="site-header"' in page


def test_method_not_allowed_is_a_405_page(client):
    response = client.post("/healthz")
    assert response.status_code in (400, 405)  # CSRF is checked first on unknown POSTs
    assert client.delete("/").status_code == 405


def test_post_without_csrf_token_is_refused(client):
    response = client.post("/signin", data={"account": "a@b.cn", "password": "x"}, csrf=False)
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)


def test_nul_bytes_anywhere_are_a_400(client):
    assert client.get("/search?q=%00abc").status_code == 400
    assert client.post("/signin", data={"account": "a\x00b", "password": "x"}).status_code == 400


def test_json_where_a_form_is_expected_is_a_400_not_a_500(client):
    response = client.post("/signin", data=json.dumps({"account": {"$ne": 1}}),
                           content_type="application/json", csrf=False)
    assert response.status_code == 400


def test_huge_bodies_are_refused_with_413(client, app):
    big = "x" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    response = client.post("/signin", data=big, content_type="text/plain", csrf=False)
    assert response.status_code == 413


def test_oversized_form_fields_are_refused(client):
    response = client.post("/signin", data={"account": "a" * 200_000, "password": "x"})
    assert response.status_code in (400, 413)
    multipart = client.post("/signin", data={"account": "a" * 2_000_000, "password": "x",
                                             "f": (__import__("io").BytesIO(b"x"), "f.txt")},
                            content_type="multipart/form-data")
    assert multipart.status_code == 413


def test_deeply_nested_or_odd_bodies_never_500(client):
    nested = "[" * 50_000 + "]" * 50_000
    for body, ctype in ((nested, "application/json"), (b"\xff\xfe\xfd", "application/x-www-form-urlencoded"),
                        ("a=%E4%B8", "application/x-www-form-urlencoded")):
        response = client.post("/signup", data=body, content_type=ctype, csrf=False)
        assert 400 <= response.status_code < 500


def test_broken_percent_encoding_in_query_is_harmless(client):
    response = client.get("/search?q=%E4%B8&min=%FF")
    assert response.status_code == 200


def test_language_switch_sets_a_cookie_and_translates(client):
    response = client.post("/lang", data={"lang": "en", "next": "/search"})
    assert response.status_code == 303 and response.headers["Location"] == "/search"
    page = client.get("/search").get_data(as_text=True)
    assert 'lang="en"' in page and "Search source goods" in page
    client.post("/lang", data={"lang": "zh_Hans_CN", "next": "/"})
    assert "搜索源头好货" in client.get("/search").get_data(as_text=True)


def test_language_switch_refuses_unknown_languages_and_open_redirects(client):
    assert client.post("/lang", data={"lang": "xx"}).status_code == 400
    response = client.post("/lang", data={"lang": "en", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"
    response = client.post("/lang", data={"lang": "en", "next": "//evil.example/"})
    assert response.headers["Location"] == "/"


def test_static_files_are_versioned_and_cached_for_a_year(client):
    page = client.get("/").get_data(as_text=True)
    css = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]{10})"', page)
    assert css, "stylesheet URL carries a content hash"
    response = client.get(css.group(1))
    assert response.status_code == 200
    assert "max-age=31536000" in response.headers["Cache-Control"]


def test_media_route_refuses_path_escapes(client):
    assert client.get("/media/../pyproject.toml").status_code == 404
    assert client.get("/media/img/../../etc/passwd.webp").status_code == 404


def test_money_parses_what_people_type():
    assert money.parse_yuan("128") == 12800
    assert money.parse_yuan("¥1,280.5") == 128050
    assert money.parse_yuan(" 0.01 ") == 1
    for bad in ("abc", "1e5", "NaN", "-3", "0", "1.001", "", "99999999999"):
        with pytest.raises(money.MoneyError):
            money.parse_yuan(bad)
    assert money.format_fen(123456789) == "¥1,234,567.89"
    assert money.format_fen(-50) == "-¥0.50"


@pytest.mark.parametrize("locale", ["zh_Hans_CN", "en"])
def test_amounts_are_grouped_as_babel_groups_them_in_the_sites_languages(locale):
    from babel.numbers import format_decimal

    assert locale.startswith(money.PLAIN_GROUPING)  # formatted without Babel
    for fen in (0, 99, 100, 99999, 100000, 123456789, -123456789, 10**15):
        yuan = abs(fen) // 100
        assert money.yuan_part(fen, locale) == format_decimal(yuan, format="#,##0", locale=locale)
    assert money.yuan_part(123456789, "de_DE") == "1.234.567"  # others still through Babel


def test_clock_can_be_frozen_and_moved():
    from datetime import UTC, datetime, timedelta

    moment = datetime(2026, 11, 5, 2, 0, tzinfo=UTC)
    clock.freeze(moment)
    assert clock.now() == moment
    assert clock.local_today().isoformat() == "2026-11-05"  # 10:00 in Shanghai
    clock.travel(timedelta(hours=20))
    assert clock.now() == moment + timedelta(hours=20)
    assert clock.local_today().isoformat() == "2026-11-06"  # 22:00 UTC is 06:00 next day
    assert clock.shanghai_midnight(clock.local_today()) == datetime(2026, 11, 5, 16, 0, tzinfo=UTC)


def test_migrations_match_the_models(app):
    """Every schema change is a migration: autogenerate finds nothing left to do."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from app.catalog.models import POSTGRES_ONLY_COLUMNS, POSTGRES_ONLY_INDEXES
    from app.extensions import db

    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        diff = [d for d in compare_metadata(context, db.metadata)
                if not (d[0] == "remove_index" and d[1].name in POSTGRES_ONLY_INDEXES)
                and not (d[0] == "remove_column" and (d[2], d[3].name) in POSTGRES_ONLY_COLUMNS)]
    assert diff == []


def test_create_operator_command(app, ctx):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-operator", "--account", "ops@example.cn",
                                 "--password", "long enough pw", "--name", "运营"])
    assert result.exit_code == 0, result.output
    from app.accounts.services import find_by_account

    assert find_by_account("ops@example.cn").is_operator
    bad = runner.invoke(args=["create-operator", "--account", "not an account",
                              "--password", "long enough pw"])
    assert bad.exit_code != 0 and "邮箱格式不正确" in bad.output


def test_tick_command_runs(app):
    result = app.test_cli_runner().invoke(args=["tick"])
    assert result.exit_code == 0, result.output


def test_error_pages_for_htmx_are_fragments(client):
    response = client.get("/belts/nowhere", headers={"HX-Request": "true"})
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "site-header" not in page and "页面不存在" in page


def test_user_text_is_escaped(client, ctx):
    shop = make.merchant("<script>alert(1)</script>店")
    make.product(shop, "<img src=x onerror=alert(1)>手镯")
    page = client.get(f"/shops/{shop.id}").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
    assert "<img src=x" not in page


@pytest.mark.parametrize("raw, expected", [
    ("2026-11-05T20:00", "2026-11-05T12:00:00+00:00"),
    ("2026-11-05T20:00:59", "2026-11-05T12:00:00+00:00"),
    ("0001-01-01T00:00", None), ("9999-12-31T23:59", None), ("2026-13-01T00:00", None),
    ("", None), (None, None), ("tomorrow", None),
])
def test_datetime_local_values_are_read_as_shanghai_time(raw, expected):
    from app.clock import parse_local

    parsed = parse_local(raw)
    assert (parsed.isoformat() if parsed else None) == expected
