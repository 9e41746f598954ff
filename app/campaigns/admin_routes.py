"""Operators (平台运营): create and edit campaigns, invite shops, review applications."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import clock
from app.accounts.services import require_operator
from app.campaigns import campaigns, registration
from app.campaigns.forms import (
    CampaignForm,
    DecisionForm,
    InviteForm,
    as_int,
    local_input,
    parse_local,
)
from app.campaigns.routes import bp
from app.exceptions import DomainError
from app.forms import attach_error
from app.rendering import render_page


@bp.get("/admin/campaigns")
@login_required
def admin_campaigns():
    require_operator(current_user)
    now = clock.now()
    return render_page("campaigns/admin_list.html", items=campaigns.all_campaigns(), now=now,
                       phase_of=campaigns.phase_of)


def _draft(form: CampaignForm, slug: str = "") -> campaigns.CampaignDraft:
    return campaigns.CampaignDraft(
        slug=slug or form.slug.data or "", name=form.name.data or "",
        hashtag=form.hashtag.data or "", tagline=form.tagline.data or "",
        warmup_start=parse_local(form.warmup_start.data),
        sale_start=parse_local(form.sale_start.data), sale_end=parse_local(form.sale_end.data),
        raffle_beacon=form.raffle_beacon.data or "")


def _form_page(form: CampaignForm, campaign=None, status: int = 200):
    return render_page("campaigns/admin_form.html", status=status, form=form, campaign=campaign)


@bp.route("/admin/campaigns/new", methods=["GET", "POST"])
@login_required
def admin_new():
    require_operator(current_user)
    form = CampaignForm()
    if form.is_submitted():
        if not form.validate():
            return _form_page(form, status=400)
        try:
            created = campaigns.create_campaign(current_user, _draft(form))
        except DomainError as error:
            attach_error(form, error)
            return _form_page(form, status=error.status)
        flash(_("活动已创建。"), "success")
        return redirect(url_for("campaigns.admin_edit", slug=created.slug), code=303)
    warmup, sale, end = campaigns.default_dates(clock.now())
    form.hashtag.data = campaigns.DEFAULT_HASHTAG
    form.name.data = _("116卖货王")
    form.warmup_start.data, form.sale_start.data, form.sale_end.data = (
        local_input(warmup), local_input(sale), local_input(end))
    return _form_page(form)


@bp.route("/admin/campaigns/<slug:slug>/edit", methods=["GET", "POST"])
@login_required
def admin_edit(slug: str):
    require_operator(current_user)
    campaign = campaigns.require_campaign(slug)
    if request.method == "POST":
        form = CampaignForm()
        if not form.validate():
            return _form_page(form, campaign, status=400)
        try:
            campaigns.update_campaign(current_user, slug, _draft(form, slug))
        except DomainError as error:
            attach_error(form, error)
            return _form_page(form, campaign, status=error.status)
        flash(_("活动已保存。"), "success")
        return redirect(url_for("campaigns.admin_edit", slug=slug), code=303)
    form = CampaignForm(formdata=None, slug=campaign.slug, name=campaign.name,
                        hashtag=campaign.hashtag, tagline=campaign.tagline,
                        warmup_start=local_input(campaign.warmup_start),
                        sale_start=local_input(campaign.sale_start),
                        sale_end=local_input(campaign.sale_end),
                        raffle_beacon=campaign.raffle_beacon)
    return _form_page(form, campaign)


def _registrations_page(slug: str, status: int = 200, invite: InviteForm | None = None,
                        error: str | None = None, error_id: int | None = None):
    campaign, rows = registration.registrations(current_user, slug)
    return render_page("campaigns/admin_registrations.html", status=status, campaign=campaign,
                       rows=rows, invite=invite or InviteForm(formdata=None),
                       decision=DecisionForm(formdata=None), error=error, error_id=error_id,
                       status_names=registration.STATUS_NAMES,
                       candidates=registration.invite_candidates(campaign))


@bp.get("/admin/campaigns/<slug:slug>/registrations")
@login_required
def admin_registrations(slug: str):
    return _registrations_page(slug)


@bp.post("/admin/campaigns/<slug:slug>/invite")
@login_required
def admin_invite(slug: str):
    form = InviteForm()
    if not form.validate_on_submit():
        return _registrations_page(slug, 400, form)
    try:
        registration.invite_shop(current_user, slug, as_int(form.merchant_id.data))
    except DomainError as error:
        if error.status == 403:
            raise
        attach_error(form, error)
        return _registrations_page(slug, error.status, form)
    flash(_("邀约已发出，商家会收到通知。"), "success")
    return redirect(url_for("campaigns.admin_registrations", slug=slug), code=303)


@bp.post("/admin/campaigns/<slug:slug>/registrations/<id:registration_id>/decide")
@login_required
def admin_decide(slug: str, registration_id: int):
    form = DecisionForm()
    if not form.validate_on_submit() or form.decision.data not in ("approve", "reject"):
        return _registrations_page(slug, 400, error=_("请选择通过或不通过。"),
                                   error_id=registration_id)
    try:
        registration.decide(current_user, slug, registration_id,
                            form.decision.data == "approve", form.reason.data or "")
    except DomainError as error:
        if error.status in (403, 404):
            raise
        return _registrations_page(slug, error.status, error=error.message,
                                   error_id=registration_id)
    flash(_("已处理。"), "success")
    return redirect(url_for("campaigns.admin_registrations", slug=slug), code=303)

