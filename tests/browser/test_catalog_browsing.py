"""A buyer browses: home → 见宝 → a belt → a product → search with a facet and load more.
Once with JavaScript (htmx swaps in place) and once without (plain links and forms)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests import factories as make
from tests.browser.conftest import check_accessibility


@pytest.fixture
def shelves(ctx):
    from app.demo_photos import draw_photo
    from app.media import store_image

    photo = store_image(draw_photo("jade-bangle", "jade", 1)).key
    for slug in ("ruili-jade", "sihui-jade", "jieyang-jade", "ketang-jade", "xiuyan-jade",
                 "shiyan-jade"):
        make.belt(slug)
    master = make.merchant("玉匠人", certified=True)
    other = make.merchant("镇平玉满堂", certified=False)
    for n in range(26):
        make.product(master if n % 2 else other, f"冰种翡翠手镯 {n:02d}号", sales=100 - n,
                     photo_key=photo)
    make.product(master, "独山玉平安扣吊坠", category_slug="jade-pendant", photo_key=photo)
    return master


def _walk_to_product(page, live_server):
    page.goto(live_server + "/")
    check_accessibility(page)
    page.get_by_role("link", name="见宝").first.click()
    page.wait_for_url("**/portals/jade")
    assert page.get_by_role("heading", name="见宝").is_visible()
    check_accessibility(page)
    page.get_by_role("link", name="河南镇平").first.click()
    page.wait_for_url("**/belts/zhenping-jade")
    assert page.get_by_text("400-820-2105").first.is_visible()
    check_accessibility(page)
    page.locator(".card-link").first.click()
    page.wait_for_url("**/products/*")
    assert page.locator(".price-large").is_visible()
    assert page.get_by_text("官方认证").first.is_visible()
    check_accessibility(page)


def test_browse_and_search_with_javascript(page, live_server, shelves):
    _walk_to_product(page, live_server)
    page.goto(live_server + "/search?q=手镯")
    check_accessibility(page)
    assert page.locator(".card").count() == 20
    page.get_by_text("加载更多").click()
    expect(page.locator(".card")).to_have_count(26)
    assert page.url.endswith("/search?q=%E6%89%8B%E9%95%AF")  # swapped in place, no navigation
    # a facet: the filter form swaps the listing in place and pushes the URL
    page.get_by_text("筛选与排序").click()
    page.get_by_label("只看官方认证").check()
    page.wait_for_url("**certified=1**")
    expect(page.locator(".card")).to_have_count(13)
    assert all("玉满堂" not in t for t in page.locator(".card-shop").all_inner_texts())
    check_accessibility(page)


def test_browse_and_search_without_javascript(page_nojs, live_server, shelves):
    page = page_nojs
    _walk_to_product(page, live_server)
    page.goto(live_server + "/search?q=手镯")
    assert page.locator(".card").count() == 20
    page.get_by_text("加载更多").click()
    page.wait_for_url("**page=2**")
    assert page.locator(".card").count() == 6
    page.get_by_text("筛选与排序").click()
    page.get_by_label("只看官方认证").check()
    page.get_by_role("button", name="筛选", exact=True).click()
    page.wait_for_url("**certified=1**")
    assert page.locator(".card").count() == 13
    check_accessibility(page)
