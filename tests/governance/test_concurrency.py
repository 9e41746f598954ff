"""Once means once, however many requests race: one decision, one answer, one complaint per
order — each decided by a conditional UPDATE's row count or a unique constraint."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.accounts.models import AuditEntry
from app.extensions import db, limiter
from app.governance import complaints
from app.governance.models import Complaint
from tests import factories as make
from tests.concurrency import race

pytestmark = pytest.mark.concurrency


def _filed(world) -> int:
    """The complaint's id (a plain value: the racing threads must not touch the test's rows)."""
    return complaints.file_complaint(world.buyer, world.order.id, complaints.ComplaintDraft(
        "fake", "手镯有胶水味，不是天然A货，要求核实。")).id


def _clients(make_client, people) -> list:
    clients = []
    for person in people:
        limiter.reset()  # many sign-ins from one test address
        client = make_client()
        make.sign_in(client, person)
        clients.append(client)
    return clients


def test_two_deciders_racing_make_one_decision(app, world, make_client):
    complaint_id = _filed(world)
    clients = _clients(make_client, [world.zhenping_admin, world.operator] * 3)
    outcomes = ["upheld", "rejected"] * 3
    results = race(app, 6, lambda i: clients[i].post(
        f"/complaints/{complaint_id}/decision",
        data={"outcome": outcomes[i], "reason": f"第 {i} 位处理人的意见"}).status_code)
    assert sorted(results) == [303, 409, 409, 409, 409, 409]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action.in_(["complaint.uphold", "complaint.reject"]))) == 1


def test_the_shop_answers_once_even_from_two_phones(app, world, make_client):
    complaint_id = _filed(world)
    phones = _clients(make_client, [world.owner] * 4)
    results = race(app, 4, lambda i: phones[i].post(
        f"/complaints/{complaint_id}/answer", data={"answer": f"第 {i} 台手机发出的回复内容"}).status_code)
    assert sorted(results) == [303, 409, 409, 409]


def test_one_complaint_per_order_under_a_double_submit(app, world, make_client):
    order_id = world.order.id
    tabs = _clients(make_client, [world.buyer] * 4)
    results = race(app, 4, lambda i: tabs[i].post(
        f"/orders/{order_id}/complaint",
        data={"kind": "fake", "text": "同一个订单连点了几次提交按钮。"},
        content_type="multipart/form-data").status_code)
    assert results.count(303) >= 1 and set(results) <= {303, 409}
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Complaint)) == 1
