"""Issue 14: after a failed form post a person's browser is not left on the POST URL (where a
reload posts again): it is redirected to the form's page, which shows the reason and keeps what
was typed (Post/Redirect/Get). A browser says it is navigating (Sec-Fetch-Mode: navigate);
htmx and other clients keep getting the 4xx answer in place."""
from __future__ import annotations

from datetime import timedelta

from app import clock
from app.orders.models import Order
from tests import factories as make
from tests.orders.helpers import page, refreshed

NAVIGATE = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}


def test_a_refused_shipment_redirects_to_the_order_keeping_what_was_typed(client, ctx):
    shop = make.merchant("玉匠人", certified=True)
    order = make.order(make.user(), make.product(shop))
    make.sign_in(client, shop.owner)
    response = client.post(f"/sell/orders/{order.id}/ship", headers=NAVIGATE,
                           data={"carrier": "顺丰速运", "tracking_number": "12<b>"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/sell/orders/{order.id}")
    shown = page(client.get(response.headers["Location"]))
    assert "快递单号应为 6–30 位字母或数字" in shown
    assert 'value="12&lt;b&gt;"' in shown  # typed, kept, escaped
    assert '<option selected value="顺丰速运">' in shown or 'value="顺丰速运" selected' in shown
    assert refreshed(Order, order.id).status == "awaiting_shipment"
    # kept for one showing only
    again = page(client.get(f"/sell/orders/{order.id}"))
    assert "快递单号应为" not in again and "12&lt;b&gt;" not in again


def test_a_shipment_clash_redirects_with_the_reason_on_top(client, ctx):
    shop = make.merchant("玉匠人", certified=True)
    item = make.product(shop, stock=3)
    order = make.order(make.user(), item)
    make.sign_in(client, shop.owner)
    ship = {"carrier": "中通快递", "tracking_number": "ZT1234567"}
    assert client.post(f"/sell/orders/{order.id}/ship", data=ship).status_code == 303
    response = client.post(f"/sell/orders/{order.id}/ship", headers=NAVIGATE,
                           data=ship | {"tracking_number": "ZT999999"})
    assert response.status_code == 303
    shown = page(client.get(response.headers["Location"]))
    assert "不能发货" in shown and "flash-error" in shown
    assert refreshed(Order, order.id).tracking_number == "ZT1234567"


def test_scripts_and_htmx_still_get_the_status_in_place(client, ctx):
    shop = make.merchant("玉匠人", certified=True)
    order = make.order(make.user(), make.product(shop))
    make.sign_in(client, shop.owner)
    bad = {"carrier": "顺丰速运", "tracking_number": "12"}
    assert client.post(f"/sell/orders/{order.id}/ship", data=bad).status_code == 400
    htmx = client.post(f"/sell/orders/{order.id}/ship", data=bad,
                       headers=NAVIGATE | {"HX-Request": "true"})
    assert htmx.status_code == 400


def test_a_refused_task_video_redirects_to_the_tasks_keeping_the_link(client, ctx):
    campaign = make.campaign("116-2026")
    clock.freeze(campaign.warmup_start + timedelta(hours=10))
    make.sign_in(client, make.user("老铁"))
    response = client.post("/campaigns/116-2026/tasks/video", headers=NAVIGATE,
                           data={"url": "https://v.kuaishou.com/abc123", "caption": "没有话题"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/campaigns/116-2026/tasks")
    shown = page(client.get(response.headers["Location"]))
    assert "https://v.kuaishou.com/abc123" in shown and "没有话题" in shown
    assert "视频要带上话题 #116卖货王" in shown and 'aria-invalid="true"' in shown


def test_a_refused_vote_goes_back_to_the_room_with_the_reason(client, ctx):
    campaign = make.campaign("116-2026")
    shop = make.merchant("玉匠人", certified=True)
    room = make.live_room(shop, title="玉匠人源头直播")
    make.registration(campaign, shop)
    clock.freeze(campaign.sale_start + timedelta(hours=1))  # tasks are over
    make.sign_in(client, make.user())
    response = client.post(f"/campaigns/116-2026/live/{room.id}/vote", headers=NAVIGATE,
                           data={"next": f"/live/{room.id}"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/live/{room.id}")
    assert "预热任务只在预热期开放。" in page(client.get(f"/live/{room.id}"))
