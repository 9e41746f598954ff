"""The cart icon's and the notifications bell's numbers are read by the query that loads the
signed-in user (app.accounts.sessions.register_viewer_count): no query of their own on a page
view, and never stale after the request that changed them."""
from __future__ import annotations

import re

from sqlalchemy import event

from app.accounts import services as accounts
from app.extensions import db
from tests import factories as make


def _statements(client, method: str, url: str, **kwargs) -> tuple[list[str], str]:
    seen: list[str] = []

    def note(conn, cursor, statement, *args):
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        response = getattr(client, method)(url, **kwargs)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    return seen, response.get_data(as_text=True)


def _header_numbers(page: str) -> tuple[str, str]:
    bell = re.search(r'aria-label="消息(?: \((\d+)\))?"', page)
    cart = re.search(r'id="header-cart"[^>]*aria-label="购物车(?: \((\d+)\))?"', page)
    return bell.group(1) or "0", cart.group(1) or "0"


def test_a_signed_in_page_view_counts_cart_and_notifications_with_the_user(client, ctx):
    shop = make.merchant("玉匠人")
    goods = [make.product(shop, f"冰种手镯 {i}") for i in range(3)]
    buyer = make.user("小王", email="wang@example.com")
    for message in ("发货了", "到货了", "优惠券到账"):
        accounts.notify(buyer.id, message)
    db.session.commit()
    make.sign_in(client, buyer)
    for item in goods[:2]:
        assert client.post("/cart/add", data={"product_id": item.id, "quantity": 1}).status_code < 400

    statements, page = _statements(client, "get", f"/products/{goods[2].id}")
    assert _header_numbers(page) == ("3", "2")
    counting = [s for s in statements if "count(" in s.lower()]
    # one statement loads the user with both numbers; none counts them on its own
    assert len([s for s in counting if "user_sessions" in s]) == 1
    assert not [s for s in counting if "user_sessions" not in s
                and ("cart_items" in s or "notifications" in s)]


def test_the_numbers_are_fresh_after_the_request_that_changed_them(client, ctx):
    shop = make.merchant("玉匠人")
    item = make.product(shop, "冰种手镯")
    buyer = make.user("小王", email="wang@example.com")
    accounts.notify(buyer.id, "发货了")
    db.session.commit()
    make.sign_in(client, buyer)
    assert _header_numbers(client.get("/").get_data(as_text=True)) == ("1", "0")
    # htmx add-to-cart: the POST's own answer carries the new count (counted after the add)
    answer = client.post("/cart/add", data={"product_id": item.id, "quantity": 1},
                         headers={"HX-Request": "true"}).get_data(as_text=True)
    assert re.search(r'id="header-cart"[^>]*aria-label="购物车 \(1\)"', answer)
    client.post("/notifications/read")
    assert _header_numbers(client.get("/").get_data(as_text=True)) == ("0", "1")
