"""Every route of the app, against the demo data, sent what a hostile client sends: junk query
strings, JSON where a form is expected, deeply nested and broken-encoding bodies, absurd path
segments — as an anonymous visitor, a buyer, a merchant, a belt admin and an operator.

Whatever else happens, nothing answers 5xx. Domain tests check the exact 4xx and message for
their own endpoints; this sweep catches the route nobody thought to test."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from app.accounts.models import User
from app.extensions import db
from app.routing import IdConverter

ROLES = {
    "anonymous": None,
    "buyer": "buyer@demo.yuantou.cn",
    "merchant": "yujiangren@demo.yuantou.cn",
    "belt_admin": "admin-zhenping-jade@demo.yuantou.cn",
    "operator": "operator@demo.yuantou.cn",
}
DEMO_PASSWORD = "yuantou-demo"
# Routes that end the story for the client itself (signing out) or are the sign-in itself.
SKIP = {"/signout", "/signin", "/signup", "/ping", "/healthz"}

JUNK_QUERY = {"q": "手镯" * 2000, "page": "-99999999999999999999", "min": "abc", "max": "1e309",
              "sort": "\x00", "industry": "../../etc", "category": "🙂" * 50,
              "certified": "maybe", "belt": "%ff%fe", "source": "<script>"}
JUNK_FORM = {"quantity": "-1", "price": "NaN", "price_yuan": "9" * 50, "stock": "1e9",
             "title": "\u202e" + "x" * 5000, "product_id": "99999999999999999999",
             "product_ids": ["0", "-5", "abc"], "days": "-3", "kind": "\x00", "reason": "",
             "url": "javascript:alert(1)", "starts_at": "2026-13-45T99:99", "coupon_id": "x",
             "idempotency_key": "'; DROP TABLE orders; --", "address_id": "-1"}
NESTED_JSON = "[" * 5000 + "]" * 5000


def _signed_in(app, email: str | None):
    client = app.test_client()
    if email:
        response = client.post("/signin", data={"account": email, "password": DEMO_PASSWORD})
        assert response.status_code == 303, (email, response.status_code)
    return client


def _paths(app) -> list[tuple[str, set[str], bool]]:
    """Each rule once with real ids/slugs from the demo, and once with absurd segments (the
    flag: a real id is in the path)."""
    real = {
        "int": "1", "slug": "zhenping-jade", "industry": "jade", "number": "ZP-2026-0001",
        "board": "peak", "filename": "app.css", "token": "x",
    }
    absurd = {"int": "99999999999999999999", "default": "%E4%B8%AD%00" + "z" * 300}
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.rule.startswith("/static"):
            continue
        methods = (rule.methods or set()) & {"GET", "POST"}
        for variant in ("real", "absurd"):
            path = rule.rule
            with_id = False
            for name in rule.arguments:
                numeric = isinstance(rule._converters[name], IdConverter | IntegerConverter)
                if variant == "real":
                    if numeric:
                        value, with_id = real["int"], True
                    elif name == "slug" and "/campaigns/" in rule.rule:
                        value = "116-demo"
                    else:
                        value = real.get(name) or real["slug"]
                else:
                    value = absurd["int"] if numeric else absurd["default"]
                path = re.sub(r"<(?:[^:<>]+:)?" + name + r">", value, path)
            if path not in SKIP:
                out.append((path, methods, with_id))
    return out


@pytest.mark.parametrize("role", ROLES)
def test_no_route_answers_5xx_to_hostile_input(app, ctx, role):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User).where(User.email == ROLES["operator"]))
    db.session.commit()
    client = _signed_in(app, ROLES[role])
    failures = []
    seen: dict[int, int] = {}
    past_the_router = 0  # requests on real-id paths that a view answered (not the 404 of routing)

    def check(method, path, response, with_id=False):
        nonlocal past_the_router
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        past_the_router += with_id and response.status_code != 404
        if response.status_code >= 500:
            failures.append(f"{method} {path} -> {response.status_code}")

    for path, methods, with_id in _paths(app):
        if "GET" in methods:
            check("GET", path, client.get(path), with_id)
            check("GET?junk", path, client.get(path, query_string=JUNK_QUERY), with_id)
        if "POST" in methods:
            check("POST form", path, client.post(path, data=JUNK_FORM), with_id)
            check("POST json", path, client.post(path, data=NESTED_JSON,
                                                 content_type="application/json"), with_id)
            check("POST bytes", path, client.post(
                path, data=b"title=%ff%fe%00&quantity=\xff\xfe",
                content_type="application/x-www-form-urlencoded; charset=utf-8"), with_id)
            check("POST no-csrf", path, client.post(path, data={"x": "1"}, csrf=False), with_id)
        db.session.rollback()
    assert seen.get(200, 0) >= 15, seen  # the sweep reached real pages, not only refusals
    assert past_the_router >= 50, past_the_router  # and views behind id routes, not the router
    assert not failures, "\n".join(failures)
