"""The anchor runs the room from one page: go live and end, pin, reorder, stock and price.
Every action works as a plain form (303 back to the console) and through htmx (the console
swapped in place); a mistake comes back with a clear message and a 4xx, nothing changed; and
nobody but the room's own anchor can do any of it."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app import clock
from app.catalog.models import Product
from app.exceptions import PermissionDenied
from app.extensions import db
from app.live import console
from app.live.models import LiveRoom, LiveRoomItem
from tests import factories as make
from tests.live.conftest import htmx, signed_in


@pytest.fixture
def anchor(make_client, studio):
    return signed_in(make_client, studio.owner)


def cart(room) -> list[str]:
    db.session.expire_all()
    return [item.product.title for item in db.session.scalars(
        select(LiveRoomItem).where(LiveRoomItem.room_id == room.id)
        .order_by(LiveRoomItem.position))]


def state(room) -> tuple:
    """Everything an outsider must not be able to change."""
    db.session.expire_all()
    fresh = db.session.get(LiveRoom, room.id)
    goods = db.session.scalars(select(Product).order_by(Product.id)).all()
    return (fresh.status, fresh.title, fresh.pinned_product_id, fresh.version,
            fresh.stream_url, cart(room), [(p.id, p.stock, p.price_fen) for p in goods])


# --- going live ------------------------------------------------------------------------------

def test_the_anchor_goes_live_and_ends_with_plain_forms(anchor, studio):
    studio.room.status = "scheduled"
    db.session.commit()
    started = anchor.post(f"/live/{studio.room.id}/start")
    assert started.status_code == 303 and started.headers["Location"] == "/live/console"
    assert "已开播" in anchor.get("/live/console").get_data(as_text=True)
    assert db.session.get(LiveRoom, studio.room.id).status == "live"
    ended = anchor.post(f"/live/{studio.room.id}/end")
    assert ended.status_code == 303
    db.session.expire_all()
    room = db.session.get(LiveRoom, studio.room.id)
    assert (room.status, room.pinned_product_id) == ("ended", None)  # 讲解中 means now
    assert room.ended_at is not None


def test_going_live_twice_says_so(anchor, studio):
    answer = anchor.post(f"/live/{studio.room.id}/start", headers=htmx("console"))
    assert answer.status_code == 409
    assert "直播间已经在直播中" in answer.get_data(as_text=True)
    anchor.post(f"/live/{studio.room.id}/end")
    again = anchor.post(f"/live/{studio.room.id}/end")
    assert again.status_code == 409 and "直播间没有在直播" in again.get_data(as_text=True)


def test_htmx_actions_swap_the_console_in_place(anchor, studio):
    answer = anchor.post(f"/live/{studio.room.id}/end", headers=htmx("console"))
    body = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert body.lstrip().startswith('<div id="console"') and "<html" not in body
    assert "已下播" in body and ">开播</button>" in body


# --- pin, order, goods -------------------------------------------------------------------

def test_the_anchor_pins_and_unpins(anchor, studio):
    answer = anchor.post(f"/live/{studio.room.id}/pin", data={"product_id": studio.pendant.id},
                         headers=htmx("console"))
    assert answer.status_code == 200 and "已置顶讲解" in answer.get_data(as_text=True)
    assert db.session.get(LiveRoom, studio.room.id).pinned_product_id == studio.pendant.id
    anchor.post(f"/live/{studio.room.id}/unpin")
    db.session.expire_all()
    assert db.session.get(LiveRoom, studio.room.id).pinned_product_id is None


@pytest.mark.parametrize("product_id,status,message", [
    ("", 400, "请选择商品"),
    ("abc", 400, "请选择商品"),
    ("999", 404, "这件商品不在小黄车里"),
])
def test_pinning_something_not_in_the_cart_is_refused(anchor, studio, product_id, status,
                                                       message):
    before = state(studio.room)
    answer = anchor.post(f"/live/{studio.room.id}/pin", data={"product_id": product_id},
                         headers=htmx("console"))
    assert answer.status_code == status
    assert message in answer.get_data(as_text=True)
    assert state(studio.room) == before


def test_goods_taken_off_the_shelf_cannot_be_pinned(anchor, studio):
    studio.pendant.status = "off_shelf"
    db.session.commit()
    answer = anchor.post(f"/live/{studio.room.id}/pin", data={"product_id": studio.pendant.id})
    assert answer.status_code == 409 and "商品已下架" in answer.get_data(as_text=True)


def test_the_anchor_reorders_the_cart(anchor, studio):
    anchor.post(f"/live/{studio.room.id}/goods/{studio.bracelet.id}/move",
                data={"direction": "up"})
    assert cart(studio.room) == ["冰种飘花翡翠手镯", "和田玉手串", "独山玉平安扣吊坠"]
    anchor.post(f"/live/{studio.room.id}/goods/{studio.pendant.id}/move",
                data={"direction": "top"})
    assert cart(studio.room) == ["独山玉平安扣吊坠", "冰种飘花翡翠手镯", "和田玉手串"]
    anchor.post(f"/live/{studio.room.id}/goods/{studio.pendant.id}/move",
                data={"direction": "up"})  # already first: stays
    assert cart(studio.room)[0] == "独山玉平安扣吊坠"


def test_an_unknown_move_is_refused(anchor, studio):
    before = state(studio.room)
    answer = anchor.post(f"/live/{studio.room.id}/goods/{studio.pendant.id}/move",
                         data={"direction": "sideways"})
    assert answer.status_code == 400 and "未知的移动方向" in answer.get_data(as_text=True)
    assert state(studio.room) == before


def test_the_anchor_adds_shop_goods_at_the_end_and_removes_them(anchor, studio):
    ring = make.product(studio.shop, "翡翠戒指", category_slug="jade-pendant")
    anchor.post(f"/live/{studio.room.id}/goods", data={"product_id": ring.id})
    assert cart(studio.room)[-1] == "翡翠戒指"  # the numbers buyers heard stay the same
    twice = anchor.post(f"/live/{studio.room.id}/goods", data={"product_id": ring.id})
    assert twice.status_code == 409 and "已经在小黄车里" in twice.get_data(as_text=True)
    anchor.post(f"/live/{studio.room.id}/goods/{studio.bangle.id}/remove")
    assert cart(studio.room) == ["独山玉平安扣吊坠", "和田玉手串", "翡翠戒指"]
    room = db.session.get(LiveRoom, studio.room.id)
    assert room.pinned_product_id is None  # it was the pinned one
    assert [i.position for i in room.items] == [1, 2, 3]


def test_another_shops_goods_cannot_be_added(anchor, studio):
    rival = make.merchant("镇平玉满堂")
    theirs = make.product(rival, "别家的手镯")
    before = state(studio.room)
    answer = anchor.post(f"/live/{studio.room.id}/goods", data={"product_id": theirs.id})
    assert answer.status_code == 404 and "只能添加本店的商品" in answer.get_data(as_text=True)
    assert state(studio.room) == before


# --- stock and price --------------------------------------------------------------------------

def test_quick_stock_buttons_and_a_counted_stock(anchor, studio):
    anchor.post(f"/live/{studio.room.id}/goods/{studio.bangle.id}/stock", data={"delta": "-1"})
    anchor.post(f"/live/{studio.room.id}/goods/{studio.bangle.id}/stock", data={"delta": "10"})
    db.session.expire_all()
    assert db.session.get(Product, studio.bangle.id).stock == 14
    answer = anchor.post(f"/live/{studio.room.id}/goods/{studio.bangle.id}/stock",
                         data={"stock": "3"}, headers=htmx("console"))
    assert "冰种飘花翡翠手镯 库存现为 3 件" in answer.get_data(as_text=True)


def test_stock_never_goes_below_zero(anchor, studio):
    before = state(studio.room)
    answer = anchor.post(f"/live/{studio.room.id}/goods/{studio.bracelet.id}/stock",
                         data={"delta": "-1"})
    assert answer.status_code == 409 and "库存不足" in answer.get_data(as_text=True)
    assert state(studio.room) == before


@pytest.mark.parametrize("data,message", [
    ({"stock": "abc"}, "库存需为 0–1000000 的整数"),
    ({"stock": "-3"}, "库存需为 0–1000000 的整数"),
    ({"stock": "99999999"}, "库存需为 0–1000000 的整数"),
    ({"stock": ""}, "库存需为 0–1000000 的整数"),
    ({"delta": "0"}, "库存调整数量无效"),
    ({"delta": "lots"}, "库存调整数量无效"),
])
def test_bad_stock_is_refused_and_what_was_typed_stays(anchor, studio, data, message):
    before = state(studio.room)
    answer = anchor.post(f"/live/{studio.room.id}/goods/{studio.bangle.id}/stock", data=data,
                         headers=htmx("console"))
    body = answer.get_data(as_text=True)
    assert answer.status_code == 400 and message in body
    if "stock" in data and data["stock"]:
        assert f'value="{data["stock"]}"' in body and 'aria-invalid="true"' in body
    assert state(studio.room) == before


def test_the_anchor_changes_a_price(anchor, studio):
    anchor.post(f"/live/{studio.room.id}/goods/{studio.pendant.id}/price",
                data={"price": "¥158.5"})
    db.session.expire_all()
    assert db.session.get(Product, studio.pendant.id).price_fen == 15850


@pytest.mark.parametrize("raw,message", [
    ("", "请填写价格"),
    ("abc", "价格格式不正确"),
    ("0", "价格必须大于 0"),
    ("-5", "价格必须大于 0"),
    ("1.234", "价格最多保留两位小数"),
    ("99999999999", "价格太高了"),
])
def test_bad_prices_are_refused_and_what_was_typed_stays(anchor, studio, raw, message):
    before = state(studio.room)
    answer = anchor.post(f"/live/{studio.room.id}/goods/{studio.pendant.id}/price",
                         data={"price": raw})
    body = answer.get_data(as_text=True)
    assert answer.status_code == 400 and message in body
    assert f'value="{raw}"' in body
    assert state(studio.room) == before


def test_stock_of_goods_outside_the_room_is_not_the_consoles_business(anchor, studio):
    elsewhere = make.product(studio.shop, "未上车的摆件", stock=4)
    answer = anchor.post(f"/live/{studio.room.id}/goods/{elsewhere.id}/stock",
                         data={"delta": "-1"})
    assert answer.status_code == 404
    assert "这件商品不在小黄车里" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Product, elsewhere.id).stock == 4


# --- settings and opening a room ---------------------------------------------------------------

def test_the_anchor_sets_title_start_and_stream(anchor, studio):
    start = (clock.now() + timedelta(days=1)).astimezone(clock.SHANGHAI)
    answer = anchor.post(f"/live/{studio.room.id}/settings", data={
        "title": "镇平夜场", "scheduled_start": start.strftime("%Y-%m-%dT%H:%M"),
        "stream_url": "https://live.example.cn/a.m3u8"})
    assert answer.status_code == 303
    db.session.expire_all()
    room = db.session.get(LiveRoom, studio.room.id)
    assert room.title == "镇平夜场" and room.stream_url == "https://live.example.cn/a.m3u8"
    assert room.scheduled_start == start.replace(second=0, microsecond=0)


def test_an_ended_room_with_a_new_start_is_announced_again(anchor, studio):
    anchor.post(f"/live/{studio.room.id}/end")
    start = (clock.now() + timedelta(hours=5)).astimezone(clock.SHANGHAI)
    anchor.post(f"/live/{studio.room.id}/settings", data={
        "title": "明晚见", "scheduled_start": start.strftime("%Y-%m-%dT%H:%M")})
    db.session.expire_all()
    assert db.session.get(LiveRoom, studio.room.id).status == "scheduled"


@pytest.mark.parametrize("data,message", [
    ({"title": ""}, "请填写直播间标题"),
    ({"title": "长" * 41}, "标题不能超过 40 个字"),
    ({"title": "夜场", "stream_url": "javascript:alert(1)"}, "直播流地址需以 http:// 或 https:// 开头"),
    ({"title": "夜场", "stream_url": "ftp://live.example.cn/a"}, "直播流地址需以 http:// 或 https:// 开头"),
    ({"title": "夜场", "stream_url": "https://"}, "直播流地址需以 http:// 或 https:// 开头"),
    ({"title": "夜场", "stream_url": "https://a.cn/" + "x" * 500}, "直播流地址不能超过 500 个字符"),
    ({"title": "夜场", "scheduled_start": "tomorrow"}, "开播时间格式不正确"),
    ({"title": "夜场", "scheduled_start": "2001-01-01T20:00"}, "开播时间不能早于现在"),
])
def test_bad_settings_are_refused_and_kept(anchor, studio, data, message):
    before = state(studio.room)
    answer = anchor.post(f"/live/{studio.room.id}/settings", data=data, headers=htmx("console"))
    body = answer.get_data(as_text=True)
    assert answer.status_code == 400 and message in body
    assert state(studio.room) == before
    if data.get("stream_url"):
        assert 'aria-invalid="true"' in body


def test_a_merchant_opens_a_room_once(make_client, ctx):
    shop = make.merchant("镇平玉满堂")
    merchant = signed_in(make_client, shop.owner)
    page = merchant.get("/live/console").get_data(as_text=True)
    assert "开通直播间" in page
    bad = merchant.post("/live/console", data={"title": ""})
    assert bad.status_code == 400 and "请填写直播间标题" in bad.get_data(as_text=True)
    assert merchant.post("/live/console", data={"title": "玉满堂直播间"}).status_code == 303
    assert merchant.post("/live/console", data={"title": "再开一个"}).status_code == 303
    rooms = db.session.scalars(select(LiveRoom)).all()
    assert [(r.title, r.status) for r in rooms] == [("玉满堂直播间", "scheduled")]
    assert "玉满堂直播间" in merchant.get("/live/console").get_data(as_text=True)


def test_opening_a_second_room_in_a_race_is_a_conflict(ctx, studio):
    from app.exceptions import Conflict

    with pytest.raises(Conflict):
        console.open_room(studio.owner, "第二个直播间")


def test_a_post_without_the_csrf_token_changes_nothing(anchor, studio):
    before = state(studio.room)
    answer = anchor.post(f"/live/{studio.room.id}/end", csrf=False)
    assert answer.status_code == 400
    assert state(studio.room) == before


# --- only the owner ----------------------------------------------------------------------------

def actions(studio):
    room, p = studio.room.id, studio.pendant.id
    return [
        (f"/live/{room}/start", {}), (f"/live/{room}/end", {}),
        (f"/live/{room}/pin", {"product_id": p}), (f"/live/{room}/unpin", {}),
        (f"/live/{room}/goods", {"product_id": p}),
        (f"/live/{room}/goods/{p}/remove", {}),
        (f"/live/{room}/goods/{p}/move", {"direction": "top"}),
        (f"/live/{room}/goods/{p}/stock", {"delta": "-1"}),
        (f"/live/{room}/goods/{p}/stock", {"stock": "0"}),
        (f"/live/{room}/goods/{p}/price", {"price": "1"}),
        (f"/live/{room}/settings", {"title": "被人改了", "stream_url": "https://evil.cn/x.m3u8"}),
    ]


@pytest.mark.parametrize("who", ["anonymous", "buyer", "another merchant", "belt admin",
                                 "operator"])
def test_nobody_but_the_anchor_controls_the_room(make_client, studio, outsiders, who):
    client = signed_in(make_client, outsiders[who])
    before = state(studio.room)
    for url, data in actions(studio):
        for headers in ({}, htmx("console")):
            answer = client.post(url, data=dict(data), headers=headers)
            if who == "anonymous":
                assert answer.status_code == 302 and "/signin" in answer.headers["Location"]
            else:
                assert answer.status_code == 403, (url, answer.status_code)
                assert "只有直播间的主播本人可以操作" in answer.get_data(as_text=True)
    assert state(studio.room) == before


@pytest.mark.parametrize("who", ["buyer", "another merchant", "belt admin", "operator"])
def test_the_services_refuse_everyone_but_the_anchor(ctx, studio, outsiders, who):
    person = outsiders[who]
    room, pendant = studio.room.id, studio.pendant.id
    for act in (lambda: console.go_live(person, room), lambda: console.end_live(person, room),
                lambda: console.pin(person, room, pendant), lambda: console.unpin(person, room),
                lambda: console.move_goods(person, room, pendant, "up"),
                lambda: console.remove_goods(person, room, pendant),
                lambda: console.adjust_goods_stock(person, room, pendant, -1),
                lambda: console.set_goods_stock(person, room, pendant, 0),
                lambda: console.set_goods_price(person, room, pendant, 1),
                lambda: console.update_room(person, room, "x", None, "")):
        with pytest.raises(PermissionDenied):
            act()
        db.session.rollback()


def test_people_without_a_shop_have_no_console(make_client, outsiders):
    buyer = signed_in(make_client, outsiders["buyer"])
    answer = buyer.get("/live/console")
    assert answer.status_code == 403 and "开店后才能直播和使用闪电购" in answer.get_data(as_text=True)
    operator = signed_in(make_client, outsiders["operator"])
    assert operator.get("/live/console").status_code == 403
    assert signed_in(make_client, None).get("/live/console").status_code == 302
