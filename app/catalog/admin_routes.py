"""The operator's catalog pages: industries and belts, listed, created and edited."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.accounts.services import require_operator
from app.catalog import admin
from app.catalog.forms import BeltForm, IndustryForm
from app.catalog.names import industry_name
from app.catalog.routes import bp
from app.exceptions import DomainError
from app.extensions import db
from app.forms import attach_error
from app.rendering import render_page


@bp.get("/admin/catalog")
@login_required
def admin_catalog():
    return render_page("catalog/admin_catalog.html", overview=admin.catalog_overview(current_user))


def _industry_draft(form: IndustryForm) -> admin.IndustryDraft:
    return admin.IndustryDraft(slug=form.slug.data or "", name=form.name.data or "",
                               name_en=form.name_en.data or "",
                               portal_name=form.portal_name.data or "",
                               portal_name_en=form.portal_name_en.data or "",
                               position=form.position.data or "")


def _save(form, save, done_message: str, template: str, status_ok_url, **ctx):
    """POST: the service saves or refuses (the form comes back with the message and what was
    typed); GET: the form."""
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            status = 400
        else:
            try:
                saved = save()
            except DomainError as error:
                if error.status in (403,) or (error.status == 404 and not error.field):
                    raise
                db.session.rollback()
                attach_error(form, error)
                status = error.status
            else:
                flash(done_message, "success")
                return redirect(status_ok_url(saved), code=303)
    return render_page(template, form=form, status=status, **ctx)


@bp.route("/admin/industries/new", methods=["GET", "POST"])
@login_required
def admin_industry_new():
    require_operator(current_user)
    form = IndustryForm()
    return _save(form, lambda: admin.create_industry(current_user, _industry_draft(form)),
                 _("行业已创建，聚合页已上线。"), "catalog/admin_industry_form.html",
                 lambda i: url_for("catalog.admin_catalog"), industry=None)


@bp.route("/admin/industries/<slug:industry_slug>/edit", methods=["GET", "POST"])
@login_required
def admin_industry_edit(industry_slug: str):
    industry = admin.get_industry(current_user, industry_slug)
    form = IndustryForm(obj=industry if request.method == "GET" else None)
    if request.method == "GET":
        form.position.data = str(industry.position)
    return _save(form, lambda: admin.update_industry(current_user, industry_slug,
                                                     _industry_draft(form)),
                 _("行业已保存。"), "catalog/admin_industry_form.html",
                 lambda i: url_for("catalog.admin_catalog"), industry=industry)


def _belt_form(**kwargs) -> BeltForm:
    form = BeltForm(**kwargs)
    form.industry_id.choices = [("", _("请选择"))] + [
        (i.id, industry_name(i)) for i in admin.catalog_overview(current_user).industries]
    return form


def _belt_draft(form: BeltForm) -> admin.BeltDraft:
    return admin.BeltDraft(slug=form.slug.data or "", name=form.name.data or "",
                           name_en=form.name_en.data or "", province=form.province.data or "",
                           city=form.city.data or "", base_name=form.base_name.data or "",
                           industry_id=form.industry_id.data
                           if isinstance(form.industry_id.data, int) else None,
                           admin_account=form.admin_account.data or "")


@bp.route("/admin/belts/new", methods=["GET", "POST"])
@login_required
def admin_belt_new():
    require_operator(current_user)
    form = _belt_form()
    return _save(form, lambda: admin.create_belt(current_user, _belt_draft(form)),
                 _("产业带已创建，已出现在行业聚合页和首页。"), "catalog/admin_belt_form.html",
                 lambda b: url_for("catalog.belt", belt_slug=b.slug), belt=None)


@bp.route("/admin/belts/<slug:belt_slug>/edit", methods=["GET", "POST"])
@login_required
def admin_belt_edit(belt_slug: str):
    belt = admin.get_belt(current_user, belt_slug)
    form = _belt_form(obj=belt if request.method == "GET" else None)
    return _save(form, lambda: admin.update_belt(current_user, belt_slug, _belt_draft(form)),
                 _("产业带已保存。"), "catalog/admin_belt_form.html",
                 lambda b: url_for("catalog.belt", belt_slug=b.slug), belt=belt,
                 admins=admin.catalog_overview(current_user).admins.get(belt.id, []))
