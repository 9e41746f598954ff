"""The base dashboard: open complaints, upheld rate, suspended shops, and complaints per 100
orders for certified vs uncertified shops of the belt (last 90 days)."""
from __future__ import annotations

from app.governance import complaints, dashboard, enforcement
from tests import factories as make


def test_the_zhenping_dashboard_counts_what_its_base_needs(world):
    uncertified = make.merchant("镇平老玉坊", owner=make.user("老玉坊店主"))
    cheap = make.product(uncertified, "岫玉手镯", price_fen=9900, stock=50)
    # certified shop (镇平玉缘): the world's order + 3 more = 4 orders, 2 complaints
    extra = [make.order(world.buyer, world.bangle) for _ in range(3)]
    # uncertified shop: 2 orders, 1 complaint
    other_orders = [make.order(world.other_buyer, cheap) for _ in range(2)]
    draft = complaints.ComplaintDraft("fake", "和直播里说的完全不一样，怀疑是假货。")
    first = complaints.file_complaint(world.buyer, world.order.id, draft)
    second = complaints.file_complaint(world.buyer, extra[0].id, draft)
    complaints.file_complaint(world.other_buyer, other_orders[0].id, draft)
    complaints.decide(world.zhenping_admin, first.id, "upheld", "核实为假货")
    complaints.decide(world.zhenping_admin, second.id, "rejected", "证书真实有效")
    enforcement.act(world.zhenping_admin, uncertified.id, enforcement.ActionRequest(
        kind="suspend", reason="停业整顿三天", days=3))
    # a complaint in another belt doesn't count here
    ruili_order = make.order(world.buyer, world.other_product)
    complaints.file_complaint(world.buyer, ruili_order.id, draft)

    board = dashboard.dashboard(world.zhenping_admin, "zhenping-jade")
    assert board.open_complaints == 1
    assert (board.upheld, board.decided, board.upheld_rate) == (1, 2, 50.0)
    assert [m.name for m in board.suspended] == ["镇平老玉坊"]
    assert (board.certified.complaints, board.certified.orders, board.certified.per_100) == (2, 4, 50.0)
    assert (board.uncertified.complaints, board.uncertified.orders) == (1, 2)
    assert board.uncertified.per_100 == 50.0

    text = world.client("zhenping_admin").get("/admin/belts/zhenping-jade/governance").get_data(as_text=True)
    assert 'id="stat-open">1<' in text and 'id="stat-upheld">50.0%<' in text
    assert "镇平老玉坊" in text
