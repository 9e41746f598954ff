"""Pages made for one person are never kept by a cache: `Cache-Control: private, no-store`
(one rule, app.security.keep_personal_pages_private). Public pages for anonymous visitors are
left alone."""
from __future__ import annotations

import pytest

from tests import factories as make

PERSONAL_PAGES = [
    "/orders", "/orders/{order}", "/addresses", "/addresses/new", "/account", "/coupons",
    "/notifications", "/cart", "/checkout", "/my-shop", "/my-shop/certification",
    "/my-shop/settings", "/my-shop/goods/new", "/sell/orders", "/sell/orders/{sold}",
    "/sell/statement", "/sell/statement.csv", "/sell/quick", "/sell/coupons",
    "/sell/complaints", "/products/{product}",
]


@pytest.fixture
def merchant_buyer(client, ctx):
    """A shop owner who also buys: every buyer page and every shop desk page is theirs."""
    owner = make.user("玉匠人", email="owner@example.cn")
    shop = make.merchant("玉匠人", owner=owner, certified=True)
    bangle = make.product(shop, "冰种飘花翡翠手镯")
    other = make.merchant("瑞丽翠韵", belt_slug="ruili-jade")
    pendant = make.product(other, "瑞丽翡翠平安扣")
    bought = make.order(owner, pendant)
    sold = make.order(make.user("老铁"), bangle)
    make.sign_in(client, owner)
    return {"order": bought.id, "sold": sold.id, "product": bangle.id}


@pytest.mark.parametrize("path", PERSONAL_PAGES)
def test_personal_pages_are_private_and_not_stored(client, merchant_buyer, path):
    response = client.get(path.format(**merchant_buyer))
    assert response.status_code in (200, 303), (path, response.status_code)
    assert response.headers["Cache-Control"] == "private, no-store", path


def test_a_polled_fragment_keeps_its_revalidation_but_is_private(client, merchant_buyer):
    response = client.get("/cart/stock")
    assert response.headers["Cache-Control"] == "private, no-cache"


def test_public_pages_for_anonymous_visitors_are_left_alone(client, ctx):
    shop = make.merchant("玉匠人", certified=True)
    bangle = make.product(shop)
    for path in ("/", f"/products/{bangle.id}", f"/shops/{shop.id}", "/signin"):
        response = client.get(path)
        assert response.status_code == 200
        assert "no-store" not in response.headers.get("Cache-Control", ""), path


def test_an_anonymous_cart_is_personal_too(client, ctx):
    bangle = make.product(make.merchant("玉匠人"))
    assert client.post("/cart/add", data={"product_id": bangle.id, "quantity": 1}).status_code == 303
    assert client.get("/cart").headers["Cache-Control"] == "private, no-store"
