"""Issue 14, buyer pages in a phone browser: product photos that count and swipe (with and
without JavaScript), and a header search whose hint is read whole at 390 px."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.catalog.models import ProductPhoto
from app.extensions import db
from tests import factories as make
from tests.browser.conftest import check_accessibility

# How wide the placeholder is drawn, against the room the input gives it.
PLACEHOLDER_FIT = """() => {
  const input = document.getElementById('site-search');
  const style = getComputedStyle(input);
  const hint = getComputedStyle(input, '::placeholder');
  const context = document.createElement('canvas').getContext('2d');
  context.font = hint.fontSize + ' ' + style.fontFamily;
  return {text: context.measureText(input.placeholder).width,
          room: input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)};
}"""


@pytest.fixture
def bangle(ctx):
    from app.demo_photos import draw_photo
    from app.media import store_image

    shop = make.merchant("玉匠人", certified=True)
    item = make.product(shop, "冰种飘花翡翠手镯 附证书")
    for position in range(3):
        stored = store_image(draw_photo("jade-bangle", "jade", position))
        db.session.add(ProductPhoto(product_id=item.id, position=position, image_key=stored.key,
                                    width=stored.width, height=stored.height))
    db.session.commit()
    return item.id


def test_photos_swipe_and_the_dots_follow(page, live_server, bangle):
    page.goto(f"{live_server}/products/{bangle}")
    check_accessibility(page)
    expect(page.locator(".breadcrumbs").get_by_role("link", name="见宝")).to_be_visible()
    expect(page.locator("#photo-1 .gallery-count")).to_have_text("1/3")
    dots = page.locator(".gallery-dots a")
    expect(dots.nth(0)).to_have_attribute("aria-current", "true")
    # a swipe is a horizontal scroll of the snapping gallery
    page.locator("#gallery").evaluate("g => g.scrollTo({left: g.clientWidth, behavior: 'instant'})")
    expect(dots.nth(1)).to_have_attribute("aria-current", "true")
    expect(page.locator("#photo-2 .gallery-count")).to_be_in_viewport()
    top = page.evaluate("() => window.scrollY")
    dots.nth(2).click()
    expect(dots.nth(2)).to_have_attribute("aria-current", "true")
    expect(page.locator("#photo-3 .gallery-count")).to_be_in_viewport()
    assert page.evaluate("() => window.scrollY") == top  # the page itself did not jump
    assert page.locator("#gallery").evaluate(
        "g => getComputedStyle(g).scrollSnapType").startswith("x")


def test_photos_without_javascript_are_links_and_each_says_its_place(page_nojs, live_server,
                                                                       bangle):
    page = page_nojs
    page.goto(f"{live_server}/products/{bangle}")
    check_accessibility(page)
    page.locator(".gallery-dots a").nth(1).click()
    page.wait_for_url("**#photo-2")
    expect(page.locator("#photo-2 .gallery-count")).to_be_in_viewport()
    expect(page.locator("#photo-2 .gallery-count")).to_have_text("2/3")


def _sign_in(page, live_server: str, email: str) -> None:
    page.goto(live_server + "/signin")
    page.get_by_label("手机号或邮箱").fill(email)
    page.get_by_label("密码").fill(make.PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/signin" not in url)


@pytest.mark.parametrize("signed_in", [False, True])
def test_the_search_hint_is_not_cut_off_on_a_phone(page, live_server, ctx, signed_in):
    if signed_in:
        make.user("老铁买家", email="laotie@example.cn")
        db.session.commit()
        _sign_in(page, live_server, "laotie@example.cn")
    for lang in ("zh_Hans_CN", "en"):
        page.context.add_cookies([{"name": "lang", "value": lang, "url": live_server}])
        page.goto(live_server + "/")
        fit = page.evaluate(PLACEHOLDER_FIT)
        assert fit["text"] <= fit["room"], (lang, fit)
        expect(page.get_by_role("button", name="Search" if lang == "en" else "搜索")).to_be_visible()
    check_accessibility(page)


def test_a_kept_page_arrives_gzipped_whole_and_its_forms_work(app, page, new_page, live_server,
                                                              bangle):
    """The page cache on: the second visitor gets the kept copy from its gzip pieces (joined
    around their own token); Chromium reads the whole page and its language switch posts."""
    app.config["PUBLIC_PAGE_TTL"] = 1
    try:
        first = new_page()
        first.goto(f"{live_server}/products/{bangle}")  # rendered and kept
        answers = []
        page.on("response", lambda response: answers.append(response)
                if response.url.endswith(f"/products/{bangle}") else None)
        page.goto(f"{live_server}/products/{bangle}")
        assert answers[0].header_value("content-encoding") == "gzip"
        expect(page.get_by_role("heading", name="冰种飘花翡翠手镯 附证书")).to_be_visible()
        expect(page.locator(".action-bar")).to_be_visible()  # the end of the page arrived too
        tokens = {tab.locator('.lang-switch input[name="csrf_token"]').get_attribute("value")
                  for tab in (first, page)}
        assert len(tokens) == 2  # each visitor their own
        page.get_by_role("button", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
    finally:
        app.config["PUBLIC_PAGE_TTL"] = 0


def test_a_signed_in_buyer_gets_the_kept_page_with_their_own_header_and_sign_out(
        app, page, new_page, live_server, bangle, ctx):
    """The page cache on: a signed-in buyer is served the copy an anonymous visitor made,
    with their own account links, cart and a sign-out form that works."""
    from app.orders.models import CartItem

    buyer = make.user("老铁买家", email="laotie-kept@example.cn")
    db.session.add(CartItem(user_id=buyer.id, product_id=bangle, quantity=1))
    db.session.commit()
    _sign_in(page, live_server, "laotie-kept@example.cn")
    app.config["PUBLIC_PAGE_TTL"] = 1
    try:
        new_page().goto(f"{live_server}/products/{bangle}")  # an anonymous visitor: kept
        page.goto(f"{live_server}/products/{bangle}")
        expect(page.get_by_role("heading", name="冰种飘花翡翠手镯 附证书")).to_be_visible()
        expect(page.get_by_role("link", name="我的")).to_be_visible()
        expect(page.get_by_role("link", name="购物车 (1)")).to_be_visible()
        check_accessibility(page)
        page.get_by_role("button", name="退出登录").click()
        expect(page.get_by_role("link", name="登录")).to_be_visible()
    finally:
        app.config["PUBLIC_PAGE_TTL"] = 0
