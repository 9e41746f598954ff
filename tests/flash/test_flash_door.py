"""立即抢购 answered at the door (app.flash.door): once the view has refused a press from the
sale's ticket, the same refusal goes to the next presses without Flask — the same status,
page and headers, never a cookie — and only while the sale's ticket still says so: units
that come back, a new copy of the sale or its opening time send presses to Flask again."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.flash import buy as flash_buy
from app.flash.models import FlashSale
from app.i18n import LOCALE_COOKIE
from app.orders.models import Order
from tests import factories as make
from tests.flash.helpers import buy_form, fresh, sale_row, text, world


@pytest.fixture
def w(ctx, app):
    app.config["FLASH_TICKET_SECONDS"] = 60.0  # as on a server: the ticket is kept
    yield world()
    app.config["FLASH_TICKET_SECONDS"] = 0.0
    flash_buy._TICKETS.clear()


@pytest.fixture
def views(monkeypatch):
    """How many presses reached the view (the door answers the others)."""
    calls = []
    real = flash_buy.refuse_closed

    def counted(sale_id):
        calls.append(sale_id)
        return real(sale_id)

    monkeypatch.setattr(flash_buy, "refuse_closed", counted)
    return calls


def press(client, sale, key: str):
    return client.post(f"/flash/{sale.id}/buy", data={
        "key": key * 24, "price_fen": "9900", "quantity": "1"})


def second_buyer(make_client, name="第二个买家"):
    other = make.user(name)
    make.address(other)
    client = make_client()
    make.sign_in(client, other)
    return other, client


def headers_of(response) -> dict:
    return {k: v for k, v in response.headers.items() if k.lower() != "set-cookie"}


def sold_out_sale(w, client):
    sale = sale_row(w.shop, w.bangle, quantity=1, starts_in=timedelta(minutes=-1))
    make.sign_in(client, w.buyer)
    assert client.post(f"/flash/{sale.id}/buy", data=buy_form(
        text(client.get(f"/flash/{sale.id}")))).status_code == 303
    flash_buy.forget_ticket(sale.id)  # re-read when due: sold out
    return sale


def test_presses_after_the_sale_sold_out_are_answered_at_the_door(w, client, make_client,
                                                                  views):
    sale = sold_out_sale(w, client)
    _, other = second_buyer(make_client)
    views.clear()
    first = press(other, sale, "a")
    assert first.status_code == 409 and "已抢光" in text(first)
    assert views == [sale.id]  # the view refused it
    again = [press(other, sale, key) for key in "bcd"]
    assert views == [sale.id]  # the door answered these
    for response in again:
        assert response.status_code == 409
        assert text(response) == text(first)
        assert headers_of(response) == headers_of(first)
        assert "Set-Cookie" not in response.headers
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Frame-Options"] == "DENY"
    # another language is its own answer, from the view first
    other.set_cookie(LOCALE_COOKIE, "en")
    english = [press(other, sale, key) for key in "ef"]
    assert views == [sale.id, sale.id]
    assert english[0].status_code == english[1].status_code == 409
    assert "已抢光" not in text(english[1]) and 'lang="en"' in text(english[1])
    assert text(english[0]) == text(english[1])
    assert fresh(FlashSale, sale.id).sold == 1
    assert len(db.session.scalars(select(Order)).all()) == 1


def test_the_door_sends_everyone_else_to_flask(w, client, make_client, views):
    sale = sold_out_sale(w, client)
    _, other = second_buyer(make_client)
    assert press(other, sale, "a").status_code == 409
    views.clear()
    anonymous = press(make_client(), sale, "b")  # not signed in: sign in first
    assert anonymous.status_code == 302 and "/signin" in anonymous.headers["Location"]
    forged = make_client()
    forged.set_cookie("session", "not-a-signed-session")
    assert press(forged, sale, "c").status_code == 302
    as_json = other.post(f"/flash/{sale.id}/buy", json={"quantity": 1}, csrf=False)
    assert as_json.status_code == 415  # not a form: Flask's answer
    assert views == []  # Flask answered these before the view
    assert press(other, sale, "d").status_code == 409
    assert views == []  # the door


def test_units_given_back_by_a_cancelled_order_reopen_the_door(w, client, make_client, views):
    from app.orders import orders

    sale = sold_out_sale(w, client)
    other_buyer, other = second_buyer(make_client)
    assert press(other, sale, "a").status_code == 409
    assert press(other, sale, "b").status_code == 409  # at the door
    orders.cancel_by_buyer(w.buyer, db.session.scalar(select(Order)).id, "拍错了")
    assert flash_buy.release_cancelled() == 1  # forgets this process's copy of the sale
    views.clear()
    bought = other.post(f"/flash/{sale.id}/buy", data=buy_form(
        text(other.get(f"/flash/{sale.id}"))))
    assert bought.status_code == 303 and views == [sale.id]
    assert fresh(FlashSale, sale.id).sold == 1
    assert flash_buy.claimed(sale.id, other_buyer.id) == 1
    third = press(other, sale, "c")  # sold out again: the view says so, then the door
    assert third.status_code == 409 and "已抢光" in text(third)


def test_units_of_an_order_left_unpaid_reopen_the_door(w, client, make_client):
    sale = sold_out_sale(w, client)
    _, other = second_buyer(make_client)
    assert press(other, sale, "a").status_code == 409
    assert press(other, sale, "b").status_code == 409
    clock.travel(timedelta(minutes=16))  # the first buyer never paid: the order expires
    assert flash_buy.release_cancelled() == 1
    assert other.post(f"/flash/{sale.id}/buy", data=buy_form(
        text(other.get(f"/flash/{sale.id}")))).status_code == 303


def test_a_sale_not_yet_open_opens_at_its_start_at_the_door_too(w, client, views):
    sale = sale_row(w.shop, w.bangle, quantity=2, starts_in=timedelta(seconds=30))
    make.sign_in(client, w.buyer)
    early = [press(client, sale, key) for key in "ab"]
    assert [r.status_code for r in early] == [409, 409]
    assert "还没开抢" in text(early[1]) and len(views) == 1
    clock.travel(timedelta(seconds=31))
    assert press(client, sale, "c").status_code == 303
    assert fresh(FlashSale, sale.id).sold == 1


def test_a_new_copy_of_the_sale_is_asked_again(w, client, make_client, views):
    sale = sold_out_sale(w, client)
    _, other = second_buyer(make_client)
    assert press(other, sale, "a").status_code == 409
    assert press(other, sale, "b").status_code == 409
    assert len(views) >= 1
    before = len(views)
    flash_buy.forget_ticket(sale.id)  # the copy is due (FLASH_TICKET_SECONDS)
    assert press(other, sale, "c").status_code == 409
    assert len(views) == before + 1
