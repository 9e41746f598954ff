"""定向邀约报名: operators invite shops, invited shops apply with their goods, operators approve
or reject with a reason; only approved shops appear in the venue."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import Notification
from app.campaigns import registration as reg
from app.campaigns.models import Registration, RegistrationProduct
from app.extensions import db
from tests import factories as make
from tests.campaigns.helpers import count, page, refreshed


@pytest.fixture
def setting(ctx):
    campaign = make.campaign("116-2026")
    operator = make.user("运营", operator=True)
    shop = make.merchant("玉匠人", certified=True)
    goods = [make.product(shop, "冰种手镯"), make.product(shop, "平安扣")]
    make.live_room(shop, title="玉匠人源头直播")
    return campaign, operator, shop, goods


def test_the_whole_invitation_story(client, make_client, setting):
    campaign, operator, shop, goods = setting
    make.sign_in(client, operator)
    assert client.post("/admin/campaigns/116-2026/invite",
                       data={"merchant_id": str(shop.id)}).status_code == 303
    row = db.session.scalar(select(Registration))
    assert row.status == "invited"
    assert count(Notification, Notification.user_id == shop.owner_id) == 1
    assert "玉匠人源头直播" not in page(client.get("/campaigns/116-2026"))

    merchant = make_client()
    make.sign_in(merchant, shop.owner)
    mine = page(merchant.get("/sell/campaigns"))
    assert "116卖货王" in mine and "冰种手镯" in mine and "已邀约" in mine
    response = merchant.post(f"/sell/campaigns/{row.id}/apply",
                             data={"product_ids": [str(goods[0].id)], "pitch": "镇平源头"})
    assert response.status_code == 303
    assert refreshed(Registration, row.id).status == "applied"
    assert [g.product_id for g in db.session.scalars(select(RegistrationProduct))] == [goods[0].id]

    queue = page(client.get("/admin/campaigns/116-2026/registrations"))
    assert "待审核" in queue and "镇平源头" in queue and "冰种手镯" in queue
    rejected = client.post(f"/admin/campaigns/116-2026/registrations/{row.id}/decide",
                           data={"decision": "reject", "reason": "商品图片不清晰"})
    assert rejected.status_code == 303
    assert refreshed(Registration, row.id).status == "rejected"
    assert "商品图片不清晰" in page(merchant.get("/sell/campaigns"))

    assert merchant.post(f"/sell/campaigns/{row.id}/apply", data={
        "product_ids": [str(goods[0].id), str(goods[1].id)]}).status_code == 303
    assert client.post(f"/admin/campaigns/116-2026/registrations/{row.id}/decide",
                       data={"decision": "approve"}).status_code == 303
    assert refreshed(Registration, row.id).status == "approved"
    venue = page(client.get("/campaigns/116-2026"))
    assert "玉匠人源头直播" in venue and "冰种手镯" in venue and "平安扣" in venue
    assert [m.id for m in reg.approved_merchants(campaign)] == [shop.id]
    assert [r.title for r in reg.approved_live_rooms(campaign)] == ["玉匠人源头直播"]
    # approved: no more changes from the shop
    late = merchant.post(f"/sell/campaigns/{row.id}/apply", data={"product_ids": [str(goods[0].id)]})
    assert late.status_code == 409 and "报名已通过，不能再修改。" in page(late)
    assert count(RegistrationProduct) == 2


def test_the_queue_suggests_shops_to_invite_with_one_tap(client, setting):
    _campaign, operator, shop, _goods = setting
    make.sign_in(client, operator)
    queue = page(client.get("/admin/campaigns/116-2026/registrations"))
    assert "推荐邀约" in queue and f'name="merchant_id" value="{shop.id}"' in queue
    client.post("/admin/campaigns/116-2026/invite", data={"merchant_id": str(shop.id)})
    queue = page(client.get("/admin/campaigns/116-2026/registrations"))
    assert f'name="merchant_id" value="{shop.id}"' not in queue  # listed now, not suggested


def test_bad_invitations_are_refused(client, setting):
    _campaign, operator, shop, _goods = setting
    make.sign_in(client, operator)
    for bad, message in (("", "找不到这个店铺"), ("abc", "找不到这个店铺"), ("99999", "找不到这个店铺")):
        response = client.post("/admin/campaigns/116-2026/invite", data={"merchant_id": bad})
        assert response.status_code == 400 and message in page(response)
    client.post("/admin/campaigns/116-2026/invite", data={"merchant_id": str(shop.id)})
    twice = client.post("/admin/campaigns/116-2026/invite", data={"merchant_id": str(shop.id)})
    assert twice.status_code == 409 and "已经在邀约名单里了" in page(twice)
    assert count(Registration) == 1
    assert client.post("/admin/campaigns/nope/invite", data={"merchant_id": str(shop.id)}).status_code == 404


def test_bad_applications_and_decisions_change_nothing(client, make_client, setting):
    campaign, operator, shop, goods = setting
    other = make.merchant("四会玉器", belt_slug="sihui-jade")
    foreign = make.product(other, "别人的摆件")
    row = make.registration(campaign, shop, status="invited")
    merchant = make_client()
    make.sign_in(merchant, shop.owner)
    empty = merchant.post(f"/sell/campaigns/{row.id}/apply", data={})
    assert empty.status_code == 400 and "请至少选择一件参加活动的商品。" in page(empty)
    theirs = merchant.post(f"/sell/campaigns/{row.id}/apply", data={"product_ids": [str(foreign.id)]})
    assert theirs.status_code == 400 and "只能选择自己店铺在售的商品。" in page(theirs)
    junk = merchant.post(f"/sell/campaigns/{row.id}/apply", data={"product_ids": ["x"]})
    assert junk.status_code == 400
    assert refreshed(Registration, row.id).status == "invited" and count(RegistrationProduct) == 0

    make.sign_in(client, operator)
    not_applied = client.post(f"/admin/campaigns/116-2026/registrations/{row.id}/decide",
                              data={"decision": "approve"})
    assert not_applied.status_code == 409
    merchant.post(f"/sell/campaigns/{row.id}/apply", data={"product_ids": [str(goods[0].id)]})
    no_reason = client.post(f"/admin/campaigns/116-2026/registrations/{row.id}/decide",
                            data={"decision": "reject", "reason": "  "})
    assert no_reason.status_code == 400 and "请填写未通过的原因" in page(no_reason)
    odd = client.post(f"/admin/campaigns/116-2026/registrations/{row.id}/decide",
                      data={"decision": "maybe"})
    assert odd.status_code == 400
    assert refreshed(Registration, row.id).status == "applied"


def test_who_may_invite_apply_and_decide(client, make_client, setting):
    campaign, _operator, shop, goods = setting
    row = make.registration(campaign, shop, status="applied", goods=[goods[0]])
    outsider_shop = make.merchant("四会玉器", belt_slug="sihui-jade")
    for who in (make.user("买家"), shop.owner, make.belt_admin(), outsider_shop.owner):
        c = make_client()
        make.sign_in(c, who)
        assert c.get("/admin/campaigns/116-2026/registrations").status_code == 403
        assert c.post("/admin/campaigns/116-2026/invite",
                      data={"merchant_id": str(outsider_shop.id)}).status_code == 403
        assert c.post(f"/admin/campaigns/116-2026/registrations/{row.id}/decide",
                      data={"decision": "approve"}).status_code == 403
    # another shop cannot apply on this shop's invitation; a buyer has no shop at all
    c = make_client()
    make.sign_in(c, outsider_shop.owner)
    assert c.post(f"/sell/campaigns/{row.id}/apply",
                  data={"product_ids": [str(goods[0].id)]}).status_code == 404
    c = make_client()
    make.sign_in(c, make.user("没有店的人"))
    assert c.get("/sell/campaigns").status_code == 403
    assert refreshed(Registration, row.id).status == "applied"
    assert count(Registration) == 1
