"""The operators' page of belt-admin appointments (基地管理员任命)."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.accounts.forms import EmptyForm
from app.accounts.services import require_operator
from app.catalog.services import all_belts
from app.exceptions import DomainError
from app.forms import attach_error
from app.merchants import bases
from app.merchants.forms import AssignBeltAdminForm
from app.merchants.routes import bp
from app.rendering import render_page


@bp.route("/admin/belt-admins", methods=["GET", "POST"])
@login_required
def belt_admins():
    require_operator(current_user)
    form = AssignBeltAdminForm()
    form.belt_id.choices = [(b.id, b.name) for b in all_belts()]
    status = 200
    if form.validate_on_submit():
        try:
            bases.assign_belt_admin(current_user, form.account.data, form.belt_id.data)
        except DomainError as error:
            attach_error(form, error)
            status = error.status
        else:
            flash(_("已任命基地管理员。"), "success")
            return redirect(url_for("merchants.belt_admins"), code=303)
    elif request.method == "POST":
        status = 400
    return render_page("merchants/belt_admins.html", form=form, scopes=bases.belt_admin_scopes(),
                       remove_form=EmptyForm(), status=status)


@bp.post("/admin/belt-admins/<id:user_id>/<id:belt_id>/remove")
@login_required
def remove_belt_admin(user_id: int, belt_id: int):
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("merchants.belt_admins"), code=303)
    bases.remove_belt_admin(current_user, user_id, belt_id)
    flash(_("已撤销该基地管理员。"), "success")
    return redirect(url_for("merchants.belt_admins"), code=303)
