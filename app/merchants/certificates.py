"""质检证书: quality certificates attached to goods, verifiable by anyone at
/certificates/<number>, with a QR code on the product page that opens that page.

A certificate number is registered once and belongs to one product for good (a unique
constraint decides): another merchant typing the same number is refused, and the attempt is
written to the audit log so the belt's base can see it."""
from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

import qrcode
from flask_babel import gettext as _
from qrcode.image.pil import PilImage
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app import clock
from app.accounts.models import User
from app.accounts.services import is_signed_in, notify, record_audit, require_signed_in
from app.catalog.listing import get_owned_product
from app.catalog.models import Product
from app.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from app.extensions import db
from app.i18n import N_
from app.merchants.checks import plain_text, store_photo
from app.merchants.models import Certificate, Merchant

NUMBER_RE = re.compile(r"[A-Z0-9](?:[A-Z0-9-]{2,38})[A-Z0-9]")
MAX_LAB = 80
MAX_FINDINGS = 500
EARLIEST_ISSUE = date(1990, 1, 1)

REUSE_REFUSED = "certificate.reuse_refused"
REVOKE = "certificate.revoke"
# action → (label, sentence) for the audit page
AUDIT_LABELS = {
    REUSE_REFUSED: (N_("拒绝重复登记证书编号"),
                    N_("%(actor)s 想重复登记证书 %(subject)s，已被拒绝")),
    REVOKE: (N_("撤销质检证书"), N_("%(actor)s 撤销了质检证书 %(subject)s")),
}


@dataclass
class CertificateDraft:
    number: str
    lab: str
    findings: str
    issued_on: date | None = None


def normalise_number(raw: str | None, *, field: str = "number") -> str:
    """' ngtc-zp 2019 0000001 ' → 'NGTC-ZP-20190000001': spaces dropped, full-width characters
    folded, letters upper-cased; 4–40 letters, digits and inner hyphens."""
    text = unicodedata.normalize("NFKC", raw or "").strip().upper()
    text = re.sub(r"[\s\u3000]+", "", text).replace("—", "-").replace("–", "-")
    if not text:
        raise InvalidInput(_("请填写证书编号。"), field=field)
    if len(text) > 40 or not NUMBER_RE.fullmatch(text):
        raise InvalidInput(_("证书编号应为 4–40 位字母、数字或连字符（-），请对照证书填写。"),
                           field=field)
    return text


def is_number(raw: str) -> bool:
    try:
        normalise_number(raw)
    except InvalidInput:
        return False
    return True


def find(number: str) -> Certificate | None:
    """The certificate with this number (already normalised), with its product and shop."""
    return db.session.scalar(
        select(Certificate)
        .options(selectinload(Certificate.product).selectinload(Product.photos),
                 selectinload(Certificate.merchant).selectinload(Merchant.belt))
        .where(Certificate.number == number))


def shop_certificates(merchant_id: int) -> list[Certificate]:
    return list(db.session.scalars(
        select(Certificate).options(selectinload(Certificate.product))
        .where(Certificate.merchant_id == merchant_id)
        .order_by(Certificate.created_at.desc(), Certificate.id.desc())))


def _issued_on(value: date | None) -> date | None:
    if value is None:
        return None
    if value > clock.local_today():
        raise InvalidInput(_("签发日期不能晚于今天。"), field="issued_on")
    if value < EARLIEST_ISSUE:
        raise InvalidInput(_("签发日期太早了，请核对。"), field="issued_on")
    return value


def attach(actor: User | None, product_id: int, draft: CertificateDraft,
           scan: bytes | None = None) -> Certificate:
    """Attach a certificate to one of the acting merchant's goods."""
    product = get_owned_product(actor, product_id)
    number = normalise_number(draft.number)
    lab = plain_text(draft.lab, field="lab", label=_("检测机构"), max_len=MAX_LAB, min_len=2)
    findings = plain_text(draft.findings, field="findings", label=_("检测结论"),
                          max_len=MAX_FINDINGS, min_len=2, multiline=True)
    issued = _issued_on(draft.issued_on)
    existing = db.session.scalar(select(Certificate).where(Certificate.number == number))
    if existing is not None:
        _refuse_existing(actor, product, existing)
    stored = store_photo(scan, field="scan") if scan else None
    certificate = Certificate(
        number=number, product_id=product.id, merchant_id=product.merchant_id, lab=lab,
        findings=findings, issued_on=clock.shanghai_midnight(issued) if issued else None,
        scan_key=stored.key if stored else None, scan_width=stored.width if stored else None,
        scan_height=stored.height if stored else None)
    db.session.add(certificate)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # registered a moment ago by someone else
        raise Conflict(_("这个证书编号已被登记，不能重复使用。"), field="number") from None
    return certificate


def _refuse_existing(actor: User, product: Product, existing: Certificate):
    if existing.product_id == product.id:
        raise Conflict(_("这件商品已经登记过这个证书编号。"), field="number")
    if existing.merchant_id == product.merchant_id:
        raise Conflict(_("这个编号已登记在本店另一件商品上：一个证书编号只属于一件商品。"),
                       field="number")
    # Someone else's number: record the attempt for the base, then refuse.
    db.session.rollback()
    record_audit(actor, REUSE_REFUSED, "certificate", existing.id,
                 belt_id=product.merchant.belt_id, number=existing.number,
                 product_id=product.id, merchant_id=product.merchant_id)
    db.session.commit()
    raise Conflict(_("这个证书编号已被其他商家登记，不能重复使用。如确属你的商品，请联系所在基地核实。"),
                   field="number")


def can_revoke(actor: User | None, certificate: Certificate) -> bool:
    """The shop's owner, an admin of the shop's belt, or an operator."""
    if not is_signed_in(actor):
        return False
    merchant = certificate.merchant
    return (merchant.owner_id == actor.id or actor.is_operator
            or (merchant.belt_id is not None and actor.administers(merchant.belt_id)))


def revoke(actor: User | None, number: str, reason: str) -> Certificate:
    """撤销证书: the public page then says plainly that it is revoked, and why."""
    require_signed_in(actor)
    certificate = find(normalise_number(number)) if is_number(number) else None
    if certificate is None:
        raise NotFound(_("没有这个证书编号。"))
    if not can_revoke(actor, certificate):
        raise PermissionDenied(_("只有店主、所在基地管理员或平台运营可以撤销证书。"))
    reason = plain_text(reason, field="reason", label=_("原因"), max_len=200, min_len=4)
    result = db.session.execute(
        update(Certificate).where(Certificate.id == certificate.id, Certificate.revoked_at.is_(None))
        .values(revoked_at=clock.now(), revoke_reason=reason)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict(_("这张证书已经撤销了。"))
    record_audit(actor, REVOKE, "certificate", certificate.id,
                 belt_id=certificate.merchant.belt_id, reason=reason, number=certificate.number)
    if certificate.merchant.owner_id != actor.id:
        notify(certificate.merchant.owner_id, N_("质检证书 %(number)s 已被撤销：%(reason)s"),
               link=f"/certificates/{certificate.number}", number=certificate.number,
               reason=reason)
    db.session.commit()
    db.session.refresh(certificate)
    return certificate


def qr_png(url: str) -> bytes:
    """A QR code (the qrcode library, medium error correction) for a verification URL."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=6,
                         border=2, image_factory=PilImage)
    code.add_data(url)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer)
    return buffer.getvalue()
