"""Anchor coupons: a merchant creates them, buyers grab them in the live room into their
wallet, and checkout applies the best shop + platform pair, spending each copy once."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app import clock
from app.campaigns import stacking
from app.campaigns.models import Coupon, CouponClaim
from app.extensions import db
from app.orders.models import Order, OrderDiscount
from tests import factories as make
from tests.campaigns.helpers import HX, checkout_form, count, page, refreshed


@pytest.fixture
def shop(ctx):
    return make.merchant("玉匠人", certified=True)


@pytest.fixture
def bangle(shop):
    return make.product(shop, "冰种飘花翡翠手镯", price_fen=30000, stock=20)


def coupon_form(**overrides) -> dict:
    now = clock.now().astimezone(clock.SHANGHAI)
    form = {"kind": "threshold", "title": "直播间专享", "amount": "20", "threshold": "200",
            "quantity": "100", "per_user_limit": "2",
            "valid_from": (now - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"),
            "valid_until": (now + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")}
    form.update(overrides)
    return form


# --- merchants create coupons -------------------------------------------------------------

def test_a_merchant_creates_a_threshold_coupon_that_shows_in_the_live_room(client, shop, bangle):
    room = make.live_room(shop, goods=[bangle])
    make.sign_in(client, shop.owner)
    response = client.post("/sell/coupons", data=coupon_form())
    assert response.status_code == 303
    coupon = db.session.scalar(select(Coupon))
    assert (coupon.funded_by, coupon.kind, coupon.amount_fen, coupon.threshold_fen) == (
        "shop", "threshold", 2000, 20000)
    assert (coupon.quantity, coupon.remaining, coupon.per_user_limit) == (100, 100, 2)
    assert coupon.merchant_id == shop.id
    listing = page(client.get("/sell/coupons"))
    assert "直播间专享" in listing and "0 / 100" in listing

    buyer_client = client.application.test_client()
    text = page(buyer_client.get(f"/live/{room.id}"))
    assert "直播间优惠券" in text and "直播间专享" in text and "满 ¥200.00 可用" in text


@pytest.mark.parametrize("overrides, message", [
    ({"threshold": "20"}, "满减券的门槛要高于优惠金额。"),
    ({"amount": "0"}, "请填写优惠金额（大于 0）。"),
    ({"amount": "abc"}, "请填写优惠金额（大于 0）。"),
    ({"quantity": "0"}, "发放数量在 1 到 1000000 张之间。"),
    ({"quantity": "-5"}, "发放数量在 1 到 1000000 张之间。"),
    ({"per_user_limit": "11"}, "每人限领 1 到 10 张。"),
    ({"kind": "free_order"}, "请选择优惠券类型：立减或满减。"),
    ({"valid_until": "2020-01-01T00:00", "valid_from": "2019-01-01T00:00"},
     "有效期的结束时间已经过去了。"),
    ({"valid_until": "not a time"}, "请填写有效期的开始和结束时间。"),
])
def test_bad_coupon_forms_are_refused_with_the_typed_values_kept(client, shop, overrides, message):
    make.sign_in(client, shop.owner)
    response = client.post("/sell/coupons", data=coupon_form(**overrides))
    assert response.status_code == 400
    text = page(response)
    assert message in text and "直播间专享" in text
    assert count(Coupon) == 0


def test_only_merchants_create_and_withdraw_their_own_coupons(client, shop):
    buyer = make.user("老铁")
    make.sign_in(client, buyer)
    assert client.post("/sell/coupons", data=coupon_form()).status_code == 403
    assert count(Coupon) == 0
    other = make.merchant("四会玉器", belt_slug="sihui-jade")
    theirs = make.coupon(other)
    make.sign_in(client, shop.owner)
    assert client.post(f"/sell/coupons/{theirs.id}/withdraw").status_code == 404
    assert refreshed(Coupon, theirs.id).remaining == 100
    anonymous = client.application.test_client()
    assert anonymous.post("/sell/coupons", data=coupon_form()).status_code in (302, 303)
    assert anonymous.post("/sell/coupons", data=coupon_form(), csrf=False).status_code == 400
    assert count(Coupon) == 1


def test_withdrawing_stops_grabs_but_keeps_copies_usable(client, shop):
    coupon = make.coupon(shop, quantity=10)
    buyer = make.user()
    make.wallet_copy(buyer, coupon)
    make.sign_in(client, shop.owner)
    assert client.post(f"/sell/coupons/{coupon.id}/withdraw").status_code == 303
    assert refreshed(Coupon, coupon.id).remaining == 0
    assert refreshed(CouponClaim, 1).status == "unused"


# --- buyers grab them ------------------------------------------------------------------------

def test_a_buyer_grabs_a_coupon_with_one_tap_and_finds_it_in_the_wallet(client, shop, bangle):
    room = make.live_room(shop, goods=[bangle])
    coupon = make.coupon(shop, amount_fen=1000, quantity=5, title="主播福利券")
    buyer = make.user("老铁")
    make.sign_in(client, buyer)
    assert "领取" in page(client.get(f"/live/{room.id}"))

    response = client.post(f"/coupons/{coupon.id}/grab", data={"next": f"/live/{room.id}"},
                           headers=HX)
    assert response.status_code == 200
    card = page(response)
    assert "领取成功" in card and "已领取" in card and f'id="coupon-{coupon.id}"' in card
    assert "<html" not in card  # the fragment only
    assert refreshed(Coupon, coupon.id).remaining == 4
    wallet = page(client.get("/coupons"))
    assert "主播福利券" in wallet and "玉匠人" in wallet and "去使用" in wallet


def test_without_javascript_a_grab_redirects_back_to_the_room(client, shop):
    room = make.live_room(shop)
    coupon = make.coupon(shop)
    make.sign_in(client, make.user())
    response = client.post(f"/coupons/{coupon.id}/grab", data={"next": f"/live/{room.id}"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/live/{room.id}")
    assert "已领取" in page(client.get(f"/live/{room.id}"))


def test_a_second_grab_over_the_per_user_limit_is_refused(client, shop):
    coupon = make.coupon(shop, per_user_limit=1)
    make.sign_in(client, make.user())
    assert client.post(f"/coupons/{coupon.id}/grab").status_code == 303
    response = client.post(f"/coupons/{coupon.id}/grab", headers=HX)
    assert response.status_code == 409
    assert "每人限领 1 张，你已经领过了。" in page(response)
    assert count(CouponClaim) == 1 and refreshed(Coupon, coupon.id).remaining == 99


def test_a_grab_after_the_coupons_are_gone_says_sold_out_without_touching_the_row(client, shop):
    coupon = make.coupon(shop, quantity=1)
    make.wallet_copy(make.user(), coupon)
    db.session.execute(Coupon.__table__.update().values(remaining=0))
    db.session.commit()
    make.sign_in(client, make.user())
    statements = []
    from sqlalchemy import event

    def watch(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", watch)
    try:
        response = client.post(f"/coupons/{coupon.id}/grab")
    finally:
        event.remove(db.engine, "before_cursor_execute", watch)
    assert response.status_code == 409 and "手慢了，优惠券已抢光。" in page(response)
    assert not [s for s in statements if s.lstrip().upper().startswith(("UPDATE COUPONS",
                                                                        "INSERT INTO COUPON"))]
    assert count(CouponClaim) == 1


def test_expired_and_not_yet_open_coupons_cannot_be_grabbed(client, shop):
    now = clock.now()
    expired = make.coupon(shop, valid_from=now - timedelta(days=3), valid_until=now - timedelta(hours=1))
    early = make.coupon(shop, valid_from=now + timedelta(hours=1), valid_until=now + timedelta(days=1))
    make.sign_in(client, make.user())
    gone = client.post(f"/coupons/{expired.id}/grab")
    assert gone.status_code == 409 and "这张优惠券已过期。" in page(gone)
    soon = client.post(f"/coupons/{early.id}/grab")
    assert soon.status_code == 409 and "这张优惠券还没开始领取。" in page(soon)
    assert client.post("/coupons/99999/grab").status_code == 404
    assert count(CouponClaim) == 0


def test_merchants_cannot_grab_their_own_coupons_and_strangers_must_sign_in(client, shop):
    coupon = make.coupon(shop)
    anonymous = client.application.test_client()
    response = anonymous.post(f"/coupons/{coupon.id}/grab")
    assert response.status_code == 303 and "/signin" in response.headers["Location"]
    assert anonymous.post(f"/coupons/{coupon.id}/grab", headers=HX).status_code == 401
    assert anonymous.post(f"/coupons/{coupon.id}/grab", csrf=False).status_code == 400
    make.sign_in(client, shop.owner)
    own = client.post(f"/coupons/{coupon.id}/grab")
    assert own.status_code == 403 and "不能领取自己店铺的优惠券。" in page(own)
    assert count(CouponClaim) == 0


def test_raffle_coupons_are_not_grabbable(client, shop):
    won = make.coupon(None, kind="free_order", cap_fen=66600, source="raffle")
    make.sign_in(client, make.user())
    assert client.post(f"/coupons/{won.id}/grab").status_code == 404


# --- checkout stacking ------------------------------------------------------------------------

def buy(client, product, quantity=1):
    """Buy now. A second buy of the same goods means it: the "order again?" is confirmed."""
    form = checkout_form(client, f"?product_id={product.id}&quantity={quantity}")
    return form, client.post("/checkout", data=form | {"repeat_confirmed": "1"})


def test_checkout_applies_the_best_shop_and_platform_coupons_line_by_line(client, shop, bangle):
    buyer = make.user("老铁")
    make.address(buyer)
    small = make.coupon(shop, amount_fen=500, title="小券")
    better = make.coupon(shop, kind="threshold", amount_fen=3000, threshold_fen=50000, title="满减券")
    free = make.coupon(None, kind="reduce", amount_fen=10000, title="平台立减")
    for c in (small, better, free):
        make.wallet_copy(buyer, c)
    make.sign_in(client, buyer)

    preview = page(client.get(f"/checkout?product_id={bangle.id}&quantity=2"))  # ¥600
    assert "店铺券 · 满 ¥500.00 减 ¥30.00" in preview and "-¥30.00" in preview
    assert "平台券 · 立减 ¥100.00" in preview and "-¥100.00" in preview
    form, response = buy(client, bangle, 2)
    assert form["expected_total"] == "47000"
    assert response.status_code == 303
    order = db.session.scalar(select(Order))
    assert (order.items_total_fen, order.discount_fen, order.pay_fen) == (60000, 13000, 47000)
    assert order.shop_discount_fen == 3000
    lines = [(d.kind, d.funded_by, d.amount_fen) for d in
             db.session.scalars(select(OrderDiscount).order_by(OrderDiscount.id))]
    assert lines == [("shop_coupon", "shop", 3000), ("platform_coupon", "platform", 10000)]
    statuses = {c.coupon_id: (c.status, c.order_id) for c in db.session.scalars(select(CouponClaim))}
    assert statuses == {small.id: ("unused", None), better.id: ("used", order.id),
                        free.id: ("used", order.id)}
    detail = page(client.get(f"/orders/{order.id}"))
    assert "店铺券 · 满 ¥500.00 减 ¥30.00" in detail and "平台券 · 立减 ¥100.00" in detail


def test_a_free_order_coupon_is_capped_at_666(client, shop):
    vase = make.product(shop, "翡翠摆件", price_fen=100000, stock=3)
    buyer = make.user()
    make.address(buyer)
    make.wallet_copy(buyer, make.coupon(None, kind="free_order", cap_fen=66600, source="raffle"))
    make.sign_in(client, buyer)
    _form, response = buy(client, vase)
    assert response.status_code == 303
    order = db.session.scalar(select(Order))
    assert (order.discount_fen, order.pay_fen) == (66600, 100000 - 66600)
    assert "平台券 · 免单（最高 ¥666.00）" in page(client.get(f"/orders/{order.id}"))


def test_threshold_not_reached_foreign_and_expired_coupons_do_not_apply(client, shop, bangle):
    buyer = make.user()
    make.address(buyer)
    other = make.merchant("四会玉器", belt_slug="sihui-jade")
    now = clock.now()
    high = make.coupon(shop, kind="threshold", amount_fen=5000, threshold_fen=100000)
    foreign = make.coupon(other, amount_fen=9000)
    expired = make.coupon(shop, amount_fen=8000, valid_from=now - timedelta(days=2),
                          valid_until=now + timedelta(minutes=1))
    for c in (high, foreign, expired):
        make.wallet_copy(buyer, c)
    clock.freeze(now + timedelta(minutes=2))
    make.sign_in(client, buyer)
    form, response = buy(client, bangle)
    assert form["expected_total"] == "30000" and response.status_code == 303
    order = db.session.scalar(select(Order))
    assert order.discount_fen == 0 and count(OrderDiscount) == 0
    assert count(CouponClaim, CouponClaim.status == "used") == 0


def test_another_buyers_copy_is_never_applied(client, shop, bangle):
    owner = make.user("券主")
    make.wallet_copy(owner, make.coupon(shop, amount_fen=5000))
    buyer = make.user()
    make.address(buyer)
    make.sign_in(client, buyer)
    form, response = buy(client, bangle)
    assert form["expected_total"] == "30000" and response.status_code == 303
    assert count(CouponClaim, CouponClaim.status == "used") == 0
    assert not stacking.spend_claim(1, buyer.id, 1, clock.now())


def test_one_platform_copy_pays_for_one_shop_of_a_multi_shop_checkout(client, shop, bangle):
    other = make.merchant("四会玉器", belt_slug="sihui-jade")
    pendant = make.product(other, "玉白菜摆件", price_fen=20000, stock=5)
    buyer = make.user()
    make.address(buyer)
    make.wallet_copy(buyer, make.coupon(None, kind="reduce", amount_fen=1000, title="平台立减"))
    make.sign_in(client, buyer)
    client.post("/cart/add", data={"product_id": bangle.id, "quantity": "1"})
    client.post("/cart/add", data={"product_id": pendant.id, "quantity": "1"})
    form = checkout_form(client)
    assert form["expected_total"] == str(30000 + 20000 - 1000)
    assert client.post("/checkout", data=form).status_code == 303
    assert count(OrderDiscount) == 1
    assert count(CouponClaim, CouponClaim.status == "used") == 1


def test_a_used_copy_is_not_offered_again(client, shop, bangle):
    buyer = make.user()
    make.address(buyer)
    make.wallet_copy(buyer, make.coupon(shop, amount_fen=1000))
    make.sign_in(client, buyer)
    assert buy(client, bangle)[1].status_code == 303
    form, response = buy(client, bangle)
    assert form["expected_total"] == "30000" and response.status_code == 303
    assert count(OrderDiscount) == 1


def test_a_spent_copy_between_preview_and_submit_refuses_the_order(client, shop, bangle):
    buyer = make.user()
    make.address(buyer)
    claim = make.wallet_copy(buyer, make.coupon(shop, amount_fen=1000))
    make.sign_in(client, buyer)
    form = checkout_form(client, f"?product_id={bangle.id}&quantity=1")
    assert form["expected_total"] == "29000"
    db.session.execute(CouponClaim.__table__.update().values(status="used"))
    db.session.commit()
    response = client.post("/checkout", data=form)
    assert response.status_code == 409 and "订单金额有变化" in page(response)
    assert count(Order) == 0 and refreshed(CouponClaim, claim.id).order_id is None


def test_best_pair_prefers_keeping_bigger_coupons_when_the_saving_is_equal(ctx, shop, bangle):
    buyer = make.user()
    make.wallet_copy(buyer, make.coupon(shop, amount_fen=30000, title="大券"))
    make.wallet_copy(buyer, make.coupon(shop, amount_fen=50000, title="更大券"))
    from app.orders.pricing import price_order

    order = price_order(shop, [(bangle, 1)], buyer, clock.now())
    assert [(d.amount_fen, d.label) for d in order.discounts] == [(30000, "店铺券 · 立减 ¥300.00")]


def test_a_coupon_expiring_between_preview_and_submit_refuses_the_order(client, shop, bangle):
    buyer = make.user()
    make.address(buyer)
    now = clock.now()
    claim = make.wallet_copy(buyer, make.coupon(shop, amount_fen=1000,
                                                valid_until=now + timedelta(minutes=5)))
    make.sign_in(client, buyer)
    form = checkout_form(client, f"?product_id={bangle.id}&quantity=1")
    assert form["expected_total"] == "29000"
    clock.freeze(now + timedelta(minutes=6))
    response = client.post("/checkout", data=form)
    assert response.status_code == 409
    text = page(response)
    assert "订单金额有变化，请确认新的金额后再提交。" in text and "¥300.00" in text
    assert count(Order) == 0 and refreshed(CouponClaim, claim.id).status == "unused"
    assert refreshed(type(bangle), bangle.id).stock == 20
