"""Live rooms in a real browser. A buyer keeps the live room open while the anchor lists by
闪电购 from a phone: the new product appears pinned (讲解中) on the buyer's screen without a
reload. The anchor's console and 闪电购 also work with JavaScript off."""
from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from app.extensions import db
from tests import factories as make
from tests.browser.conftest import check_accessibility


@pytest.fixture
def studio(ctx, app, monkeypatch):
    monkeypatch.setitem(app.config, "LIVE_POLL_SECONDS", 1)
    shop = make.merchant("玉匠人", certified=True)
    bangle = make.product(shop, "冰种飘花翡翠手镯", price_fen=128000, stock=5)
    pendant = make.product(shop, "独山玉平安扣吊坠", price_fen=16800, stock=12,
                           category_slug="jade-pendant")
    room = make.live_room(shop, title="玉匠人 · 镇平玉雕源头直播", goods=[bangle, pendant],
                          pinned=bangle)
    story = SimpleNamespace(room_id=room.id, owner_email=shop.owner.email)
    # Plain values only, and the test's transaction closed: the server writes too (viewers,
    # listings), and SQLite would make it wait behind a lock the test holds.
    db.session.commit()
    return story


def sign_in(page, live_server, email):
    page.goto(live_server + "/signin")
    page.get_by_label("手机号或邮箱").fill(email)
    page.get_by_label("密码").fill(make.PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(live_server + "/")


def test_a_lightning_listing_shows_up_pinned_in_an_open_live_room(new_page, live_server, studio):
    buyer = new_page()
    navigations = []
    polls = []
    buyer.on("framenavigated", lambda frame: navigations.append(frame.url))
    buyer.on("response", lambda r: polls.append(r.status)
             if r.url.endswith(f"/live/{studio.room_id}") and r.request.resource_type != "document"
             else None)
    buyer.goto(f"{live_server}/live/{studio.room_id}")
    expect(buyer.locator(".pinned-card")).to_contain_text("冰种飘花翡翠手镯")
    check_accessibility(buyer)
    # Nothing changes for a while: the polls are answered 304 and the page stays as it is.
    expect(buyer.locator(".live-status")).to_contain_text("直播中")
    buyer.wait_for_timeout(2500)
    assert 304 in polls, polls
    expect(buyer.locator(".pinned-card")).to_contain_text("冰种飘花翡翠手镯")

    anchor = new_page()
    sign_in(anchor, live_server, studio.owner_email)
    anchor.goto(f"{live_server}/sell/quick")
    expect(anchor.get_by_text("直播中：上架后自动加入小黄车。")).to_be_visible()
    check_accessibility(anchor)
    assert anchor.locator("input[type=file]").bounding_box()["width"] <= 1
    anchor.locator("input[type=file]").set_input_files(files=[{
        "name": "IMG_2041.jpg", "mimeType": "image/jpeg", "buffer": make.jpeg_bytes(1600, 1200)}])
    expect(anchor.locator(".photo-preview")).to_be_visible()
    expect(anchor.get_by_text("已选好照片")).to_be_hidden()  # the preview says it
    anchor.get_by_label("商品标题").fill("现雕独山玉平安扣")
    anchor.get_by_label("价格（元）").fill("168")
    anchor.get_by_label("库存（件）").fill("12")
    expect(anchor.get_by_label("上架后立即讲解（置顶到直播间）")).to_be_checked()
    anchor.get_by_role("button", name="立即上架").click()
    expect(anchor.locator(".listed-card")).to_contain_text("已加入直播间小黄车 3号")
    assert anchor.url == f"{live_server}/sell/quick"  # shown in place
    expect(anchor.get_by_label("商品标题")).to_have_value("")
    check_accessibility(anchor)

    expect(buyer.locator(".pinned-card")).to_contain_text("现雕独山玉平安扣", timeout=10_000)
    expect(buyer.locator(".cart-item")).to_have_count(3)
    expect(buyer.locator(".cart-item").nth(2)).to_contain_text("闪电购")
    assert navigations == [f"{live_server}/live/{studio.room_id}"]  # never reloaded
    check_accessibility(buyer)


def test_the_anchor_runs_the_console_with_htmx(page, live_server, studio):
    sign_in(page, live_server, studio.owner_email)
    page.goto(f"{live_server}/live/console")
    check_accessibility(page)
    item = page.locator(".console-item").nth(1)
    item.get_by_role("button", name="库存加 10：独山玉平安扣吊坠").click()
    expect(page.locator(".console-item").nth(1)).to_contain_text("库存 22 件")
    page.locator(".console-item").nth(1).get_by_role("button", name="讲解：独山玉平安扣吊坠").click()
    expect(page.locator(".console-pinned")).to_contain_text("独山玉平安扣吊坠")
    pendant = page.locator(".console-item").nth(1)
    pendant.get_by_text("改价 · 改库存 · 移出").click()
    pendant.get_by_label("价格（元）").fill("12.345")
    pendant.get_by_role("button", name="改价").click()
    expect(page.get_by_role("alert")).to_contain_text("价格最多保留两位小数")
    expect(page.locator(".console-item").nth(1).get_by_label("价格（元）")).to_have_value("12.345")
    assert page.url == f"{live_server}/live/console"
    check_accessibility(page)
    page.locator(".end-confirm > summary").click()  # 下播 asks first
    expect(page.get_by_text("确定下播吗？")).to_be_visible()
    check_accessibility(page)
    page.get_by_role("button", name="确认下播").click()
    expect(page.get_by_role("button", name="开播")).to_be_visible()


def test_console_and_lightning_work_without_javascript(page_nojs, new_page, live_server,
                                                      studio):
    page = page_nojs
    sign_in(page, live_server, studio.owner_email)
    page.goto(f"{live_server}/live/console")
    check_accessibility(page)
    page.get_by_role("button", name="讲解：独山玉平安扣吊坠").click()
    page.wait_for_url(f"{live_server}/live/console")
    expect(page.get_by_text("已置顶讲解。")).to_be_visible()
    page.get_by_role("button", name="库存减 1：冰种飘花翡翠手镯").click()
    expect(page.locator(".console-item").first).to_contain_text("库存 4 件")
    check_accessibility(page)

    page.goto(f"{live_server}/sell/quick")
    check_accessibility(page)
    # the camera tile is the control: no native "Choose File" box shows under it
    photo_input = page.locator("input[type=file]")
    assert photo_input.bounding_box()["width"] <= 1 and photo_input.evaluate(
        "i => getComputedStyle(i).opacity") == "0"
    expect(page.get_by_label("拍一张商品照片")).to_have_count(1)  # still labelled, focusable
    expect(page.get_by_text("已选好照片")).to_be_hidden()
    photo_input.set_input_files(files=[{
        "name": "a.jpg", "mimeType": "image/jpeg", "buffer": make.jpeg_bytes(900, 900)}])
    expect(page.get_by_text("已选好照片")).to_be_visible()  # without JavaScript: no preview
    page.get_by_label("商品标题").fill("手工碧玉貔貅把件")
    page.get_by_label("价格（元）").fill("abc")
    page.get_by_label("库存（件）").fill("2")
    page.get_by_role("button", name="立即上架").click()
    expect(page.get_by_text("价格格式不正确")).to_be_visible()
    expect(page.get_by_label("商品标题")).to_have_value("手工碧玉貔貅把件")
    expect(page.get_by_text("照片已保留")).to_be_visible()
    check_accessibility(page)
    page.get_by_label("价格（元）").fill("588")
    page.get_by_role("button", name="立即上架").click()
    page.wait_for_url(re.compile(r".*/sell/quick\?listed=\d+$"))
    expect(page.locator(".listed-card")).to_contain_text("已加入直播间小黄车 3号")
    check_accessibility(page)

    buyer = new_page(javascript=False)
    buyer.goto(f"{live_server}/live/{studio.room_id}")
    expect(buyer.locator(".pinned-card")).to_contain_text("手工碧玉貔貅把件")
    expect(buyer.get_by_role("link", name="刷新")).to_be_visible()
    check_accessibility(buyer)

    # 下播 asks first, without JavaScript too: 继续直播 keeps the room live
    page.goto(f"{live_server}/live/console")
    summary = page.locator(".end-confirm > summary")
    expect(summary).to_have_text("下播")
    expect(page.get_by_role("button", name="确认下播")).to_be_hidden()
    summary.click()
    expect(page.get_by_text("确定下播吗？")).to_be_visible()
    check_accessibility(page)
    page.get_by_role("link", name="继续直播").click()
    page.wait_for_url(f"{live_server}/live/console")
    expect(page.get_by_role("button", name="确认下播")).to_be_hidden()
    buyer.reload()
    expect(buyer.locator(".pinned-card")).to_contain_text("手工碧玉貔貅把件")  # still live
    summary.click()
    page.get_by_role("button", name="确认下播").click()
    page.wait_for_url(f"{live_server}/live/console")
    expect(page.get_by_text("已下播。")).to_be_visible()
    expect(page.get_by_role("button", name="开播")).to_be_visible()
