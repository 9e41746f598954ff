"""官方认证: a merchant applies to its belt's base with documents; the base's admin approves
or rejects with a reason; a certification in force can be revoked with a reason.

Approval sets Merchant.certified (the badge on the shop, the 官方认证 / 源头好货 tags on its
goods, certified-first ranking in catalog). Every decision is audited and notified. Decisions
race safely: each is one conditional UPDATE on the row's status, and the row count decides."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app import clock
from app.accounts.models import BeltAdmin, User
from app.accounts.services import is_signed_in, notify, record_audit, require_belt_admin
from app.catalog.models import Belt
from app.catalog.names import belt_name, both_languages
from app.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from app.extensions import db
from app.i18n import N_
from app.merchants.checks import plain_text, store_private_photo
from app.merchants.models import (
    CertificationApplication,
    CertificationDocument,
    CertificationStatus,
    Merchant,
)
from app.merchants.services import own_shop

MAX_WORKSHOP_PHOTOS = 5
MAX_STATEMENT = 300
MAX_REASON = 200
MIN_REASON = 4

# Audit actions written here (the audit page shows them by these names).
APPROVE = "certification.approve"
REJECT = "certification.reject"
REVOKE = "certification.revoke"
# action → (label, sentence) for the audit page
AUDIT_LABELS = {
    APPROVE: (N_("通过认证"), N_("%(actor)s 通过了 %(subject)s 的官方认证")),
    REJECT: (N_("驳回认证"), N_("%(actor)s 驳回了 %(subject)s 的认证申请")),
    REVOKE: (N_("撤销认证"), N_("%(actor)s 撤销了 %(subject)s 的官方认证")),
}


@dataclass
class Documents:
    """The uploaded bytes of an application: one licence photo and the workshop photos."""

    licence: bytes | None
    workshop: list[bytes]


def _open_application(merchant_id: int) -> CertificationApplication | None:
    return db.session.scalar(
        select(CertificationApplication)
        .where(CertificationApplication.merchant_id == merchant_id,
               CertificationApplication.status.in_([CertificationStatus.pending,
                                                    CertificationStatus.approved])))


def history(merchant_id: int) -> list[CertificationApplication]:
    """A shop's applications, newest first, with their documents."""
    return list(db.session.scalars(
        select(CertificationApplication)
        .options(selectinload(CertificationApplication.documents),
                 selectinload(CertificationApplication.belt))
        .where(CertificationApplication.merchant_id == merchant_id)
        .order_by(CertificationApplication.created_at.desc(), CertificationApplication.id.desc())))


def apply(actor: User | None, documents: Documents, statement: str = "") -> CertificationApplication:
    """申请认证: the acting merchant applies to its own belt's base.

    Refused while an application is pending or a certification is in force; every photo is
    checked by content and size and stored before any row is written."""
    shop = own_shop(actor)
    if shop.belt_id is None:
        raise Conflict(_("只有产业带内的店铺可以申请基地认证；你的店铺没有所在产业带。"))
    if shop.certified:
        raise Conflict(_("你的店铺已通过官方认证，无需再次申请。"))
    if _open_application(shop.id) is not None:
        raise Conflict(_("你已有一份待审核的申请，请等待基地审核结果。"), field="licence")
    statement = plain_text(statement, field="statement", label=_("申请说明"),
                           max_len=MAX_STATEMENT, multiline=True)
    if not documents.licence:
        raise InvalidInput(_("请上传营业执照照片。"), field="licence")
    if not documents.workshop:
        raise InvalidInput(_("请至少上传一张工厂、档口或工作室的实拍照片。"), field="workshop")
    if len(documents.workshop) > MAX_WORKSHOP_PHOTOS:
        raise InvalidInput(_("实拍照片最多 %(n)d 张。", n=MAX_WORKSHOP_PHOTOS), field="workshop")
    licence = store_private_photo(documents.licence, field="licence")
    workshop = [store_private_photo(data, field="workshop") for data in documents.workshop]

    application = CertificationApplication(merchant_id=shop.id, belt_id=shop.belt_id,
                                           statement=statement)
    application.documents = [
        CertificationDocument(kind="licence", position=0, image_key=licence.key,
                              width=licence.width, height=licence.height),
        *[CertificationDocument(kind="workshop", position=i + 1, image_key=p.key,
                                width=p.width, height=p.height) for i, p in enumerate(workshop)],
    ]
    db.session.add(application)
    try:
        db.session.flush()
    except IntegrityError:
        # Two submissions at once: the partial unique index lets exactly one in.
        db.session.rollback()
        raise Conflict(_("你已有一份待审核的申请，请等待基地审核结果。"), field="licence") from None
    for admin_id in db.session.scalars(select(BeltAdmin.user_id)
                                       .where(BeltAdmin.belt_id == shop.belt_id)):
        notify(admin_id, N_("%(shop)s 提交了官方认证申请，等待你审核。"),
               link=f"/admin/belts/{shop.belt.slug}/certifications", shop=shop.name)
    db.session.commit()
    return application


def document_for(actor: User | None, document_id: int) -> CertificationDocument:
    """An application's photo, for the shop's owner, the admins of the belt it was sent to and
    operators. Anyone else (signed out included) gets 404: it isn't known to exist."""
    row = db.session.execute(
        select(CertificationDocument, CertificationApplication.belt_id, Merchant.owner_id)
        .join(CertificationApplication,
              CertificationApplication.id == CertificationDocument.application_id)
        .join(Merchant, Merchant.id == CertificationApplication.merchant_id)
        .where(CertificationDocument.id == document_id)).first()
    if row is None or not is_signed_in(actor):
        raise NotFound(_("材料不存在。"))
    document, belt_id, owner_id = row
    if actor.id != owner_id and not actor.administers(belt_id):
        raise NotFound(_("材料不存在。"))
    return document


# --- the base's side ---------------------------------------------------------------------

def belt_for_admin(actor: User | None, slug: str) -> Belt:
    belt = db.session.scalar(select(Belt).where(Belt.slug == slug))
    if belt is None:
        raise NotFound(_("产业带不存在。"))
    require_belt_admin(actor, belt.id)
    return belt


@dataclass
class Queue:
    belt: Belt
    pending: list[CertificationApplication]
    decided: list[CertificationApplication]
    certified: list[Merchant]


def queue(actor: User | None, slug: str, *, decided_limit: int = 20) -> Queue:
    """A base admin's review queue: pending applications oldest first, with documents;
    recent decisions; and the certified shops (to revoke from)."""
    belt = belt_for_admin(actor, slug)
    base = (select(CertificationApplication)
            .options(selectinload(CertificationApplication.documents),
                     selectinload(CertificationApplication.merchant).selectinload(Merchant.owner),
                     selectinload(CertificationApplication.decided_by))
            .where(CertificationApplication.belt_id == belt.id))
    pending = db.session.scalars(
        base.where(CertificationApplication.status == CertificationStatus.pending)
        .order_by(CertificationApplication.created_at, CertificationApplication.id)).all()
    decided = db.session.scalars(
        base.where(CertificationApplication.status != CertificationStatus.pending)
        .order_by(func.coalesce(CertificationApplication.revoked_at,
                                CertificationApplication.decided_at).desc(),
                  CertificationApplication.id.desc())
        .limit(decided_limit)).all()
    certified = db.session.scalars(
        select(Merchant).where(Merchant.belt_id == belt.id, Merchant.certified.is_(True))
        .order_by(Merchant.certified_at.desc(), Merchant.id)).all()
    return Queue(belt, list(pending), list(decided), list(certified))


def pending_count(belt_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(CertificationApplication)
        .where(CertificationApplication.belt_id == belt_id,
               CertificationApplication.status == CertificationStatus.pending)) or 0


def get_for_admin(actor: User | None, application_id: int) -> CertificationApplication:
    """An application with its documents, for an admin of its belt (403 for anyone else)."""
    application = db.session.get(CertificationApplication, application_id)
    if application is None:
        raise NotFound(_("申请不存在。"))
    require_belt_admin(actor, application.belt_id)
    return application


def _not_own_shop(actor: User, application: CertificationApplication) -> None:
    """A base admin who also runs a shop does not decide on it (nor does an operator)."""
    if application.merchant.owner_id == actor.id:
        raise PermissionDenied(_("不能审核自己店铺的申请，请由基地其他管理员或平台运营处理。"))


def _reason(raw: str | None, *, required: bool) -> str:
    return plain_text(raw, field="reason", label=_("原因"), max_len=MAX_REASON,
                      min_len=MIN_REASON if required else 0)


def _decide(actor: User, application: CertificationApplication, status: str, reason: str) -> None:
    result = db.session.execute(
        update(CertificationApplication)
        .where(CertificationApplication.id == application.id,
               CertificationApplication.status == CertificationStatus.pending)
        .values(status=status, decided_at=clock.now(), decided_by_id=actor.id,
                decision_reason=reason)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict(_("这份申请已经处理过了，请刷新查看结果。"))


def approve(actor: User | None, application_id: int, reason: str = "") -> CertificationApplication:
    """通过: the shop gets 官方认证 from now on (its goods get the tags, ranking puts it first)."""
    application = get_for_admin(actor, application_id)
    _not_own_shop(actor, application)
    reason = _reason(reason, required=False)
    _decide(actor, application, CertificationStatus.approved, reason)
    merchant = application.merchant
    if merchant.belt_id != application.belt_id:
        db.session.rollback()
        raise Conflict(_("这家店铺已不在本产业带，不能通过。"))
    # Through the ORM (not a bulk UPDATE), so listeners that copy the flag onto the shop's
    # goods see the change. The application's conditional UPDATE above already decided.
    merchant.certified, merchant.certified_at = True, clock.now()
    record_audit(actor, APPROVE, "merchant", merchant.id, belt_id=application.belt_id,
                 reason=reason, application_id=application.id, shop=merchant.name)
    notify(merchant.owner_id, N_("恭喜！%(shop)s 已通过%(belt)s基地官方认证。"),
           link="/my-shop/certification", shop=merchant.name,
           belt=both_languages(belt_name, application.belt))
    db.session.commit()
    db.session.refresh(application)
    return application


def reject(actor: User | None, application_id: int, reason: str) -> CertificationApplication:
    """驳回 with a reason the merchant reads; they may apply again."""
    application = get_for_admin(actor, application_id)
    _not_own_shop(actor, application)
    reason = _reason(reason, required=True)
    _decide(actor, application, CertificationStatus.rejected, reason)
    merchant = application.merchant
    record_audit(actor, REJECT, "merchant", merchant.id, belt_id=application.belt_id,
                 reason=reason, application_id=application.id, shop=merchant.name)
    notify(merchant.owner_id, N_("%(shop)s 的官方认证申请未通过：%(reason)s"),
           link="/my-shop/certification", shop=merchant.name, reason=reason)
    db.session.commit()
    db.session.refresh(application)
    return application


def revoke(actor: User | None, merchant_id: int, reason: str) -> Merchant:
    """撤销认证 with a reason: the badge, the tags and the ranking boost go at once."""
    merchant = db.session.get(Merchant, merchant_id)
    if merchant is None:
        raise NotFound(_("店铺不存在。"))
    require_belt_admin(actor, merchant.belt_id)
    reason = _reason(reason, required=True)
    now = clock.now()
    result = db.session.execute(
        update(Merchant).where(Merchant.id == merchant.id, Merchant.certified.is_(True))
        .values(certified=False, certified_at=None)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:  # the row count decides between revocations racing
        db.session.rollback()
        raise Conflict(_("这家店铺当前没有官方认证。"))
    # And through the ORM too, so listeners that copy the flag onto the goods see it.
    merchant.certified, merchant.certified_at = False, None
    db.session.execute(
        update(CertificationApplication)
        .where(CertificationApplication.merchant_id == merchant.id,
               CertificationApplication.status == CertificationStatus.approved)
        .values(status=CertificationStatus.revoked, revoked_at=now, revoked_by_id=actor.id,
                revoke_reason=reason)
        .execution_options(synchronize_session=False))
    record_audit(actor, REVOKE, "merchant", merchant.id, belt_id=merchant.belt_id,
                 reason=reason, shop=merchant.name)
    notify(merchant.owner_id, N_("%(shop)s 的官方认证已被撤销：%(reason)s"),
           link="/my-shop/certification", shop=merchant.name, reason=reason)
    db.session.commit()
    db.session.refresh(merchant)
    return merchant


def can_apply(merchant: Merchant) -> bool:
    return (merchant.belt_id is not None and not merchant.certified
            and _open_application(merchant.id) is None)
