"""Issue 14, buyer pages: photos a buyer can count and swipe, a breadcrumb through the portal,
and a no-JS 加载更多 that says which page it is on without repeating the belt."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from app.catalog.models import ProductPhoto
from app.extensions import db
from tests import factories as make


def text_of(response) -> str:
    return response.get_data(as_text=True)


def with_photos(item, n: int):
    for position in range(n):
        db.session.add(ProductPhoto(product_id=item.id, position=position,
                                    image_key=f"demo/{item.id}-{position}", width=480, height=480))
    db.session.commit()
    return item


def test_a_multi_photo_product_shows_where_each_photo_stands(client, ctx):
    shop = make.merchant("玉匠人", certified=True)
    item = with_photos(make.product(shop, "冰种飘花翡翠手镯"), 5)
    page = text_of(client.get(f"/products/{item.id}"))
    assert [f"{n}/5" for n in range(1, 6)] == re.findall(r'class="gallery-count"[^>]*>(\d/\d)<', page)
    assert page.count('class="gallery-item"') == 5
    dots = re.findall(r'<a href="#photo-(\d)" data-photo', page)
    assert dots == ["1", "2", "3", "4", "5"]  # links to each photo: work with JavaScript off
    assert all(f'id="photo-{n}"' in page for n in range(1, 6))
    assert "js/gallery.js" in page


def test_a_single_photo_needs_no_counter(client, ctx):
    item = with_photos(make.product(make.merchant("玉匠人"), "独山玉平安扣"), 1)
    page = text_of(client.get(f"/products/{item.id}"))
    assert "gallery-count" not in page and "gallery-dots" not in page


def test_the_breadcrumb_goes_through_the_portal(client, ctx):
    item = make.product(make.merchant("玉匠人"), "冰种飘花翡翠手镯")
    page = text_of(client.get(f"/products/{item.id}"))
    crumbs = page[page.index('class="breadcrumbs"'):page.index("</nav>", page.index('class="breadcrumbs"'))]
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', crumbs)
    assert [text for _, text in links] == ["首页", "见宝", "河南镇平", "玉匠人"]
    assert links[1][0] == "/portals/jade"


def test_a_beltless_product_goes_through_its_industrys_portal(client, ctx):
    tea = make.merchant("西湖茶农", belt_slug=None, industry_slug="tea")
    item = make.product(tea, "明前龙井 250g", category_slug="tea-green")
    page = text_of(client.get(f"/products/{item.id}"))
    crumbs = page[page.index('class="breadcrumbs"'):]
    assert '<a href="/portals/tea">' in crumbs[:crumbs.index("</nav>")]


def _belt_with_goods(n: int):
    shop = make.merchant("玉匠人", certified=True)
    for index in range(n):
        make.product(shop, f"冰种翡翠手镯 {index:02d}号", sales=100 - index)


def more_link(page: str) -> str:
    return re.search(r'<li class="more-row"><a class="button button-ghost" href="([^"]+)"', page).group(1)


def test_load_more_on_a_belt_does_not_repeat_the_belt(client, ctx):
    _belt_with_goods(45)
    first = text_of(client.get("/belts/zhenping-jade"))
    link = more_link(first).replace("&amp;", "&")
    assert urlsplit(link).path == "/belts/zhenping-jade"
    assert parse_qs(urlsplit(link).query) == {"page": ["2"]}
    filtered = text_of(client.get("/belts/zhenping-jade", query_string={"sort": "price"}))
    query = parse_qs(urlsplit(more_link(filtered).replace("&amp;", "&")).query)
    assert query == {"sort": ["price"], "page": ["2"]}


def test_load_more_on_a_portal_does_not_repeat_the_industry(client, ctx):
    _belt_with_goods(25)
    link = more_link(text_of(client.get("/portals/jade"))).replace("&amp;", "&")
    assert link == "/portals/jade?page=2"


def test_page_two_without_javascript_says_plainly_which_page_it_is(client, ctx):
    _belt_with_goods(45)
    page = text_of(client.get("/belts/zhenping-jade?page=2"))
    assert "第 2 页：第 21–40 件" in page
    assert 'href="/belts/zhenping-jade">回到第 1 页</a>' in page
    # htmx asks for the next cards only: no page note among the appended cards
    fragment = text_of(client.get("/belts/zhenping-jade?page=2", headers={"HX-Request": "true"}))
    assert "冰种翡翠手镯 20号" in fragment and "page-note" not in fragment
    assert "page-note" not in text_of(client.get("/belts/zhenping-jade"))


def test_search_keeps_its_filters_in_load_more(client, ctx):
    _belt_with_goods(25)
    link = more_link(text_of(client.get("/search", query_string={"q": "手镯", "belt": "zhenping-jade"})))
    query = parse_qs(urlsplit(link.replace("&amp;", "&")).query)
    assert query == {"q": ["手镯"], "belt": ["zhenping-jade"], "page": ["2"]}
