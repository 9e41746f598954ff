"""Campaigns: phases by time, operators create and edit, the home banner and the venue follow
the phase read from the clock."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from app import clock
from app.campaigns import campaigns
from app.campaigns.models import Campaign, RaffleDraw
from app.extensions import db
from tests import factories as make
from tests.campaigns.helpers import HX, count, page


def shanghai(y, m, d, h=0) -> datetime:
    return clock.shanghai_midnight(date(y, m, d)) + timedelta(hours=h)


def test_phases_follow_the_seed_dates(ctx):
    clock.freeze(datetime(2026, 10, 20, tzinfo=UTC))
    warmup, sale, end = campaigns.default_dates(clock.now())
    assert (warmup, sale, end) == (shanghai(2026, 11, 1), shanghai(2026, 11, 5), shanghai(2026, 11, 7))
    c = Campaign(slug="x", name="116", hashtag="#116卖货王", warmup_start=warmup, sale_start=sale,
                 sale_end=end)
    assert campaigns.phase_of(c, shanghai(2026, 10, 31, 23)) == "upcoming"
    assert campaigns.phase_of(c, shanghai(2026, 11, 1)) == "warmup"
    assert campaigns.phase_of(c, shanghai(2026, 11, 4, 23)) == "warmup"
    assert campaigns.phase_of(c, shanghai(2026, 11, 5)) == "sale"
    assert campaigns.phase_of(c, shanghai(2026, 11, 6, 23)) == "sale"
    assert campaigns.phase_of(c, shanghai(2026, 11, 7)) == "ended"
    assert campaigns.sale_window(c) == (sale, end)
    assert campaigns.next_deadline(c, shanghai(2026, 11, 2)) == sale
    assert campaigns.next_deadline(c, shanghai(2026, 11, 8)) is None
    assert campaigns.warmup_days(c) == [date(2026, 11, d) for d in (1, 2, 3, 4)]
    # after this year's sale the defaults move to next year
    assert campaigns.default_dates(shanghai(2026, 11, 8))[0] == shanghai(2027, 11, 1)


def test_venue_category_of_maps_products_to_the_five_sessions(ctx):
    jade = make.merchant("玉匠人")
    apparel = make.merchant("佟二堡皮草", belt_slug="tongerbao-apparel")
    general = make.merchant("义乌小商品", belt_slug=None, industry_slug="small-commodities")
    assert campaigns.venue_category_of(make.product(jade, "手镯")) == "jade"
    coat = make.product(apparel, "貂皮大衣", category_slug="fur-leather")
    assert campaigns.venue_category_of(coat) == "apparel"
    assert campaigns.venue_category_of(make.product(general, "面霜", category_slug="beauty")) == "beauty"
    assert campaigns.venue_category_of(make.product(general, "茶叶", category_slug="tea-green")) == "food"
    assert campaigns.venue_category_of(make.product(general, "收纳盒")) == "general"


def campaign_form(**overrides) -> dict:
    form = {"slug": "116-2026", "name": "116卖货王", "hashtag": "#116卖货王", "tagline": "源头好货",
            "warmup_start": "2026-11-01T00:00", "sale_start": "2026-11-05T00:00",
            "sale_end": "2026-11-07T00:00", "raffle_beacon": ""}
    form.update(overrides)
    return form


def test_an_operator_creates_a_campaign_with_the_seed_dates_and_daily_draws(client, ctx):
    clock.freeze(datetime(2026, 10, 20, tzinfo=UTC))
    operator = make.user("运营", operator=True)
    make.sign_in(client, operator)
    new = page(client.get("/admin/campaigns/new"))
    assert 'value="2026-11-01T00:00"' in new and 'value="2026-11-05T00:00"' in new
    assert 'value="#116卖货王"' in new
    response = client.post("/admin/campaigns/new", data=campaign_form())
    assert response.status_code == 303
    c = db.session.scalar(select(Campaign))
    assert (c.warmup_start, c.sale_start, c.sale_end) == (
        shanghai(2026, 11, 1), shanghai(2026, 11, 5), shanghai(2026, 11, 7))
    draws = db.session.scalars(select(RaffleDraw).order_by(RaffleDraw.day)).all()
    assert [d.day for d in draws] == [date(2026, 11, d) for d in (1, 2, 3, 4)]
    assert all(len(d.commit) == 64 and d.status == "open" for d in draws)
    assert draws[0].closes_at == shanghai(2026, 11, 2)
    assert "116卖货王" in page(client.get("/admin/campaigns"))


def test_an_operator_edits_the_dates_and_published_draws_stay(client, ctx):
    clock.freeze(datetime(2026, 10, 20, tzinfo=UTC))
    operator = make.user("运营", operator=True)
    c = make.campaign("116-2026", warmup_start=shanghai(2026, 11, 1))
    commits = {d.day: d.commit for d in db.session.scalars(select(RaffleDraw))}
    make.sign_in(client, operator)
    assert 'value="2026-11-01T00:00"' in page(client.get(f"/admin/campaigns/{c.slug}/edit"))
    response = client.post(f"/admin/campaigns/{c.slug}/edit", data=campaign_form(
        name="116卖货王 2026", warmup_start="2026-11-02T00:00", sale_start="2026-11-06T00:00"))
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Campaign, c.id).name == "116卖货王 2026"
    after = {d.day: d.commit for d in db.session.scalars(select(RaffleDraw))}
    # 11-05 joins the warm-up with a commitment of its own; 11-01 left it but keeps its draw
    assert sorted(after) == [date(2026, 11, d) for d in (1, 2, 3, 4, 5)]
    assert all(after[d] == commits[d] for d in commits)  # published commitments never change


@pytest.mark.parametrize("overrides, message", [
    ({"slug": "Bad Slug!"}, "活动标识只能用小写字母、数字和连字符"),
    ({"name": ""}, "请填写活动名称。"),
    ({"hashtag": "116卖货王"}, "话题标签以 # 开头"),
    ({"hashtag": "#116 卖货王"}, "话题标签以 # 开头"),
    ({"sale_start": "2026-10-30T00:00"}, "预热期要在正式售卖之前开始。"),
    ({"sale_end": "2026-11-04T00:00"}, "正式售卖的结束时间要晚于开始时间。"),
    ({"warmup_start": "yesterday"}, "请填写完整的日期和时间。"),
    ({"sale_end": "2027-02-01T00:00"}, "每个阶段最长 31 天。"),
])
def test_bad_campaign_forms_are_refused_and_keep_what_was_typed(client, ctx, overrides, message):
    make.sign_in(client, make.user("运营", operator=True))
    response = client.post("/admin/campaigns/new", data=campaign_form(tagline="留着我", **overrides))
    assert response.status_code == 400
    text = page(response)
    assert message in text and "留着我" in text
    assert count(Campaign) == 0


def test_a_taken_slug_is_a_conflict(client, ctx):
    make.campaign("116-2026")
    make.sign_in(client, make.user("运营", operator=True))
    response = client.post("/admin/campaigns/new", data=campaign_form())
    assert response.status_code == 409 and "活动标识 116-2026 已被使用。" in page(response)
    assert count(Campaign) == 1


def test_only_operators_manage_campaigns(client, ctx):
    c = make.campaign("116-2026")
    shop = make.merchant("玉匠人")
    for who in (make.user("买家"), shop.owner, make.belt_admin()):
        other = client.application.test_client()
        make.sign_in(other, who)
        assert other.get("/admin/campaigns").status_code == 403
        assert other.get("/admin/campaigns/new").status_code == 403
        assert other.post("/admin/campaigns/new", data=campaign_form(slug="x-1")).status_code == 403
        assert other.post(f"/admin/campaigns/{c.slug}/edit", data=campaign_form(name="改")).status_code == 403
    anonymous = client.application.test_client()
    assert anonymous.get("/admin/campaigns").status_code in (302, 303)
    assert count(Campaign) == 1
    db.session.expire_all()
    assert db.session.get(Campaign, c.id).name == "116卖货王"


def test_the_home_banner_and_the_venue_follow_the_phase(client, ctx):
    start = shanghai(2026, 11, 1)
    make.campaign("116-2026", warmup_start=start)
    clock.freeze(start - timedelta(days=60))
    assert "116卖货王" not in page(client.get("/"))  # too far ahead: no banner
    clock.freeze(start - timedelta(days=3))
    home = page(client.get("/"))
    assert "116卖货王" in home and "未开始" in home and "距预热开始" in home
    clock.freeze(start + timedelta(days=1, hours=2))
    home = page(client.get("/"))
    assert "预热期" in home and "距正式售卖" in home and "每天抽 666 张免单券" in home
    venue = page(client.get("/campaigns/116-2026"))
    assert "预热期" in venue and "距正式售卖" in venue and 'data-countdown="' in venue
    assert "2天" in venue and "做任务 赢免单" in venue  # 2 days 22 hours to the sale
    clock.freeze(start + timedelta(days=4, hours=1))
    home = page(client.get("/"))
    assert "正式售卖" in home and "距活动结束" in home
    clock.freeze(start + timedelta(days=7))
    assert "116卖货王" not in page(client.get("/"))
    venue = page(client.get("/campaigns/116-2026"))
    assert "活动已结束" in venue and "data-countdown" not in venue
    assert client.get("/campaigns/nope").status_code == 404


def test_the_current_campaign_is_a_plain_copy_of_the_running_one(ctx):
    """Pages read the current campaign as a plain copy (one plain query, no entity): the
    running one before the next, with every column the entity has."""
    from sqlalchemy import inspect as sa_inspect

    from app.campaigns.models import CampaignCopy

    start = shanghai(2026, 11, 1)
    running = make.campaign("116-2026", warmup_start=start)
    make.campaign("118-2026", warmup_start=start + timedelta(days=10), name="118大促")
    make.campaign("old", warmup_start=start - timedelta(days=30), name="已结束的活动")
    clock.freeze(start + timedelta(days=1))
    found = campaigns.current_campaign(clock.now())
    assert isinstance(found, CampaignCopy)
    for attribute in sa_inspect(Campaign).column_attrs:
        assert getattr(found, attribute.key) == getattr(running, attribute.key), attribute.key
    assert campaigns.phase_of(found, clock.now()) == "warmup"
    assert campaigns.next_deadline(found, clock.now()) == running.sale_start
    clock.freeze(start + timedelta(days=7))  # 116 is over: the next one to start
    assert campaigns.current_campaign(clock.now()).slug == "118-2026"


def test_the_venue_shows_approved_anchors_rooms_live_first_and_goods_by_category(client, ctx):
    c = make.campaign("116-2026")
    jade = make.merchant("玉匠人", certified=True)
    fur = make.merchant("佟二堡皮草", belt_slug="tongerbao-apparel")
    pending = make.merchant("四会玉器", belt_slug="sihui-jade")
    bangle = make.product(jade, "冰种手镯")
    coat = make.product(fur, "水貂大衣", category_slug="fur-leather")
    hidden = make.product(pending, "待审核的摆件")
    make.live_room(fur, title="皮草源头直播", status="ended")
    make.live_room(jade, title="玉雕源头直播", status="live")
    make.live_room(pending, title="不该出现", status="live")
    make.registration(c, jade, goods=[bangle])
    make.registration(c, fur, goods=[coat])
    make.registration(c, pending, status="applied", goods=[hidden])
    venue = page(client.get("/campaigns/116-2026"))
    assert venue.index("玉雕源头直播") < venue.index("皮草源头直播")
    assert "不该出现" not in venue and "待审核的摆件" not in venue
    for name in ("服饰", "美妆", "美食", "玉石", "百货"):
        assert name in venue
    assert venue.index("水貂大衣") < venue.index("冰种手镯")  # 服饰 comes before 玉石
    jade_only = client.get("/campaigns/116-2026?category=jade", headers=HX)
    fragment = page(jade_only)
    assert "冰种手镯" in fragment and "水貂大衣" not in fragment and "<html" not in fragment
    assert "冰种手镯" in page(client.get("/campaigns/116-2026?category=bogus"))
