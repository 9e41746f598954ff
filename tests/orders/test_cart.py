"""The cart: anonymous in the session, in the database once signed in, merged at sign-in;
grouped per shop, live stock, quantities within stock and limits."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.orders.models import CartItem
from tests import factories as make
from tests.orders.helpers import count, page


@pytest.fixture
def shop(ctx):
    return make.merchant("玉匠人", certified=True)


def test_the_product_page_offers_add_to_cart_and_buy_now(client, shop):
    item = make.product(shop, "冰种手镯", stock=3)
    text = page(client.get(f"/products/{item.id}"))
    assert "加入购物车" in text and "立即购买" in text
    assert 'action="/cart/add"' in text and 'hx-post="/cart/add"' in text
    sold_out = make.product(shop, "已卖完的手镯", stock=0)
    text = page(client.get(f"/products/{sold_out.id}"))
    assert "立即购买" not in text and "已抢光" in text


def test_an_anonymous_visitor_fills_a_cart_grouped_by_shop(client, shop):
    other = make.merchant("四会玉器", belt_slug="sihui-jade")
    a = make.product(shop, "冰种手镯", price_fen=128000, stock=3)
    b = make.product(other, "玉白菜摆件", price_fen=29900, stock=8)
    client.post("/cart/add", data={"product_id": a.id})
    client.post("/cart/add", data={"product_id": a.id})
    client.post("/cart/add", data={"product_id": b.id})
    text = page(client.get("/cart"))
    assert text.index("玉匠人") < text.index("冰种手镯") < text.index("四会玉器") < text.index("玉白菜摆件")
    assert 'value="2"' in text and "库存 3 件" in text and "库存 8 件" in text
    assert "结算 (2)" in text
    assert 'aria-label="购物车 (2)"' in text  # the header icon's count
    assert count(CartItem) == 0  # nothing in the database for anonymous visitors


def test_adding_with_htmx_updates_the_icon_in_place(client, shop):
    item = make.product(shop, stock=3)
    response = client.post("/cart/add", data={"product_id": item.id},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    text = page(response)
    assert "已加入购物车" in text and 'hx-swap-oob="true"' in text and "<html" not in text


def test_the_session_cart_joins_the_account_at_sign_in(client, shop):
    a = make.product(shop, "冰种手镯", stock=5)
    b = make.product(shop, "平安扣", stock=5)
    buyer = make.user()
    db.session.add(CartItem(user_id=buyer.id, product_id=a.id, quantity=1))
    db.session.commit()
    client.post("/cart/add", data={"product_id": a.id, "quantity": "2"})
    client.post("/cart/add", data={"product_id": b.id})
    make.sign_in(client, buyer)
    rows = dict(db.session.execute(select(CartItem.product_id, CartItem.quantity)).all())
    assert rows == {a.id: 3, b.id: 1}
    client.post("/signout")
    assert "购物车还是空的" in page(client.get("/cart"))  # the session cart was moved, not copied


def test_quantities_change_with_the_stepper_or_by_typing(client, shop):
    item = make.product(shop, stock=4)
    buyer = make.user()
    make.sign_in(client, buyer)
    client.post("/cart/add", data={"product_id": item.id})
    client.post("/cart/update", data={"product_id": item.id, "delta": "1"})
    assert db.session.scalar(select(CartItem.quantity)) == 2
    response = client.post("/cart/update", data={"product_id": item.id, "quantity": "4"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200 and 'id="cart-body"' in page(response)
    assert db.session.scalar(select(CartItem.quantity)) == 4
    client.post("/cart/remove", data={"product_id": item.id})
    assert count(CartItem) == 0


@pytest.mark.parametrize("quantity,status,message", [
    ("0", 400, "购买数量需为 1–200 的整数"),
    ("-3", 400, "购买数量需为 1–200 的整数"),
    ("abc", 400, "购买数量需为 1–200 的整数"),
    ("1e9", 400, "购买数量需为 1–200 的整数"),
    ("99999999999", 400, "购买数量需为 1–200 的整数"),
    ("201", 400, "购买数量需为 1–200 的整数"),
    ("6", 409, "库存只剩 5 件"),
])
def test_bad_quantities_say_what_is_wrong_and_change_nothing(client, shop, quantity, status, message):
    item = make.product(shop, stock=5)
    buyer = make.user()
    make.sign_in(client, buyer)
    client.post("/cart/add", data={"product_id": item.id})
    for url, data in (("/cart/add", {"product_id": item.id, "quantity": quantity}),
                      ("/cart/update", {"product_id": item.id, "quantity": quantity})):
        response = client.post(url, data=data)
        assert response.status_code == status, url
        assert message in page(response)
    assert db.session.scalar(select(CartItem.quantity)) == 1


def test_unlisted_missing_and_own_goods_cannot_go_in_the_cart(client, shop):
    hidden = make.product(shop, status="off_shelf")
    own = make.product(shop)
    assert client.post("/cart/add", data={"product_id": hidden.id}).status_code == 409
    assert client.post("/cart/add", data={"product_id": "999999"}).status_code == 404
    assert client.post("/cart/add", data={"product_id": "x"}).status_code == 404
    make.sign_in(client, shop.owner)
    response = client.post("/cart/add", data={"product_id": own.id})
    assert response.status_code == 409 and "不能购买自己店铺的商品" in page(response)
    assert count(CartItem) == 0


def test_a_line_that_sold_out_shows_it_and_is_not_checked_out(client, shop):
    from app.catalog import listing

    item = make.product(shop, "冰种手镯", stock=2)
    spare = make.product(shop, "平安扣", stock=2)
    buyer = make.user()
    make.sign_in(client, buyer)
    client.post("/cart/add", data={"product_id": item.id})
    client.post("/cart/add", data={"product_id": spare.id})
    listing.set_stock(shop.owner, item.id, 0)
    text = page(client.get("/cart"))
    assert "已抢光" in text and "结算 (1)" in text
    make.address(buyer)
    checkout = page(client.get("/checkout"))
    assert f'value="{spare.id}:1"' in checkout and "冰种手镯" not in checkout


def test_the_cart_holds_at_most_the_configured_number_of_lines(client, shop, app, monkeypatch):
    monkeypatch.setitem(app.config, "CART_MAX_LINES", 2)
    goods = [make.product(shop, f"手镯{n}") for n in range(3)]
    assert [client.post("/cart/add", data={"product_id": g.id}).status_code
            for g in goods] == [303, 303, 409]


def test_the_cart_polls_live_stock_and_gets_304_while_nothing_changed(client, shop):
    from app.catalog import listing

    item = make.product(shop, stock=5)
    client.post("/cart/add", data={"product_id": item.id})
    assert 'hx-get="/cart/stock"' in page(client.get("/cart"))
    first = client.get("/cart/stock", headers={"HX-Request": "true"})
    assert first.status_code == 200 and f'id="stock-{item.id}"' in page(first)
    assert 'hx-swap-oob="true"' in page(first) and "库存 5 件" in page(first)
    etag = first.headers["ETag"]
    assert client.get("/cart/stock", headers={"If-None-Match": etag}).status_code == 304
    listing.set_stock(shop.owner, item.id, 1)
    later = client.get("/cart/stock", headers={"If-None-Match": etag})
    assert later.status_code == 200 and "库存 1 件" in page(later)


def test_unticking_every_line_checks_out_nothing(client, shop):
    item = make.product(shop)
    make.sign_in(client, make.user())
    client.post("/cart/add", data={"product_id": item.id})
    response = client.get("/checkout?from=cart")
    assert response.status_code == 303 and response.headers["Location"].endswith("/cart")


def test_the_merchant_sees_no_buy_buttons_on_their_own_goods(client, shop):
    item = make.product(shop)
    make.sign_in(client, shop.owner)
    text = page(client.get(f"/products/{item.id}"))
    assert "自己店铺的商品" in text and "立即购买" not in text
