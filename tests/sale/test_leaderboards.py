"""Leaderboards (巅峰榜 / 潜力榜 / 行业分榜) from paid, unrefunded orders of approved shops in the
sale window, by category; the sales kings (卖货王) crowned once when an operator finalizes."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import clock
from app.exceptions import Conflict
from app.extensions import db
from app.orders import orders
from app.sale import leaderboards
from app.sale.models import SalesKing
from tests import factories as make
from tests.concurrency import race
from tests.sale.helpers import paid_order, sale_world

HTMX = {"HX-Request": "true"}


@pytest.fixture
def w(ctx):
    return sale_world()


def text(response) -> str:
    return response.get_data(as_text=True)


def names_in_order(page: str) -> list[str]:
    return re.findall(r'class="lb-name"><a href="/shops/\d+">([^<]+)</a>', page)


def test_peak_ranks_paid_unrefunded_orders_of_approved_shops_in_the_sale(w, client):
    paid_order(w.buyer, w.dress, 3)             # 四季青 ¥1,500
    paid_order(w.buyer, w.bangle, 1)            # 玉匠人 ¥1,000
    paid_order(w.buyer, w.pendant, 2)           # 小玉坊 ¥400
    refunded = paid_order(w.buyer, w.bangle, 5)
    orders.refund_order(w.jade.owner, refunded.id, "买家不想要了")
    make.order(w.buyer, (w.bangle, 4), method="sandbox")        # never paid
    paid_order(w.buyer, w.stranger, 1)          # 路人店: not in the campaign
    paid_order(w.buyer, w.bangle, 9, ago=timedelta(days=2))     # before the sale began
    page = client.get(f"/campaigns/{w.campaign.slug}/leaderboards/peak")
    assert page.status_code == 200
    body = text(page)
    assert names_in_order(body) == ["四季青女装", "玉匠人", "小玉坊"]
    assert "¥1,500.00" in body and "¥1,000.00" in body and "¥400.00" in body
    assert 'class="lb-bar" max="100" value="100"' in body  # bars against the first
    assert "路人店" not in body


def test_a_category_keeps_that_venue_categorys_lines(w, client):
    paid_order(w.buyer, w.dress, 3)
    paid_order(w.buyer, w.bangle, 1)
    jade = text(client.get(f"/campaigns/{w.campaign.slug}/leaderboards/peak?category=jade"))
    assert names_in_order(jade) == ["玉匠人"]
    apparel = text(client.get(f"/campaigns/{w.campaign.slug}/leaderboards/peak?category=apparel"))
    assert names_in_order(apparel) == ["四季青女装"]
    food = text(client.get(f"/campaigns/{w.campaign.slug}/leaderboards/peak?category=food"))
    assert names_in_order(food) == [] and "榜单还是空的" in food


def test_potential_ranks_the_growth_rate_of_small_shops_not_the_biggest_growth(w, client, app):
    paid_order(w.buyer, w.dress, 20, ago=timedelta(hours=15))  # 四季青 before ¥10,000
    paid_order(w.buyer, w.dress, 40)                          # during ¥20,000: +¥10,000, +100 %
    paid_order(w.buyer, w.pendant, 3, ago=timedelta(hours=15))  # 小玉坊 before ¥600
    paid_order(w.buyer, w.pendant, 12)                         # during ¥2,400: +¥1,800, +300 %
    paid_order(w.buyer, w.bangle, 1)  # 玉匠人 from nothing: ¥1,000 ÷ the ¥500 floor = +200 %
    body = text(client.get(f"/campaigns/{w.campaign.slug}/leaderboards/potential"))
    assert names_in_order(body) == ["小玉坊", "玉匠人", "四季青女装"]
    assert "增长 300%" in body and "增长 200%" in body and "增长 100%" in body
    assert "¥600.00 → ¥2,400.00" in body
    assert "开售前同样时长成交额低于 ¥50,000.00 的店铺" in body and "按 ¥500.00 计" in body
    app.config["LEADERBOARD_POTENTIAL_MAX_BEFORE_FEN"] = 100000  # ¥1,000: 四季青 is too big
    try:
        small_only = text(client.get(f"/campaigns/{w.campaign.slug}/leaderboards/potential"))
    finally:
        app.config["LEADERBOARD_POTENTIAL_MAX_BEFORE_FEN"] = 5_000_000
    assert names_in_order(small_only) == ["小玉坊", "玉匠人"]


def test_a_shop_that_fell_is_not_a_riser(w, client):
    paid_order(w.buyer, w.dress, 2, ago=timedelta(hours=15))
    paid_order(w.buyer, w.dress, 1)
    body = text(client.get(f"/campaigns/{w.campaign.slug}/leaderboards/potential"))
    assert names_in_order(body) == []


def test_before_the_sale_the_board_shows_the_real_sale_window(w, client):
    clock.freeze(w.campaign.sale_start - timedelta(days=1))
    body = re.sub(r"\s+", " ", text(client.get(f"/campaigns/{w.campaign.slug}/leaderboards/peak")))
    start = w.campaign.sale_start.astimezone(clock.SHANGHAI)
    end = w.campaign.sale_end.astimezone(clock.SHANGHAI)
    expected = (f"正式售卖 {start.month}月{start.day}日 00:00 至 {end.month}月{end.day}日 00:00，"
                "开售后开始统计。")
    assert expected in body
    assert f"{start.month}月{start.day}日 00:00 至 {start.month}月{start.day}日 00:00" not in body


def test_during_the_sale_the_board_counts_up_to_now(w, client):
    body = re.sub(r"\s+", " ", text(client.get(f"/campaigns/{w.campaign.slug}/leaderboards/peak")))
    now = clock.now().astimezone(clock.SHANGHAI)
    assert f"至现在（{now.month}月{now.day}日 {now:%H:%M}）" in body


def test_cash_on_delivery_orders_count_once_delivered(w, client):
    cod = make.order(w.buyer, (w.bangle, 2), method="cod")
    url = f"/campaigns/{w.campaign.slug}/leaderboards/peak"
    assert names_in_order(text(client.get(url))) == []           # placed, not delivered
    orders.ship_order(w.jade.owner, cod.id, "顺丰速运", "SF12345678")
    assert names_in_order(text(client.get(url))) == []           # on its way
    orders.confirm_receipt(w.buyer, cod.id)                        # delivered, cash handed over
    assert names_in_order(text(client.get(url))) == ["玉匠人"]


def test_a_cash_on_delivery_order_past_its_auto_confirm_counts_before_the_tick_job(w, client,
                                                                                    app):
    app.config["ORDER_AUTO_CONFIRM_DAYS"] = 0  # received the moment it ships, for the story
    try:
        cod = make.order(w.buyer, (w.dress, 1), method="cod")
        orders.ship_order(w.apparel.owner, cod.id, "顺丰速运", "SF12345678")
    finally:
        app.config["ORDER_AUTO_CONFIRM_DAYS"] = 10
    clock.travel(timedelta(minutes=1))  # the deadline passed; no tick has recorded it
    db.session.expire_all()
    assert db.session.get(type(cod), cod.id).status == "shipped"
    url = f"/campaigns/{w.campaign.slug}/leaderboards/peak"
    assert names_in_order(text(client.get(url))) == ["四季青女装"]


def test_the_industry_board_ranks_within_each_industry(w, client):
    paid_order(w.buyer, w.dress, 1)
    paid_order(w.buyer, w.bangle, 1)
    paid_order(w.buyer, w.pendant, 1)
    body = text(client.get(f"/campaigns/{w.campaign.slug}/leaderboards/industry"))
    jade = body[body.index('id="lb-jade"'):]
    apparel = body[body.index('id="lb-apparel"'):]
    assert names_in_order(jade)[:2] == ["玉匠人", "小玉坊"]
    assert names_in_order(apparel)[0] == "四季青女装"


def test_htmx_refresh_answers_304_until_the_figures_change(w, client):
    paid_order(w.buyer, w.bangle, 1)
    url = f"/campaigns/{w.campaign.slug}/leaderboards/peak"
    first = client.get(url, headers=HTMX)
    assert first.status_code == 200 and text(first).lstrip().startswith('<div id="lb-body"')
    tag = first.headers["ETag"]
    assert client.get(url, headers={**HTMX, "If-None-Match": tag}).status_code == 304
    paid_order(w.buyer, w.dress, 5)
    changed = client.get(url, headers={**HTMX, "If-None-Match": tag})
    assert changed.status_code == 200 and "四季青女装" in text(changed)


def test_the_venue_leads_to_the_boards(w, client):
    venue = text(client.get(f"/campaigns/{w.campaign.slug}"))
    assert f"/campaigns/{w.campaign.slug}/leaderboards/potential" in venue and "潜力榜" in venue


def test_bad_boards_and_categories(w, client):
    assert client.get(f"/campaigns/{w.campaign.slug}/leaderboards/richest").status_code == 404
    assert client.get("/campaigns/no-such-campaign/leaderboards/peak").status_code == 404
    bad = client.get(f"/campaigns/{w.campaign.slug}/leaderboards/peak?category=cars")
    assert bad.status_code == 400 and "没有这个类目" in text(bad)
    home = client.get(f"/campaigns/{w.campaign.slug}/leaderboards")
    assert home.status_code == 302 and home.headers["Location"].endswith("/leaderboards/peak")


# --- sales kings ------------------------------------------------------------------------------

def test_finalizing_crowns_the_kings_once_and_they_show_on_shop_and_room(w, client, make_client):
    paid_order(w.buyer, w.dress, 3)
    paid_order(w.buyer, w.bangle, 1)
    operator = make.user("运营", operator=True)
    make.sign_in(client, operator)
    early = client.post(f"/admin/campaigns/{w.campaign.slug}/finalize")
    assert early.status_code == 409 and "正式售卖结束后" in text(early)
    assert db.session.scalar(select(func.count()).select_from(SalesKing)) == 0
    clock.travel(timedelta(days=2))  # the sale is over
    done = client.post(f"/admin/campaigns/{w.campaign.slug}/finalize")
    assert done.status_code == 303
    kings = {(k.board, k.category, k.scope): k.merchant_id
             for k in db.session.scalars(select(SalesKing))}
    assert kings[("peak", "apparel", "")] == w.apparel.id   # per board and category
    assert kings[("peak", "jade", "")] == w.jade.id
    assert kings[("industry", "jade", "jade")] == w.jade.id
    assert kings[("industry", "apparel", "apparel")] == w.apparel.id
    assert ("peak", "food", "") not in kings  # no sales in 美食: no title
    again = client.post(f"/admin/campaigns/{w.campaign.slug}/finalize")
    assert again.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(SalesKing)) == len(kings)
    shop = text(make_client().get(f"/shops/{w.apparel.id}"))
    assert "卖货王 · 服饰 · 巅峰榜" in shop
    room = text(make_client().get(f"/live/{w.apparel_room.id}"))
    assert "卖货王 · 服饰 · 巅峰榜" in room  # the anchor's titles in their live room
    assert "leaderboards/peak?category=apparel" in room
    board = text(make_client().get(f"/campaigns/{w.campaign.slug}/leaderboards/peak"))
    assert "卖货王 · 服饰 · 巅峰榜" in board and "卖货王 · 玉石 · 巅峰榜" in board
    jade_board = text(make_client().get(
        f"/campaigns/{w.campaign.slug}/leaderboards/peak?category=jade"))
    assert "卖货王 · 玉石 · 巅峰榜" in jade_board and "卖货王 · 服饰" not in jade_board


@pytest.mark.concurrency
def test_five_operators_finalizing_at_once_crown_one_set(app, ctx):
    w = sale_world()
    paid_order(w.buyer, w.bangle, 1)
    operators = [make.user(f"运营{i}", operator=True) for i in range(5)]
    ids = [o.id for o in operators]
    campaign_id = w.campaign.id
    clock.travel(timedelta(days=2))

    def finalize(i: int):
        from app.accounts.models import User
        from app.campaigns.models import Campaign

        return leaderboards.finalize_campaign(db.session.get(User, ids[i]),
                                              db.session.get(Campaign, campaign_id))[1]

    results = race(app, 5, finalize)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert results.count(True) == 1
    assert db.session.scalar(select(func.count()).select_from(SalesKing)) == 3  # peak, potential, jade


def test_only_operators_finalize_and_not_before_the_end(w):
    clock.travel(timedelta(days=2))
    from app.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        leaderboards.finalize_campaign(w.jade.owner, w.campaign)
    clock.travel(timedelta(days=-2))
    with pytest.raises(Conflict):
        leaderboards.finalize_campaign(make.user("运营", operator=True), w.campaign)


# --- an ended campaign's venue -----------------------------------------------------------------

def test_an_ended_venue_shows_its_results_and_winners_not_upcoming_goods_or_live_rooms(
        w, client):
    paid_order(w.buyer, w.dress, 3)    # 服饰 ¥1,500
    paid_order(w.buyer, w.bangle, 1)   # 玉石 ¥1,000
    paid_order(w.buyer, w.pendant, 2)  # 玉石 ¥400
    clock.travel(timedelta(days=2))    # the sale is over; w.jade_room is still "live"
    venue_url = f"/campaigns/{w.campaign.slug}"
    body = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text(client.get(venue_url))))
    assert "活动成绩" in body and "正式售卖期间成交 ¥2,900.00" in body
    assert "卖货王评选中" in body
    assert "活动商品即将上线" not in body
    assert "正在直播" not in body and "直播中" not in body
    assert "参与活动的主播 2 位" in body
    assert "美妆、美食、百货：正式售卖期间没有成交。" in body  # said plainly, once
    leaderboards.finalize_campaign(make.user("运营", operator=True), w.campaign)
    body = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text(client.get(venue_url))))
    assert "卖货王评选中" not in body
    jade = body[body.index(" 玉石 ¥1,400.00"):]
    assert jade.startswith(" 玉石 ¥1,400.00 2 单 · 2 家店铺有成交")
    assert "卖货王 · 玉石 · 巅峰榜 玉匠人" in jade
    assert "卖货王 · 服饰 · 巅峰榜 四季青女装" in body


def test_a_running_venue_still_shows_its_goods_and_live_rooms(w, client):
    body = text(client.get(f"/campaigns/{w.campaign.slug}"))
    assert "活动成绩" not in body and "个正在直播" in body and "冰种飘花翡翠手镯" in body
