"""A buyer opens a live room: the stream or its poster, 讲解中, the 小黄车 with stock, and a
live part that polls cheaply — 304 while nothing changed, the new state as soon as it does."""
from __future__ import annotations

import re
from datetime import timedelta

from app import clock
from app.catalog import listing
from app.extensions import db
from app.live import presence
from app.live.models import LiveViewer
from tests import factories as make
from tests.live.conftest import htmx


def poll(client, room, etag=None, **headers):
    if etag:
        headers["If-None-Match"] = etag
    return client.get(f"/live/{room.id}", headers={**htmx("live-state"), **headers})


def test_a_buyer_sees_the_pinned_product_and_the_cart_in_order(client, studio):
    page = client.get(f"/live/{studio.room.id}").get_data(as_text=True)
    assert "玉匠人 · 镇平玉雕源头直播" in page and "直播中" in page
    pinned = page[page.index('class="pinned-card'):page.index('id="cart-title"')]
    assert "讲解中" in pinned and "冰种飘花翡翠手镯" in pinned and "库存 5 件" in pinned
    cart = page[page.index('class="cart-list"'):]
    assert cart.index("冰种飘花翡翠手镯") < cart.index("独山玉平安扣吊坠") < cart.index("和田玉手串")
    assert "已抢光" in cart  # the bracelet has no stock left: greyed, no buy button
    assert f'href="/products/{studio.bracelet.id}" aria-label' not in cart
    assert "¥</span><span class=\"price-yuan\">1,280</span>" in page


def test_each_row_a_buyer_can_buy_adds_its_own_good_to_the_cart(client, make_client, studio):
    studio.pendant.title = "<b>独山玉</b>平安扣"
    db.session.commit()
    page = client.get(f"/live/{studio.room.id}").get_data(as_text=True)
    cart = page[page.index('class="cart-list"'):page.index("</ol>", page.index('class="cart-list"'))]
    # One form per row in stock (the sold-out bracelet has none), each for its own good, with
    # the token and the way back to the room.
    assert re.findall(r'name="product_id" value="(\d+)"', cart) == [str(studio.bangle.id),
                                                                   str(studio.pendant.id)]
    assert cart.count('name="csrf_token" value="') == 2
    assert cart.count(f'name="next" value="/live/{studio.room.id}"') == 2
    assert "加入购物车：&lt;b&gt;独山玉&lt;/b&gt;平安扣" in cart and "<b>独山玉" not in cart
    anchor = make_client()
    make.sign_in(anchor, studio.owner)
    own = anchor.get(f"/live/{studio.room.id}").get_data(as_text=True)
    assert 'name="product_id"' not in own and "去抢购" in own  # no buying from oneself


def test_goods_a_buyer_cannot_buy_are_left_out(client, studio):
    studio.pendant.status = "off_shelf"
    db.session.commit()
    page = client.get(f"/live/{studio.room.id}").get_data(as_text=True)
    assert "独山玉平安扣吊坠" not in page
    assert "2 件商品" in page


def test_a_suspended_shops_room_is_gone_for_buyers_but_not_for_its_anchor(client, make_client,
                                                                          studio):
    studio.shop.status = "suspended"
    db.session.commit()
    assert client.get(f"/live/{studio.room.id}").status_code == 404
    anchor = make_client()
    make.sign_in(anchor, studio.owner)
    page = anchor.get(f"/live/{studio.room.id}")
    assert page.status_code == 200 and "买家看不到这个直播间" in page.get_data(as_text=True)


def test_an_unknown_room_is_a_404(client, ctx):
    assert client.get("/live/999").status_code == 404


def test_a_scheduled_room_shows_when_it_starts_and_pins_nothing(client, studio):
    studio.room.status = "scheduled"
    studio.room.scheduled_start = clock.now() + timedelta(hours=3)
    db.session.commit()
    page = client.get(f"/live/{studio.room.id}").get_data(as_text=True)
    when = studio.room.scheduled_start.astimezone(clock.SHANGHAI).strftime("%-m月%-d日 %H:%M")
    assert "直播预告" in page and f"{when} 开播" in page
    assert "人在看" not in page


def test_an_ended_room_keeps_its_goods_on_sale_without_a_pin(client, studio):
    studio.room.status = "ended"
    db.session.commit()
    page = client.get(f"/live/{studio.room.id}").get_data(as_text=True)
    assert "直播已结束" in page and "pinned-card" not in page
    assert "独山玉平安扣吊坠" in page


def test_an_hls_stream_plays_in_a_video_and_a_page_url_is_a_link(client, studio):
    studio.room.stream_url = "https://live.example.cn/zhenping/room.m3u8"
    db.session.commit()
    page = client.get(f"/live/{studio.room.id}").get_data(as_text=True)
    assert '<video class="live-video" src="https://live.example.cn/zhenping/room.m3u8"' in page
    studio.room.stream_url = "https://live.example.cn/zhenping"
    db.session.commit()
    page = client.get(f"/live/{studio.room.id}").get_data(as_text=True)
    assert "<video" not in page
    assert 'href="https://live.example.cn/zhenping" target="_blank" rel="noopener nofollow ugc"' in page


def test_text_the_anchor_typed_is_escaped(client, studio):
    studio.room.title = '<script>alert("x")</script>直播'
    db.session.commit()
    page = client.get(f"/live/{studio.room.id}").get_data(as_text=True)
    assert '<script>alert("x")' not in page and "&lt;script&gt;" in page


# --- polling -------------------------------------------------------------------------------

def test_polling_answers_304_while_nothing_changes(client, studio):
    first = poll(client, studio.room)
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "private, no-cache"
    assert 'id="live-state"' in first.get_data(as_text=True)
    assert "<html" not in first.get_data(as_text=True)  # just the live part
    etag = first.headers["ETag"]
    again = poll(client, studio.room, etag)
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag


def test_the_page_carries_the_etag_its_first_poll_sends(client, studio):
    page = client.get(f"/live/{studio.room.id}").get_data(as_text=True)
    start = page.index('data-etag="') + len('data-etag="')
    etag = page[start:page.index('"', start)]
    assert poll(client, studio.room, f'"{etag}"').status_code == 304


def test_a_sale_elsewhere_changes_the_stock_and_the_next_poll_shows_it(client, studio):
    etag = poll(client, studio.room).headers["ETag"]
    assert listing.take_stock(studio.bangle.id, 2)  # a buyer's order, through the catalog
    db.session.commit()
    changed = poll(client, studio.room, etag)
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert "库存 3 件" in changed.get_data(as_text=True)


def test_a_new_pin_shows_on_the_next_poll(client, studio):
    etag = poll(client, studio.room).headers["ETag"]
    studio.room.pinned_product_id = studio.pendant.id
    studio.room.version += 1
    db.session.commit()
    changed = poll(client, studio.room, etag)
    assert changed.status_code == 200
    body = changed.get_data(as_text=True)
    pinned = body[body.index('class="pinned-card'):body.index('id="cart-title"')]
    assert "独山玉平安扣吊坠" in pinned


def test_the_language_is_part_of_the_etag(client, studio):
    etag = poll(client, studio.room).headers["ETag"]
    client.post("/lang", data={"lang": "en", "next": "/"})
    english = poll(client, studio.room, etag)
    assert english.status_code == 200 and "Sold out" in english.get_data(as_text=True)


def test_a_plain_request_with_an_etag_still_gets_the_whole_page(client, studio):
    etag = poll(client, studio.room).headers["ETag"]
    page = client.get(f"/live/{studio.room.id}", headers={"If-None-Match": etag})
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)


# --- viewers --------------------------------------------------------------------------------

def test_viewers_are_distinct_people_of_the_last_minutes(make_client, studio):
    buyer = make.user("老铁")
    one, two = make_client(), make_client()
    make.sign_in(two, buyer)
    for _ in range(3):
        one.get(f"/live/{studio.room.id}")
        two.get(f"/live/{studio.room.id}")
    presence.cache.clear()  # the count is cached for a few seconds
    assert presence.count(studio.room.id) == 2
    clock.travel(timedelta(minutes=6))
    presence.cache.clear()
    assert presence.count(studio.room.id) == 0


def test_polling_does_not_write_on_every_poll(client, studio):
    for _ in range(5):
        poll(client, studio.room)
    rows = db.session.query(LiveViewer).all()
    assert len(rows) == 1
    seen = rows[0].last_seen_at
    clock.freeze(clock.now() + timedelta(seconds=1))
    poll(client, studio.room)
    db.session.expire_all()
    assert db.session.query(LiveViewer).one().last_seen_at == seen


def test_the_viewer_count_is_shown_while_live(client, studio):
    page = client.get(f"/live/{studio.room.id}").get_data(as_text=True)
    assert "1 人在看" in page  # the buyer themself


def test_old_viewers_are_pruned_by_the_tick_job(client, studio):
    client.get(f"/live/{studio.room.id}")
    client.get(f"/live/{studio.room.id}")  # counted from the browser's second request
    clock.travel(timedelta(hours=2))
    assert presence.prune() == 1


# --- rooms on the shop, belt, portal and home pages ----------------------------------------------

def section(page: str, heading: str) -> str:
    start = page.index(heading)
    return page[start:page.index("</section>", start)]


def test_rooms_are_listed_on_belt_portal_shop_and_home_pages_live_first(client, studio):
    soon = make.merchant("镇平玉满堂")
    make.live_room(soon, title="玉满堂夜场预告", status="scheduled",
                   scheduled_start=clock.now() + timedelta(hours=2))
    done = make.merchant("镇平翠韵")
    make.live_room(done, title="翠韵昨晚的直播", status="ended")
    ruili = make.merchant("瑞丽翡翠一号", belt_slug="ruili-jade")
    make.live_room(ruili, title="瑞丽原石开窗")
    gone = make.merchant("已停业的店")
    make.live_room(gone, title="停业店的直播")
    gone.status = "suspended"
    db.session.commit()

    belt = section(client.get("/belts/zhenping-jade").get_data(as_text=True), "基地直播间")
    assert belt.index("玉匠人 · 镇平玉雕源头直播") < belt.index("玉满堂夜场预告")
    assert "翠韵昨晚的直播" not in belt and "瑞丽原石开窗" not in belt
    assert "停业店的直播" not in belt
    portal = section(client.get("/portals/jade").get_data(as_text=True), "源头直播间")
    assert portal.index("瑞丽原石开窗") < portal.index("玉满堂夜场预告")
    assert portal.index("玉匠人 · 镇平玉雕源头直播") < portal.index("玉满堂夜场预告")
    shop = section(client.get(f"/shops/{done.id}").get_data(as_text=True), "店铺直播间")
    assert "翠韵昨晚的直播" in shop and "已结束" in shop
    home = section(client.get("/").get_data(as_text=True), "home-live-title")
    assert "直播中" in home and "玉匠人" in home
    directory = client.get("/live").get_data(as_text=True)
    assert directory.index("正在直播") < directory.index("直播预告") < directory.index("已结束")


def test_a_shop_without_a_room_shows_nothing_to_buyers(client, ctx):
    shop = make.merchant("四会玉器一号", belt_slug="sihui-jade")
    assert "店铺直播间" not in client.get(f"/shops/{shop.id}").get_data(as_text=True)


def test_the_product_page_points_to_the_room_presenting_it(client, studio):
    page = client.get(f"/products/{studio.bangle.id}").get_data(as_text=True)
    assert f'href="/live/{studio.room.id}"' in page and "讲解中" in page
    studio.room.status = "ended"
    db.session.commit()
    page = client.get(f"/products/{studio.bangle.id}").get_data(as_text=True)
    assert f'href="/live/{studio.room.id}"' not in page
