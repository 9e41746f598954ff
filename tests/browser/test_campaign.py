"""The 116 campaign from a buyer's phone: the three warm-up tasks, the raffle entry, an anchor
coupon grabbed in a live room, and a cheaper order with the coupon shown on it."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.extensions import db
from tests import factories as make
from tests.browser.conftest import check_accessibility
from tests.browser.test_buying import sign_in


@pytest.fixture
def campaign_story(ctx):
    from app.demo_photos import draw_photo
    from app.media import store_image

    photo = store_image(draw_photo("jade-bangle", "jade", 2)).key
    campaign = make.campaign("116-test")  # the warm-up started at today's midnight
    shop = make.merchant("玉匠人", certified=True)
    bangle = make.product(shop, "冰种飘花翡翠手镯", price_fen=30000, stock=5, photo_key=photo)
    room = make.live_room(shop, title="玉匠人源头直播", goods=[bangle], pinned=bangle)
    make.registration(campaign, shop, goods=[bangle])
    make.coupon(shop, amount_fen=2000, quantity=10, title="主播福利券")
    buyer = make.user("老铁买家", email="fan@example.cn")
    make.address(buyer)
    facts = {"room_id": room.id, "product_id": bangle.id, "buyer": buyer.email}
    db.session.commit()
    return facts


def test_warmup_tasks_raffle_entry_coupon_and_a_cheaper_order(page, live_server, campaign_story):
    sign_in(page, live_server, campaign_story["buyer"])
    expect(page.locator(".campaign-banner")).to_contain_text("预热期")
    page.locator(".campaign-banner-link").click()
    page.wait_for_url("**/campaigns/116-test")
    expect(page.locator(".venue-room")).to_contain_text("玉匠人源头直播")
    digits = page.locator(".venue-hero .countdown-digits")
    expect(digits).to_be_visible()
    shown = digits.inner_text()
    expect(digits).not_to_have_text(shown, timeout=4000)  # it ticks in the browser
    check_accessibility(page)

    # task 1: a short video with the hashtag
    page.get_by_role("link", name="做任务 赢免单").click()
    page.wait_for_url("**/campaigns/116-test/tasks")
    check_accessibility(page)
    page.get_by_label("视频链接").fill("https://v.kuaishou.com/116-zhenping")
    page.get_by_label("视频文案（要带上话题标签）").fill("镇平玉雕源头 #116卖货王")
    page.get_by_role("button", name="提交视频").click()
    expect(page.locator("#flash-area")).to_contain_text("视频任务完成")
    expect(page.locator(".entry-list")).to_contain_text("等待开奖")
    # coins for the gift (sandbox top-up)
    page.get_by_role("button", name="充值 60 金币（¥6.00，沙箱）").click()
    expect(page.locator(".coin-balance")).to_have_text("60")

    # tasks 2 and 3 in the live room: a vote and an e-commerce gift
    page.locator(".venue-room a").first.click()
    page.wait_for_url(f"**/live/{campaign_story['room_id']}")
    check_accessibility(page)
    page.get_by_role("button", name="为主播投票").click()  # htmx: the stream keeps playing
    expect(page.locator("#room-tasks")).to_contain_text("投票成功")
    expect(page.get_by_text("今天已投票")).to_be_visible()
    page.get_by_role("button", name="送出 小黄车（10 金币）").click()
    expect(page.locator("#room-tasks")).to_contain_text("已送出礼物（10 金币）")
    expect(page.locator("#room-tasks")).to_contain_text("我的金币：50")

    # the anchor coupon, grabbed with one tap (htmx swaps the card in place)
    page.get_by_role("button", name="领取：主播福利券").click()
    expect(page.locator(".coupon-card")).to_contain_text("领取成功，已放入券包。")
    expect(page.locator(".coupon-card")).to_contain_text("已领取")
    check_accessibility(page)

    page.goto(f"{live_server}/campaigns/116-test/tasks")
    expect(page.locator(".task-item.is-done")).to_have_count(3)
    expect(page.locator(".entry-list")).to_contain_text("等待开奖")
    check_accessibility(page)
    page.goto(f"{live_server}/coupons")
    expect(page.locator(".wallet-item")).to_contain_text("主播福利券")
    check_accessibility(page)

    # checkout applies the coupon; the order shows it line by line
    page.goto(f"{live_server}/checkout?product_id={campaign_story['product_id']}&quantity=1")
    expect(page.locator(".sum-lines")).to_contain_text("店铺券 · 立减 ¥20.00")
    expect(page.locator(".submit-bar")).to_contain_text("280")
    check_accessibility(page)
    page.get_by_role("button", name="提交订单").click()
    page.wait_for_url("**/orders/*")
    expect(page.locator("body")).to_contain_text("店铺券 · 立减 ¥20.00")
    expect(page.locator("body")).to_contain_text("280.00")
    check_accessibility(page)


def test_the_venue_and_a_grab_work_without_javascript(page_nojs, live_server, campaign_story):
    page = page_nojs
    sign_in(page, live_server, campaign_story["buyer"])
    page.goto(f"{live_server}/campaigns/116-test")
    expect(page.locator(".venue-hero .countdown-block").first).to_be_visible()
    page.get_by_role("link", name="玉石", exact=True).click()
    page.wait_for_url("**category=jade")
    expect(page.locator("#venue-goods")).to_contain_text("冰种飘花翡翠手镯")
    check_accessibility(page)
    page.goto(f"{live_server}/live/{campaign_story['room_id']}")
    page.get_by_role("button", name="领取：主播福利券").click()
    page.wait_for_url(f"**/live/{campaign_story['room_id']}")
    expect(page.locator("#flash-area")).to_contain_text("领取成功")
    expect(page.locator(".coupon-card")).to_contain_text("已领取")
    check_accessibility(page)
