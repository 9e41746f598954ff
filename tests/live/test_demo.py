"""`flask seed-demo` gives several shops live rooms: some live now with goods and a pinned
product (玉匠人 in 河南镇平 among them), some announced, one ended — and running it again
changes nothing."""
from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.live.models import LiveRoom, LiveRoomItem


def test_demo_live_rooms_are_seeded_once(app, client, ctx):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    rooms = db.session.scalars(select(LiveRoom)).all()
    statuses = sorted(r.status for r in rooms)
    assert statuses.count("live") >= 2 and "scheduled" in statuses and "ended" in statuses
    jade = next(r for r in rooms if r.merchant.name == "玉匠人")
    assert jade.status == "live" and jade.merchant.belt.slug == "zhenping-jade"
    assert jade.pinned_product_id in [i.product_id for i in jade.items]
    assert any(i.product.is_lightning for i in jade.items)
    items = db.session.scalar(select(func.count()).select_from(LiveRoomItem))

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(LiveRoom)) == len(rooms)
    assert db.session.scalar(select(func.count()).select_from(LiveRoomItem)) == items

    home = client.get("/").get_data(as_text=True)
    assert "直播中" in home and "玉匠人" in home
    page = client.get(f"/live/{jade.id}").get_data(as_text=True)
    assert "讲解中" in page
    assert client.get("/live").status_code == 200
