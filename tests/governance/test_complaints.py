"""Complaints: the buyer files one about a delivered order; the shop answers once; the buyer
adds once; the base decides once. Bad input gets a clear message, a 4xx and nothing changes."""
from __future__ import annotations

from sqlalchemy import func, select

from app.accounts.models import AuditEntry, Notification
from app.extensions import db
from app.governance.models import Complaint, ComplaintPhoto
from tests import factories as make
from tests.governance.conftest import complaint_form, photo


def page(response) -> str:
    return response.get_data(as_text=True)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def file(world, **overrides):
    data = complaint_form(**overrides)
    return world.client("buyer").post(f"/orders/{world.order.id}/complaint", data=data,
                                      content_type="multipart/form-data")


def filed(world) -> Complaint:
    response = file(world)
    assert response.status_code == 303, page(response)[:600]
    db.session.expire_all()
    return db.session.scalar(select(Complaint).where(Complaint.order_id == world.order.id))


def test_buyer_files_a_complaint_with_photos_and_it_reaches_the_zhenping_queue(world):
    response = world.client("buyer").post(
        f"/orders/{world.order.id}/complaint",
        data={**complaint_form(), "photos": [photo(), photo(make.jpeg_bytes(color=(1, 2, 3)))]},
        content_type="multipart/form-data")
    assert response.status_code == 303
    complaint = db.session.scalar(select(Complaint))
    assert complaint.belt_id == world.shop.belt_id and complaint.merchant_certified
    assert count(ComplaintPhoto) == 2
    assert count(Notification, Notification.user_id == world.owner.id) >= 1
    assert count(Notification, Notification.user_id == world.zhenping_admin.id) == 1
    queue = world.client("zhenping_admin").get("/admin/belts/zhenping-jade/complaints")
    assert "镇平玉缘" in page(queue) and world.order.number in page(queue)
    # the Ruili admin's queue doesn't have it, and the order page links to it
    assert world.order.number not in page(world.client("ruili_admin").get(
        "/admin/belts/ruili-jade/complaints"))
    assert f"/complaints/{complaint.id}" in page(world.client("buyer").get(f"/orders/{world.order.id}"))


def test_script_in_a_complaint_is_shown_as_text(world):
    response = file(world, text="<script>alert(1)</script> 手镯是假的，完全不一样")
    assert response.status_code == 303
    shown = page(world.client("buyer").get(response.headers["Location"]))
    assert "<script>alert(1)</script>" not in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown


def test_bad_complaints_are_refused_with_a_message_and_nothing_changes(world):
    for overrides, message in (({"kind": "nonsense"}, "请选择投诉类型"), ({"kind": ""}, "请选择投诉类型"),
                               ({"text": "太差"}, "至少 10 个字"), ({"text": "字" * 1001}, "不能超过")):
        response = file(world, **overrides)
        assert response.status_code == 400, overrides
        assert message in page(response)
    response = world.client("buyer").post(
        f"/orders/{world.order.id}/complaint",
        data={**complaint_form(), "photos": [photo(b"not an image at all", "x.jpg")]},
        content_type="multipart/form-data")
    assert response.status_code == 400 and "不是能识别的图片" in page(response)
    response = world.client("buyer").post(
        f"/orders/{world.order.id}/complaint",
        data={**complaint_form(), "photos": [photo() for _ in range(6)]},
        content_type="multipart/form-data")
    assert response.status_code == 400 and "最多 5 张" in page(response)
    assert count(Complaint) == 0


def test_only_the_buyer_of_the_order_can_complain(world):
    for role in ("other_buyer", "owner", "zhenping_admin", "operator"):
        response = world.client(role).post(f"/orders/{world.order.id}/complaint",
                                           data=complaint_form(), content_type="multipart/form-data")
        assert response.status_code == 404, role
    response = world.client("anonymous").post(f"/orders/{world.order.id}/complaint",
                                              data=complaint_form(), content_type="multipart/form-data")
    assert response.status_code == 302
    assert world.client("buyer").post("/orders/999999/complaint", data=complaint_form(),
                                      content_type="multipart/form-data").status_code == 404
    assert count(Complaint) == 0


def test_one_complaint_per_order(world):
    filed(world)
    response = world.client("buyer").post(f"/orders/{world.order.id}/complaint",
                                          data=complaint_form(), content_type="multipart/form-data")
    assert response.status_code == 303  # to the complaint already filed
    assert count(Complaint) == 1
    import pytest

    from app.exceptions import Conflict
    from app.governance import complaints

    with pytest.raises(Conflict):
        complaints.file_complaint(world.buyer, world.order.id, complaints.ComplaintDraft(
            "fake", "又投诉一次，看看会不会重复。"))


def test_unpaid_orders_cannot_be_complained_about(world):
    unpaid = make.order(world.buyer, world.bangle, method="sandbox")
    response = world.client("buyer").post(f"/orders/{unpaid.id}/complaint", data=complaint_form(),
                                          content_type="multipart/form-data")
    assert response.status_code == 409
    assert count(Complaint) == 0


def test_the_thread_answer_once_and_add_once(world):
    complaint = filed(world)
    url = f"/complaints/{complaint.id}"
    owner, buyer = world.client("owner"), world.client("buyer")
    response = owner.post(url + "/answer", data={"answer": "我们核实一下，手镯可以寄回检测。"})
    assert response.status_code == 303
    again = owner.post(url + "/answer", data={"answer": "再回复一次试试看能不能成功。"})
    assert again.status_code == 409 and "已经回复过" in page(again)
    assert buyer.post(url + "/answer", data={"answer": "买家不能冒充店铺回复。"}).status_code == 403
    assert buyer.post(url + "/addition", data={"addition": "补充：证书编号查不到。"}).status_code == 303
    again = buyer.post(url + "/addition", data={"addition": "第二次补充说明，应该被拒绝。"})
    assert again.status_code == 409 and "已经补充过" in page(again)
    assert owner.post(url + "/addition", data={"addition": "店铺不能冒充买家补充。"}).status_code == 403
    db.session.expire_all()
    complaint = db.session.get(Complaint, complaint.id)
    assert complaint.answer == "我们核实一下，手镯可以寄回检测。"
    assert complaint.addition == "补充：证书编号查不到。"
    for role in ("buyer", "owner", "zhenping_admin", "operator"):
        shown = page(world.client(role).get(url))
        assert "我们核实一下" in shown and "证书编号查不到" in shown, role
    for role in ("other_buyer", "other_merchant", "ruili_admin"):
        assert world.client(role).get(url).status_code == 404, role
    assert world.client("anonymous").get(url).status_code == 302


def test_short_answers_are_refused_and_nothing_changes(world):
    complaint = filed(world)
    response = world.client("owner").post(f"/complaints/{complaint.id}/answer", data={"answer": "好"})
    assert response.status_code == 400 and "至少 10 个字" in page(response)
    db.session.expire_all()
    assert db.session.get(Complaint, complaint.id).answer is None


def test_the_zhenping_admin_decides_once(world):
    complaint = filed(world)
    url = f"/complaints/{complaint.id}/decision"
    admin = world.client("zhenping_admin")
    assert admin.post(url, data={"outcome": "upheld", "reason": "好"}).status_code == 400
    assert admin.post(url, data={"outcome": "maybe", "reason": "核实为假货"}).status_code == 400
    response = admin.post(url, data={"outcome": "upheld", "reason": "经检测为B货，与描述不符"})
    assert response.status_code == 303
    again = world.client("operator").post(url, data={"outcome": "rejected", "reason": "改判试试看"})
    assert again.status_code == 409 and "已经处理过" in page(again)
    db.session.expire_all()
    complaint = db.session.get(Complaint, complaint.id)
    assert complaint.status == "upheld" and complaint.decision_reason == "经检测为B货，与描述不符"
    assert count(AuditEntry, AuditEntry.action == "complaint.uphold") == 1
    assert count(Notification, Notification.user_id == world.owner.id,
                 Notification.message.like("%核实成立%")) == 1
    # after the decision, answering and adding are closed
    assert world.client("owner").post(f"/complaints/{complaint.id}/answer",
                                      data={"answer": "处理之后再回复看看行不行。"}).status_code == 409


def test_upheld_complaints_in_the_last_180_days_show_beside_the_dsr(world):
    from datetime import timedelta

    from app import clock

    complaint = filed(world)
    world.client("zhenping_admin").post(f"/complaints/{complaint.id}/decision",
                                        data={"outcome": "upheld", "reason": "经检测为B货"})
    shop = page(world.client("anonymous").get(f"/shops/{world.shop.id}"))
    assert "近180天投诉成立 1 次" in shop
    clock.travel(timedelta(days=181))
    shop = page(world.client("anonymous").get(f"/shops/{world.shop.id}"))
    assert "近180天投诉成立 0 次" in shop


def test_merchants_see_only_their_own_shops_complaints(world):
    filed(world)
    assert world.order.number in page(world.client("owner").get("/sell/complaints"))
    assert world.order.number not in page(world.client("other_merchant").get("/sell/complaints"))
    assert world.client("buyer").get("/sell/complaints").status_code == 403


def test_unknown_complaints_are_404(world):
    for path in ("/complaints/424242", "/complaints/424242/answer", "/complaints/424242/addition",
                 "/complaints/424242/decision"):
        response = (world.client("operator").get(path) if path.count("/") == 2 else
                    world.client("operator").post(path, data={"answer": "x" * 20, "addition": "y" * 20,
                                                              "outcome": "upheld", "reason": "理由理由"}))
        assert response.status_code == 404, path
