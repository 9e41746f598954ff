"""An English reader on a phone (390 px): belts called by English names, sentences without
Chinese punctuation or "1 coins", a search in English that finds Chinese goods, and filters
whose counts follow the choices made."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.extensions import db
from tests import factories as make
from tests.browser.conftest import ARTIFACTS, check_accessibility
from tests.english import StoredText, english_problems


@pytest.fixture
def shelves(ctx):
    from app.demo_photos import draw_photo
    from app.media import store_image

    photo = store_image(draw_photo("jade-bangle", "jade", 1)).key
    make.belt("ruili-jade")
    master = make.merchant("玉匠人", certified=True)
    ruili = make.merchant("瑞丽翠韵", belt_slug="ruili-jade")
    make.product(master, "翡翠手镯", sales=50, photo_key=photo,
                 description="缅甸A货翡翠，附国检证书。")
    make.product(master, "冰种圆条手镯", sales=20, photo_key=photo)
    make.product(ruili, "翡翠平安扣吊坠", category_slug="jade-pendant", photo_key=photo)
    make.product(ruili, "晴水贵妃镯", photo_key=photo)
    db.session.commit()
    return master


def english_page(new_page, live_server, *, javascript: bool = True):
    page = new_page(javascript=javascript, width=390, height=844)
    page.context.add_cookies([{"name": "lang", "value": "en", "url": live_server}])
    return page


def reads_as_english(page, *typed: str) -> None:
    """The page as the reader sees it (innerText, labels, placeholders), data set aside."""
    texts = [page.locator("body").inner_text(), page.title()]
    texts += page.locator("[placeholder]").evaluate_all("els => els.map(e => e.placeholder)")
    texts += page.locator("[aria-label]").evaluate_all(
        "els => els.map(e => e.getAttribute('aria-label'))")
    # Decorations hidden from screen readers (a shop's initial in its avatar) are data too.
    hidden = page.locator('[aria-hidden="true"]').evaluate_all(
        "els => els.map(e => e.innerText).filter(t => t && t.trim())")
    problems = english_problems(texts, StoredText(db), also_data=(*typed, *hidden))
    assert not problems, f"{page.url}:\n" + "\n".join(problems)
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 390, f"{page.url} scrolls sideways at 390 px ({width} px)"


def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"english-{name}-390.png"), full_page=True)


def test_an_english_reader_walks_from_the_portal_to_a_product(new_page, live_server, shelves):
    page = english_page(new_page, live_server)
    page.goto(live_server + "/portals/jade")
    expect(page.get_by_role("heading", name="Jianbao")).to_be_visible()
    reads_as_english(page)
    check_accessibility(page)
    page.get_by_role("link", name="Zhenping, Henan").first.click()
    page.wait_for_url("**/belts/zhenping-jade")
    expect(page.get_by_role("heading", level=1)).to_have_text("Zhenping, Henan (jade)")
    expect(page.locator(".breadcrumbs")).to_have_text("Home › Jianbao › Zhenping, Henan (jade)")
    expect(page.locator(".eyebrow")).to_have_text("Jade industry belt")
    reads_as_english(page)
    check_accessibility(page)
    shoot(page, "belt")
    page.locator(".card-link").first.click()
    page.wait_for_url("**/products/*")
    expect(page.locator(".breadcrumbs")).to_contain_text("Zhenping, Henan (jade)")
    expect(page.locator(".origin-line")).to_have_text("Origin: Zhenping, Henan (jade)")
    expect(page.locator(".trust-line")).to_contain_text(
        "is officially certified by the Zhenping, Henan (jade) base")
    reads_as_english(page)
    check_accessibility(page)
    shoot(page, "product")


def test_a_search_in_english_finds_chinese_goods_and_counts_follow(new_page, live_server,
                                                                   shelves):
    page = english_page(new_page, live_server)
    page.goto(live_server + "/")
    page.locator("#site-search").fill("jade bangle")
    page.locator("#site-search").press("Enter")
    page.wait_for_url("**/search?q=jade+bangle")
    titles = page.locator(".card-title").all_inner_texts()
    assert "翡翠手镯" in titles and "翡翠平安扣吊坠" not in titles
    reads_as_english(page, "jade bangle")
    check_accessibility(page)
    shoot(page, "search")

    page.goto(live_server + "/search?q=jade")
    page.get_by_text("Filter & sort").click()
    expect(page.locator("#f-belt option")).to_have_text(
        ["All", "Ruili, Yunnan (jade) (2)", "Zhenping, Henan (jade) (2)"])
    expect(page.locator("#f-category option")).to_have_text(
        ["All", "Bangles (3)", "Pendants (1)"])
    page.locator("#f-category").select_option("jade-bangle")
    page.wait_for_url("**category=jade-bangle**")
    # swapped in place with the goods: the other filters now count within the bangles
    expect(page.locator("#f-belt option")).to_have_text(
        ["All", "Ruili, Yunnan (jade) (1)", "Zhenping, Henan (jade) (2)"])
    expect(page.locator(".card")).to_have_count(3)
    expect(page.locator(".filter-panel")).to_have_attribute("open", "")
    expect(page.locator("#f-certified + label")).to_have_text("Certified shops only (2)")
    reads_as_english(page, "jade")
    check_accessibility(page)


def test_without_javascript_the_filters_and_counts_work_too(new_page, live_server, shelves):
    page = english_page(new_page, live_server, javascript=False)
    page.goto(live_server + "/search?q=jade+bangle")
    page.get_by_text("Filter & sort").click()
    page.locator("#f-belt").select_option("ruili-jade")
    page.get_by_role("button", name="Filter", exact=True).click()
    page.wait_for_url("**belt=ruili-jade**")
    assert page.locator(".card-title").all_inner_texts() == ["晴水贵妃镯"]
    expect(page.locator("#f-category option")).to_have_text(["All", "Bangles (1)"])
    reads_as_english(page, "jade bangle")
