"""The anonymous page cache: fast, and never a shared token or someone else's page."""
from __future__ import annotations

import re

import pytest

from app.csrf_mask import unmask
from app.extensions import db
from tests import factories as make

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
HX_TOKEN = re.compile(r'X-CSRFToken&#34;: &#34;([^&]+)&#34;|"X-CSRFToken": "([^"]+)"')


@pytest.fixture
def cached(app):
    app.config["PUBLIC_PAGE_TTL"] = 1
    yield
    app.config["PUBLIC_PAGE_TTL"] = 0


def test_each_visitor_gets_their_own_working_token_from_a_cached_page(cached, make_client, ctx):
    shop = make.merchant("玉匠人")
    make.product(shop, "冰种手镯")
    alice, bob = make_client(), make_client()
    page_a = alice.get("/belts/zhenping-jade").get_data(as_text=True)
    page_b = bob.get("/belts/zhenping-jade").get_data(as_text=True)
    token_a, token_b = TOKEN.search(page_a).group(1), TOKEN.search(page_b).group(1)
    assert token_a != token_b
    assert "yt-csrf-token" not in page_a + page_b
    assert token_a in page_a.replace("&#34;", '"')  # the htmx header carries the same token
    # the served token works for that visitor, and not for the other one
    ok = alice.post("/lang", data={"lang": "en", "csrf_token": token_a})
    assert ok.status_code == 303
    stolen = bob.post("/lang", data={"lang": "en", "csrf_token": token_a})
    assert stolen.status_code == 400


def test_the_cache_serves_the_same_page_within_its_lifetime(cached, client, ctx):
    shop = make.merchant("玉匠人")
    item = make.product(shop, "冰种手镯", stock=5)
    assert "库存 5 件" in client.get(f"/products/{item.id}").get_data(as_text=True)
    item.stock = 4
    db.session.commit()
    assert "库存 5 件" in client.get(f"/products/{item.id}").get_data(as_text=True)


def test_stock_is_never_older_than_two_seconds(cached, client, ctx):
    from datetime import timedelta

    from app import clock

    shop = make.merchant("玉匠人")
    item = make.product(shop, "冰种手镯", stock=5)
    client.get(f"/products/{item.id}")
    item.stock = 1
    db.session.commit()
    clock.travel(timedelta(seconds=2))
    # cachelib expires by wall time: the entry is at most PUBLIC_PAGE_TTL (1 s) old
    import time

    time.sleep(1.1)
    assert "库存 1 件" in client.get(f"/products/{item.id}").get_data(as_text=True)


def test_signed_in_users_and_owners_bypass_the_cache(cached, make_client, ctx):
    shop = make.merchant("玉匠人")
    item = make.product(shop, "下架前的手镯")
    anonymous, owner = make_client(), make_client()
    make.sign_in(owner, shop.owner)
    anonymous.get(f"/products/{item.id}")
    item.status = "off_shelf"
    db.session.commit()
    assert owner.get(f"/products/{item.id}").status_code == 200  # the owner's own view
    assert "退出登录" in owner.get("/belts/zhenping-jade").get_data(as_text=True)
    assert "退出登录" not in anonymous.get("/belts/zhenping-jade").get_data(as_text=True)


def test_pages_are_cached_per_language_and_per_fragment(cached, make_client, ctx):
    make.belt("zhenping-jade")
    chinese, english = make_client(), make_client()
    english.set_cookie("lang", "en")
    assert "基地热线" in chinese.get("/belts/zhenping-jade").get_data(as_text=True)
    assert "Base hotline" in english.get("/belts/zhenping-jade").get_data(as_text=True)
    fragment = chinese.get("/belts/zhenping-jade", headers={"HX-Request": "true",
                                                           "HX-Target": "listing"})
    assert "site-header" not in fragment.get_data(as_text=True)
    assert "site-header" in chinese.get("/belts/zhenping-jade").get_data(as_text=True)


def test_not_found_pages_are_not_cached(cached, client, ctx):
    assert client.get("/belts/zhenping-jade").status_code == 404
    make.belt("zhenping-jade")
    assert client.get("/belts/zhenping-jade").status_code == 200


def test_an_expiring_page_is_renewed_once_while_others_get_the_previous_copy(cached, client,
                                                                              ctx, app,
                                                                              monkeypatch):
    import time
    from types import SimpleNamespace

    from app import pagecache
    from app.extensions import cache

    # The page cache's own clock, moved by hand: a loaded machine must not make this flaky.
    now = [time.time()]
    monkeypatch.setattr(pagecache, "time", SimpleNamespace(time=lambda: now[0]))
    shop = make.merchant("玉匠人")
    item = make.product(shop, "冰种手镯", stock=5)
    client.get(f"/products/{item.id}")
    item.stock = 3
    db.session.commit()
    now[0] += 1.05
    # someone else is already renewing it: this visitor gets the previous copy (< 1.9 s old)
    with app.test_request_context(f"/products/{item.id}"):
        assert cache.add(pagecache._key() + ":renewing", 1, timeout=5)
    assert "库存 5 件" in client.get(f"/products/{item.id}").get_data(as_text=True)
    now[0] += 0.9  # past MAX_AGE: never served, whoever is renewing
    assert "库存 3 件" in client.get(f"/products/{item.id}").get_data(as_text=True)


@pytest.fixture
def listing_clock(monkeypatch):
    """The page cache's own clock, moved by hand (see the renewal test above)."""
    import time
    from types import SimpleNamespace

    from app import pagecache

    now = [time.time()]
    monkeypatch.setattr(pagecache, "time", SimpleNamespace(time=lambda: now[0]))
    return now


def _belt(client) -> str:
    """The belt page, its CSRF tokens (masked anew in every response) unmasked."""
    page = client.get("/belts/zhenping-jade").get_data(as_text=True)
    return re.sub(r"m\.[A-Za-z0-9_\-=]+", lambda m: unmask(m.group()).split(".")[0], page)


def test_a_listing_whose_goods_are_unchanged_is_kept_without_rendering(cached, client, ctx,
                                                                      listing_clock):
    from app.catalog.models import Belt

    shop = make.merchant("玉匠人")
    make.product(shop, "冰种手镯", price_fen=128000)
    assert "冰种手镯" in _belt(client)
    belt = db.session.scalar(db.select(Belt).where(Belt.slug == "zhenping-jade"))
    belt.intro = "基地新简介"  # not a price or stock: may wait for the hold
    db.session.commit()
    listing_clock[0] += 5  # well past the 1 s TTL and MAX_AGE, inside the 10 s hold
    assert "基地新简介" not in _belt(client)
    listing_clock[0] += 6  # past the hold: rendered again
    assert "基地新简介" in _belt(client)


@pytest.mark.parametrize("change, seen", [
    ({"price_fen": 99900}, "999"),
    ({"stock": 0}, "is-sold-out"),
    ({"status": "delisted"}, None),
])
def test_a_price_stock_or_status_change_on_a_listing_shows_after_the_ttl(cached, client, ctx,
                                                                       listing_clock, change,
                                                                       seen):
    shop = make.merchant("玉匠人")
    item = make.product(shop, "冰种手镯", price_fen=128000, stock=5)
    first = _belt(client)
    assert "1,280" in first and "is-sold-out" not in first
    for name, value in change.items():
        setattr(item, name, value)
    db.session.commit()
    assert _belt(client) == first  # within the TTL: the same copy (and the same visitor's token)
    listing_clock[0] += 1.05
    page = _belt(client)
    if seen is None:
        assert "冰种手镯" not in page  # delisted: gone from the belt
    else:
        assert seen in page


def test_listing_without_hold_renders_every_ttl(cached, client, ctx, app, listing_clock):
    from app.catalog.models import Belt

    app.config["PUBLIC_PAGE_HOLD"] = 0
    try:
        make.product(make.merchant("玉匠人"), "冰种手镯")
        _belt(client)
        belt = db.session.scalar(db.select(Belt).where(Belt.slug == "zhenping-jade"))
        belt.intro = "基地新简介"
        db.session.commit()
        listing_clock[0] += 1.05
        assert "基地新简介" in _belt(client)
    finally:
        app.config["PUBLIC_PAGE_HOLD"] = 10



def test_a_change_while_a_listing_renders_is_not_mistaken_for_what_it_shows(cached, client,
                                                                          ctx, listing_clock,
                                                                          monkeypatch):
    """The price changes after the page read its goods but before the render ends: the page
    shows the old price, so its copy must not be taken as up to date with the new one."""
    import dataclasses

    from sqlalchemy import update

    from app.catalog import services
    from app.catalog.models import Product

    shop = make.merchant("玉匠人")
    item = make.product(shop, "冰种手镯", price_fen=128000)
    item_id = item.id
    db.session.commit()
    real = services.find_products

    def find_then_change(*args, **kwargs):
        # The price changes in the database; the goods the page renders from were read
        # just before (their committed value is the old price).
        db.session.execute(update(Product).where(Product.id == item_id).values(price_fen=99900))
        db.session.commit()
        found = real(*args, **kwargs)
        found.items = [dataclasses.replace(card, price_fen=128000) for card in found.items]
        return found

    monkeypatch.setattr(services, "find_products", find_then_change)
    assert "1,280" in _belt(client)  # rendered from the goods as read: the old price
    monkeypatch.setattr(services, "find_products", real)
    listing_clock[0] += 1.05
    page = _belt(client)
    assert "999" in page and "1,280" not in page


def _product(client, product_id: int) -> str:
    page = client.get(f"/products/{product_id}").get_data(as_text=True)
    return re.sub(r"m\.[A-Za-z0-9_\-=]+", lambda m: unmask(m.group()).split(".")[0], page)


def test_a_product_page_whose_goods_are_unchanged_is_kept_without_rendering(cached, client, ctx,
                                                                           listing_clock):
    item = make.product(make.merchant("玉匠人"), "冰种手镯", price_fen=128000, stock=5)
    assert "冰种手镯" in _product(client, item.id)
    item.title = "冰种飘花手镯"  # not a price or stock: may wait for the hold
    db.session.commit()
    listing_clock[0] += 5
    assert "冰种飘花手镯" not in _product(client, item.id)
    item.stock = 2  # the product's own stock is checked: rendered again after the TTL
    db.session.commit()
    listing_clock[0] += 1.05
    page = _product(client, item.id)
    assert "库存 2 件" in page and "冰种飘花手镯" in page


def test_a_product_page_with_a_flash_sale_or_live_room_is_rendered_every_ttl(cached, client, ctx,
                                                                            listing_clock):
    shop = make.merchant("玉匠人")
    item = make.product(shop, "冰种手镯")
    make.live_room(shop, goods=[item], pinned=item)
    db.session.commit()
    db.session.refresh(item)
    assert item.has_extras
    _product(client, item.id)
    item.title = "冰种飘花手镯"
    db.session.commit()
    listing_clock[0] += 1.05
    assert "冰种飘花手镯" in _product(client, item.id)


def _gunzip(response) -> str:
    import gzip

    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    # gzip.decompress checks the member's CRC-32 and length against the text
    return gzip.decompress(response.get_data()).decode()


def test_a_kept_page_goes_out_gzipped_with_each_visitors_own_token(cached, make_client, ctx):
    shop = make.merchant("玉匠人")
    make.product(shop, "冰种手镯")
    gzip_only = {"Accept-Encoding": "gzip, deflate, br"}
    alice, bob, plain = make_client(), make_client(), make_client()
    first = _gunzip(alice.get("/belts/zhenping-jade", headers=gzip_only))  # rendered and kept
    second = _gunzip(bob.get("/belts/zhenping-jade", headers=gzip_only))   # from the kept pieces
    uncompressed = plain.get("/belts/zhenping-jade").get_data(as_text=True)
    assert "Content-Encoding" not in plain.get("/belts/zhenping-jade").headers
    tokens = [TOKEN.search(page).group(1) for page in (first, second, uncompressed)]
    assert len(set(tokens)) == 3
    for page, token in zip((first, second, uncompressed), tokens, strict=True):
        assert "yt-csrf-token" not in page and "冰种手镯" in page
        assert page.count(token) >= 2  # the forms' field and the htmx header
        assert page.replace(token, "T") == uncompressed.replace(tokens[2], "T")
    assert bob.post("/lang", data={"lang": "en", "csrf_token": tokens[1]}).status_code == 303
    assert alice.post("/lang", data={"lang": "en", "csrf_token": tokens[1]}).status_code == 400


def test_a_browser_refusing_gzip_gets_another_encoding_or_none(cached, make_client, ctx):
    import brotli

    shop = make.merchant("玉匠人")
    make.product(shop, "冰种手镯")
    make_client().get("/belts/zhenping-jade")  # kept
    refused = make_client().get("/belts/zhenping-jade", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in refused.headers
    assert "冰种手镯" in refused.get_data(as_text=True)
    brotli_only = make_client().get("/belts/zhenping-jade", headers={"Accept-Encoding": "br"})
    assert brotli_only.headers["Content-Encoding"] == "br"
    page = brotli.decompress(brotli_only.get_data()).decode()
    assert "冰种手镯" in page and "yt-csrf-token" not in page


def test_each_kept_piece_stands_alone():
    """A piece repeating an earlier piece's text must not point back at it: pieces are served
    with other things between them (a token, a buyer's own parts), so each must decompress
    on its own."""
    import zlib

    from app.pagecache import PLACEHOLDER, Body

    repeated = "<li>同一件好货</li>".encode() * 60
    cart = b"<a>" + repeated + b"</a>"
    data = (repeated + b'<yt-part t="cart.html">' + cart + b"</yt-part>" + PLACEHOLDER.encode()
            + repeated + b'<yt-part t="cart.html">' + cart + b"</yt-part>" + repeated)
    body = Body.of(data)
    assert len(body.pieces) == 4 and len(body.anonymous_pieces) == 3
    for text, piece in zip(body.texts, body.pieces, strict=True):
        assert zlib.decompressobj(-zlib.MAX_WBITS).decompress(piece) == text
    for fill, piece in zip(body.anonymous, body.anonymous_pieces, strict=True):
        if fill:
            assert zlib.decompressobj(-zlib.MAX_WBITS).decompress(piece) == fill


def test_places_are_found_as_one_scan_of_every_kind_finds_them():
    """Body.of finds the token's and the parts' places with a regex that skips to "<yt-" and
    the JSON token apart; it must cut every page where one scan for all three cuts it, tokens
    inside a part included (they are the part's text)."""
    import random
    import re

    from app.pagecache import PLACEHOLDER, PLACEHOLDER_JSON, Body

    one_scan = re.compile(re.escape(PLACEHOLDER.encode()) + b"|"
                          + re.escape(PLACEHOLDER_JSON.encode())
                          + b'|<yt-part t="([^"<>]+)">(.*?)</yt-part>', re.S)
    token, json_token = PLACEHOLDER.encode(), PLACEHOLDER_JSON.encode()
    bits = ["页".encode(), b"<p>x</p>", b"<yt-", b"yt-csrf", b"\\u003c", token, json_token,
            b'<yt-part t="a.html">', b'<yt-part t="cart.html">', b"</yt-part>", b"</yt-part"]
    rng = random.Random(15)
    for _ in range(3000):
        data = b"".join(rng.choice(bits) for _ in range(rng.randint(0, 14)))
        texts, places, anonymous, at = [], [], [], 0
        for found in one_scan.finditer(data):
            texts.append(data[at:found.start()])
            template = found.group(1)
            places.append(template.decode() if template else None)
            anonymous.append(found.group(2) if template else b"")
            at = found.end()
        texts.append(data[at:])
        body = Body.of(data)
        assert (body.texts, body.places, body.anonymous) == (
            tuple(texts), tuple(places), tuple(anonymous)), data


def test_kept_pieces_join_into_valid_gzip_for_any_cut():
    import gzip

    from app.pagecache import PLACEHOLDER, PLACEHOLDER_JSON, Body

    texts = [b"", "<p>页</p>".encode() * 500, PLACEHOLDER.encode(), b"x" * 70_000,
             PLACEHOLDER_JSON.encode(), PLACEHOLDER.encode(), b"end"]
    for cut in range(len(texts) + 1):
        data = b"".join(texts[:cut])
        body = Body.of(data)
        token = b"tok.en-" + str(cut).encode()
        expected = data.replace(PLACEHOLDER.encode(), token).replace(PLACEHOLDER_JSON.encode(), token)
        assert gzip.decompress(body.gzipped(token)) == expected
        assert body.plain(token) == expected


# --- signed-in buyers share the copy, with their own viewer parts -------------------------------

def _buyer_with_a_cart_and_news(make_client, item):
    from app.accounts.services import notify
    from app.orders.models import CartItem

    buyer = make.user("老铁")
    db.session.add(CartItem(user_id=buyer.id, product_id=item.id, quantity=2))
    db.session.commit()
    for _ in range(3):
        notify(buyer.id, "您的订单已发货")
    db.session.commit()
    browser = make_client()
    make.sign_in(browser, buyer)
    return browser


def _reads_during(run) -> list[str]:
    from tests.statements import statements_during

    return [sql for sql in statements_during(run) if sql.lstrip().upper().startswith("SELECT")]


def _same_but_tokens(page: str) -> str:
    page = re.sub(r"m\.[A-Za-z0-9_\-=]+", "T", page)
    return HX_TOKEN.sub("T", page)


def test_a_signed_in_buyer_is_served_the_kept_copy_with_their_own_header_and_footer(
        cached, make_client, ctx, app):
    item = make.product(make.merchant("玉匠人"), "冰种手镯")
    buyer = _buyer_with_a_cart_and_news(make_client, item)
    app.config["PUBLIC_PAGE_TTL"] = 0
    own = buyer.get("/belts/zhenping-jade").get_data(as_text=True)  # rendered for them
    app.config["PUBLIC_PAGE_TTL"] = 1
    anonymous = make_client().get("/belts/zhenping-jade").get_data(as_text=True)  # kept
    reads = _reads_during(lambda: buyer.get("/belts/zhenping-jade"))
    assert len(reads) == 1 and "users" in reads[0]  # the buyer and their counts: no render
    response = buyer.get("/belts/zhenping-jade")
    assert "private" in response.headers["Cache-Control"]  # their header: no shared cache keeps it
    served = response.get_data(as_text=True)
    assert "yt-part" not in served + anonymous
    assert _same_but_tokens(served) == _same_but_tokens(own)
    assert 'aria-label="消息 (3)"' in served and 'aria-label="购物车 (1)"' in served
    assert "退出登录" in served and "登录</a>" not in served
    assert "退出登录" not in anonymous and "/signin?next=" in anonymous
    assert 'aria-label="购物车"' in anonymous and "消息" not in anonymous
    # the sign-out form carries the buyer's own working token
    token = re.search(r'action="/signout" class="signout-form">\s*<input type="hidden" '
                      r'name="csrf_token" value="([^"]+)"', served).group(1)
    assert buyer.post("/signout", data={"csrf_token": token}).status_code == 303
    assert "退出登录" not in buyer.get("/belts/zhenping-jade").get_data(as_text=True)


def test_a_kept_page_goes_out_gzipped_with_a_buyers_own_parts(cached, make_client, ctx):
    item = make.product(make.merchant("玉匠人"), "冰种手镯")
    buyer = _buyer_with_a_cart_and_news(make_client, item)
    make_client().get(f"/products/{item.id}")  # kept
    page = _gunzip(buyer.get(f"/products/{item.id}", headers={"Accept-Encoding": "gzip"}))
    assert 'aria-label="消息 (3)"' in page and "退出登录" in page and "冰种手镯" in page
    assert 'aria-label="购物车 (1)"' in page and "yt-part" not in page
    again = _gunzip(make_client().get(f"/products/{item.id}", headers={"Accept-Encoding": "gzip"}))
    assert "退出登录" not in again and "/signin?next=/products/" in again


def test_a_buyer_never_makes_the_copy_anonymous_visitors_get(cached, make_client, ctx):
    item = make.product(make.merchant("玉匠人"), "冰种手镯")
    buyer = _buyer_with_a_cart_and_news(make_client, item)
    url = f"/products/{item.id}"
    assert "退出登录" in buyer.get(url).get_data(as_text=True)
    visitor = make_client()
    assert len(_reads_during(lambda: visitor.get(url))) > 1  # rendered: the buyer kept nothing
    assert "退出登录" not in visitor.get(url).get_data(as_text=True)
    assert len(_reads_during(lambda: visitor.get(url))) == 0  # kept now


@pytest.mark.parametrize("who", ["operator", "belt admin", "shop owner"])
def test_viewers_who_see_more_are_never_served_the_kept_copy(cached, make_client, ctx, who):
    shop = make.merchant("玉匠人")
    make.product(shop, "冰种手镯")
    account = {"operator": lambda: make.user("运营", operator=True),
               "belt admin": lambda: make.belt_admin("zhenping-jade"),
               "shop owner": lambda: shop.owner}[who]()
    browser = make_client()
    make.sign_in(browser, account)
    make_client().get("/belts/zhenping-jade")  # kept
    assert len(_reads_during(lambda: browser.get("/belts/zhenping-jade"))) > 1  # their own page, rendered
    page = browser.get("/belts/zhenping-jade").get_data(as_text=True)
    if who != "shop owner":
        assert "认证审核" in page  # the review queue's link, which buyers never see


def test_a_product_with_a_flash_sale_is_rendered_for_each_buyer(cached, make_client, ctx):
    shop = make.merchant("玉匠人")
    item = make.product(shop, "冰种手镯")
    make.live_room(shop, goods=[item], pinned=item)
    db.session.commit()
    buyer = make_client()
    make.sign_in(buyer, make.user("老铁"))
    make_client().get(f"/products/{item.id}")  # kept for anonymous visitors only
    url = f"/products/{item.id}"
    assert len(_reads_during(lambda: buyer.get(url))) > 1


def test_a_buyer_with_a_message_to_show_gets_their_own_page(cached, make_client, ctx):
    item = make.product(make.merchant("玉匠人"), "冰种手镯")
    buyer = make_client()
    make.sign_in(buyer, make.user("老铁"))
    make_client().get(f"/products/{item.id}")  # kept
    with buyer.session_transaction() as session:
        session["_flashes"] = [("success", "已加入购物车")]
    assert "已加入购物车" in buyer.get(f"/products/{item.id}").get_data(as_text=True)


def test_kept_pieces_with_viewer_parts_join_into_valid_gzip():
    import gzip

    from app.pagecache import PLACEHOLDER, Body

    anonymous_links, cart = b'<a href="/signin">' + "登录".encode() + b"</a>", b"<a>" + b"c" * 300 + b"</a>"
    data = (b"<header>" + b'<yt-part t="a.html">' + anonymous_links + b"</yt-part>"
            + b'<yt-part t="cart.html">' + cart + b"</yt-part>" + PLACEHOLDER.encode()
            + "<p>页</p>".encode() * 400 + b'<yt-part t="cart.html">' + cart + b"</yt-part>end")
    body = Body.of(data)
    assert body.parts == ("a.html", "cart.html")
    anonymous = (b"<header>" + anonymous_links + cart + b"tok" + "<p>页</p>".encode() * 400
                 + cart + b"end")
    assert gzip.decompress(body.gzipped(b"tok")) == anonymous == body.plain(b"tok")
    mine = {"a.html": "我的".encode(), "cart.html": b"<a>" + b"2" * 500 + b"</a>"}
    expected = (b"<header>" + mine["a.html"] + mine["cart.html"] + b"tok"
                + "<p>页</p>".encode() * 400 + mine["cart.html"] + b"end")
    assert gzip.decompress(body.gzipped(b"tok", mine)) == expected == body.plain(b"tok", mine)


def test_a_viewer_part_with_a_token_for_anonymous_visitors_is_not_kept(cached, client, ctx, app):
    from app.pagecache import PLACEHOLDER, Body

    assert Body.of(b'<yt-part t="a.html"><form>' + PLACEHOLDER.encode() + b"</form></yt-part>"
                   ).token_in_a_part
    assert not Body.of(b'<yt-part t="a.html">x</yt-part>' + PLACEHOLDER.encode()).token_in_a_part
    # a part that prints a form for anonymous visitors: the page is this visitor's own, whole
    original = app.jinja_loader.get_source

    def with_form(environment, name):
        source, filename, uptodate = original(environment, name)
        if name == "_viewer_account.html":
            source += '<form id="part-form">{{ csrf_token() }}</form>'
        return source, filename, lambda: False

    app.jinja_env.cache.clear()
    app.jinja_loader.get_source = with_form
    try:
        item = make.product(make.merchant("玉匠人"), "冰种手镯")
        url = f"/products/{item.id}"
        page = client.get(url).get_data(as_text=True)
        token = re.search(r'<form id="part-form">([^<]+)</form>', page).group(1)
        assert token.startswith("m.") and "yt-" not in page
        assert len(_reads_during(lambda: client.get(url))) > 0  # not kept: rendered again
    finally:
        app.jinja_loader.get_source = original
        app.jinja_env.cache.clear()


def test_user_text_that_looks_like_a_viewer_part_stays_text(cached, make_client, ctx):
    hostile = '</yt-part><yt-part t="a"><yt-csrf-token/>'  # a title holds 60 characters
    item = make.product(make.merchant("玉匠人"), "手镯" + hostile)
    url = f"/products/{item.id}"
    buyer = make_client()
    make.sign_in(buyer, make.user("老铁"))
    anonymous = make_client().get(url).get_data(as_text=True)  # kept
    mine = buyer.get(url).get_data(as_text=True)  # from the copy
    for page in (anonymous, mine):
        assert "&lt;/yt-part&gt;&lt;yt-part" in page and "<yt-" not in page
    assert mine.count("退出登录") == 1 and "退出登录" not in anonymous


def test_a_buyer_leaves_another_requests_renewal_alone(cached, make_client, ctx):
    from app.extensions import cache

    item = make.product(make.merchant("玉匠人"), "冰种手镯")
    url = f"/products/{item.id}"
    buyer = make_client()
    make.sign_in(buyer, make.user("老铁"))
    key = f"page:zh_Hans_CN|||{url}?"
    assert cache.add(key + ":renewing", 1, timeout=5)  # an anonymous request is rendering it
    assert "退出登录" in buyer.get(url).get_data(as_text=True)  # the buyer's own page
    assert not cache.add(key + ":renewing", 1, timeout=5)  # still that request's
