"""Merchants (商家 / 主播): their coupons and their campaign invitations."""
from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import clock
from app.campaigns import coupons, registration
from app.campaigns.forms import (
    ApplyForm,
    CouponForm,
    EmptyForm,
    as_int,
    local_input,
    parse_fen,
    parse_local,
)
from app.campaigns.routes import bp
from app.catalog.models import Product
from app.catalog.services import listable_products
from app.exceptions import DomainError
from app.extensions import db
from app.forms import attach_error
from app.rendering import render_page


def _coupons_page(form: CouponForm, status: int = 200):
    items = coupons.shop_coupons(current_user)
    return render_page("campaigns/sell_coupons.html", status=status, form=form, items=items,
                       now=clock.now(), describe=coupons.describe, actions=EmptyForm())


@bp.get("/sell/coupons")
@login_required
def sell_coupons():
    form = CouponForm(formdata=None)
    now = clock.now()
    form.valid_from.data = local_input(now)
    form.valid_until.data = local_input(now + timedelta(days=7))
    return _coupons_page(form)


@bp.post("/sell/coupons")
@login_required
def sell_coupon_create():
    form = CouponForm()
    if not form.validate_on_submit():
        return _coupons_page(form, 400)
    draft = coupons.CouponDraft(
        kind=form.kind.data or "", title=form.title.data or "",
        amount_fen=parse_fen(form.amount.data), threshold_fen=parse_fen(form.threshold.data),
        quantity=as_int(form.quantity.data), per_user_limit=as_int(form.per_user_limit.data),
        valid_from=parse_local(form.valid_from.data),
        valid_until=parse_local(form.valid_until.data))
    try:
        coupons.create_shop_coupon(current_user, draft)
    except DomainError as error:
        if error.status == 403:
            raise
        attach_error(form, error)
        return _coupons_page(form, error.status)
    flash(_("优惠券已创建，会显示在你的直播间。"), "success")
    return redirect(url_for("campaigns.sell_coupons"), code=303)


@bp.post("/sell/coupons/<id:coupon_id>/withdraw")
@login_required
def sell_coupon_withdraw(coupon_id: int):
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("campaigns.sell_coupons"), code=303)
    coupons.withdraw_coupon(current_user, coupon_id)
    flash(_("已停止发放；已领取的券仍可使用。"), "success")
    return redirect(url_for("campaigns.sell_coupons"), code=303)


def _campaigns_page(status: int = 200, error: str | None = None, error_id: int | None = None,
                    form: ApplyForm | None = None):
    shop, rows = registration.my_registrations(current_user)
    goods = list(db.session.scalars(listable_products().where(Product.merchant_id == shop.id)
                                    .order_by(Product.id.desc()).limit(200)))
    return render_page("campaigns/sell_campaigns.html", status=status, shop=shop, rows=rows,
                       goods=goods, form=form or ApplyForm(formdata=None), error=error,
                       error_id=error_id, status_names=registration.STATUS_NAMES,
                       now=clock.now())


@bp.get("/sell/campaigns")
@login_required
def sell_campaigns():
    return _campaigns_page()


@bp.post("/sell/campaigns/<id:registration_id>/apply")
@login_required
def sell_apply(registration_id: int):
    form = ApplyForm()
    if not form.validate_on_submit():
        return _campaigns_page(400, error=_("报名说明不能超过 200 个字。"),
                               error_id=registration_id, form=form)
    ids = [as_int(raw) for raw in request.form.getlist("product_ids")]
    if any(i is None for i in ids):
        return _campaigns_page(400, error=_("只能选择自己店铺在售的商品。"),
                               error_id=registration_id, form=form)
    try:
        registration.apply(current_user, registration_id, ids, form.pitch.data or "")
    except DomainError as error:
        if error.status in (403, 404):
            raise
        return _campaigns_page(error.status, error=error.message, error_id=registration_id,
                               form=form)
    flash(_("报名已提交，等待平台审核。"), "success")
    return redirect(url_for("campaigns.sell_campaigns"), code=303)
