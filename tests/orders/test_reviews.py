"""Reviews and DSR: once per completed order; a shop's rolling 180-day averages beside its
belt's, on the shop and product pages."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app import clock
from app.extensions import db
from app.orders import orders, reviews
from app.orders.models import Review
from tests import factories as make
from tests.orders.helpers import count, page


@pytest.fixture
def shop(ctx):
    return make.merchant("玉匠人", certified=True)


def completed_order(shop, buyer=None, title="冰种手镯"):
    buyer = buyer or make.user()
    order = make.order(buyer, make.product(shop, title))
    orders.ship_order(shop.owner, order.id, "顺丰速运", "SF12345678")
    orders.confirm_receipt(buyer, order.id)
    return order


def test_the_buyer_reviews_a_completed_order_once(client, shop):
    buyer = make.user("老铁")
    order = completed_order(shop, buyer)
    make.sign_in(client, buyer)
    form = page(client.get(f"/orders/{order.id}/review"))
    assert "描述相符" in form and "服务态度" in form and "物流服务" in form
    response = client.post(f"/orders/{order.id}/review", data={
        "description": "5", "service": "4", "logistics": "3", "text": "种水很好 <b>推荐</b>"})
    assert response.status_code == 303
    review = db.session.scalar(db.select(Review))
    assert (review.description, review.service, review.logistics) == (5, 4, 3)
    detail = page(client.get(f"/orders/{order.id}"))
    assert "种水很好 &lt;b&gt;推荐&lt;/b&gt;" in detail  # escaped, never markup
    again = client.post(f"/orders/{order.id}/review", data={
        "description": "1", "service": "1", "logistics": "1"})
    assert again.status_code == 409 and "只能评价一次" in page(again)
    assert count(Review) == 1


@pytest.mark.parametrize("data,field_message", [
    ({"description": "6", "service": "5", "logistics": "5"}, "请为每一项打 1–5 分"),
    ({"description": "0", "service": "5", "logistics": "5"}, "请为每一项打 1–5 分"),
    ({"description": "5", "service": "", "logistics": "5"}, "请为每一项打 1–5 分"),
    ({"description": "5", "service": "5", "logistics": "4.5"}, "请为每一项打 1–5 分"),
    ({"description": "5", "service": "5", "logistics": "5", "text": "字" * 501}, "不能超过 500 个字"),
])
def test_bad_reviews_are_refused(client, shop, data, field_message):
    buyer = make.user()
    order = completed_order(shop, buyer)
    make.sign_in(client, buyer)
    response = client.post(f"/orders/{order.id}/review", data=data)
    assert response.status_code == 400 and field_message in page(response)
    assert count(Review) == 0


def test_no_review_before_completion_nor_for_someone_elses_order(client, make_client, shop):
    buyer = make.user()
    waiting = make.order(buyer, make.product(shop))
    make.sign_in(client, buyer)
    stars = {"description": "5", "service": "5", "logistics": "5"}
    early = client.post(f"/orders/{waiting.id}/review", data=dict(stars))
    assert early.status_code == 409 and "确认收货后才能评价" in page(early)
    theirs = completed_order(shop)
    assert client.post(f"/orders/{theirs.id}/review", data=dict(stars)).status_code == 404
    merchant = make_client()
    make.sign_in(merchant, shop.owner)
    assert merchant.post(f"/orders/{theirs.id}/review", data=dict(stars)).status_code == 404
    assert count(Review) == 0


def test_dsr_is_the_180_day_average_compared_with_the_belt(client, shop):
    peer = make.merchant("镇平玉满堂")
    make.review(completed_order(peer), 3, 3, 3)
    old = completed_order(shop)
    make.review(old, 1, 1, 1)
    db.session.get(Review, old.review.id).created_at = clock.now() - timedelta(days=181)
    db.session.commit()
    make.review(completed_order(shop), 5, 4, 5)
    make.review(completed_order(shop), 4, 4, 3)
    summary = reviews.dsr_summary(shop)
    assert summary.count == 2
    assert [(ln.key, ln.value) for ln in summary.lines] == [
        ("description", 4.5), ("service", 4.0), ("logistics", 4.0)]
    # peers: every review of the belt in the window, this shop's included: (5+4+3)/3 = 4.0
    assert summary.lines[0].comparison == "高于同行 12.5%"
    assert summary.lines[1].comparison == "高于同行 9.1%"   # 4.0 vs (3+4+4)/3
    shop_page = page(client.get(f"/shops/{shop.id}"))
    assert "店铺评分" in shop_page and "4.50" in shop_page and "高于同行 12.5%" in shop_page
    assert "近 180 天 · 2 条评价" in shop_page
    product = make.product(shop, "新品手镯")
    assert "高于同行 12.5%" in page(client.get(f"/products/{product.id}"))
    assert "低于同行" in page(client.get(f"/shops/{peer.id}"))


def test_a_shop_without_a_belt_is_compared_with_its_industry(ctx):
    """Peers are the shops of the belt; a shop outside any belt is compared with its
    industry's shops (the jade shops of belts don't count for small commodities)."""
    loner = make.merchant("义乌小铺", belt_slug=None, industry_slug="small-commodities")
    neighbour = make.merchant("义乌百货", belt_slug=None, industry_slug="small-commodities")
    make.review(completed_order(loner, make.user("甲")), 5, 5, 5)
    make.review(completed_order(neighbour, make.user("乙")), 3, 3, 3)
    make.review(completed_order(make.merchant("镇平玉满堂"), make.user("丙")), 1, 1, 1)
    summary = reviews.dsr_summary(loner)
    assert summary.peer_scope == "industry" and summary.count == 1
    assert summary.lines[0].comparison == "高于同行 25.0%"  # 5 against (5 + 3) / 2


def test_a_shop_without_reviews_says_so(client, shop):
    assert "暂无评分" in page(client.get(f"/shops/{shop.id}"))
