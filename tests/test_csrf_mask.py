"""CSRF tokens are masked anew in every response (BREACH: a repeating secret beside reflected
text in a compressed page leaks through the responses' sizes), and every masked copy of the
session's token is accepted."""
from __future__ import annotations

import re
from pathlib import Path

from app.csrf_mask import PREFIX, unmask
from tests.conftest import CSRF_RE

EXPIRED = "页面已过期或来源不明"  # the CSRF refusal's page


def refused(answer) -> bool:
    return answer.status_code == 400 and EXPIRED in answer.get_data(as_text=True)


def tokens(client, path="/signin", count=3):
    return [CSRF_RE.search(client.get(path).get_data(as_text=True)).group(1)
            for _ in range(count)]


def test_every_page_shows_the_token_under_a_fresh_mask(client):
    shown = tokens(client)
    assert len(set(shown)) == len(shown) and all(t.startswith(PREFIX) for t in shown)
    assert len({unmask(t).split(".")[0] for t in shown}) == 1  # the same secret inside


def test_a_cached_public_page_gets_a_fresh_mask_each_time(client):
    shown = tokens(client, "/", count=2)
    assert shown[0] != shown[1]
    assert unmask(shown[0]).split(".")[0] == unmask(shown[1]).split(".")[0]


def test_each_masked_copy_is_accepted_in_the_form_and_in_the_header(client):
    first, second = tokens(client, count=2)
    for token in (first, second):
        answer = client.post("/signin", data={"account": "nobody@example.cn", "password": "x",
                                              "csrf_token": token})
        assert not refused(answer)  # a wrong password, not an expired page
    answer = client.post("/signin", data={"account": "nobody@example.cn", "password": "x"},
                         headers={"X-CSRFToken": second}, csrf=False)
    assert not refused(answer)


def test_a_token_of_another_session_or_a_broken_one_is_refused(client, app):
    other = app.test_client()
    foreign = CSRF_RE.search(other.get("/signin").get_data(as_text=True)).group(1)
    tokens(client, count=1)  # this client has a session of its own
    for bad in (foreign, PREFIX + "%%%", PREFIX + "YWJj", PREFIX, "m.x" * 2000):
        answer = client.post("/signin", data={"account": "a@example.cn", "password": "x",
                                              "csrf_token": bad}, csrf=False)
        assert refused(answer), bad


def test_unmask_leaves_what_it_cannot_read_as_it_came():
    assert unmask(None) is None and unmask("") == ""
    assert unmask("plain.signed.token") == "plain.signed.token"
    assert unmask(PREFIX + "!!!") == PREFIX + "!!!"


def test_no_template_renders_an_unmasked_form_token():
    templates = Path(__file__).resolve().parent.parent / "templates"
    unmasked = [str(path) for path in templates.rglob("*.html")
                if re.search(r"\{\{\s*\w+\.csrf_token\s*\}\}|hidden_tag\(", path.read_text())]
    assert unmasked == []


def test_one_pad_per_response_however_many_forms_show_the_token(client):
    pages = [client.get("/search?q=手镯").get_data(as_text=True) for _ in range(2)]
    found = [set(re.findall(r'(?:name="csrf_token" value="|X-CSRFToken&#34;: &#34;|"X-CSRFToken": ")'
                            r'(m\.[\w=-]+)', page)) for page in pages]
    assert all(len(shown) == 1 for shown in found), found  # the header and every form agree
    assert all(page.count(next(iter(shown))) >= 2 for page, shown in zip(pages, found, strict=True))
    assert found[0] != found[1]
