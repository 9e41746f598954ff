"""Pages leave the app compressed when the browser accepts it, and the first row of goods
(the page's largest paint) is not lazy-loaded."""
from __future__ import annotations

import gzip
import re

import brotli
import pytest

from app.extensions import db
from tests import factories as make

BELT = "/belts/zhenping-jade"
IMG = re.compile(r'<img [^>]*src="/media/img/[^"]*"[^>]*>')
# The signed CSRF token carries its time: the same page a second later differs only there.
TOKEN = re.compile(rb'(?<=X-CSRFToken": ")[\w.-]+|(?<=name="csrf_token" value=")[\w.-]+')


def same_page(body: bytes) -> bytes:
    assert TOKEN.search(body)
    return TOKEN.sub(b"<token>", body)


@pytest.fixture
def belt_goods(ctx):
    shop = make.merchant("玉匠人", certified=True)
    return [make.product(shop, f"冰种手镯 {n}", photo_key=f"{n:02d}" + "ab" * 15, sales=100 - n)
            for n in range(8)]


def test_a_belt_page_goes_out_gzipped_to_a_browser_that_accepts_it(client, belt_goods):
    plain = client.get(BELT)
    zipped = client.get(BELT, headers={"Accept-Encoding": "gzip"})
    assert plain.status_code == zipped.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"] and "HX-Request" in zipped.headers["Vary"]
    assert "Accept-Encoding" in plain.headers["Vary"]  # a shared cache keeps the two apart
    assert int(zipped.headers["Content-Length"]) == len(zipped.data) < len(plain.data) / 3
    assert same_page(gzip.decompress(zipped.data)) == same_page(plain.data)


def test_brotli_is_preferred_when_the_browser_offers_both(client, belt_goods):
    plain = client.get(BELT)
    response = client.get(BELT, headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert response.headers["Content-Encoding"] == "br"
    assert same_page(brotli.decompress(response.data)) == same_page(plain.data)


def test_small_answers_are_not_compressed(client):
    response = client.get("/ping", headers={"Accept-Encoding": "gzip, br"})
    assert response.status_code == 200 and "Content-Encoding" not in response.headers


def test_photos_are_sent_as_they_are(client, ctx):
    from app.media import store_image

    key = store_image(make.jpeg_bytes()).key
    response = client.get(f"/media/img/{key[:2]}/{key}-480.webp", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.mimetype == "image/webp"
    assert "Content-Encoding" not in response.headers
    assert response.data[:4] == b"RIFF"


def test_a_cached_page_is_compressed_with_each_visitors_own_token(app, make_client, belt_goods):
    app.config["PUBLIC_PAGE_TTL"] = 1
    try:
        alice, bob = make_client(), make_client()
        pages = [gzip.decompress(c.get(BELT, headers={"Accept-Encoding": "gzip"}).data).decode()
                 for c in (alice, bob)]
    finally:
        app.config["PUBLIC_PAGE_TTL"] = 0
    tokens = [re.search(r'name="csrf_token" value="([^"]+)"', page).group(1) for page in pages]
    assert tokens[0] != tokens[1]
    assert "yt-csrf-token" not in pages[0] + pages[1]


def test_polled_fragments_still_answer_304_when_compressed(client, ctx):
    shop = make.merchant("玉匠人", certified=True)
    item = make.product(shop, stock=5)
    client.post("/cart/add", data={"product_id": item.id})
    headers = {"HX-Request": "true", "Accept-Encoding": "gzip"}
    first = client.get("/cart/stock", headers=headers)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    plain = client.get("/cart/stock", headers={"HX-Request": "true"})
    assert plain.headers["ETag"] == etag  # one tag whatever the encoding (a weak one)
    again = client.get("/cart/stock", headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    # what app.js sends: the tag from the fragment's data-etag, quoted
    bare = etag.removeprefix("W/")
    assert client.get("/cart/stock", headers={**headers, "If-None-Match": bare}).status_code == 304


def test_the_first_row_of_goods_loads_at_once_and_the_rest_lazily(client, belt_goods):
    images = IMG.findall(client.get(BELT).get_data(as_text=True))
    assert len(images) == 8
    for image in images[:2]:  # a phone's first row
        assert 'loading="eager"' in image and 'fetchpriority="high"' in image
    for image in images[2:5]:  # the rest of the widest grid's first row
        assert 'loading="eager"' in image and "fetchpriority" not in image
    for image in images[5:]:
        assert 'loading="lazy"' in image and "fetchpriority" not in image


def test_goods_loaded_further_down_are_all_lazy(app, client, belt_goods):
    app.config["PAGE_SIZE"] = 4
    try:
        page_two = client.get(BELT + "?page=2", headers={"HX-Request": "true"})
    finally:
        app.config["PAGE_SIZE"] = 20
    images = IMG.findall(page_two.get_data(as_text=True))
    assert len(images) == 4
    assert all('loading="lazy"' in image and "fetchpriority" not in image for image in images)
    db.session.rollback()
