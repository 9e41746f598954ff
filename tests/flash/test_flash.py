"""Flash sales (直播秒杀): a merchant schedules one, the page counts down, the server opens it at
the start, a buyer grabs one at the flash price through a real order, and every bad input gets
a clear message, a 4xx and changes nothing."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import clock
from app.catalog.models import Product
from app.extensions import db
from app.flash import buy as flash_buy
from app.flash import services as flash
from app.flash.models import FlashClaim, FlashSale
from app.i18n import LOCALE_COOKIE
from app.live.forms import local_input
from app.orders.models import Order, OrderLine
from tests import factories as make
from tests.flash.helpers import (
    HTMX,
    buy_form,
    counts,
    fresh,
    sale_row,
    text,
    world,
)


@pytest.fixture
def w(ctx):
    return world()


def schedule_form(product, **overrides) -> dict:
    form = {"product_id": str(product), "price": "99", "quantity": "3",
            "per_user_limit": "1", "starts_at": local_input(clock.now() + timedelta(hours=1)),
            "duration": "60", "in_live_room": "y"}
    form.update(overrides)
    return form


# --- scheduling -----------------------------------------------------------------------------

def test_a_merchant_schedules_a_flash_sale_on_its_own_goods(w, client):
    make.sign_in(client, w.owner)
    page = client.get("/sell/flash/new")
    assert page.status_code == 200 and "冰种飘花翡翠手镯" in text(page)
    response = client.post("/sell/flash/new", data=schedule_form(w.bangle.id))
    assert response.status_code == 303
    sale = db.session.scalar(select(FlashSale))
    assert response.headers["Location"].endswith(f"/flash/{sale.id}")
    assert (sale.price_fen, sale.quantity, sale.per_user_limit, sale.sold) == (9900, 3, 1, 0)
    assert sale.live_room_id == w.room.id and sale.duration_minutes == 60
    listing = client.get("/sell/flash")
    assert listing.status_code == 200 and "即将开抢" in text(listing)


def test_an_operator_schedules_on_any_shops_goods(w, client):
    operator = make.user("运营", operator=True)
    make.sign_in(client, operator)
    response = client.post("/sell/flash/new", data=schedule_form(w.bangle.id))
    assert response.status_code == 303
    assert db.session.scalar(select(FlashSale)).created_by_id == operator.id


@pytest.mark.parametrize("field, value, status, message", [
    ("price", "1280", 400, "秒杀价必须低于原价"),
    ("price", "0", 400, "价格必须大于 0"),
    ("price", "abc", 400, "价格格式不正确"),
    ("quantity", "11", 400, "不能超过商品库存"),
    ("quantity", "0", 400, "秒杀数量需为正整数"),
    ("per_user_limit", "5", 400, "每人限购不能超过秒杀数量"),
    ("per_user_limit", "-1", 400, "每人限购需为正整数"),
    ("starts_at", "yesterday", 400, "开抢时间格式不正确"),
    ("starts_at", "0001-01-01T00:00", 400, "开抢时间格式不正确"),  # overflowed into a 500
    ("duration", "7", 400, "请选择持续时间"),
    ("product_id", "999999", 404, "商品不存在"),
])
def test_bad_schedules_are_refused_with_a_message_and_nothing_saved(w, client, field, value,
                                                                      status, message):
    make.sign_in(client, w.owner)
    response = client.post("/sell/flash/new", data=schedule_form(w.bangle.id, **{field: value}))
    assert response.status_code == status
    assert message in text(response)
    assert db.session.scalar(select(func.count()).select_from(FlashSale)) == 0


def test_a_start_in_the_past_or_an_overlap_is_refused(w, client):
    make.sign_in(client, w.owner)
    past = local_input(clock.now() - timedelta(hours=1))
    response = client.post("/sell/flash/new", data=schedule_form(w.bangle.id, starts_at=past))
    assert response.status_code == 400 and "开抢时间必须晚于现在" in text(response)
    assert client.post("/sell/flash/new", data=schedule_form(w.bangle.id)).status_code == 303
    again = client.post("/sell/flash/new", data=schedule_form(w.bangle.id))
    assert again.status_code == 409 and "这段时间已有秒杀" in text(again)
    assert db.session.scalar(select(func.count()).select_from(FlashSale)) == 1


def test_a_sale_is_edited_before_it_starts_and_never_after(w, client):
    make.sign_in(client, w.owner)
    sale = sale_row(w.shop, w.bangle)
    edit = client.get(f"/sell/flash/{sale.id}/edit")
    assert edit.status_code == 200 and 'value="99.00"' in text(edit)
    response = client.post(f"/sell/flash/{sale.id}/edit", data=schedule_form(
        w.bangle.id, price="88", quantity="5", per_user_limit="2"))
    assert response.status_code == 303
    sale = fresh(FlashSale, sale.id)
    assert (sale.price_fen, sale.quantity, sale.per_user_limit, sale.version) == (8800, 5, 2, 2)
    clock.travel(timedelta(hours=2))  # it started an hour ago
    late = client.post(f"/sell/flash/{sale.id}/edit", data=schedule_form(
        w.bangle.id, starts_at=local_input(clock.now() + timedelta(hours=1))))
    assert late.status_code == 409 and "已经开始" in text(late)
    assert fresh(FlashSale, sale.id).price_fen == 8800


def test_a_sale_is_cancelled_until_it_ends(w, client):
    make.sign_in(client, w.owner)
    sale = sale_row(w.shop, w.bangle, starts_in=timedelta(minutes=-5))
    assert client.post(f"/sell/flash/{sale.id}/cancel").status_code == 303
    assert fresh(FlashSale, sale.id).status == "cancelled"
    again = client.post(f"/sell/flash/{sale.id}/cancel")
    assert again.status_code == 409 and "已结束或已取消" in text(again)
    page = client.get(f"/flash/{sale.id}")
    assert "秒杀已取消" in text(page) and "立即抢购" not in text(page)


# --- the page, the countdown and the server's decision ---------------------------------------

def test_before_the_start_the_page_counts_down_and_offers_no_button(w, client):
    sale = sale_row(w.shop, w.bangle, starts_in=timedelta(hours=2, minutes=13, seconds=45))
    make.sign_in(client, w.buyer)
    page = text(client.get(f"/flash/{sale.id}"))
    assert "02:13:45" in page and "距开抢" in page
    assert f'data-deadline="{int(sale.starts_at.timestamp() * 1000)}"' in page
    assert 'hx-trigger="countdown-zero, every 20s"' in page
    assert "立即抢购" not in page and 'name="key"' not in page
    assert "¥1,280.00" in page  # the original price, struck through beside the flash price


def test_at_the_start_the_server_swaps_in_the_buy_button(w, client):
    sale = sale_row(w.shop, w.bangle, starts_in=timedelta(seconds=30))
    make.sign_in(client, w.buyer)
    early = client.get(f"/flash/{sale.id}", headers=HTMX)
    assert early.status_code == 200 and "立即抢购" not in text(early)
    assert text(early).lstrip().startswith('<div class="flash-panel flash-upcoming"')
    assert client.get(f"/flash/{sale.id}", headers={
        **HTMX, "If-None-Match": early.headers["ETag"]}).status_code == 304
    clock.travel(timedelta(seconds=31))
    opened = client.get(f"/flash/{sale.id}", headers={**HTMX, "If-None-Match": early.headers["ETag"]})
    assert opened.status_code == 200 and "立即抢购" in text(opened)
    assert "距结束" in text(opened) and "<html" not in text(opened)


def test_the_live_room_and_the_product_page_show_the_sale(w, client):
    sale = sale_row(w.shop, w.bangle, starts_in=timedelta(minutes=5), room=w.room)
    room = text(client.get(f"/live/{w.room.id}"))
    assert "直播秒杀" in room and f'id="flash-panel-{sale.id}"' in room and "00:05:00" in room
    product = text(client.get(f"/products/{w.bangle.id}"))
    assert "flash-banner" in product and f"/flash/{sale.id}" in product


def test_an_unknown_sale_is_404(client, ctx):
    assert client.get("/flash/999999").status_code == 404
    assert client.get("/flash/abc").status_code == 404


# --- buying -----------------------------------------------------------------------------------

def open_sale(w, **kwargs):
    sale = sale_row(w.shop, w.bangle, starts_in=timedelta(minutes=-1), **kwargs)
    return sale


def test_a_buyer_grabs_one_at_the_flash_price_through_a_real_order(w, client):
    sale = open_sale(w)
    make.sign_in(client, w.buyer)
    page = client.get(f"/flash/{sale.id}")
    assert "立即抢购" in text(page) and "剩余 3 件" in text(page)
    response = client.post(f"/flash/{sale.id}/buy", data=buy_form(text(page)))
    assert response.status_code == 303, text(response)[text(response).find("form-error"):][:300]
    assert "/pay" in response.headers["Location"]
    order = db.session.scalar(select(Order))
    line = order.lines[0]
    assert (line.unit_price_fen, line.list_price_fen, line.price_source) == (9900, 128000,
                                                                             "flash_sale")
    assert order.pay_fen == 9900 and order.status == "pending_payment"
    assert fresh(FlashSale, sale.id).sold == 1 and fresh(Product, w.bangle.id).stock == 9
    assert flash_buy.claimed(sale.id, w.buyer.id) == 1
    again = text(client.get(f"/flash/{sale.id}"))
    assert "已抢到 1 件" in again and "立即抢购" not in again
    # back on the sale's page, the grabbed order is one tap from being paid
    assert f'href="/checkout/{order.checkout_id}/pay">去付款</a>' in again


def test_the_pay_link_goes_once_the_grabbed_order_is_paid_or_cancelled(w, client):
    from app.orders import orders

    sale = open_sale(w, limit=2)
    make.sign_in(client, w.buyer)
    client.post(f"/flash/{sale.id}/buy", data=buy_form(text(client.get(f"/flash/{sale.id}"))))
    order = db.session.scalar(select(Order))
    page = text(client.get(f"/flash/{sale.id}"))
    assert "去付款" in page and "立即抢购" in page  # one more allowed, and one to pay
    orders.cancel_by_buyer(fresh(type(w.buyer), w.buyer.id), order.id)
    assert "去付款" not in text(client.get(f"/flash/{sale.id}"))
    other = make.user("别的买家")
    make.address(other)
    make.sign_in(client, other)
    assert "去付款" not in text(client.get(f"/flash/{sale.id}"))


def test_pressing_the_button_twice_places_one_order(w, client):
    sale = open_sale(w, limit=2)
    make.sign_in(client, w.buyer)
    form = buy_form(text(client.get(f"/flash/{sale.id}")))
    first = client.post(f"/flash/{sale.id}/buy", data=form)
    second = client.post(f"/flash/{sale.id}/buy", data=form)
    assert first.headers["Location"] == second.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1
    assert fresh(FlashSale, sale.id).sold == 1


def test_the_last_unit_sold_shows_sold_out_to_everyone(w, client, make_client):
    sale = open_sale(w, quantity=1)
    other = make.user("第二个买家")
    make.address(other)
    make.sign_in(client, w.buyer)
    second = make_client()
    make.sign_in(second, other)
    second_page = text(second.get(f"/flash/{sale.id}"))
    assert "立即抢购" in second_page
    client_page = text(client.get(f"/flash/{sale.id}"))
    assert client.post(f"/flash/{sale.id}/buy", data=buy_form(client_page)).status_code == 303
    panel = second.get(f"/flash/{sale.id}", headers=HTMX)
    assert "已抢光" in text(panel) and "立即抢购" not in text(panel)
    # The stale page's button is refused with the reason, and nothing changes.
    before = counts()
    late = second.post(f"/flash/{sale.id}/buy", data=buy_form(second_page))
    assert late.status_code == 409 and "已抢光" in text(late)
    assert counts() == before
    anonymous = text(make_client().get(f"/flash/{sale.id}"))
    assert "已抢光" in anonymous and "is-sold-out" in anonymous


@pytest.mark.parametrize("case, status, message", [
    ("before_start", 409, "还没开抢"),
    ("after_end", 409, "秒杀已结束"),
    ("beyond_limit", 400, "每人限购 1 件"),
    ("tampered_price", 400, "秒杀价格有误"),
    ("zero_quantity", 400, "购买数量必须大于 0"),
    ("no_key", 400, "页面已过期"),
    ("cancelled", 409, "秒杀已取消"),
    ("product_sold_out", 409, "已抢光"),
])
def test_bad_buys_get_a_clear_message_and_change_nothing(w, client, case, status, message):
    sale = open_sale(w)
    make.sign_in(client, w.buyer)
    form = buy_form(text(client.get(f"/flash/{sale.id}")))
    if case == "before_start":
        clock.travel(timedelta(minutes=-2))
    elif case == "after_end":
        clock.travel(timedelta(hours=2))
    elif case == "beyond_limit":
        form["quantity"] = "2"
    elif case == "tampered_price":
        form["price_fen"] = "1"
    elif case == "zero_quantity":
        form["quantity"] = "0"
    elif case == "no_key":
        form["key"] = ""
    elif case == "cancelled":
        flash.cancel_flash_sale(w.owner, sale.id)
    elif case == "product_sold_out":
        db.session.get(Product, w.bangle.id).stock = 0
        db.session.commit()
    before = counts()
    response = client.post(f"/flash/{sale.id}/buy", data=form)
    assert response.status_code == status, text(response)[:500]
    assert message in text(response)
    assert counts() == before


def test_a_second_grab_beyond_the_limit_is_refused(w, client):
    sale = open_sale(w)
    make.sign_in(client, w.buyer)
    assert client.post(f"/flash/{sale.id}/buy", data=buy_form(
        text(client.get(f"/flash/{sale.id}")))).status_code == 303
    stale = {"key": "k" * 24, "price_fen": str(sale.price_fen), "quantity": "1"}
    before = counts()
    response = client.post(f"/flash/{sale.id}/buy", data=stale)
    assert response.status_code == 409 and "你已抢到 1 件" in text(response)
    assert counts() == before


def test_the_merchant_cannot_grab_its_own_sale(w, client):
    sale = open_sale(w)
    make.address(w.owner)
    make.sign_in(client, w.owner)
    page = text(client.get(f"/flash/{sale.id}"))
    assert "自己店铺的商品" in page
    before = counts()
    response = client.post(f"/flash/{sale.id}/buy", data={
        "key": "m" * 24, "price_fen": "9900", "quantity": "1"})
    assert response.status_code == 409 and "自己店铺" in text(response)
    assert counts() == before


def test_a_buyer_without_an_address_is_asked_for_one(w, client):
    sale = open_sale(w)
    nobody = make.user("新买家")
    make.sign_in(client, nobody)
    page = text(client.get(f"/flash/{sale.id}"))
    assert "先添加收货地址" in page and f"next=/flash/{sale.id}" in page.replace("%2F", "/")
    before = counts()
    response = client.post(f"/flash/{sale.id}/buy", data={
        "key": "n" * 24, "price_fen": "9900", "quantity": "1"})
    assert response.status_code == 400 and "请先添加收货地址" in text(response)
    assert counts() == before


def test_unknown_sales_csrf_and_anonymous_buyers(w, client, make_client):
    sale = open_sale(w)
    assert client.post("/flash/999999/buy", data={"quantity": "1"}).status_code in (302, 404)
    make.sign_in(client, w.buyer)
    assert client.post("/flash/999999/buy", data={"quantity": "1"}).status_code == 404
    before = counts()
    no_csrf = client.post(f"/flash/{sale.id}/buy", data={
        "key": "c" * 24, "price_fen": "9900", "quantity": "1"}, csrf=False)
    assert no_csrf.status_code == 400
    anonymous = make_client().post(f"/flash/{sale.id}/buy", data={
        "key": "a" * 24, "price_fen": "9900", "quantity": "1"})
    assert anonymous.status_code == 302 and "/signin" in anonymous.headers["Location"]
    assert client.post(f"/flash/{sale.id}/buy", json={"quantity": 1},
                       csrf=False).status_code in (400, 415)
    assert counts() == before


def test_the_buy_endpoint_is_rate_limited_per_buyer(w, client, app):
    sale = open_sale(w)
    make.sign_in(client, w.buyer)
    app.config["RATELIMIT_FLASH"] = "3 per minute"
    try:
        statuses = [client.post(f"/flash/{sale.id}/buy", data={
            "key": "r" * 24, "price_fen": "1", "quantity": "1"}).status_code for _ in range(5)]
    finally:
        app.config["RATELIMIT_FLASH"] = "20 per minute"
    assert statuses[:3] == [400, 400, 400] and statuses[3:] == [429, 429]


def test_a_cart_checkout_during_the_sale_gets_the_flash_price_within_the_limit(w, ctx):
    sale = open_sale(w, limit=1)
    first = make.order(w.buyer, w.bangle)
    assert first.lines[0].unit_price_fen == 9900
    second = make.order(w.buyer, w.bangle)  # beyond the limit: the list price
    assert second.lines[0].unit_price_fen == 128000
    assert fresh(FlashSale, sale.id).sold == 1
    assert db.session.scalar(select(func.count()).select_from(FlashClaim)) == 1
    assert db.session.scalar(select(func.count()).select_from(OrderLine).where(
        OrderLine.price_source == "flash_sale")) == 1


def test_a_page_reload_with_javascript_off_shows_the_true_state(w, client):
    sale = sale_row(w.shop, w.bangle, starts_in=timedelta(seconds=5))
    make.sign_in(client, w.buyer)
    assert "立即抢购" not in text(client.get(f"/flash/{sale.id}"))
    clock.travel(timedelta(seconds=6))
    page = text(client.get(f"/flash/{sale.id}"))
    assert "立即抢购" in page and "刷新" in page  # the refresh link, shown without JS


# --- the Redis gate ---------------------------------------------------------------------------

@pytest.fixture
def redis_gate(app, redis_url):
    """The Redis gate on, with keys under a prefix of this test's own (nothing else in that
    Redis database is touched)."""
    import secrets

    import redis

    url = redis_url
    client = redis.Redis.from_url(url)
    saved = app.config["CACHE_KEY_PREFIX"], app.config["GATE_LEASE_SECONDS"]
    prefix = f"yt-test-{secrets.token_hex(6)}:"
    # leases far longer than a test on a busy machine (the lapse test sets its own)
    app.config.update(REDIS_URL=url, CACHE_KEY_PREFIX=prefix, GATE_LEASE_SECONDS=120)
    app.extensions.pop("flash_gate", None)
    yield client
    app.config.update(REDIS_URL=None, CACHE_KEY_PREFIX=saved[0], GATE_LEASE_SECONDS=saved[1])
    app.extensions.pop("flash_gate", None)
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)


def test_the_gate_answers_sold_out_before_the_database(w, redis_gate, ctx):
    from app.flash import gate as flash_gate

    sale = open_sale(w, quantity=2, limit=1)
    first, _lease = flash_gate.admit(sale, 1, 1)
    assert first == flash_gate.ADMITTED
    assert flash_gate.admit(sale, 1, 1) == (flash_gate.OVER_LIMIT, None)
    second, lease = flash_gate.admit(sale, 2, 1)
    assert second == flash_gate.ADMITTED and lease
    assert flash_gate.admit(sale, 3, 1) == (flash_gate.SOLD_OUT, None)
    flash_gate.release(sale, lease)  # the database refused buyer 2: the unit is back
    flash_gate.release(sale, lease)  # once
    assert flash_gate.admit(sale, 3, 1)[0] == flash_gate.ADMITTED
    assert flash_gate.admit(sale, 4, 1)[0] == flash_gate.SOLD_OUT


def test_an_admission_that_is_never_committed_lapses(w, redis_gate, ctx, app):
    """Issue 17 part 5: a worker killed between admission and commit strands nothing for
    longer than the lease; a lease that lapses before its order commits is taken again."""
    import time

    from app.flash import gate as flash_gate

    app.config["GATE_LEASE_SECONDS"] = 0.3
    try:
        sale = open_sale(w, quantity=2, limit=2)
        assert flash_gate.admit(sale, 1, 2)[0] == flash_gate.ADMITTED  # then the worker died
        assert flash_gate.admit(sale, 2, 1)[0] == flash_gate.SOLD_OUT
        time.sleep(0.4)
        answer, slow = flash_gate.admit(sale, 2, 1)  # the dead worker's units are back
        assert answer == flash_gate.ADMITTED
        assert flash_gate.admit(sale, 1, 2)[0] == flash_gate.SOLD_OUT  # 1 left, not 2
        time.sleep(0.4)  # buyer 2's placement is slow: its lease lapses, then it commits
        flash_gate.commit(sale, slow)
        assert flash_gate.admit(sale, 3, 2)[0] == flash_gate.SOLD_OUT  # 1 left: not 2
        assert flash_gate.admit(sale, 3, 1)[0] == flash_gate.ADMITTED
        assert flash_gate.admit(sale, 4, 1)[0] == flash_gate.SOLD_OUT
    finally:
        app.config["GATE_LEASE_SECONDS"] = 120


def test_with_the_gate_a_buyer_still_gets_a_real_order(w, redis_gate, client):
    sale = open_sale(w, quantity=1)
    make.sign_in(client, w.buyer)
    response = client.post(f"/flash/{sale.id}/buy", data=buy_form(
        text(client.get(f"/flash/{sale.id}"))))
    assert response.status_code == 303
    assert fresh(FlashSale, sale.id).sold == 1
    # once the answer is sent (the server closes the response), the order's lease is
    # committed: no live lease left behind
    response.close()
    leases = f"{flash_gate_prefix()}flash:{sale.id}:{sale.version}:leases"
    assert redis_gate.zcard(leases) == 0


def flash_gate_prefix() -> str:
    from flask import current_app

    return current_app.config["CACHE_KEY_PREFIX"]


def test_reconcile_tops_up_a_counter_left_low(w, redis_gate, ctx):
    from app.flash import gate as flash_gate

    sale = open_sale(w, quantity=2, limit=2)
    assert flash_gate.admit(sale, 1, 1)[0] == flash_gate.ADMITTED  # a live lease
    left_key = f"{flash_gate_prefix()}flash:{sale.id}:{sale.version}:left"
    redis_gate.set(left_key, 0)  # e.g. a cancelled order's give-back was lost
    assert flash_gate.admit(sale, 2, 1)[0] == flash_gate.SOLD_OUT
    assert flash.reconcile_gates() == 1  # up to 2 left in the database, less 1 leased
    assert flash_gate.admit(sale, 2, 1)[0] == flash_gate.ADMITTED
    assert flash_gate.admit(sale, 3, 1)[0] == flash_gate.SOLD_OUT


# --- the fast path: refusals without the database ------------------------------------------

def test_presses_on_a_sold_out_sale_are_refused_without_a_query(w, client, app):
    from sqlalchemy import event

    sale = open_sale(w, quantity=1, sold=1)
    make.sign_in(client, w.buyer)
    form = {"key": "s" * 24, "price_fen": "9900", "quantity": "1"}
    app.config["FLASH_TICKET_SECONDS"] = 5.0
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    sale_id = sale.id
    url = f"/flash/{sale_id}/buy"
    try:
        first = client.post(url, data=form)  # reads the ticket once
        event.listen(db.engine, "before_cursor_execute", count)
        second = client.post(url, data=form)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
        app.config["FLASH_TICKET_SECONDS"] = 0.0
        flash_buy.forget_ticket(sale_id)
    assert first.status_code == second.status_code == 409
    assert "已抢光" in text(second) and f'href="/flash/{sale_id}"' in text(second)
    assert statements == []  # no account lookup, no sale read, no write


def test_a_refusal_page_is_in_the_buyers_language(w, client):
    """Refusal pages are rendered once per sale, message and language: each language gets its own."""
    sale = open_sale(w, quantity=1, sold=1)
    make.sign_in(client, w.buyer)
    form = {"key": "s" * 24, "price_fen": "9900", "quantity": "1"}
    chinese = client.post(f"/flash/{sale.id}/buy", data=form)
    client.set_cookie(LOCALE_COOKIE, "en")
    english = client.post(f"/flash/{sale.id}/buy", data=form)
    assert chinese.status_code == english.status_code == 409
    assert "已抢光" in text(chinese) and 'lang="zh' in text(chinese)
    assert "已抢光" not in text(english) and 'lang="en"' in text(english)


def test_a_cancel_is_seen_at_once_by_the_process_that_cancelled(w, client, app):
    sale = open_sale(w)
    make.sign_in(client, w.buyer)
    app.config["FLASH_TICKET_SECONDS"] = 60.0
    try:
        flash_buy.sale_ticket(sale.id)
        flash.cancel_flash_sale(w.owner, sale.id)
        response = client.post(f"/flash/{sale.id}/buy", data={
            "key": "z" * 24, "price_fen": "9900", "quantity": "1"})
    finally:
        app.config["FLASH_TICKET_SECONDS"] = 0.0
        flash_buy.forget_ticket(sale.id)
    assert response.status_code == 409 and "秒杀已取消" in text(response)


def test_a_sale_may_belong_to_a_campaign_and_links_its_venue(w, client):
    campaign = make.campaign("116-flash")
    make.sign_in(client, w.owner)
    assert "116卖货王" in text(client.get("/sell/flash/new"))
    form = schedule_form(w.bangle.id, campaign=str(campaign.id))
    outsider = client.post("/sell/flash/new", data=form)  # the shop hasn't been approved
    assert outsider.status_code == 400 and "通过这个活动的报名后" in text(outsider)
    assert db.session.scalar(select(func.count()).select_from(FlashSale)) == 0
    make.registration(campaign, w.bangle.merchant)
    response = client.post("/sell/flash/new", data=form)
    assert response.status_code == 303
    sale = db.session.scalar(select(FlashSale))
    assert sale.campaign_id == campaign.id
    assert "/campaigns/116-flash" in text(client.get(f"/flash/{sale.id}"))
    venue = text(client.get("/campaigns/116-flash"))
    assert f'id="flash-panel-{sale.id}"' in venue and "直播秒杀" in venue
    bad = client.post("/sell/flash/new", data=schedule_form(w.bangle.id, campaign="999999"))
    assert bad.status_code == 400 and "请选择进行中或即将开始的活动" in text(bad)


# --- units of cancelled or expired orders go back ---------------------------------------------

def test_a_cancelled_unpaid_flash_order_gives_its_unit_back_once(w, client, make_client):
    from app.orders import orders

    sale = open_sale(w, quantity=1)
    make.sign_in(client, w.buyer)
    assert client.post(f"/flash/{sale.id}/buy", data=buy_form(
        text(client.get(f"/flash/{sale.id}")))).status_code == 303
    order = db.session.scalar(select(Order))
    assert "已抢光" in text(client.get(f"/flash/{sale.id}"))
    assert flash_buy.release_cancelled() == 0  # awaiting payment: still held
    orders.cancel_by_buyer(w.buyer, order.id, "拍错了")
    assert flash_buy.release_cancelled() == 1
    assert flash_buy.release_cancelled() == 0  # once
    assert fresh(FlashSale, sale.id).sold == 0
    assert db.session.scalar(select(func.count()).select_from(FlashClaim)) == 0
    assert fresh(Product, w.bangle.id).stock == 10
    other = make.user("第二个买家")
    make.address(other)
    second = make_client()
    make.sign_in(second, other)
    assert second.post(f"/flash/{sale.id}/buy", data=buy_form(
        text(second.get(f"/flash/{sale.id}")))).status_code == 303
    assert fresh(FlashSale, sale.id).sold == 1


def test_an_order_left_unpaid_past_its_deadline_gives_its_unit_back(w, ctx):
    from app.orders import orders

    sale = open_sale(w, quantity=2, limit=2)
    make.order(w.buyer, w.bangle, method="sandbox")            # flash price, never paid
    paid = make.order(w.buyer, w.bangle, method="sandbox")
    orders.pay_checkout(w.buyer, paid.checkout_id, "sandbox")  # paid: keeps its unit
    assert fresh(FlashSale, sale.id).sold == 2
    clock.travel(timedelta(minutes=16))  # past the 15-minute payment deadline
    assert flash_buy.release_cancelled() == 1
    assert fresh(FlashSale, sale.id).sold == 1
    assert flash_buy.claimed(sale.id, w.buyer.id) == 1
