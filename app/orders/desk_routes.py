"""The merchant's order desk (/sell/orders), monthly statement, and the operators'
commission table (/admin/commission). Thin, like the buyer routes."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from app import clock
from app.exceptions import DomainError
from app.forms import attach_error, browser_navigation, retried, retry_at
from app.orders import commission, orders, payments, reviews
from app.orders import statement as statements
from app.orders.forms import EmptyForm, ReasonForm, ShipForm, TierForm
from app.orders.routes import _tab, as_int, bp
from app.rendering import render_page


@bp.get("/sell/orders")
@login_required
def desk():
    shop = orders.shop_orders_owner(current_user)
    tab = _tab()
    page = as_int(request.args.get("page")) or 1
    listing = orders.shop_orders(current_user, tab, max(1, min(page, 500)))
    return render_page("orders/desk.html", "listing", shop=shop, listing=listing, tab=tab,
                       counts=orders.tab_counts(merchant_id=shop.id), now=clock.now())


def _desk_order_page(order, status: int = 200, ship_form=None, reason_form=None,
                     error: str | None = None):
    return render_page(
        "orders/desk_order.html", status=status, order=order, now=clock.now(), error=error,
        steps=orders.timeline(order), ship_form=ship_form or ShipForm(formdata=None),
        reason_form=reason_form or ReasonForm(formdata=None),
        provider_label=payments.provider_label(order.payment_method),
        explanation=commission.explain(order), rates=statements.order_rates(order),
    )


@bp.get("/sell/orders/<id:order_id>")
@login_required
def desk_order(order_id: int):
    return _desk_order_page(orders.get_shop_order(current_user, order_id),
                            ship_form=retried(ShipForm, f"ship:{order_id}"),
                            reason_form=retried(ReasonForm, f"reason:{order_id}"))


@bp.post("/sell/orders/<id:order_id>/ship")
@login_required
def desk_ship(order_id: int):
    order = orders.get_shop_order(current_user, order_id)
    form = ShipForm()
    back = url_for("orders.desk_order", order_id=order.id)
    if not form.validate_on_submit():
        if browser_navigation():
            return retry_at(back, f"ship:{order.id}", form)
        return _desk_order_page(order, 400, ship_form=form)
    try:
        orders.ship_order(current_user, order.id, form.carrier.data or "",
                          form.tracking_number.data or "")
    except DomainError as error:
        if error.status == 400:  # what was typed: beside the field; a state clash: on top
            attach_error(form, error)
        clash = error.message if error.status != 400 else None
        if browser_navigation():
            return retry_at(back, f"ship:{order.id}", form, clash)
        return _desk_order_page(orders.get_shop_order(current_user, order_id), error.status,
                                ship_form=form, error=clash)
    flash(_("已发货，买家会收到通知。"), "success")
    return redirect(url_for("orders.desk_order", order_id=order.id), code=303)


def _reason_action(order_id: int, action, done: str):
    order = orders.get_shop_order(current_user, order_id)
    form = ReasonForm()
    back = url_for("orders.desk_order", order_id=order.id)
    if not form.validate_on_submit():
        if browser_navigation():
            return retry_at(back, f"reason:{order.id}", form)
        return _desk_order_page(order, 400, reason_form=form)
    try:
        action(current_user, order.id, form.reason.data or "")
    except DomainError as error:
        if error.status == 400:  # what was typed: beside the field; a state clash: on top
            attach_error(form, error)
        clash = error.message if error.status != 400 else None
        if browser_navigation():
            return retry_at(back, f"reason:{order.id}", form, clash)
        return _desk_order_page(orders.get_shop_order(current_user, order_id), error.status,
                                reason_form=form, error=clash)
    flash(done, "success")
    return redirect(url_for("orders.desk_order", order_id=order.id), code=303)


@bp.post("/sell/orders/<id:order_id>/cancel")
@login_required
def desk_cancel(order_id: int):
    return _reason_action(order_id, orders.cancel_by_merchant, _("订单已取消，库存已退回。"))


@bp.post("/sell/orders/<id:order_id>/refund")
@login_required
def desk_refund(order_id: int):
    return _reason_action(order_id, orders.refund_order, _("已退款，买家会收到通知。"))


@bp.get("/sell/statement")
@login_required
def statement():
    result = statements.monthly_statement(current_user, request.args.get("month"))
    return render_page("orders/statement.html", statement=result,
                       bp_percent=commission.bp_percent, dimensions=reviews.DIMENSIONS)


@bp.get("/sell/statement.csv")
@login_required
def statement_csv():
    result = statements.monthly_statement(current_user, request.args.get("month"))
    return Response(statements.statement_csv(result), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="statement-{result.label}.csv"',
        "Cache-Control": "private, no-store",
    })


# --- operators: the commission table -----------------------------------------------------

def _commission_page(status: int = 200, tier_form=None, error: str | None = None,
                     edit_id: int | None = None):
    return render_page(
        "orders/commission.html", status=status, rows=commission.rate_table(current_user),
        tiers=commission.tiers(), default_bp=commission.default_rate_bp(), form=EmptyForm(),
        new_form=tier_form if tier_form is not None and edit_id is None
        else TierForm(formdata=None),
        edit_form=tier_form if edit_id is not None else None, error=error, edit_id=edit_id,
        bp_percent=commission.bp_percent,
    )


@bp.get("/admin/commission")
@login_required
def commission_admin():
    return _commission_page()


@bp.post("/admin/commission/rates")
@login_required
def commission_rates():
    commission.rate_table(current_user)  # operators only, before reading the form
    if not EmptyForm().validate_on_submit():
        abort(400)
    rates: dict[int, int | None] = {}
    for name, raw in request.form.items():
        if not name.startswith("rate-"):
            continue
        category_id = as_int(name[5:])
        if category_id is None:
            abort(400)
        value = raw.strip()
        rates[category_id] = None if value == "" else (as_int(value) if as_int(value) is not None
                                                       else -1)
    try:
        changed = commission.set_rates(current_user, rates)
    except DomainError as error:
        return _commission_page(error.status, error=error.message)
    flash(ngettext("已更新 %(num)d 个类目的费率。", "已更新 %(num)d 个类目的费率。", changed), "success")
    return redirect(url_for("orders.commission_admin"), code=303)


def _save_tier(tier_id: int | None):
    commission.rate_table(current_user)  # operators only
    form = TierForm()
    if not form.validate_on_submit():
        return _commission_page(400, tier_form=form, edit_id=tier_id)
    try:
        commission.save_tier(current_user, tier_id, form.name.data or "",
                             form.min_description.data or "", form.min_service.data or "",
                             form.min_logistics.data or "", as_int(form.min_reviews.data),
                             as_int(form.reduction_bp.data))
    except DomainError as error:
        attach_error(form, error)
        return _commission_page(error.status, tier_form=form, edit_id=tier_id)
    flash(_("减免档位已保存。"), "success")
    return redirect(url_for("orders.commission_admin"), code=303)


@bp.post("/admin/commission/tiers")
@login_required
def commission_tier_new():
    return _save_tier(None)


@bp.post("/admin/commission/tiers/<id:tier_id>")
@login_required
def commission_tier_edit(tier_id: int):
    return _save_tier(tier_id)


@bp.post("/admin/commission/tiers/<id:tier_id>/delete")
@login_required
def commission_tier_delete(tier_id: int):
    commission.rate_table(current_user)
    if not EmptyForm().validate_on_submit():
        abort(400)
    commission.delete_tier(current_user, tier_id)
    flash(_("减免档位已删除。"), "success")
    return redirect(url_for("orders.commission_admin"), code=303)
