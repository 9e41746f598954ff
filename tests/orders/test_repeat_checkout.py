"""Going Back to a checkout page after paying and submitting again never places a second
order without a word: the same page (same key) gives the same order, and a fresh checkout of
the same goods within minutes asks "order them again?" and goes on only when confirmed."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app import clock
from app.orders.models import Order
from tests import factories as make
from tests.orders.helpers import checkout_form, count, hidden, page


@pytest.fixture
def story(client, ctx):
    shop = make.merchant("玉匠人", certified=True)
    bangle = make.product(shop, "冰种飘花翡翠手镯", price_fen=5000, stock=10)
    pendant = make.product(shop, "独山玉平安扣", price_fen=3000, stock=10)
    buyer = make.user()
    make.address(buyer)
    make.sign_in(client, buyer)
    return {"bangle": bangle, "pendant": pendant, "buy_now": f"?product_id={bangle.id}&quantity=1"}


def pay_online(client, form: dict) -> None:
    placed = client.post("/checkout", data=form)
    assert placed.status_code == 303 and "/pay" in placed.headers["Location"]
    assert client.post(placed.headers["Location"]).status_code == 303


def test_resubmitting_the_same_page_after_paying_gives_the_same_order(client, story):
    form = checkout_form(client, story["buy_now"]) | {"payment_method": "sandbox"}
    pay_online(client, form)
    [order] = Order.query.all()
    assert order.status == "awaiting_shipment"
    again = client.post("/checkout", data=form)  # Back, then 提交订单 on the page kept
    assert again.status_code == 303
    assert again.headers["Location"].endswith(f"/orders/{order.id}")
    assert count(Order) == 1
    assert "这张订单已经提交过了" in page(client.get(again.headers["Location"]))


def test_a_fresh_checkout_of_the_same_goods_asks_before_a_second_order(client, story):
    pay_online(client, checkout_form(client, story["buy_now"]) | {"payment_method": "sandbox"})
    [first] = Order.query.all()
    # Back fetches the checkout page anew: a new key.
    form = checkout_form(client, story["buy_now"]) | {"payment_method": "sandbox",
                                                      "note": "送人的，请包装好"}
    asked = client.post("/checkout", data=form)
    assert asked.status_code == 409
    text = page(asked)
    assert "你刚刚下单过这些商品" in text and first.number in text
    assert f"/orders/{first.id}" in text and "再下一单" in text
    assert count(Order) == 1
    # The page asking keeps the same key and what was typed; submitting it confirms.
    assert hidden(text, "key") == form["key"] and hidden(text, "repeat_confirmed") == "1"
    assert "送人的，请包装好" in text
    confirmed = client.post("/checkout", data=form | {"repeat_confirmed": "1"})
    assert confirmed.status_code == 303 and count(Order) == 2
    # Submitted once more (a double tap): still two orders.
    assert client.post("/checkout", data=form | {"repeat_confirmed": "1"}).status_code == 303
    assert count(Order) == 2


def test_the_question_is_only_for_the_same_goods_within_minutes(client, story, app):
    make.order(make.user(), story["pendant"])  # someone else's order doesn't count
    client.post("/checkout", data=checkout_form(client, story["buy_now"]))
    other_goods = checkout_form(client, f"?product_id={story['pendant'].id}&quantity=1")
    assert client.post("/checkout", data=other_goods).status_code == 303
    clock.travel(timedelta(minutes=app.config["ORDER_REPEAT_MINUTES"] + 1))
    later = checkout_form(client, story["buy_now"])
    assert client.post("/checkout", data=later).status_code == 303
    assert count(Order) == 4


def test_a_cancelled_order_is_not_asked_about(client, story):
    client.post("/checkout", data=checkout_form(client, story["buy_now"]) | {
        "payment_method": "sandbox"})
    [first] = Order.query.all()
    assert client.post(f"/orders/{first.id}/cancel",
                       data={"reason": "不想要了"}).status_code == 303
    again = checkout_form(client, story["buy_now"])
    assert client.post("/checkout", data=again).status_code == 303
    assert count(Order) == 2
