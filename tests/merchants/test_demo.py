"""The certification demo step: pending applications in 河南镇平 and 云南瑞丽 with document
photos, decided ones with their audit entries, views for 玉匠人's dashboard; idempotent."""
from __future__ import annotations

from sqlalchemy import func, select

from app.accounts.models import AuditEntry
from app.demo import DEMO_STEPS
from app.demo.merchants import seed_certification
from app.extensions import db
from app.merchants.models import CertificationApplication, ProductViewCount
from tests import factories as make


def _demo_world():
    """The accounts the catalog step would have made (cheaper than running it)."""
    for slug in ("zhenping-jade", "ruili-jade"):
        admin = make.user(email=f"admin-{slug}@demo.yuantou.cn")
        from app.accounts.models import BeltAdmin

        db.session.add(BeltAdmin(user_id=admin.id, belt_id=make.belt(slug).id))
    db.session.commit()
    for slug in ("zhenping-jade", "ruili-jade"):
        for n in (1, 3, 4):
            owner = make.user(email=f"shop-{slug}-{n}@demo.yuantou.cn")
            make.merchant(f"{slug}-{n}", belt_slug=slug, owner=owner)
    master = make.merchant("玉匠人", certified=True,
                           owner=make.user(email="yujiangren@demo.yuantou.cn"))
    make.product(master, "独山玉山水摆件")


def test_the_demo_shows_the_whole_workflow_and_is_idempotent(ctx):
    assert list(DEMO_STEPS).index("certification") > list(DEMO_STEPS).index("catalog")
    _demo_world()
    lines = seed_certification()
    assert "5 new stories" in lines[0]
    rows = db.session.scalars(select(CertificationApplication)).all()
    by_status = {}
    for row in rows:
        by_status.setdefault(row.status, set()).add(row.belt.slug)
        assert row.licence is not None and row.workshop_photos
    assert by_status["pending"] == {"zhenping-jade", "ruili-jade"}
    assert {"rejected", "revoked", "approved"} <= set(by_status)
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"certification.approve", "certification.reject", "certification.revoke"} <= actions
    assert db.session.scalar(select(func.sum(ProductViewCount.views))) > 0

    before = (len(rows), db.session.scalar(select(func.count()).select_from(AuditEntry)),
              db.session.scalar(select(func.sum(ProductViewCount.views))))
    again = seed_certification()
    assert "0 new stories" in again[0]
    after = (db.session.scalar(select(func.count()).select_from(CertificationApplication)),
             db.session.scalar(select(func.count()).select_from(AuditEntry)),
             db.session.scalar(select(func.sum(ProductViewCount.views))))
    assert after == before
