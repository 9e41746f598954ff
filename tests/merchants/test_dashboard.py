"""The merchant's dashboard: my goods (standard add/edit forms through catalog.listing), my
certification, my certificates, and product-page views → orders split before and after
certification. Views are counted without a database write on the request path."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import clock
from app.catalog import listing
from app.catalog.models import Product
from app.extensions import db
from app.merchants import certification, lift, stats
from app.merchants.models import Merchant, ProductViewCount
from tests import factories as make
from tests.concurrency import race
from tests.merchants.conftest import photo


def page(response) -> str:
    return response.get_data(as_text=True)


def stored_views(merchant_id: int | None = None) -> int:
    query = select(func.coalesce(func.sum(ProductViewCount.views), 0))
    if merchant_id is not None:
        query = query.where(ProductViewCount.merchant_id == merchant_id)
    return db.session.scalar(query)


def reload(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


# --- goods ------------------------------------------------------------------------------

def test_the_merchant_lists_goods_with_photos_from_the_dashboard(cast):
    owner = cast.clients["owner"]
    assert "还没有商品" in page(owner.get("/my-shop"))
    form = page(owner.get("/my-shop/goods/new"))
    assert "手镯" in form  # categories of the shop's industry
    category = make.category("jade-bangle")
    response = owner.post("/my-shop/goods/new", data={
        "title": "冰种飘花翡翠手镯", "price": "1,280.50", "stock": "12",
        "category_id": str(category.id), "description": "圈口 56，附证书",
        "photos": [photo(name="1.jpg"), photo(make.jpeg_bytes(color=(1, 99, 9)), "2.png")]},
        content_type="multipart/form-data")
    assert response.status_code == 303
    product = db.session.scalar(select(Product))
    assert (product.price_fen, product.stock, len(product.photos)) == (128050, 12, 2)
    assert product.belt_id == cast.shop.belt_id and product.source_type == cast.shop.source_type
    dashboard = page(owner.get("/my-shop"))
    assert "冰种飘花翡翠手镯" in dashboard and f"/my-shop/goods/{product.id}/edit" in dashboard


@pytest.mark.parametrize("changes,message", [
    ({"title": ""}, "请填写商品标题"), ({"title": "题" * 61}, "标题不能超过 60 个字"),
    ({"price": "abc"}, "价格请填写金额"), ({"price": "-5"}, "价格请填写金额"),
    ({"stock": "1e9"}, "库存需为"), ({"stock": "-1"}, "库存需为"),
    ({"category_id": "99999"}, "未知的类目"),
])
def test_bad_goods_are_refused_beside_the_field(cast, changes, message):
    data = {"title": "冰种手镯", "price": "128", "stock": "3", "category_id": ""}
    data.update(changes)
    response = cast.clients["owner"].post("/my-shop/goods/new", data=data)
    assert response.status_code == 400 and message in page(response)
    assert db.session.scalar(select(func.count()).select_from(Product)) == 0


def test_a_non_image_photo_refuses_the_whole_listing(cast):
    response = cast.clients["owner"].post("/my-shop/goods/new", data={
        "title": "冰种手镯", "price": "128", "stock": "3",
        "photos": [photo(), photo(b"#!/bin/sh\nrm -rf /", "2.jpg")]},
        content_type="multipart/form-data")
    assert response.status_code == 400 and "这不是能识别的图片" in page(response)
    assert db.session.scalar(select(func.count()).select_from(Product)) == 0


def test_editing_goods_keeps_sales_made_while_the_form_was_open(cast):
    product = make.product(cast.shop, "冰种手镯", stock=10, price_fen=12800)
    owner = cast.clients["owner"]
    form = page(owner.get(f"/my-shop/goods/{product.id}/edit"))
    assert 'name="stock_seen" type="hidden" value="10"' in form or 'value="10"' in form
    assert listing.take_stock(product.id, 3)  # three sold while the merchant types
    db.session.commit()
    untouched = owner.post(f"/my-shop/goods/{product.id}/edit", data={
        "title": "冰种手镯 圈口56", "price": "138", "stock": "10", "stock_seen": "10",
        "category_id": ""})
    assert untouched.status_code == 303
    fresh = reload(Product, product.id)
    assert (fresh.title, fresh.price_fen, fresh.stock) == ("冰种手镯 圈口56", 13800, 7)
    added = owner.post(f"/my-shop/goods/{product.id}/edit", data={
        "title": "冰种手镯 圈口56", "price": "138", "stock": "15", "stock_seen": "10",
        "category_id": ""})
    assert added.status_code == 303
    assert reload(Product, product.id).stock == 12  # +5 on top of the 7 left


def test_taking_goods_off_the_shelf_and_back(cast):
    product = make.product(cast.shop, "冰种手镯")
    owner = cast.clients["owner"]
    assert owner.post(f"/my-shop/goods/{product.id}/shelf", data={"on": "0"}).status_code == 303
    assert reload(Product, product.id).status == "off_shelf"
    assert cast.clients["anonymous"].get(f"/products/{product.id}").status_code == 404
    assert owner.post(f"/my-shop/goods/{product.id}/shelf", data={"on": "1"}).status_code == 303
    assert reload(Product, product.id).status == "active"


def test_nobody_edits_another_shops_goods(cast):
    product = make.product(cast.shop, "冰种手镯", stock=10)
    other = cast.clients["other_merchant"]
    assert other.get(f"/my-shop/goods/{product.id}/edit").status_code == 403
    assert other.post(f"/my-shop/goods/{product.id}/edit", data={
        "title": "被改了", "price": "1", "stock": "0", "stock_seen": "10"}).status_code == 403
    assert other.post(f"/my-shop/goods/{product.id}/shelf", data={"on": "0"}).status_code == 403
    fresh = reload(Product, product.id)
    assert (fresh.title, fresh.stock, fresh.status) == ("冰种手镯", 10, "active")
    assert other.get("/my-shop/goods/999999/edit").status_code == 404


# --- counting views ------------------------------------------------------------------------

def test_a_product_view_writes_nothing_until_the_flush(cast, app):
    product = make.product(cast.shop, "冰种手镯")
    buyer = cast.clients["buyer"]
    for _ in range(3):
        assert buyer.get(f"/products/{product.id}").status_code == 200
    assert stored_views() == 0  # buffered, not written on the request path
    assert stats.flush_views() == 3
    assert stored_views(cast.shop.id) == 3
    assert stats.flush_views() == 0  # flushed once only


def test_owner_htmx_bot_and_missing_pages_are_not_counted(cast, app):
    product = make.product(cast.shop, "冰种手镯")
    cast.clients["owner"].get(f"/products/{product.id}")
    cast.clients["buyer"].get(f"/products/{product.id}", headers={"HX-Request": "true"})
    cast.clients["buyer"].get(f"/products/{product.id}",
                              headers={"User-Agent": "Mozilla/5.0 (compatible; Baiduspider/2.0)"})
    cast.clients["buyer"].get(f"/products/{product.id}", headers={"Sec-Purpose": "prefetch"})
    cast.clients["buyer"].get("/products/999999")
    cast.clients["buyer"].get(f"/shops/{cast.shop.id}")
    assert stats.flush_views() == 0


def test_the_tick_command_flushes_buffered_views(cast, app):
    product = make.product(cast.shop, "冰种手镯")
    cast.clients["buyer"].get(f"/products/{product.id}")
    result = app.test_cli_runner().invoke(args=["tick"])
    assert result.exit_code == 0 and "merchant_views=1" in result.output
    assert stored_views() == 1


def test_a_process_flushes_its_own_buffer_once_it_is_due(cast, app, monkeypatch):
    monkeypatch.setitem(app.config, "VIEW_FLUSH_SECONDS", 0)
    product = make.product(cast.shop, "冰种手镯")
    response = cast.clients["buyer"].get(f"/products/{product.id}")
    response.close()  # the server closes the response after sending it: then it flushes
    assert stored_views() == 1


@pytest.mark.concurrency
def test_several_workers_flushing_at_once_add_up(cast, app):
    """Each worker (thread here) has its own buffer of views for the same products and hours:
    flushing together adds up, nothing is lost or counted twice."""
    products = [make.product(cast.shop, f"手镯{i}").id for i in range(3)]
    merchant_id = cast.shop.id
    hour = int(stats.hour_of(clock.now()).timestamp())

    def worker(i):
        counts = Counter({(p, hour): 10 + i for p in products})
        return stats._write(counts)

    results = race(app, 8, worker)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert stored_views(merchant_id) == sum(3 * (10 + i) for i in range(8))
    assert db.session.scalar(select(func.count()).select_from(ProductViewCount)) == 3


# --- the conversion report ------------------------------------------------------------------

def test_the_orders_domain_counts_real_orders_on_the_dashboard(cast, ctx):
    from app.orders.orders import count_orders_for_merchant

    assert stats.current_order_counter() is count_orders_for_merchant
    buyer = make.user("老铁")
    make.order(buyer, (make.product(cast.shop, "贵妃镯", stock=5), 2))
    clock.travel(timedelta(minutes=1))
    report = lift.conversion(reload(Merchant, cast.shop.id))
    assert report.tracking_orders and report.before.orders == 1 and report.after is None


def test_without_an_order_counter_the_dashboard_says_orders_are_not_tracked(cast):
    stats.register_order_counter(None)  # the autouse fixture restores the orders domain's
    text = page(cast.clients["owner"].get("/my-shop"))
    assert "订单统计尚未接入" in text and "认证前" in text


def test_conversion_is_split_before_and_after_certification(cast, app, orders):
    start = clock.now()
    clock.freeze(start)
    product = make.product(cast.shop, "冰种手镯")
    for _ in range(200):
        stats.record_view(product.id)  # what 200 product-page views buffer
    orders.extend([(cast.shop.id, start + timedelta(minutes=5))] * 4)
    stats.flush_views()
    text = page(cast.clients["owner"].get("/my-shop"))
    assert "通过官方认证后，这里会对比" in text

    clock.travel(timedelta(days=2))
    application = make.application(cast.shop)
    certification.approve(cast.zhenping_admin, application.id)
    clock.travel(timedelta(hours=2))
    for _ in range(150):
        stats.record_view(product.id)
    orders.extend([(cast.shop.id, clock.now())] * 6)
    orders.append((cast.other_shop.id, clock.now()))  # someone else's order
    stats.flush_views()
    clock.travel(timedelta(minutes=1))

    report = lift.conversion(reload(Merchant, cast.shop.id))
    assert (report.before.views, report.before.orders) == (200, 4)
    assert (report.after.views, report.after.orders) == (150, 6)
    assert report.enough_data and report.uplift == pytest.approx((6 / 150) / (4 / 200) - 1)
    assert report.verdict == "unclear"  # 4/200 and 6/150: the 95 % intervals overlap
    text = page(cast.clients["owner"].get("/my-shop"))
    assert "差别还在误差范围内" in text and "按点估计+100%" in text
    assert "2.00%" in text and "4.00%" in text


def test_revocation_closes_the_certified_period(cast, orders):
    clock.freeze(clock.now())
    application = make.application(cast.shop)
    certification.approve(cast.zhenping_admin, application.id)
    orders.append((cast.shop.id, clock.now() + timedelta(hours=1)))
    clock.travel(timedelta(days=1))
    certification.revoke(cast.zhenping_admin, cast.shop.id, "抽检不合格，撤销认证")
    clock.travel(timedelta(hours=1))
    orders.append((cast.shop.id, clock.now()))
    clock.travel(timedelta(minutes=1))
    report = lift.conversion(reload(Merchant, cast.shop.id))
    assert report.after.orders == 1 and report.before.orders == 1


def test_a_failing_order_counter_does_not_break_the_dashboard(cast):
    def broken(merchant_id, start, end):
        raise RuntimeError("orders database down")

    stats.register_order_counter(broken)
    response = cast.clients["owner"].get("/my-shop")
    assert response.status_code == 200 and "订单数据暂时无法读取" in page(response)


# --- with Redis (several workers and hosts share the counts) --------------------------------

@pytest.fixture
def redis_views(app, monkeypatch, redis_url):
    """The app pointed at the tests' Redis (TEST_REDIS_URL), with keys of its own."""
    import uuid

    import redis

    url = redis_url
    client = redis.Redis.from_url(url, socket_connect_timeout=0.3)
    prefix = f"yt-test-{uuid.uuid4().hex[:8]}:"
    monkeypatch.setitem(app.config, "REDIS_URL", url)
    monkeypatch.setitem(app.config, "CACHE_KEY_PREFIX", prefix)
    app.extensions.pop("yt_view_redis", None)
    yield client, prefix
    for key in client.scan_iter(prefix + "*"):
        client.delete(key)
    app.extensions.pop("yt_view_redis", None)


def test_with_redis_views_are_shared_and_flushed_once(cast, app, redis_views):
    client, prefix = redis_views
    product = make.product(cast.shop, "冰种手镯")
    for _ in range(4):
        cast.clients["buyer"].get(f"/products/{product.id}")
    assert len(app.extensions["yt_view_buffer"]) == 0  # nothing held in this process
    assert sum(int(v) for v in client.hgetall(prefix + "views:pending").values()) == 4
    assert stored_views() == 0
    assert stats.flush_views() == 4
    assert stored_views(cast.shop.id) == 4 and not client.exists(prefix + "views:pending")
    assert list(client.scan_iter(prefix + "views:flushing:*")) == []
    assert stats.flush_views() == 0


@pytest.mark.concurrency
def test_with_redis_hosts_flushing_at_once_count_each_view_once(cast, app, redis_views):
    client, prefix = redis_views
    product_id, merchant_id = make.product(cast.shop, "冰种手镯").id, cast.shop.id
    total = 0
    for _ in range(5):  # views keep arriving while several hosts flush
        for _ in range(30):
            stats.record_view(product_id)
        total += 30
        race(app, 4, lambda i: stats.flush_views())
    assert stored_views(merchant_id) == total


def test_when_redis_is_down_views_fall_back_to_the_process(cast, app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    app.extensions.pop("yt_view_redis", None)
    try:
        product = make.product(cast.shop, "冰种手镯")
        assert cast.clients["buyer"].get(f"/products/{product.id}").status_code == 200
        assert len(app.extensions["yt_view_buffer"]) == 1
        assert stats.flush_views() == 1  # and the flush still writes them
    finally:
        app.extensions.pop("yt_view_redis", None)


def test_a_refused_stock_change_saves_nothing_else(cast):
    product = make.product(cast.shop, "冰种手镯", stock=10, price_fen=12800)
    assert listing.take_stock(product.id, 8)  # only 2 left after orders
    db.session.commit()
    response = cast.clients["owner"].post(f"/my-shop/goods/{product.id}/edit", data={
        "title": "新标题", "price": "999", "stock": "5", "stock_seen": "10"})  # -5 of 2 left
    assert response.status_code == 409 and "库存不足" in page(response)
    fresh = reload(Product, product.id)
    assert (fresh.title, fresh.price_fen, fresh.stock) == ("冰种手镯", 12800, 2)
    bad_photo = cast.clients["owner"].post(
        f"/my-shop/goods/{product.id}/edit",
        data={"title": "新标题", "price": "999", "stock": "12", "stock_seen": "2",
              "photos": photo(b"not a photo", "x.jpg")}, content_type="multipart/form-data")
    assert bad_photo.status_code == 400
    fresh = reload(Product, product.id)
    assert (fresh.title, fresh.stock) == ("冰种手镯", 2)


def test_a_page_served_from_a_cache_without_rendering_is_still_counted(cast, app, monkeypatch):
    """A shared page cache answers anonymous visitors without rendering the template: the
    view still counts (the shop is found at flush time, not from the rendered page)."""
    product = make.product(cast.shop, "冰种手镯")
    monkeypatch.setitem(app.view_functions, "catalog.product",
                        lambda product_id: ("<html>cached copy</html>", 200))
    assert cast.clients["anonymous"].get(f"/products/{product.id}").status_code == 200
    assert stats.flush_views() == 1 and stored_views(cast.shop.id) == 1
