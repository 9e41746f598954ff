"""Enforcement: what a belt base (or an operator) does about a shop — a warning, delisting a
product, suspending the shop for a period (or lifting it early), revoking its certification.

Each step is an EnforcementAction row, an audit entry (the same log as certification) and a
notification with the reason to the shop's owner, in one transaction. A suspension is a time
(`Merchant.suspended_until`), not a flag a timer must clear: the listable rule compares it
with clock.now(), so the shop comes back by itself when it ends. Open orders are untouched:
the shop still ships, refunds and gets confirmations."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update

from app import clock
from app.accounts.models import User
from app.accounts.services import notify, record_audit, require_belt_admin
from app.catalog.models import Product, ProductStatus
from app.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from app.extensions import db
from app.governance.models import ActionKind, Complaint, EnforcementAction
from app.i18n import N_
from app.merchants import certification
from app.merchants.checks import plain_text
from app.merchants.models import Merchant

MIN_REASON = 4
MAX_REASON = 200
MAX_SUSPEND_DAYS = 90

ACTION_NAMES = {
    ActionKind.warning: N_("警告"),
    ActionKind.delist: N_("下架商品"),
    ActionKind.suspend: N_("暂停营业"),
    ActionKind.reinstate: N_("恢复营业"),
    ActionKind.revoke: N_("撤销认证"),
}
# action → (label, sentence) for the audit page
AUDIT_LABELS = {
    "governance.warning": (N_("警告商家"), N_("%(actor)s 警告了 %(subject)s")),
    "governance.delist": (N_("下架商品"), N_("%(actor)s 下架了 %(subject)s 的商品“%(product)s”")),
    "governance.suspend": (N_("暂停店铺营业"), N_("%(actor)s 暂停了 %(subject)s 的营业")),
    "governance.reinstate": (N_("恢复店铺营业"), N_("%(actor)s 恢复了 %(subject)s 的营业")),
}


@dataclass
class ActionRequest:
    kind: str
    reason: str
    product_id: int | None = None
    days: int | None = None
    complaint_id: int | None = None


def get_merchant_for_admin(actor: User | None, merchant_id: int) -> Merchant:
    """A shop, for an admin of its belt (operators: any shop; shops without a belt: operators
    only). Nobody acts on their own shop."""
    merchant = db.session.get(Merchant, merchant_id)
    if merchant is None:
        raise NotFound(_("店铺不存在。"))
    require_belt_admin(actor, merchant.belt_id)
    if merchant.owner_id == actor.id:
        raise PermissionDenied(_("不能处理自己的店铺，请由基地其他管理员或平台运营处理。"))
    return merchant


def applicable_actions(merchant: Merchant, *, has_goods: bool,
                       now: datetime | None = None) -> list[str]:
    """The steps that can apply to this shop as it is now, in the form's order: 撤销认证 only
    to a certified shop, 恢复营业 only to a suspended one, 下架商品 only while it has goods
    on the shelf. The form offers these; `act` still refuses the others (the state may change
    between showing the form and posting it)."""
    now = now or clock.now()
    applicable = {
        ActionKind.warning: True,
        ActionKind.delist: has_goods,
        ActionKind.suspend: True,
        ActionKind.reinstate: merchant.is_suspended(now),
        ActionKind.revoke: merchant.certified,
    }
    return [kind for kind in ActionKind.ALL if applicable[kind]]


def history(merchant_id: int, limit: int = 50) -> list[EnforcementAction]:
    return list(db.session.scalars(
        select(EnforcementAction).where(EnforcementAction.merchant_id == merchant_id)
        .order_by(EnforcementAction.id.desc()).limit(limit)))


def act(actor: User | None, merchant_id: int, request: ActionRequest) -> EnforcementAction:
    """Take one enforcement step on a shop (see the module docstring)."""
    merchant = get_merchant_for_admin(actor, merchant_id)
    if request.kind not in ActionKind.ALL:
        raise InvalidInput(_("请选择处理方式。"), field="kind")
    reason = plain_text(request.reason, field="reason", label=_("处理原因"), max_len=MAX_REASON,
                        min_len=MIN_REASON)
    complaint = None
    if request.complaint_id is not None:
        complaint = db.session.get(Complaint, request.complaint_id)
        if complaint is None or complaint.merchant_id != merchant.id:
            raise NotFound(_("投诉不存在。"))
    now = clock.now()
    action = EnforcementAction(merchant_id=merchant.id, belt_id=merchant.belt_id,
                               complaint_id=complaint.id if complaint else None,
                               kind=request.kind, reason=reason, actor_id=actor.id, created_at=now)
    details = {"shop": merchant.name}
    if complaint is not None:
        details["complaint_id"] = complaint.id
    link = "/sell/complaints"

    if request.kind == ActionKind.revoke:
        # Through the certification workflow (its own audit entry and notification); our row
        # rides in its transaction, so both land or neither does.
        db.session.add(action)
        certification.revoke(actor, merchant.id, reason)
        return action

    if request.kind == ActionKind.warning:
        notify(merchant.owner_id, N_("基地对 %(shop)s 发出警告：%(reason)s"), link=link,
               shop=merchant.name, reason=reason)
    elif request.kind == ActionKind.delist:
        product = db.session.get(Product, request.product_id) if request.product_id else None
        if product is None or product.merchant_id != merchant.id:
            raise InvalidInput(_("请选择这家店铺的商品。"), field="product_id")
        result = db.session.execute(
            update(Product).where(Product.id == product.id,
                                  Product.status != ProductStatus.delisted)
            .values(status=ProductStatus.delisted, updated_at=now)
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:
            db.session.rollback()
            raise Conflict(_("这件商品已经下架了。"), field="product_id")
        action.product_id = product.id
        details["product"] = product.title
        notify(merchant.owner_id, N_("你的商品“%(title)s”已被基地下架：%(reason)s"), link=link,
               title=product.title, reason=reason)
    elif request.kind == ActionKind.suspend:
        days = request.days
        if not isinstance(days, int) or not 1 <= days <= MAX_SUSPEND_DAYS:
            raise InvalidInput(_("暂停天数需为 1–%(max)d 天。", max=MAX_SUSPEND_DAYS), field="days")
        until = now + timedelta(days=days)
        if merchant.is_suspended(now) and merchant.suspended_until > until:
            # A second, shorter suspension never cuts one in force short (reinstate does that).
            until = merchant.suspended_until
        # Through the ORM so catalog.sync copies it onto the shop's goods (the listable rule).
        merchant.suspended_until = until
        action.until = until
        details.update(days=days, until=until.isoformat())
        # The days it is actually suspended from now (a longer suspension in force stays).
        days_in_force = -(-(until - now) // timedelta(days=1))
        notify(merchant.owner_id, N_("%(shop)s 被基地暂停营业 %(days)d 天：%(reason)s"), link=link,
               shop=merchant.name, days=days_in_force, reason=reason)
    elif request.kind == ActionKind.reinstate:
        if not merchant.is_suspended(now):
            raise Conflict(_("这家店铺没有在暂停营业。"), field="kind")
        merchant.suspended_until = now
        notify(merchant.owner_id, N_("%(shop)s 已恢复营业：%(reason)s"), link=link,
               shop=merchant.name, reason=reason)

    db.session.add(action)
    record_audit(actor, f"governance.{request.kind}", "merchant", merchant.id,
                 belt_id=merchant.belt_id, reason=reason, **details)
    db.session.commit()
    return action
