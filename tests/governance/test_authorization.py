"""Who may do what: every role × every governance endpoint that changes something (and the
base's pages). Roles: anonymous, the order's buyer, another buyer, the shop's owner (镇平玉缘),
another merchant (瑞丽翠韵), the 河南镇平 admin, the 云南瑞丽 admin, a platform operator.

A permitted call must show its change; a refused one gets its status and changes nothing."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from app.accounts.models import AuditEntry, Notification
from app.catalog.models import Product
from app.extensions import db
from app.governance import complaints, videos
from app.governance.models import Complaint, EnforcementAction, SourceVideo
from app.merchants.models import Merchant
from tests.governance.conftest import ROLES

ANON = 302
DENIED = 403
HIDDEN = 404
DONE = 303
OK = 200


def snapshot(world) -> dict:
    db.session.expire_all()
    count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    shop = db.session.get(Merchant, world.shop.id)
    return {
        "complaints": sorted(db.session.execute(select(
            Complaint.id, Complaint.status, Complaint.answer, Complaint.addition)).all()),
        "videos": sorted(db.session.execute(select(SourceVideo.id, SourceVideo.status)).all()),
        "shop": (shop.suspended_until, shop.certified),
        "products": sorted(db.session.execute(select(Product.id, Product.status)).all()),
        "actions": count(EnforcementAction), "audit": count(AuditEntry),
        "notifications": count(Notification),
    }


def filed(world) -> Complaint:
    return complaints.file_complaint(world.buyer, world.order.id, complaints.ComplaintDraft(
        "not_as_described", "手镯颜色和直播间里看到的差很多。"))


def posted(world) -> SourceVideo:
    return videos.post_video(world.owner, videos.VideoDraft(
        "镇平工作室实拍", [world.bangle.id], "https://v.example.com/a.mp4"))


@dataclass
class Endpoint:
    name: str
    prepare: Callable      # world -> context dict
    call: Callable         # (world, role, ctx) -> (path, data)
    expected: dict         # role -> status


def _everyone(default: int, **overrides) -> dict:
    return {role: overrides.get(role, default) for role in ROLES} | {"anonymous": ANON}


ENDPOINTS = [
    Endpoint("file complaint", lambda w: {},
             lambda w, r, c: (f"/orders/{w.order.id}/complaint",
                              {"kind": "fake", "text": "手镯有胶味，不是天然A货。"}),
             _everyone(HIDDEN, buyer=DONE)),
    Endpoint("answer", lambda w: {"c": filed(w)},
             lambda w, r, c: (f"/complaints/{c['c'].id}/answer", {"answer": "可以寄回检测，运费我们出。"}),
             _everyone(HIDDEN, owner=DONE, buyer=DENIED, zhenping_admin=DENIED, operator=DENIED)),
    Endpoint("addition", lambda w: {"c": filed(w)},
             lambda w, r, c: (f"/complaints/{c['c'].id}/addition", {"addition": "补充：证书编号查不到。"}),
             _everyone(HIDDEN, buyer=DONE, owner=DENIED, zhenping_admin=DENIED, operator=DENIED)),
    Endpoint("decide", lambda w: {"c": filed(w)},
             lambda w, r, c: (f"/complaints/{c['c'].id}/decision",
                              {"outcome": "upheld", "reason": "经检测与描述不符"}),
             _everyone(HIDDEN, buyer=DENIED, owner=DENIED, zhenping_admin=DONE, operator=DONE)),
    Endpoint("warn", lambda w: {},
             lambda w, r, c: (f"/admin/merchants/{w.shop.id}/enforcement",
                              {"kind": "warning", "reason": "描述夸大，请整改"}),
             _everyone(DENIED, zhenping_admin=DONE, operator=DONE)),
    Endpoint("suspend", lambda w: {},
             lambda w, r, c: (f"/admin/merchants/{w.shop.id}/enforcement",
                              {"kind": "suspend", "days": "7", "reason": "售假停业整顿"}),
             _everyone(DENIED, zhenping_admin=DONE, operator=DONE)),
    Endpoint("delist", lambda w: {},
             lambda w, r, c: (f"/admin/merchants/{w.shop.id}/enforcement",
                              {"kind": "delist", "product_id": str(w.bangle.id), "reason": "证书不符下架"}),
             _everyone(DENIED, zhenping_admin=DONE, operator=DONE)),
    Endpoint("post video", lambda w: {},
             lambda w, r, c: ("/sell/videos", {
                 "caption": "源头工作室实拍", "url": "https://v.example.com/a.mp4",
                 "product_ids": str((w.other_product if r == "other_merchant" else w.bangle).id)}),
             _everyone(DENIED, owner=DONE, other_merchant=DONE)),
    Endpoint("remove video", lambda w: {"v": posted(w)},
             lambda w, r, c: (f"/sell/videos/{c['v'].id}/remove", {}),
             _everyone(DENIED, owner=DONE, other_merchant=HIDDEN)),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_who_may_change_what(world, endpoint, role):
    context = endpoint.prepare(world)
    before = snapshot(world)
    path, data = endpoint.call(world, role, context)
    response = world.client(role).post(path, data=data, content_type="multipart/form-data")
    expected = endpoint.expected[role]
    assert response.status_code == expected, (endpoint.name, role, response.get_data(as_text=True)[:400])
    after = snapshot(world)
    if expected == DONE:
        assert after != before, (endpoint.name, role)
    else:
        assert after == before, (endpoint.name, role)


PAGES = [
    ("base queue", lambda w: "/admin/belts/zhenping-jade/complaints",
     _everyone(DENIED, zhenping_admin=OK, operator=OK)),
    ("base dashboard", lambda w: "/admin/belts/zhenping-jade/governance",
     _everyone(DENIED, zhenping_admin=OK, operator=OK)),
    ("enforcement page", lambda w: f"/admin/merchants/{w.shop.id}/enforcement",
     _everyone(DENIED, zhenping_admin=OK, operator=OK)),
    ("complaints overview", lambda w: "/admin/complaints",
     _everyone(DENIED, zhenping_admin=OK, ruili_admin=OK, operator=OK)),
    ("shop complaints", lambda w: "/sell/complaints",
     _everyone(DENIED, owner=OK, other_merchant=OK)),
    ("my videos", lambda w: "/sell/videos", _everyone(DENIED, owner=OK, other_merchant=OK)),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name,path,expected", PAGES, ids=[p[0] for p in PAGES])
def test_who_may_see_the_governance_pages(world, name, path, expected, role):
    response = world.client(role).get(path(world))
    assert response.status_code == expected[role], (name, role)


def test_a_belt_admin_who_owns_the_shop_does_not_judge_it(world, ctx):
    from app.accounts.models import BeltAdmin

    db.session.add(BeltAdmin(user_id=world.owner.id, belt_id=world.shop.belt_id))
    db.session.commit()
    complaint = filed(world)
    before = snapshot(world)
    owner = world.client("owner")
    assert owner.post(f"/complaints/{complaint.id}/decision",
                      data={"outcome": "rejected", "reason": "我自己的店没问题"}).status_code == DENIED
    assert owner.post(f"/admin/merchants/{world.shop.id}/enforcement",
                      data={"kind": "reinstate", "reason": "给自己恢复营业"}).status_code == DENIED
    assert snapshot(world) == before


def test_a_belt_admin_who_filed_the_complaint_does_not_judge_it(world, ctx):
    from app.accounts.models import BeltAdmin

    db.session.add(BeltAdmin(user_id=world.buyer.id, belt_id=world.shop.belt_id))
    db.session.commit()
    complaint = filed(world)
    before = snapshot(world)
    buyer = world.client("buyer")
    assert buyer.post(f"/complaints/{complaint.id}/decision",
                      data={"outcome": "upheld", "reason": "我说成立就成立"}).status_code == DENIED
    assert snapshot(world) == before
    assert 'name="outcome"' not in buyer.get(f"/complaints/{complaint.id}").get_data(as_text=True)


def test_a_shop_without_a_belt_goes_to_the_operators(world, ctx):
    from tests import factories as make

    owner = make.user("义乌店主")
    shop = make.merchant("义乌小商品", belt_slug=None, owner=owner)
    item = make.product(shop, "不锈钢保温杯")
    order = make.order(world.buyer, item)
    complaint = complaints.file_complaint(world.buyer, order.id, complaints.ComplaintDraft(
        "service", "客服一直不回复，催发货也没人理。"))
    assert complaint.belt_id is None
    assert "义乌小商品" in world.client("operator").get("/admin/complaints").get_data(as_text=True)
    for role in ("zhenping_admin", "ruili_admin"):
        assert world.client(role).get(f"/complaints/{complaint.id}").status_code == HIDDEN
        response = world.client(role).post(f"/complaints/{complaint.id}/decision",
                                           data={"outcome": "upheld", "reason": "不回复客服"})
        assert response.status_code == HIDDEN
    response = world.client("operator").post(f"/complaints/{complaint.id}/decision",
                                             data={"outcome": "upheld", "reason": "不回复客服"})
    assert response.status_code == DONE
