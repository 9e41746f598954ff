"""Issue 14: the public pages of the demo keep an outline a screen reader can walk: the first
heading is the page's h1 and no level is skipped (an h2 is never followed by an h4)."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest

from app.demo.showcase import public_pages
from app.extensions import db

DEMO_PASSWORD = "yuantou-demo"  # noqa: S105 (the published demo accounts)


class Outline(HTMLParser):
    """The page's headings, in document order: (level, text)."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[list] = []
        self._open: list | None = None

    def handle_starttag(self, tag, attrs):
        if len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            self._open = [int(tag[1]), ""]
            self.headings.append(self._open)

    def handle_endtag(self, tag):
        if len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            self._open = None

    def handle_data(self, data):
        if self._open is not None:
            self._open[1] += data.strip()


def skipped_levels(html: str) -> list[str]:
    """Each place the outline skips a level (or starts below h1), described."""
    outline = Outline()
    outline.feed(html)
    problems, previous = [], 0
    for level, text in outline.headings:
        if level > previous + 1:
            problems.append(f"h{level} “{text[:30]}” after h{previous or '-'}")
        previous = level
    return problems


@pytest.fixture
def demo(app, ctx):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    db.session.commit()


def test_no_public_page_skips_a_heading_level(demo, make_client):
    pages = public_pages()
    buyer = make_client()
    response = buyer.post("/signin", data={"account": "buyer@demo.yuantou.cn",
                                           "password": DEMO_PASSWORD})
    assert response.status_code == 303
    problems = {}
    for who, client in (("visitor", make_client()), ("buyer", buyer)):
        for lang in ("zh_Hans_CN", "en"):
            client.set_cookie("lang", lang)
            for name, url in pages.items():
                response = client.get(url)
                assert response.status_code == 200, (who, url, response.status_code)
                found = skipped_levels(response.get_data(as_text=True))
                if found:
                    problems[f"{name} ({who}, {lang}) {url}"] = found
    assert not problems, "\n".join(f"{page}: {'; '.join(p)}" for page, p in problems.items())


def test_the_check_would_see_a_skipped_level():
    assert skipped_levels("<h1>a</h1><h2>b</h2><h3>c</h3><h2>d</h2>") == []
    assert skipped_levels("<h1>a</h1><h3>b</h3>") == ["h3 “b” after h1"]
    assert skipped_levels("<h2>a</h2>") == ["h2 “a” after h-"]
