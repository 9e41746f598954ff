"""Hostile or malformed input on every governance endpoint: a 4xx with a message, never a 500,
and nothing changed."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.governance import complaints
from app.governance.models import Complaint, EnforcementAction, SourceVideo

JUNK = [
    {},
    {"kind": "\x00\x01", "text": "\u202e\u0000", "outcome": "🙂" * 300,
     "reason": "x" * 5000, "answer": "", "addition": "<img src=x onerror=alert(1)>"},
    {"days": "9" * 40, "product_id": "-1", "complaint_id": "abc", "kind": "suspend", "reason": "停业整顿"},
    {"product_ids": ["0", "-5", "99999999999999"], "caption": "\n\n", "url": "https://" + "a" * 600},
    {"url": "javascript://%0aalert(1)", "caption": "链接攻击"},
]


def _totals() -> tuple:
    db.session.expire_all()
    return tuple(db.session.scalar(select(func.count()).select_from(m))
                 for m in (Complaint, EnforcementAction, SourceVideo))


@pytest.mark.parametrize("junk", JUNK, ids=range(len(JUNK)))
def test_junk_never_breaks_anything(world, junk):
    complaint_id = complaints.file_complaint(world.buyer, world.order.id, complaints.ComplaintDraft(
        "fake", "手镯有胶水味，不是天然A货，要求核实。")).id
    before = _totals()
    calls = [
        ("buyer", f"/orders/{world.order.id}/complaint"),
        ("owner", f"/complaints/{complaint_id}/answer"),
        ("buyer", f"/complaints/{complaint_id}/addition"),
        ("zhenping_admin", f"/complaints/{complaint_id}/decision"),
        ("zhenping_admin", f"/admin/merchants/{world.shop.id}/enforcement"),
        ("owner", "/sell/videos"),
    ]
    for role, path in calls:
        response = world.client(role).post(path, data=dict(junk), content_type="multipart/form-data")
        assert 300 <= response.status_code < 500, (path, response.status_code)
    assert _totals() == before
    db.session.expire_all()
    assert db.session.get(Complaint, complaint_id).status == "open"


def test_json_bodies_and_missing_csrf_are_refused(world):
    client = world.client("buyer")
    response = client.post(f"/orders/{world.order.id}/complaint", json={"kind": "fake"}, csrf=False,
                           headers={"X-CSRFToken": client.csrf_token()})
    assert response.status_code == 415
    response = client.post(f"/orders/{world.order.id}/complaint", csrf=False,
                           data={"kind": "fake", "text": "没有令牌的提交应该被拒绝。"})
    assert response.status_code == 400
    assert _totals() == (0, 0, 0)


def test_feed_pages_take_any_page_number(world):
    for raw in ("abc", "-1", "0", "99999999999", "2"):
        response = world.client("anonymous").get(f"/belts/zhenping-jade/videos?page={raw}")
        assert response.status_code == 200, raw
    assert world.client("anonymous").get("/belts/no-such-belt/videos").status_code == 404
    assert world.client("anonymous").get("/videos/123456").status_code == 404
