"""质检证书: a merchant attaches a certificate to a piece; anyone verifies it at
/certificates/<number> (or by scanning the QR code on the product page); unknown and revoked
numbers are said plainly; a number belongs to one product and is never reused."""
from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.accounts.models import AuditEntry
from app.extensions import db
from app.merchants import certificates
from app.merchants.models import Certificate
from tests import factories as make
from tests.concurrency import race
from tests.merchants.conftest import photo


def page(response) -> str:
    return response.get_data(as_text=True)


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Certificate))


def certificate_form(product, **changes) -> dict:
    data = {"product_id": str(product.id), "number": "ngtc-zp-2024 0001234",
            "lab": "国家珠宝玉石质量监督检验中心（NGTC）",
            "findings": "翡翠（A货）；重量 23.6 g；尺寸 56 × 12 mm", "issued_on": "2024-05-01"}
    data.update(changes)
    return data


@pytest.fixture
def bangle(cast):
    return make.product(cast.shop, "冰种飘花翡翠手镯")


def test_a_merchant_attaches_a_certificate_and_anyone_can_verify_it(cast, bangle):
    owner = cast.clients["owner"]
    form = page(owner.get(f"/my-shop/certificates?product={bangle.id}"))
    assert f'<option selected value="{bangle.id}">' in form or f'value="{bangle.id}" selected' in form
    response = owner.post("/my-shop/certificates",
                          data={**certificate_form(bangle), "scan": photo(name="证书.png")},
                          content_type="multipart/form-data")
    assert response.status_code == 303
    cert = db.session.scalar(select(Certificate))
    assert cert.number == "NGTC-ZP-20240001234" and cert.product_id == bangle.id
    assert cert.scan_key and cert.issued_on is not None

    buyer = cast.clients["anonymous"]
    public = buyer.get("/certificates/NGTC-ZP-20240001234")
    assert public.status_code == 200
    text = page(public)
    assert "证书有效" in text and "冰种飘花翡翠手镯" in text and "镇平玉缘" in text
    assert "国家珠宝玉石质量监督检验中心（NGTC）" in text and "2024-05-01" in text
    assert f"/products/{bangle.id}" in text and cert.scan_key in text
    lowercase = buyer.get("/certificates/ngtc-zp-20240001234")
    assert lowercase.status_code == 301
    assert lowercase.headers["Location"].endswith("/certificates/NGTC-ZP-20240001234")
    lookup = buyer.get("/certificates?number=ngtc-zp-2024 0001234")
    assert lookup.headers["Location"].endswith("/certificates/NGTC-ZP-20240001234")


def test_the_product_page_carries_a_qr_code_that_opens_the_certificate_page(cast, bangle, app):
    make.certificate(bangle, "NGTC-ZP-20240001234")
    buyer = cast.clients["anonymous"]
    product_page = page(buyer.get(f"/products/{bangle.id}"))
    assert 'href="/certificates/NGTC-ZP-20240001234"' in product_page
    assert 'src="/certificates/NGTC-ZP-20240001234/qr.png"' in product_page
    qr = buyer.get("/certificates/NGTC-ZP-20240001234/qr.png")
    assert qr.status_code == 200 and qr.mimetype == "image/png"
    assert "max-age" in qr.headers["Cache-Control"]
    with Image.open(io.BytesIO(qr.data)) as image:
        assert image.format == "PNG" and image.width >= 100
    # The code encodes the public page's address (the qrcode library makes the same one).
    with app.app_context():
        assert qr.data == certificates.qr_png("http://localhost/certificates/NGTC-ZP-20240001234")
    app.config["PUBLIC_BASE_URL"] = "https://yuantou.example"
    try:
        public = buyer.get("/certificates/NGTC-ZP-20240001234/qr.png").data
        with app.app_context():
            assert public == certificates.qr_png(
                "https://yuantou.example/certificates/NGTC-ZP-20240001234")
    finally:
        app.config["PUBLIC_BASE_URL"] = None


@pytest.mark.parametrize("number", ["NGTC-FAKE-0000", "A1B2C3D4", "X" * 40])
def test_an_unknown_number_is_said_plainly(client, number):
    response = client.get(f"/certificates/{number}")
    assert response.status_code == 404
    assert "查无此证" in page(response) and "请不要凭它购买" in page(response)


@pytest.mark.parametrize("number", ["<script>alert(1)<", "%3Cimg%20src%3Dx%3E", "--", "a" * 300,
                                    "NGTC..ZP", "证书123"])
def test_forged_looking_numbers_get_the_unknown_page_escaped(client, number):
    response = client.get(f"/certificates/{number}")
    assert response.status_code == 404
    text = page(response)
    assert "查无此证" in text and "<script>alert" not in text and "<img src=x>" not in text
    assert client.get(f"/certificates/{number}/qr.png").status_code == 404


def test_a_revoked_certificate_says_so_and_why(cast, bangle):
    make.certificate(bangle, "NGTC-ZP-20240001234")
    owner = cast.clients["owner"]
    empty = owner.post("/certificates/NGTC-ZP-20240001234/revoke", data={"reason": ""})
    assert empty.status_code == 400 and "请填写原因" in page(empty)
    done = owner.post("/certificates/NGTC-ZP-20240001234/revoke",
                      data={"reason": "证书与实物重量不符"})
    assert done.status_code == 303
    public = page(cast.clients["anonymous"].get("/certificates/NGTC-ZP-20240001234"))
    assert "这张证书已被撤销" in public and "证书与实物重量不符" in public
    assert "证书有效" not in public
    product_page = page(cast.clients["anonymous"].get(f"/products/{bangle.id}"))
    assert "qr.png" not in product_page and "已撤销" in product_page
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "certificate.revoke"))
    assert entry.reason == "证书与实物重量不符" and entry.actor_id == cast.owner.id
    again = owner.post("/certificates/NGTC-ZP-20240001234/revoke", data={"reason": "再撤一次"})
    assert again.status_code == 409


def test_a_number_belongs_to_one_product_and_reuse_is_refused(cast, bangle):
    make.certificate(bangle, "NGTC-ZP-20240001234")
    other_piece = make.product(cast.other_shop, "缅甸翡翠手镯")
    thief = cast.clients["other_merchant"]
    response = thief.post("/my-shop/certificates",
                          data=certificate_form(other_piece, number="ngtc-zp-20240001234"))
    assert response.status_code == 409
    assert "已被其他商家登记，不能重复使用" in page(response)
    assert 'value="ngtc-zp-20240001234"' in page(response)  # kept as typed
    assert count() == 1
    [attempt] = db.session.scalars(select(AuditEntry)
                                   .where(AuditEntry.action == "certificate.reuse_refused"))
    assert attempt.actor_id == cast.other_owner.id and attempt.belt_id == cast.other_shop.belt_id

    second_piece = make.product(cast.shop, "另一只手镯")
    own = cast.clients["owner"].post("/my-shop/certificates",
                                     data=certificate_form(second_piece, number="NGTC-ZP-20240001234"))
    assert own.status_code == 409 and "一个证书编号只属于一件商品" in page(own)
    same = cast.clients["owner"].post("/my-shop/certificates",
                                      data=certificate_form(bangle, number="NGTC-ZP-20240001234"))
    assert same.status_code == 409 and "已经登记过" in page(same)
    assert count() == 1


def test_a_revoked_number_stays_taken(cast, bangle):
    cert = make.certificate(bangle, "NGTC-ZP-20240001234")
    certificates.revoke(cast.owner, cert.number, "送检信息有误")
    other_piece = make.product(cast.other_shop, "缅甸翡翠手镯")
    response = cast.clients["other_merchant"].post(
        "/my-shop/certificates", data=certificate_form(other_piece, number=cert.number))
    assert response.status_code == 409 and count() == 1


@pytest.mark.concurrency
def test_two_merchants_registering_one_number_at_once_get_one_certificate(app, cast):
    pieces = [make.product(cast.shop, "手镯甲").id, make.product(cast.other_shop, "手镯乙").id]
    owners = [cast.owner.id, cast.other_owner.id]

    def register(i):
        from app.accounts.models import User

        return certificates.attach(db.session.get(User, owners[i % 2]), pieces[i % 2],
                                   certificates.CertificateDraft("NGTC-RACE-0001", "NGTC", "A货"))

    results = race(app, 6, register)
    assert sum(isinstance(r, Certificate) for r in results) == 1
    assert all(isinstance(r, Certificate) or r.status == 409 for r in results)
    assert count() == 1


@pytest.mark.parametrize("changes,message", [
    ({"number": "<script>x</script>"}, "证书编号应为 4–40 位"),
    ({"number": "NG"}, "证书编号应为 4–40 位"),
    ({"number": "N" * 41}, "证书编号应为 4–40 位"),
    ({"number": ""}, "请填写证书编号"),
    ({"lab": "<b>假实验室</b>"}, "检测机构不能包含"),
    ({"lab": "检" * 81}, "检测机构不能超过 80 个字"),
    ({"findings": "结" * 501}, "检测结论不能超过 500 个字"),
    ({"findings": ""}, "请填写检测结论"),
    ({"issued_on": "2999-01-01"}, "签发日期不能晚于今天"),
    ({"issued_on": "yesterday"}, "签发日期格式应为"),
    ({"product_id": ""}, "请选择商品"),
])
def test_bad_certificate_fields_are_refused_beside_the_field(cast, bangle, changes, message):
    response = cast.clients["owner"].post("/my-shop/certificates",
                                          data=certificate_form(bangle, **changes))
    assert response.status_code == 400 and message in page(response)
    assert count() == 0


def test_a_scan_that_is_not_an_image_is_refused(cast, bangle):
    response = cast.clients["owner"].post(
        "/my-shop/certificates",
        data={**certificate_form(bangle), "scan": photo(b"%PDF-1.4 scan", "scan.jpg")},
        content_type="multipart/form-data")
    assert response.status_code == 400 and "这不是能识别的图片" in page(response)
    assert count() == 0


def test_nobody_attaches_a_certificate_to_someone_elses_goods(cast, bangle):
    response = cast.clients["other_merchant"].post("/my-shop/certificates",
                                                   data=certificate_form(bangle))
    assert response.status_code == 403 and count() == 0


def test_who_may_revoke_a_certificate(cast, bangle):
    cert = make.certificate(bangle, "NGTC-ZP-20240001234")
    for role in ("buyer", "other_merchant", "ruili_admin"):
        refused = cast.clients[role].post(f"/certificates/{cert.number}/revoke",
                                          data={"reason": "看它不顺眼"})
        assert refused.status_code == 403, role
    assert "撤销证书" not in page(cast.clients["buyer"].get(f"/certificates/{cert.number}"))
    admin_view = page(cast.clients["zhenping_admin"].get(f"/certificates/{cert.number}"))
    assert "撤销证书" in admin_view
    done = cast.clients["zhenping_admin"].post(f"/certificates/{cert.number}/revoke",
                                               data={"reason": "买家投诉，送检结果为 B 货"})
    assert done.status_code == 303
    db.session.expire_all()
    assert db.session.get(Certificate, cert.id).revoked_at is not None


def test_the_merchant_is_told_when_a_base_admin_revokes_a_certificate(cast, bangle):
    from app.accounts.models import Notification

    cert = make.certificate(bangle, "NGTC-ZP-20240001234")
    cast.clients["zhenping_admin"].post(f"/certificates/{cert.number}/revoke",
                                        data={"reason": "送检结果为 B 货"})
    [notice] = db.session.scalars(select(Notification)
                                  .where(Notification.user_id == cast.owner.id))
    assert notice.params == {"number": cert.number, "reason": "送检结果为 B 货"}
    assert "送检结果为 B 货" in page(cast.clients["owner"].get("/notifications"))
