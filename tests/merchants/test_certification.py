"""官方认证: a 河南镇平 merchant applies with documents; the Zhenping base approves or rejects
with a reason (plain forms and htmx); approval brings the badge, the tags and the ranking;
revocation takes them away; every decision is audited and notified."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.accounts.models import AuditEntry, Notification
from app.extensions import db
from app.merchants import certification
from app.merchants.models import CertificationApplication, CertificationDocument, Merchant
from tests import factories as make
from tests.concurrency import race
from tests.merchants.conftest import photo

HTMX = {"HX-Request": "true", "HX-Target": "application-1"}


def page(response) -> str:
    return response.get_data(as_text=True)


def applications() -> list[CertificationApplication]:
    db.session.expire_all()
    return list(db.session.scalars(select(CertificationApplication)))


def audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def notifications_of(user) -> list[str]:
    return [n.message for n in db.session.scalars(
        select(Notification).where(Notification.user_id == user.id))]


def apply(client, licence=None, workshop=None, statement="石佛寺玉器市场 3 号档口"):
    data = {"statement": statement}
    if licence is not False:
        data["licence"] = photo(licence, "营业执照.jpg")
    if workshop is not False:
        data["workshop"] = workshop if workshop is not None else [photo(name="档口.jpg")]
    return client.post("/my-shop/certification", data=data, content_type="multipart/form-data")


def reload(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


# --- applying ---------------------------------------------------------------------------

def test_a_merchant_applies_and_the_zhenping_admins_are_told(cast):
    owner = cast.clients["owner"]
    assert "提交申请" in page(owner.get("/my-shop/certification"))
    response = apply(owner, workshop=[photo(name="a.jpg"), photo(make.jpeg_bytes(color=(1, 2, 3)))])
    assert response.status_code == 303
    [application] = applications()
    assert application.status == "pending" and application.belt_id == cast.shop.belt_id
    kinds = [d.kind for d in application.documents]
    assert kinds == ["licence", "workshop", "workshop"]
    assert notifications_of(cast.zhenping_admin) == ["%(shop)s 提交了官方认证申请，等待你审核。"]
    assert notifications_of(cast.ruili_admin) == []
    status = page(owner.get("/my-shop/certification"))
    assert "审核中" in status and "提交申请" not in status

    queue = page(cast.clients["zhenping_admin"].get("/admin/belts/zhenping-jade/certifications"))
    assert "镇平玉缘" in queue and "石佛寺玉器市场 3 号档口" in queue
    for document in application.documents:
        assert f"/certification/documents/{document.id}/480.webp" in queue
        assert document.image_key not in queue  # the stored name is never shown


def test_one_pending_application_at_a_time(cast):
    assert apply(cast.clients["owner"]).status_code == 303
    again = apply(cast.clients["owner"])
    assert again.status_code == 409
    assert len(applications()) == 1


@pytest.mark.concurrency
def test_two_submissions_at_once_make_one_application(app, cast):
    data = [make.jpeg_bytes(), make.jpeg_bytes(color=(9, 9, 9))]
    owner_id = cast.owner.id

    def submit(i):
        from app.accounts.models import User

        return certification.apply(db.session.get(User, owner_id),
                                   certification.Documents(licence=data[0], workshop=[data[1]]))

    results = race(app, 6, submit)
    assert sum(isinstance(r, CertificationApplication) for r in results) == 1
    assert all(isinstance(r, CertificationApplication) or r.status == 409 for r in results)
    assert len(applications()) == 1


@pytest.mark.parametrize("licence,workshop,field,message", [
    (b"%PDF-1.7 not a photo", None, "licence", "这不是能识别的图片"),
    (b"GIF89a\x01\x00\x01\x00", None, "licence", "这不是能识别的图片"),
    ("bomb", None, "licence", "图片像素过大"),
    (None, [photo(b"<?php echo 1; ?>", "shop.jpg")], "workshop", "这不是能识别的图片"),
    (False, None, "licence", "请上传营业执照照片"),
    (None, False, "workshop", "请至少上传一张"),
    (None, [photo() for _ in range(6)], "workshop", "实拍照片最多 5 张"),
])
def test_bad_documents_are_refused_beside_their_field(cast, licence, workshop, field, message):
    if licence == "bomb":
        licence = make.png_bomb()
    response = apply(cast.clients["owner"], licence=licence, workshop=workshop)
    assert 400 <= response.status_code < 500
    text = page(response)
    match = re.search(rf'id="{field}-error">([^<]*)<', text)
    assert match and message in match.group(1), text[:200]
    assert applications() == []
    assert db.session.scalar(select(func.count()).select_from(CertificationDocument)) == 0


def test_an_oversized_photo_is_refused_beside_the_field(cast, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_IMAGE_BYTES", 40_000)
    big = make.jpeg_bytes(1200, 1200) + b"\x00" * 50_000
    response = apply(cast.clients["owner"], licence=big)
    assert response.status_code == 413 and "图片超过" in page(response)
    assert applications() == []


def test_a_body_over_the_upload_limit_gets_the_form_back(cast, monkeypatch):
    from app.merchants import upload_routes

    monkeypatch.setattr(upload_routes, "MULTI_PHOTO_REQUEST_LIMIT", 300_000)
    response = apply(cast.clients["owner"], licence=b"\xff" * 400_000)
    assert response.status_code == 413
    assert "上传的文件太大了" in page(response) and "提交申请" in page(response)
    assert "石佛寺玉器市场 3 号档口" in page(response)  # what was typed is kept
    assert applications() == []


def test_the_statement_is_plain_text_of_bounded_length(cast):
    for statement, message in (("<script>alert('x')</script>", "申请说明不能包含"),
                               ("说" * 301, "申请说明不能超过 300 个字")):
        response = apply(cast.clients["owner"], statement=statement)
        assert response.status_code == 400 and message in page(response)
    assert applications() == []


def test_a_shop_outside_any_belt_cannot_apply(ctx, client):
    owner = make.user()
    make.merchant("义乌好物", belt_slug=None, source_type="factory_direct", owner=owner)
    make.sign_in(client, owner)
    assert "暂时不能申请" in page(client.get("/my-shop/certification"))
    assert apply(client).status_code == 409
    assert applications() == []


# --- deciding ---------------------------------------------------------------------------

def test_the_zhenping_admin_approves_with_plain_forms(cast):
    rival = make.merchant("镇平老字号", sales=99999)  # sells more, but is not certified
    make.product(rival, "岫玉平安扣 热卖", sales=5000)
    product = make.product(cast.shop, "独山玉平安扣")
    application = make.application(cast.shop)
    admin = cast.clients["zhenping_admin"]
    response = admin.post(f"/admin/certifications/{application.id}/approve", data={"reason": ""})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/admin/belts/zhenping-jade/certifications")
    assert "已通过 镇平玉缘 的认证" in page(admin.get(response.headers["Location"]))

    shop = reload(Merchant, cast.shop.id)
    assert shop.certified and shop.certified_at is not None
    assert reload(CertificationApplication, application.id).status == "approved"
    [entry] = audit("certification.approve")
    assert entry.actor_id == cast.zhenping_admin.id and entry.subject_id == shop.id
    assert entry.belt_id == shop.belt_id
    assert "恭喜！%(shop)s 已通过%(belt)s基地官方认证。" in notifications_of(cast.owner)

    buyer = cast.clients["anonymous"]
    assert "官方认证" in page(buyer.get(f"/shops/{shop.id}"))
    product_page = page(buyer.get(f"/products/{product.id}"))
    assert "源头好货" in product_page and "官方认证" in product_page
    belt_page = page(buyer.get("/belts/zhenping-jade"))
    assert belt_page.index("镇平玉缘") < belt_page.index(rival.name)
    results = page(buyer.get("/search?q=平安扣"))  # the rival's piece sells far more
    assert results.index("独山玉平安扣") < results.index("岫玉平安扣 热卖")
    portal = page(buyer.get("/portals/jade"))
    certified_row = portal.split('id="portal-shops"')[1].split("</ul>")[0]
    assert "镇平玉缘" in certified_row and rival.name not in certified_row
    merchant_view = page(cast.clients["owner"].get("/my-shop/certification"))
    assert "已通过" in merchant_view


def test_an_approval_from_the_queue_with_htmx_swaps_only_the_card(cast):
    application = make.application(cast.shop)
    admin = cast.clients["zhenping_admin"]
    queue = page(admin.get("/admin/belts/zhenping-jade/certifications"))
    assert f'hx-post="/admin/certifications/{application.id}/approve"' in queue
    assert f'hx-target="#application-{application.id}"' in queue
    response = admin.post(f"/admin/certifications/{application.id}/approve",
                          data={"reason": "资料齐全，实地走访属实"}, headers=HTMX)
    assert response.status_code == 200
    fragment = page(response)
    assert "<html" not in fragment and fragment.lstrip().startswith("<article")
    assert f'id="application-{application.id}"' in fragment
    assert "已通过" in fragment and "资料齐全，实地走访属实" in fragment
    assert "hx-post" not in fragment  # decided: no more buttons
    assert reload(Merchant, cast.shop.id).certified


def test_rejecting_needs_a_reason_the_merchant_then_reads(cast):
    application = make.application(cast.shop)
    admin = cast.clients["zhenping_admin"]
    for headers in ({}, HTMX):
        empty = admin.post(f"/admin/certifications/{application.id}/reject",
                           data={"reason": "  "}, headers=headers)
        assert empty.status_code == 400 and "请填写原因" in page(empty)
    script = admin.post(f"/admin/certifications/{application.id}/reject",
                        data={"reason": "<script>steal()</script>"}, headers=HTMX)
    assert script.status_code == 400 and "原因不能包含" in page(script)
    assert "&lt;script&gt;steal()&lt;/script&gt;" in page(script)  # kept, escaped
    long = admin.post(f"/admin/certifications/{application.id}/reject", data={"reason": "长" * 201})
    assert long.status_code == 400 and "原因不能超过 200 个字" in page(long)
    assert reload(CertificationApplication, application.id).status == "pending"
    assert audit("certification.reject") == []

    reason = "营业执照照片模糊，请重新拍摄"
    done = admin.post(f"/admin/certifications/{application.id}/reject", data={"reason": reason})
    assert done.status_code == 303
    decided = reload(CertificationApplication, application.id)
    assert decided.status == "rejected" and decided.decision_reason == reason
    assert not reload(Merchant, cast.shop.id).certified
    [entry] = audit("certification.reject")
    assert entry.reason == reason and entry.actor_id == cast.zhenping_admin.id
    owner = cast.clients["owner"]
    assert reason in page(owner.get("/my-shop/certification"))
    assert reason in page(owner.get("/notifications"))
    assert apply(owner).status_code == 303  # and may apply again


def test_a_decided_application_cannot_be_decided_again(cast):
    application = make.application(cast.shop)
    admin = cast.clients["zhenping_admin"]
    assert admin.post(f"/admin/certifications/{application.id}/approve").status_code == 303
    again = admin.post(f"/admin/certifications/{application.id}/reject",
                       data={"reason": "改主意了，驳回"}, headers=HTMX)
    assert again.status_code == 409 and "已经处理过了" in page(again)
    assert reload(CertificationApplication, application.id).status == "approved"
    assert len(audit("certification.approve")) == 1 and audit("certification.reject") == []


@pytest.mark.concurrency
def test_two_admins_deciding_at_once_make_one_decision(app, cast):
    application = make.application(cast.shop)
    second = make.belt_admin("zhenping-jade", "另一位管理员")
    admins = [cast.zhenping_admin.id, second.id] * 3
    application_id = application.id

    def decide(i):
        from app.accounts.models import User

        actor = db.session.get(User, admins[i])
        if i % 2:
            return certification.reject(actor, application_id, "材料不全，驳回")
        return certification.approve(actor, application_id)

    results = race(app, 6, decide)
    assert sum(isinstance(r, CertificationApplication) for r in results) == 1
    assert all(isinstance(r, CertificationApplication) or r.status == 409 for r in results)
    decided = reload(CertificationApplication, application.id)
    entries = audit("certification.approve") + audit("certification.reject")
    assert len(entries) == 1
    assert reload(Merchant, cast.shop.id).certified == (decided.status == "approved")


def test_revocation_with_a_reason_removes_badge_tags_and_ranking(cast):
    application = make.application(cast.shop)
    admin = cast.clients["zhenping_admin"]
    admin.post(f"/admin/certifications/{application.id}/approve")
    product = make.product(cast.shop, "独山玉平安扣")
    queue = page(admin.get("/admin/belts/zhenping-jade/certifications"))
    assert f"/admin/merchants/{cast.shop.id}/revoke-certification" in queue

    empty = admin.post(f"/admin/merchants/{cast.shop.id}/revoke-certification", data={"reason": ""})
    assert empty.status_code == 400 and "请填写原因" in page(empty)
    assert reload(Merchant, cast.shop.id).certified

    reason = "直播间将 B 货宣传为 A 货"
    done = admin.post(f"/admin/merchants/{cast.shop.id}/revoke-certification",
                      data={"reason": reason})
    assert done.status_code == 303
    shop = reload(Merchant, cast.shop.id)
    assert not shop.certified and shop.certified_at is None
    assert reload(CertificationApplication, application.id).status == "revoked"
    [entry] = audit("certification.revoke")
    assert entry.reason == reason and entry.belt_id == shop.belt_id
    product_page = page(cast.clients["anonymous"].get(f"/products/{product.id}"))
    assert "chip-certified" not in product_page and "chip-source" not in product_page
    assert reason in page(cast.clients["owner"].get("/my-shop/certification"))
    assert reason in page(cast.clients["owner"].get("/notifications"))
    again = admin.post(f"/admin/merchants/{cast.shop.id}/revoke-certification",
                       data={"reason": reason})
    assert again.status_code == 409
    assert apply(cast.clients["owner"]).status_code == 303  # may apply again later


def test_a_ruili_admin_neither_sees_nor_decides_a_zhenping_application(cast):
    application = make.application(cast.shop)
    ruili = cast.clients["ruili_admin"]
    assert ruili.get("/admin/belts/zhenping-jade/certifications").status_code == 403
    for action in ("approve", "reject"):
        response = ruili.post(f"/admin/certifications/{application.id}/{action}",
                              data={"reason": "不归我管也要管"}, headers=HTMX)
        assert response.status_code == 403
    assert reload(CertificationApplication, application.id).status == "pending"
    assert "镇平玉缘" not in page(ruili.get("/admin/belts/ruili-jade/certifications"))


def test_buyers_and_merchants_reach_no_admin_page(cast):
    for role in ("buyer", "owner", "other_merchant"):
        client = cast.clients[role]
        assert client.get("/admin/certifications").status_code == 403
        assert client.get("/admin/belts/zhenping-jade/certifications").status_code == 403


def test_admins_and_operators_find_their_queues(cast):
    make.application(cast.shop)
    admin = cast.clients["zhenping_admin"]
    overview = admin.get("/admin/certifications")
    assert overview.headers["Location"].endswith("/admin/belts/zhenping-jade/certifications")
    account = page(admin.get("/account"))
    assert "河南镇平 · 认证审核" in account
    belt = page(admin.get("/belts/zhenping-jade"))
    assert "/admin/belts/zhenping-jade/certifications" in belt and "1 份待审" in belt
    assert "/admin/belts/zhenping-jade/certifications" not in page(
        cast.clients["buyer"].get("/belts/zhenping-jade"))
    operator = page(cast.clients["operator"].get("/admin/certifications"))
    assert "河南镇平" in operator and "云南瑞丽" in operator and "1 份待审" in operator


def test_operators_see_every_decision_in_the_audit_log(cast):
    application = make.application(cast.shop)
    cast.clients["zhenping_admin"].post(f"/admin/certifications/{application.id}/reject",
                                        data={"reason": "执照过期，请更新后再申请"})
    log = page(cast.clients["operator"].get("/admin/audit"))
    assert "执照过期，请更新后再申请" in log and "镇平基地管理员" in log
    assert "驳回认证" in log and "镇平玉缘" in log
    assert "执照过期" not in page(cast.clients["ruili_admin"].get("/admin/audit"))


def test_a_base_admin_does_not_decide_on_their_own_shop(cast, make_client):
    admin_shop = make.merchant("管理员自己的店", owner=cast.zhenping_admin)
    application = make.application(admin_shop)
    admin = cast.clients["zhenping_admin"]
    response = admin.post(f"/admin/certifications/{application.id}/approve")
    assert response.status_code == 403 and "不能审核自己店铺的申请" in page(response)
    assert reload(CertificationApplication, application.id).status == "pending"
    assert not reload(Merchant, admin_shop.id).certified
    other_admin = make.belt_admin("zhenping-jade", "另一位管理员")
    client = make_client()
    make.sign_in(client, other_admin)
    assert client.post(f"/admin/certifications/{application.id}/approve").status_code == 303


def test_uploads_are_rate_limited_per_account(cast, app, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_UPLOADS", "2 per hour")
    owner = cast.clients["owner"]
    statuses = [apply(owner, licence=b"not an image").status_code for _ in range(3)]
    assert statuses == [400, 400, 429]
    assert "操作太频繁" in page(apply(owner))
    assert cast.clients["other_merchant"].get("/my-shop/certification").status_code == 200
    assert apply(cast.clients["other_merchant"]).status_code == 303  # someone else is not limited


def test_certification_changes_go_through_the_orm_so_listeners_see_them(cast):
    """Other domains copy Merchant.certified onto derived rows with ORM events (the catalog
    keeps a certified flag on goods for certified-first listings): approval and revocation
    must change the flag through the ORM, not only by a bulk UPDATE."""
    from sqlalchemy import event
    from sqlalchemy.orm import attributes

    seen = []

    def listener(mapper, connection, target):
        history = attributes.instance_state(target).attrs["certified"].history
        if history.has_changes():
            seen.append((target.id, bool(target.certified)))

    event.listen(Merchant, "after_update", listener)
    try:
        application = make.application(cast.shop)
        certification.approve(cast.zhenping_admin, application.id)
        certification.revoke(cast.zhenping_admin, cast.shop.id, "抽检不合格，撤销认证")
    finally:
        event.remove(Merchant, "after_update", listener)
    assert seen == [(cast.shop.id, True), (cast.shop.id, False)]
