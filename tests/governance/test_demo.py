"""The governance demo step: source videos with generated posters, complaints on 镇平 in
every state — and running it again changes nothing."""
from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.governance.models import Complaint, EnforcementAction, SourceVideo
from app.media import image_path


def counts() -> tuple:
    return tuple(db.session.scalar(select(func.count()).select_from(m))
                 for m in (SourceVideo, Complaint, EnforcementAction))


def test_the_governance_demo_is_complete_and_idempotent(app, ctx, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    videos = db.session.scalars(select(SourceVideo)).all()
    assert len(videos) >= 4 and all(v.poster_key and image_path(v.poster_key, 240).exists()
                                    for v in videos)
    statuses = set(db.session.scalars(select(Complaint.status)))
    assert statuses == {"open", "upheld", "rejected"}
    assert db.session.scalar(select(func.count()).select_from(Complaint)
                             .where(Complaint.addition.is_not(None))) == 1
    before = counts()
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0, again.output
    db.session.expire_all()
    assert counts() == before
    belt = client.get("/belts/zhenping-jade").get_data(as_text=True)
    assert "源头实拍" in belt and "/videos/" in belt
    assert client.get("/belts/zhenping-jade/videos").status_code == 200
    client.post("/signin", data={"account": "admin-zhenping-jade@demo.yuantou.cn",
                                 "password": "yuantou-demo"})
    queue = client.get("/admin/belts/zhenping-jade/complaints").get_data(as_text=True)
    assert "待处理" in queue
    assert client.get("/admin/belts/zhenping-jade/governance").status_code == 200
