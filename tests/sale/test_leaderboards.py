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


def test_potential_ranks_growth_of_small_shops(w, client, app):
    paid_order(w.buyer, w.bangle, 1, ago=timedelta(hours=15))  # 玉匠人 before: ¥1,000
    paid_order(w.buyer, w.bangle, 3)                                    # during: ¥3,000 (+2,000)
    paid_order(w.buyer, w.pendant, 2)                                   # 小玉坊 new: +¥400
    paid_order(w.buyer, w.dress, 1, ago=timedelta(hours=15))   # 四季青 before ¥500
    body = text(client.get(f"/campaigns/{w.campaign.slug}/leaderboards/potential"))
    assert names_in_order(body) == ["玉匠人", "小玉坊"]  # 四季青 fell: not a riser
    assert "+¥2,000.00" in body and "增长 200%" in body and "新上榜" in body
    app.config["LEADERBOARD_POTENTIAL_MAX_BEFORE_FEN"] = 100000  # ¥1,000: 玉匠人 is too big
    try:
        small_only = text(client.get(f"/campaigns/{w.campaign.slug}/leaderboards/potential"))
    finally:
        app.config["LEADERBOARD_POTENTIAL_MAX_BEFORE_FEN"] = 5_000_000
    assert names_in_order(small_only) == ["小玉坊"]


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
    kings = {(k.board, k.scope): k.merchant_id for k in db.session.scalars(select(SalesKing))}
    assert kings[("peak", "")] == w.apparel.id
    assert kings[("industry", "jade")] == w.jade.id
    assert kings[("industry", "apparel")] == w.apparel.id
    again = client.post(f"/admin/campaigns/{w.campaign.slug}/finalize")
    assert again.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(SalesKing)) == len(kings)
    shop = text(make_client().get(f"/shops/{w.apparel.id}"))
    assert "卖货王" in shop and "巅峰榜" in shop
    room = text(make_client().get(f"/live/{w.apparel_room.id}"))
    assert "卖货王" in room
    board = text(make_client().get(f"/campaigns/{w.campaign.slug}/leaderboards/peak"))
    assert "chip-king" in board


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
