"""After placement: the buyer's orders and timeline, the merchant's order desk (ship, cancel,
refund), receipt (by hand or after N days), notifications, and the dashboard's count."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app import clock
from app.accounts.models import Notification
from app.catalog.models import Product
from app.exceptions import Conflict
from app.extensions import db
from app.orders import orders
from app.orders.models import Order, Payment
from app.orders.services import count_orders_for_merchant
from tests import factories as make
from tests.orders.helpers import count, page, refreshed


@pytest.fixture
def shop(ctx):
    return make.merchant("玉匠人", certified=True)


def notes_for(user_id: int) -> list[str]:
    return list(db.session.scalars(select(Notification.message)
                                   .where(Notification.user_id == user_id)
                                   .order_by(Notification.id)))


def test_the_merchant_ships_and_the_buyer_confirms(client, make_client, shop):
    item = make.product(shop, "冰种手镯", stock=3)
    buyer = make.user("老铁")
    order = make.order(buyer, item)
    desk = make_client()
    make.sign_in(desk, shop.owner)
    listing = page(desk.get("/sell/orders?tab=awaiting_shipment"))
    assert order.number in listing and "去发货" in listing
    response = desk.post(f"/sell/orders/{order.id}/ship",
                         data={"carrier": "顺丰速运", "tracking_number": "sf 1234 5678 90"})
    assert response.status_code == 303
    shipped = refreshed(Order, order.id)
    assert (shipped.status, shipped.carrier, shipped.tracking_number) == (
        "shipped", "顺丰速运", "SF1234567890")
    assert shipped.receive_deadline == shipped.shipped_at + timedelta(days=10)

    make.sign_in(client, buyer)
    detail = page(client.get(f"/orders/{order.id}"))
    assert "已发货" in detail and "SF1234567890" in detail and "确认收货" in detail
    assert "你的订单 %(number)s 已发货：%(carrier)s %(tracking)s。" in notes_for(buyer.id)
    assert client.post(f"/orders/{order.id}/confirm").status_code == 303
    done = refreshed(Order, order.id)
    assert done.status == "completed" and done.paid_at == done.completed_at  # cash handed over
    assert "订单 %(number)s 买家已确认收货。" in notes_for(shop.owner_id)
    text = page(client.get(f"/orders/{order.id}"))
    timeline = text[text.index('<ol class="timeline"'):text.index("</ol>")]
    assert timeline.index("待发货") < timeline.index("已发货") < timeline.index("已完成")
    assert 'aria-current="step"' in timeline


def test_an_order_ships_once_and_never_after_a_cancel(client, shop):
    item = make.product(shop, stock=3)
    order = make.order(make.user(), item)
    make.sign_in(client, shop.owner)
    ship = {"carrier": "中通快递", "tracking_number": "ZT1234567"}
    assert client.post(f"/sell/orders/{order.id}/ship", data=ship).status_code == 303
    again = client.post(f"/sell/orders/{order.id}/ship", data=ship | {"tracking_number": "ZT999999"})
    assert again.status_code == 409 and "不能发货" in page(again)
    assert refreshed(Order, order.id).tracking_number == "ZT1234567"

    other = make.order(make.user(), item)
    assert client.post(f"/sell/orders/{other.id}/cancel", data={"reason": "仓库缺货"}).status_code == 303
    assert refreshed(Product, item.id).stock == 2  # the cancelled unit came back
    late = client.post(f"/sell/orders/{other.id}/ship", data=ship)
    assert late.status_code == 409
    assert refreshed(Order, other.id).status == "cancelled"


@pytest.mark.parametrize("data,message", [
    ({"carrier": "", "tracking_number": "SF1234567"}, "请选择快递公司"),
    ({"carrier": "火箭快递", "tracking_number": "SF1234567"}, "请选择快递公司"),
    ({"carrier": "顺丰速运", "tracking_number": "12"}, "快递单号应为 6–30 位字母或数字"),
    ({"carrier": "顺丰速运", "tracking_number": "<script>1234</script>"}, "快递单号应为"),
])
def test_bad_shipments_are_refused_with_a_message(client, shop, data, message):
    order = make.order(make.user(), make.product(shop))
    make.sign_in(client, shop.owner)
    response = client.post(f"/sell/orders/{order.id}/ship", data=data)
    assert response.status_code == 400 and message in page(response)
    assert "<script>1234" not in page(response)
    assert refreshed(Order, order.id).status == "awaiting_shipment"


def test_a_paid_order_is_refunded_not_cancelled(client, shop):
    item = make.product(shop, price_fen=5000, stock=2)
    buyer = make.user()
    order = make.order(buyer, item, method="sandbox")
    orders.pay_checkout(buyer, order.checkout_id, "sandbox")
    make.sign_in(client, shop.owner)
    refused = client.post(f"/sell/orders/{order.id}/cancel", data={"reason": "不想卖了"})
    assert refused.status_code == 409 and "请退款" in page(refused)
    assert client.post(f"/sell/orders/{order.id}/refund", data={"reason": ""}).status_code == 400
    assert client.post(f"/sell/orders/{order.id}/refund", data={"reason": "缺货"}).status_code == 303
    refunded = refreshed(Order, order.id)
    assert refunded.status == "refunded" and refunded.refund_reason == "缺货"
    assert refreshed(Product, item.id).stock == 2  # refunded before shipping: back on the shelf
    assert [(p.kind, p.amount_fen) for p in db.session.scalars(select(Payment).order_by(Payment.id))] \
        == [("charge", 5000), ("refund", 5000)]
    assert client.post(f"/sell/orders/{order.id}/refund", data={"reason": "再退"}).status_code == 409
    assert "订单 %(number)s 已退款 %(amount)s：%(reason)s" in notes_for(buyer.id)


def test_refund_after_shipping_leaves_the_stock_alone(ctx, shop):
    item = make.product(shop, stock=2)
    buyer = make.user()
    order = make.order(buyer, item, method="sandbox")
    orders.pay_checkout(buyer, order.checkout_id, "sandbox")
    orders.ship_order(shop.owner, order.id, "顺丰速运", "SF12345678")
    orders.refund_order(shop.owner, order.id, "买家拒收")
    assert refreshed(Product, item.id).stock == 1


def test_the_buyer_cancels_an_unpaid_order_and_the_stock_returns(client, shop):
    item = make.product(shop, stock=1)
    buyer = make.user()
    order = make.order(buyer, item, method="sandbox")
    make.sign_in(client, buyer)
    assert client.post(f"/orders/{order.id}/cancel", data={"reason": "拍错了"}).status_code == 303
    assert refreshed(Order, order.id).status == "cancelled"
    assert refreshed(Product, item.id).stock == 1
    assert client.post(f"/orders/{order.id}/cancel").status_code == 409
    assert refreshed(Product, item.id).stock == 1  # given back once only
    assert "买家取消了订单 %(number)s。" in notes_for(shop.owner_id)


def test_shipped_orders_complete_themselves_after_n_days(client, app, shop):
    clock.freeze(datetime(2026, 11, 5, 2, 0, tzinfo=UTC))
    buyer = make.user()
    order = make.order(buyer, make.product(shop))
    orders.ship_order(shop.owner, order.id, "韵达快递", "YD12345678")
    clock.travel(timedelta(days=10))
    make.sign_in(client, buyer)
    assert "已完成" in page(client.get(f"/orders/{order.id}"))  # true before any job ran
    assert client.get(f"/orders/{order.id}/review").status_code == 200
    assert app.test_cli_runner().invoke(args=["tick"]).exit_code == 0
    done = refreshed(Order, order.id)
    assert done.status == "completed" and done.completed_at == done.receive_deadline
    assert orders.auto_confirm_orders() == 0


def test_the_buyers_list_filters_by_status_with_time_rules(client, shop):
    clock.freeze(datetime(2026, 11, 5, 2, 0, tzinfo=UTC))
    buyer = make.user()
    make.order(buyer, make.product(shop, "待付手镯"), method="sandbox")
    waiting = make.order(buyer, make.product(shop, "待发平安扣"))
    make.sign_in(client, buyer)
    pending = page(client.get("/orders?tab=pending_payment"))
    assert "待付手镯" in pending and "待发平安扣" not in pending
    clock.travel(timedelta(minutes=16))
    assert "待付手镯" not in page(client.get("/orders?tab=pending_payment"))
    assert "待付手镯" in page(client.get("/orders?tab=closed"))
    assert "待发平安扣" in page(client.get("/orders?tab=awaiting_shipment"))
    assert waiting.status == "awaiting_shipment"
    assert client.get("/orders?tab=nonsense&page=abc").status_code == 200


def test_count_orders_for_merchant_counts_placed_not_cancelled(ctx, shop):
    start = datetime(2026, 11, 1, tzinfo=UTC)
    clock.freeze(start + timedelta(hours=1))
    item = make.product(shop, stock=20)
    buyer = make.user()
    make.order(buyer, item)                                   # counted
    make.order(buyer, item, method="sandbox")                 # expires unpaid: not counted
    cancelled = make.order(buyer, item)                       # cancelled: not counted
    orders.cancel_by_merchant(shop.owner, cancelled.id, "缺货")
    clock.travel(timedelta(days=2))
    make.order(buyer, item)                                   # outside the window
    end = start + timedelta(days=1)
    assert count_orders_for_merchant(shop.id, start, end) == 1
    assert count_orders_for_merchant(shop.id, start, end + timedelta(days=5)) == 2
    other = make.merchant("别家")
    assert count_orders_for_merchant(other.id, start, end) == 0


def test_cancel_reason_is_required_and_bounded(client, shop):
    order = make.order(make.user(), make.product(shop))
    make.sign_in(client, shop.owner)
    assert client.post(f"/sell/orders/{order.id}/cancel", data={"reason": ""}).status_code == 400
    long = client.post(f"/sell/orders/{order.id}/cancel", data={"reason": "长" * 101})
    assert long.status_code == 400 and "不能超过 100 个字" in page(long)
    assert refreshed(Order, order.id).status == "awaiting_shipment"


def test_the_order_desk_needs_a_shop(client, ctx):
    make.sign_in(client, make.user())
    response = client.get("/sell/orders")
    assert response.status_code == 403 and "还没有开店" in page(response)


def test_a_late_payment_loses_to_the_timeout(ctx, shop):
    clock.freeze(datetime(2026, 11, 5, 2, 0, tzinfo=UTC))
    buyer = make.user()
    order = make.order(buyer, make.product(shop, stock=1), method="sandbox")
    clock.travel(timedelta(minutes=15))
    with pytest.raises(Conflict):
        orders.pay_checkout(buyer, order.checkout_id, "sandbox")
    assert count(Payment) == 0 and refreshed(Order, order.id).paid_at is None


def test_what_merchants_type_reaches_buyers_escaped(client, make_client, shop):
    buyer = make.user()
    order = make.order(buyer, make.product(shop))
    orders.cancel_by_merchant(shop.owner, order.id, "<script>alert(1)</script>缺货")
    make.sign_in(client, buyer)
    for path in ("/notifications", f"/orders/{order.id}"):
        text = page(client.get(path))
        assert "&lt;script&gt;alert(1)&lt;/script&gt;缺货" in text and "<script>alert" not in text
