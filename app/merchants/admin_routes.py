"""The belt base's review queue: approve, reject or revoke with a reason.

Each decision is a plain form (JavaScript off: POST, then 303 back to the queue) that htmx
enhances in place (POST, then the application's card is swapped for its decided state)."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.accounts.services import require_belt_admin
from app.catalog.models import Belt
from app.exceptions import DomainError, PermissionDenied
from app.extensions import db
from app.media import send_private_image
from app.merchants import certification
from app.merchants.models import Merchant
from app.merchants.routes import bp
from app.rendering import is_htmx, render_page

QUEUE = "merchants/admin_queue.html"


@bp.get("/admin/certifications")
@login_required
def admin_overview():
    """Every belt the user reviews, with its pending count (operators: every belt)."""
    if current_user.is_operator:
        belts = list(db.session.scalars(select(Belt).order_by(Belt.industry_id, Belt.id)))
    elif current_user.is_belt_admin:
        belts = sorted((scope.belt for scope in current_user.belt_scopes), key=lambda b: b.id)
    else:
        raise PermissionDenied(_("只有基地管理员和平台运营可以审核认证。"))
    if len(belts) == 1 and not current_user.is_operator:
        return redirect(url_for("merchants.admin_queue", belt_slug=belts[0].slug), code=303)
    rows = [(belt, certification.pending_count(belt.id)) for belt in belts]
    return render_page("merchants/admin_overview.html", rows=rows)


@bp.get("/certification/documents/<id:document_id>/<int:width>.webp")
def certification_document(document_id: int, width: int):
    """A licence or workshop photo: the shop's owner, that belt's admins and operators only."""
    document = certification.document_for(current_user, document_id)
    return send_private_image(document.image_key, width)


def _queue_page(slug: str, *, errors: dict | None = None, typed: dict | None = None,
                status: int = 200):
    queue = certification.queue(current_user, slug)
    return render_page(QUEUE, queue=queue, belt=queue.belt, errors=errors or {},
                       typed=typed or {}, status=status)


@bp.get("/admin/belts/<slug:belt_slug>/certifications")
@login_required
def admin_queue(belt_slug: str):
    return _queue_page(belt_slug)


def _card(application_id: int, *, message: str = "", error: str = "", typed: str = "",
          status: int = 200):
    """The application's card alone, for htmx to swap in place."""
    application = certification.get_for_admin(current_user, application_id)
    db.session.refresh(application)
    return render_page(QUEUE, "application_card", application=application, belt=application.belt,
                       errors={application.id: error} if error else {},
                       typed={application.id: typed} if typed else {},
                       message=message, status=status)


def _decide(application_id: int, decide, done_message: str):
    reason = request.form.get("reason", "")
    try:
        application = decide(current_user, application_id, reason)
    except DomainError as error:
        if error.status in (403, 404):
            raise
        db.session.rollback()
        application = certification.get_for_admin(current_user, application_id)
        if is_htmx():
            return _card(application_id, error=error.message, typed=reason, status=error.status)
        return _queue_page(application.belt.slug, errors={application_id: error.message},
                           typed={application_id: reason}, status=error.status)
    message = done_message % {"shop": application.merchant.name}
    if is_htmx():
        return _card(application.id, message=message)
    flash(message, "success")
    return redirect(url_for("merchants.admin_queue", belt_slug=application.belt.slug), code=303)


@bp.post("/admin/certifications/<id:application_id>/approve")
@login_required
def admin_approve(application_id: int):
    return _decide(application_id, certification.approve,
                   _("已通过 %(shop)s 的认证：店铺和商品已显示官方认证标识。"))


@bp.post("/admin/certifications/<id:application_id>/reject")
@login_required
def admin_reject(application_id: int):
    return _decide(application_id, certification.reject,
                   _("已驳回 %(shop)s 的申请，商家会收到原因。"))


@bp.post("/admin/merchants/<id:merchant_id>/revoke-certification")
@login_required
def admin_revoke(merchant_id: int):
    reason = request.form.get("reason", "")
    merchant = db.session.get(Merchant, merchant_id)
    try:
        certification.revoke(current_user, merchant_id, reason)
    except DomainError as error:
        if error.status in (403, 404):
            raise
        db.session.rollback()
        require_belt_admin(current_user, merchant.belt_id)
        return _queue_page(merchant.belt.slug, errors={f"m{merchant_id}": error.message},
                           typed={f"m{merchant_id}": reason}, status=error.status)
    flash(_("已撤销 %(shop)s 的官方认证。", shop=merchant.name), "success")
    return redirect(url_for("merchants.admin_queue", belt_slug=merchant.belt.slug), code=303)
