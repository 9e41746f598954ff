"""Enforcement: warnings, delisting, suspension (time-correct, no timer) and revoking
certification. Suspended shops and delisted goods vanish from belts, portals, search and live
rooms and cannot be bought; their open orders stay serviceable."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app import clock
from app.accounts.models import AuditEntry, Notification
from app.catalog.models import Product
from app.extensions import db
from app.governance.models import EnforcementAction
from app.merchants.models import CertificationApplication, Merchant
from app.orders.models import Order
from tests import factories as make
from tests.orders.helpers import checkout_form


def page(response) -> str:
    return response.get_data(as_text=True)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def act(world, role="zhenping_admin", **data):
    return world.client(role).post(f"/admin/merchants/{world.shop.id}/enforcement", data=data)


def suspend(world, days=7, role="zhenping_admin"):
    response = act(world, role, kind="suspend", days=str(days), reason="售假投诉成立，停业整顿")
    assert response.status_code == 303, page(response)[:800]


def visible_everywhere(world, product=None) -> dict:
    """Where a product's card (its link) shows for an anonymous visitor."""
    product = product or world.bangle
    link = f'href="/products/{product.id}"'
    c = world.client("anonymous")
    return {
        "belt": link in page(c.get("/belts/zhenping-jade")),
        "portal": link in page(c.get("/portals/jade")),
        "search": link in page(c.get("/search", query_string={"q": product.title})),
        "shop": link in page(c.get(f"/shops/{world.shop.id}")),
    }


def test_a_suspended_shop_vanishes_and_comes_back_by_itself_when_the_time_is_up(world):
    assert all(visible_everywhere(world).values())
    suspend(world, days=7)
    assert not any(visible_everywhere(world).values())
    shop = page(world.client("anonymous").get("/belts/zhenping-jade"))
    assert "镇平玉缘" not in shop
    assert world.client("anonymous").get(f"/products/{world.bangle.id}").status_code == 404
    db.session.expire_all()
    product = db.session.get(Product, world.bangle.id)
    assert product.merchant_suspended_until is not None  # the listable rule's copy
    clock.travel(timedelta(days=6, hours=23))
    assert not any(visible_everywhere(world).values())
    clock.travel(timedelta(hours=1, seconds=1))
    assert all(visible_everywhere(world).values())  # no timer ran: the read decides


def test_a_suspended_shop_cannot_take_orders_but_ships_its_open_ones(world):
    from app.orders import orders as order_service

    open_order = make.order(world.buyer, world.bangle)  # awaiting shipment
    buyer = world.client("buyer")
    buyer.post("/cart/add", data={"product_id": world.bangle.id})
    form = checkout_form(buyer, "?from_cart=1")
    suspend(world)
    response = buyer.post("/cart/add", data={"product_id": world.bangle.id})
    assert response.status_code == 409 and "已下架" in page(response)
    response = buyer.post("/checkout", data=form)
    assert response.status_code == 409
    assert count(Order) == 2  # nothing new
    response = world.client("anonymous").post("/cart/add", data={"product_id": world.bangle.id})
    assert response.status_code == 409
    # the open order is shipped, the shipped one confirmed, as usual
    shipped = order_service.ship_order(world.owner, open_order.id, "中通快递", "ZT20261125001")
    assert shipped.status == "shipped"
    confirmed = order_service.confirm_receipt(world.buyer, world.order.id)
    assert confirmed.status == "completed"


def test_a_suspended_shops_live_room_sells_nothing(world):
    room = make.live_room(world.shop, goods=[world.bangle], pinned=world.bangle)
    assert "冰种飘花翡翠手镯" in page(world.client("anonymous").get(f"/live/{room.id}"))
    suspend(world)
    assert world.client("anonymous").get(f"/live/{room.id}").status_code == 404
    assert world.client("buyer").get(f"/live/{room.id}").status_code == 404
    assert world.client("owner").get(f"/live/{room.id}").status_code == 200  # the anchor still can
    assert f"/live/{room.id}" not in page(world.client("anonymous").get("/belts/zhenping-jade"))
    assert world.client("buyer").post("/cart/add", data={"product_id": world.bangle.id}).status_code == 409


def test_delisting_takes_one_product_down_everywhere(world):
    second = make.product(world.shop, "和田玉平安扣吊坠", stock=5)
    response = act(world, kind="delist", product_id=str(world.bangle.id), reason="证书与实物不符")
    assert response.status_code == 303
    seen = visible_everywhere(world)
    assert not any(seen.values())
    assert all(visible_everywhere(world, second).values())
    assert world.client("buyer").post("/cart/add", data={"product_id": world.bangle.id}).status_code == 409
    # the merchant cannot put it back on the shelf
    response = world.client("owner").post(f"/my-shop/goods/{world.bangle.id}/shelf", data={"on": "1"})
    db.session.expire_all()
    assert db.session.get(Product, world.bangle.id).status == "delisted"
    again = act(world, kind="delist", product_id=str(world.bangle.id), reason="再下架一次")
    assert again.status_code == 409


def test_each_step_is_audited_and_the_merchant_is_told_why(world):
    assert act(world, kind="warning", reason="直播间描述夸大，请整改").status_code == 303
    suspend(world, days=3)
    assert act(world, kind="reinstate", reason="整改完成，提前恢复").status_code == 303
    actions = [a for (a,) in db.session.execute(select(AuditEntry.action).order_by(AuditEntry.id))]
    assert actions[-3:] == ["governance.warning", "governance.suspend", "governance.reinstate"]
    messages = db.session.scalars(select(Notification.params).where(
        Notification.user_id == world.owner.id)).all()
    reasons = [m.get("reason") for m in messages]
    assert "直播间描述夸大，请整改" in reasons and "整改完成，提前恢复" in reasons
    db.session.expire_all()
    assert db.session.get(Merchant, world.shop.id).is_open(clock.now())
    audit = page(world.client("zhenping_admin").get("/admin/audit"))
    assert "暂停店铺营业" in audit and "警告商家" in audit
    assert count(EnforcementAction) == 3


def test_revoking_certification_goes_through_the_certification_workflow(world):
    make.application(world.shop)
    db.session.execute(CertificationApplication.__table__.update().values(status="approved"))
    db.session.commit()
    response = act(world, kind="revoke", reason="多次售假，撤销认证")
    assert response.status_code == 303
    db.session.expire_all()
    assert not db.session.get(Merchant, world.shop.id).certified
    assert not db.session.get(Product, world.bangle.id).merchant_certified
    assert db.session.scalar(select(CertificationApplication.status)) == "revoked"
    assert count(AuditEntry, AuditEntry.action == "certification.revoke") == 1
    assert count(EnforcementAction, EnforcementAction.kind == "revoke") == 1
    again = act(world, kind="revoke", reason="再撤销一次试试")
    assert again.status_code == 409
    assert count(EnforcementAction) == 1  # the refused step left no row


def test_bad_enforcement_input_is_refused_and_nothing_changes(world):
    cases = [
        ({"kind": "suspend", "days": "0", "reason": "停业整顿七天"}, 400, "1–90"),
        ({"kind": "suspend", "days": "abc", "reason": "停业整顿七天"}, 400, "1–90"),
        ({"kind": "suspend", "days": "91", "reason": "停业整顿七天"}, 400, "1–90"),
        ({"kind": "suspend", "days": "7", "reason": "短"}, 400, "至少"),
        ({"kind": "suspend", "days": "7", "reason": "<script>x</script>停业"}, 400, "网页代码"),
        ({"kind": "explode", "reason": "不存在的处理方式"}, 400, "请选择处理方式"),
        ({"kind": "delist", "product_id": str(999999), "reason": "下架不存在的商品"}, 400, "这家店铺的商品"),
        ({"kind": "reinstate", "reason": "没停业也恢复"}, 409, "没有在暂停营业"),
    ]
    for data, status, message in cases:
        response = act(world, **data)
        assert response.status_code == status, data
        assert message in page(response), data
    # another shop's product
    response = act(world, kind="delist", product_id=str(world.other_product.id), reason="下架别家的商品")
    assert response.status_code == 400
    assert count(EnforcementAction) == 0
    db.session.expire_all()
    assert db.session.get(Merchant, world.shop.id).suspended_until is None
    assert db.session.get(Product, world.other_product.id).status == "active"
    response = world.client("operator").post("/admin/merchants/999999/enforcement",
                                             data={"kind": "warning", "reason": "不存在的店铺"})
    assert response.status_code == 404


def test_a_shorter_second_suspension_never_cuts_one_in_force_short(world):
    suspend(world, days=30)
    suspend(world, days=7)
    db.session.expire_all()
    shop = db.session.get(Merchant, world.shop.id)
    assert shop.suspended_until >= clock.now() + timedelta(days=29)
    # the shop is told the suspension it is under, not the shorter one asked for
    last = db.session.scalars(select(Notification).where(Notification.user_id == shop.owner_id)
                              .order_by(Notification.id.desc())).first()
    assert "暂停营业" in last.message and last.params["days"] == 30
    clock.travel(timedelta(days=8))
    assert not any(visible_everywhere(world).values())
