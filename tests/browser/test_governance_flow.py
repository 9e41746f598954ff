"""A buyer complains about a delivered jade bangle; the Zhenping admin upholds it and
suspends the shop for 7 days; the shop vanishes from the belt page and search, its live room
refuses new orders, and the audit log shows each step."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.orders import orders
from tests import factories as make
from tests.browser.conftest import ARTIFACTS, check_accessibility


@pytest.fixture
def story(ctx):
    from app.demo_photos import draw_photo
    from app.media import store_image

    photo = store_image(draw_photo("jade-bangle", "jade", 2)).key
    shop = make.merchant("镇平玉缘", certified=True)
    bangle = make.product(shop, "冰种飘花翡翠手镯", price_fen=128000, stock=5, photo_key=photo)
    buyer = make.user("老铁买家", email="laotie@example.cn")
    admin = make.belt_admin("zhenping-jade", "镇平基地管理员")
    order = make.order(buyer, bangle)
    orders.ship_order(shop.owner, order.id, "顺丰速运", "SF1234567890")
    orders.confirm_receipt(buyer, order.id)  # delivered
    room = make.live_room(shop, goods=[bangle], pinned=bangle)
    facts = {"shop_id": shop.id, "buyer": buyer.email, "admin": admin.email,
             "product_id": bangle.id, "room_id": room.id, "order_id": order.id,
             "order_number": order.number}
    db.session.commit()  # end the read transaction so the server can write (SQLite)
    return facts


def sign_in(page, live_server, email):
    page.goto(live_server + "/signin")
    page.get_by_label("手机号或邮箱").fill(email)
    page.get_by_label("密码").fill(make.PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(live_server + "/")


def test_complaint_upheld_shop_suspended_and_gone(page, new_page, live_server, story):
    # The buyer complains about the delivered bangle, with a photo.
    sign_in(page, live_server, story["buyer"])
    page.goto(f"{live_server}/orders/{story['order_id']}")
    check_accessibility(page)
    page.get_by_role("link", name="投诉").click()
    page.wait_for_url(f"**/orders/{story['order_id']}/complaint")
    check_accessibility(page)
    page.get_by_label("假货").check()
    page.get_by_label("投诉内容").fill("手镯有胶水味，灯下能看到酸洗纹，不是直播间说的A货。")
    page.get_by_label("照片（选填，最多 5 张）").set_input_files(
        [{"name": "bangle.jpg", "mimeType": "image/jpeg", "buffer": make.jpeg_bytes()}])
    page.get_by_role("button", name="提交投诉").click()
    page.wait_for_url("**/complaints/*")
    expect(page.locator("#flash-area")).to_contain_text("投诉已提交")
    expect(page.locator("#complaint-status")).to_have_text("待处理")
    complaint_url = page.url
    check_accessibility(page)

    # Before the decision, the buyer has the live room open (and a second, JavaScript-off
    # tab of it), with the bangle in the 小黄车.
    page.goto(f"{live_server}/live/{story['room_id']}")
    expect(page.get_by_role("button", name="加入购物车：冰种飘花翡翠手镯")).to_be_visible()
    plain = new_page(javascript=False)
    sign_in(plain, live_server, story["buyer"])
    plain.goto(f"{live_server}/live/{story['room_id']}")
    expect(plain.get_by_role("button", name="加入购物车：冰种飘花翡翠手镯")).to_be_visible()

    # The Zhenping admin finds it in the queue, upholds it and suspends the shop for 7 days.
    admin = new_page()
    sign_in(admin, live_server, story["admin"])
    admin.goto(live_server + "/admin/belts/zhenping-jade/complaints")
    check_accessibility(admin)
    admin.get_by_role("link", name=f"订单 {story['order_number']}").first.click()
    admin.wait_for_url(complaint_url)
    check_accessibility(admin)
    admin.get_by_label("投诉成立", exact=True).check()
    admin.get_by_label("处理意见（双方都会看到）").fill("买家照片与检测一致，为处理过的B货")
    admin.get_by_role("button", name="提交裁定").click()
    admin.wait_for_url(complaint_url)
    expect(admin.locator("#complaint-status")).to_have_text("投诉成立")
    admin.get_by_label("处理方式").select_option("suspend")
    admin.get_by_label("暂停天数").fill("7")
    admin.get_by_label("处理原因（商家会看到）").fill("售假投诉成立，停业整顿 7 天")
    admin.get_by_role("button", name="执行").click()
    admin.wait_for_url(complaint_url)
    expect(admin.locator("#flash-area")).to_contain_text("暂停营业")
    check_accessibility(admin)

    # The shop and its bangle are gone from the belt page and from search.
    visitor = new_page()
    visitor.goto(live_server + "/belts/zhenping-jade")
    check_accessibility(visitor)
    expect(visitor.locator(f'a[href="/shops/{story["shop_id"]}"]')).to_have_count(0)
    expect(visitor.locator(f'a[href="/products/{story["product_id"]}"]')).to_have_count(0)
    visitor.goto(live_server + "/search?q=翡翠手镯")
    check_accessibility(visitor)
    expect(visitor.locator(f'a[href="/products/{story["product_id"]}"]')).to_have_count(0)
    visitor.goto(f"{live_server}/shops/{story['shop_id']}")
    expect(visitor.get_by_text("店铺暂停营业至")).to_be_visible()
    expect(visitor.get_by_text("店铺暂停营业中")).to_be_visible()
    expect(visitor.get_by_text("这家店还没有在售商品")).to_have_count(0)
    expect(visitor.get_by_role("link", name="清除筛选")).to_have_count(0)
    expect(visitor.get_by_text("近180天投诉成立 1 次")).to_be_visible()
    check_accessibility(visitor)

    # The enforcement form now offers lifting the suspension early.
    admin.goto(f"{live_server}/admin/merchants/{story['shop_id']}/enforcement")
    kinds = admin.get_by_label("处理方式").locator("option")
    expect(kinds).to_have_text(["警告", "下架商品", "暂停营业", "恢复营业", "撤销认证"])
    check_accessibility(admin)

    # Its live room refuses new orders: the open room's 小黄车 drops the bangle at its next
    # poll, and the add-to-cart form still open in the JavaScript-off tab is refused.
    expect(page.get_by_role("button", name="加入购物车：冰种飘花翡翠手镯")).to_have_count(0)
    plain.get_by_role("button", name="加入购物车：冰种飘花翡翠手镯").click()
    expect(plain.get_by_text("商品已下架，不能购买。")).to_be_visible()
    page.goto(live_server + "/cart")
    expect(page.locator(".cart-line")).to_have_count(0)

    # The buyer sees the decision in the thread.
    page.goto(complaint_url)
    expect(page.locator("#decision")).to_contain_text("为处理过的B货")
    check_accessibility(page)

    # The audit log shows each step.
    admin.goto(live_server + "/admin/audit")
    check_accessibility(admin)
    log = admin.locator("main")
    expect(log).to_contain_text("老铁买家 投诉了 镇平玉缘")  # a sentence, by names
    expect(log).to_contain_text("镇平基地管理员 裁定对 镇平玉缘 的投诉成立")
    expect(log).to_contain_text("镇平基地管理员 暂停了 镇平玉缘 的营业")
    expect(log).to_contain_text("售假投诉成立，停业整顿 7 天")
    expect(log).not_to_contain_text("受理投诉")
    ARTIFACTS.mkdir(exist_ok=True)
    admin.screenshot(path=str(ARTIFACTS / "audit-390.png"), full_page=True)
    # On a phone each cell carries its label.
    expect(admin.locator(".audit-table td[data-label='原因']").first).to_be_visible()
    admin.set_viewport_size({"width": 1280, "height": 900})
    admin.screenshot(path=str(ARTIFACTS / "audit-1280.png"), full_page=True)


def test_the_video_strip_degrades_to_poster_and_link_without_javascript(page_nojs, page, live_server,
                                                                         story, ctx):
    from app.governance import videos
    from app.governance.sample_video import make_video
    from app.merchants.models import Merchant

    owner = db.session.get(Merchant, story["shop_id"]).owner
    video = videos.post_video(owner, videos.VideoDraft("石佛寺工作室实拍：雕手镯",
                                                       [story["product_id"]]), make_video(seconds=1.0))
    video_id = video.id
    db.session.commit()
    page_nojs.goto(live_server + "/belts/zhenping-jade")
    card = page_nojs.locator(f'a[href="/videos/{video_id}"]')
    expect(card).to_be_visible()
    card.click()
    page_nojs.wait_for_url(f"**/videos/{video_id}")
    expect(page_nojs.locator(".video-fallback img")).to_be_visible()
    expect(page_nojs.locator("video")).to_have_count(0)
    check_accessibility(page_nojs)
    # With JavaScript, the same page plays inline: controls, playsinline, no preload, no autoplay.
    page.goto(f"{live_server}/videos/{video_id}")
    player = page.locator("video")
    expect(player).to_have_count(1)
    expect(player).to_have_attribute("playsinline", "")
    expect(player).to_have_attribute("preload", "none")
    assert player.get_attribute("autoplay") is None
    check_accessibility(page)
    page.get_by_role("link", name="冰种飘花翡翠手镯").first.click()
    page.wait_for_url(f"**/products/{story['product_id']}")
