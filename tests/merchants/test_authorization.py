"""Who may do what: every role × every mutating endpoint of the merchants domain.

Roles: anonymous, a buyer, the shop's owner (镇平玉缘, 河南镇平), another merchant (瑞丽翠韵,
云南瑞丽), the 河南镇平 admin, the 云南瑞丽 admin, a platform operator. Each cell asserts the
status code and, for a refusal, that nothing changed; for a permission, that the change is
there. The checks live in the services (the routes only call them)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from app.accounts.models import AuditEntry, Notification
from app.catalog.models import Product
from app.extensions import db
from app.merchants import certification
from app.merchants.models import Certificate, CertificationApplication, Merchant
from tests import factories as make
from tests.merchants.conftest import ROLES, photo

ANON = 302      # sent to sign in
DENIED = 403


def snapshot(cast, world) -> dict:
    """Everything a request could change, as plain values."""
    db.session.expire_all()
    shop = db.session.get(Merchant, cast.shop.id)
    product = db.session.get(Product, world["product"].id)
    count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    return {
        "shop": (shop.name, shop.hotline, shop.certified, shop.certified_at),
        "product": (product.title, product.price_fen, product.stock, product.status),
        "applications": sorted(db.session.execute(
            select(CertificationApplication.id, CertificationApplication.status)).all()),
        "certificates": sorted(db.session.execute(
            select(Certificate.number, Certificate.product_id, Certificate.revoked_at)).all()),
        "merchants": count(Merchant), "products": count(Product),
        "audit": count(AuditEntry), "notifications": count(Notification),
    }


def owners_shop_changed(before: dict, after: dict) -> bool:
    return before != after


@dataclass
class Endpoint:
    """A mutating endpoint: how to call it, and what each role gets."""

    name: str
    call: Callable          # (cast, world) -> (path, data, multipart)
    allowed: dict           # role -> status when permitted (the change must show)
    shrugged: dict          # role -> status when answered without touching the owner's things


def _open(cast, world):
    return "/my-shop/open", {
        "name": "新开的店", "source_type": "industry_belt", "belt_id": str(cast.shop.belt_id),
        "hotline": "400-686-0000", "address": "河南省南阳市镇平县", "intro": ""}, False


def _settings(cast, world):
    return "/my-shop/settings", {"name": "改了名字", "hotline": "400-686-0000",
                                 "address": "河南省南阳市镇平县", "intro": ""}, False


def _goods_new(cast, world):
    return "/my-shop/goods/new", {"title": "新商品", "price": "99", "stock": "1"}, False


def _goods_edit(cast, world):
    product = world["product"]
    return f"/my-shop/goods/{product.id}/edit", {
        "title": "被改过的标题", "price": "1", "stock": "10", "stock_seen": "10"}, False


def _goods_shelf(cast, world):
    return f"/my-shop/goods/{world['product'].id}/shelf", {"on": "0"}, False


def _apply(cast, world):
    return "/my-shop/certification", {"licence": photo(), "workshop": photo()}, True


def _attach(cast, world):
    return "/my-shop/certificates", {"product_id": str(world["product"].id),
                                     "number": "NGTC-MATRIX-0002", "lab": "NGTC",
                                     "findings": "翡翠（A货）"}, False


def _revoke_certificate(cast, world):
    return f"/certificates/{world['certificate'].number}/revoke", {"reason": "证书信息有误"}, False


def _approve(cast, world):
    return f"/admin/certifications/{world['application'].id}/approve", {"reason": ""}, False


def _reject(cast, world):
    return f"/admin/certifications/{world['application'].id}/reject", {"reason": "材料不清晰"}, False


def _revoke_certification(cast, world):
    return f"/admin/merchants/{cast.shop.id}/revoke-certification", {"reason": "抽检不合格"}, False


EVERYONE_SIGNED_IN = {"buyer", "owner", "other_merchant", "zhenping_admin", "ruili_admin",
                      "operator"}
ADMINS_OF_ZHENPING = {"zhenping_admin": 303, "operator": 303}

ENDPOINTS = [
    # Any signed-in user opens a shop; the owner (already has one) is sent to its dashboard.
    Endpoint("open shop", _open, allowed={r: 303 for r in EVERYONE_SIGNED_IN - {"owner",
                                                                             "other_merchant"}},
             shrugged={"owner": 303, "other_merchant": 303}),
    # /my-shop/… acts on the caller's own shop: another merchant changes only theirs.
    Endpoint("shop settings", _settings, allowed={"owner": 303}, shrugged={"other_merchant": 303}),
    Endpoint("add goods", _goods_new, allowed={"owner": 303}, shrugged={"other_merchant": 303}),
    # Operators may act on any shop's goods for support (catalog.listing.require_shop_owner).
    Endpoint("edit goods", _goods_edit, allowed={"owner": 303, "operator": 303}, shrugged={}),
    Endpoint("goods off the shelf", _goods_shelf, allowed={"owner": 303, "operator": 303},
             shrugged={}),
    Endpoint("apply for certification", _apply, allowed={"owner": 303},
             shrugged={"other_merchant": 303}),
    Endpoint("attach a certificate", _attach, allowed={"owner": 303}, shrugged={}),
    Endpoint("revoke a certificate", _revoke_certificate,
             allowed={"owner": 303, "zhenping_admin": 303, "operator": 303}, shrugged={}),
    Endpoint("approve an application", _approve, allowed=ADMINS_OF_ZHENPING, shrugged={}),
    Endpoint("reject an application", _reject, allowed=ADMINS_OF_ZHENPING, shrugged={}),
    Endpoint("revoke a certification", _revoke_certification, allowed=ADMINS_OF_ZHENPING,
             shrugged={}),
]


@pytest.fixture
def world(cast):
    product = make.product(cast.shop, "冰种手镯", stock=10)
    certificate = make.certificate(product, "NGTC-MATRIX-0001")
    other_product = make.product(cast.other_shop, "缅甸翡翠原石")
    return {"product": product, "certificate": certificate, "other_product": other_product}


def _prepare(endpoint: Endpoint, cast, world) -> None:
    if endpoint.call in (_approve, _reject):
        world["application"] = make.application(cast.shop)
    if endpoint.call is _revoke_certification:
        application = make.application(cast.shop)
        certification.approve(cast.zhenping_admin, application.id)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_every_role_against_every_mutating_endpoint(cast, world, endpoint, role):
    _prepare(endpoint, cast, world)
    path, data, multipart = endpoint.call(cast, world)
    before = snapshot(cast, world)
    kwargs = {"content_type": "multipart/form-data"} if multipart else {}
    response = cast.clients[role].post(path, data=data, **kwargs)
    after = snapshot(cast, world)

    if role == "anonymous":
        assert response.status_code == ANON and "/signin" in response.headers["Location"]
        assert after == before
    elif role in endpoint.allowed:
        assert response.status_code == endpoint.allowed[role], response.get_data(as_text=True)[:300]
        assert after != before, f"{role} was allowed to {endpoint.name} but nothing changed"
    elif role in endpoint.shrugged:
        assert response.status_code == endpoint.shrugged[role]
        # Only the caller's own things may change: never the owner's shop, goods or files.
        for key in ("shop", "product", "certificates"):
            assert after[key] == before[key], key
        applications_of_owner = [a for a in after["applications"] if a in before["applications"]]
        assert applications_of_owner == before["applications"]
    else:
        assert response.status_code == DENIED, (role, response.status_code)
        assert after == before


def test_the_htmx_decision_endpoints_refuse_the_same_roles(cast, world):
    application = make.application(cast.shop)
    headers = {"HX-Request": "true", "HX-Target": f"application-{application.id}"}
    for role in ("buyer", "owner", "other_merchant", "ruili_admin"):
        for action in ("approve", "reject"):
            response = cast.clients[role].post(f"/admin/certifications/{application.id}/{action}",
                                               data={"reason": "想通过"}, headers=headers)
            assert response.status_code == DENIED
            assert "<html" not in response.get_data(as_text=True)  # the short error fragment
    db.session.expire_all()
    assert db.session.get(CertificationApplication, application.id).status == "pending"


def test_services_check_permission_themselves(cast, world):
    """Called directly (a fragment, a CLI, another domain), the rules still hold."""
    from app.exceptions import PermissionDenied
    from app.merchants import certificates, services

    application = make.application(cast.shop)
    with pytest.raises(PermissionDenied):
        certification.approve(cast.ruili_admin, application.id)
    with pytest.raises(PermissionDenied):
        certification.reject(cast.buyer, application.id, "不是管理员")
    with pytest.raises(PermissionDenied):
        certification.revoke(cast.other_owner, cast.shop.id, "不是管理员")
    with pytest.raises(PermissionDenied):
        certification.queue(cast.ruili_admin, "zhenping-jade")
    with pytest.raises(PermissionDenied):
        certificates.revoke(cast.other_owner, world["certificate"].number, "不是店主")
    with pytest.raises(PermissionDenied):
        certificates.attach(cast.other_owner, world["product"].id,
                            certificates.CertificateDraft("NGTC-X-0009", "NGTC", "A货"))
    with pytest.raises(PermissionDenied):
        services.update_shop(cast.other_owner, cast.shop.id,
                             services.ShopDraft("抢来的店", "镇平", "400-686-0000"))
    with pytest.raises(PermissionDenied):
        services.open_shop(None, services.ShopDraft("匿名", "镇平", "400-686-0000"))
