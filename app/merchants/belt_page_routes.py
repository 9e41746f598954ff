"""The belt base's page editor (/admin/belts/<slug>/page): a plain form with a photo."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.exceptions import DomainError
from app.extensions import db
from app.forms import attach_error
from app.inputs import parse_int
from app.merchants import belt_pages
from app.merchants.forms import BeltPageForm
from app.merchants.routes import bp
from app.merchants.uploads import limit_uploads, photo
from app.rendering import render_page


def _chosen() -> list[int]:
    """The ticked shops, in the form's order (an unknown value is refused by the service)."""
    return [parse_int(raw, minimum=1) or 0 for raw in request.form.getlist("featured")[:50]]


@bp.route("/admin/belts/<slug:belt_slug>/page", methods=["GET", "POST"])
@limit_uploads
@login_required
def belt_page_edit(belt_slug: str):
    edit = belt_pages.belt_page_for_admin(current_user, belt_slug)
    form = BeltPageForm(obj=edit.belt if request.method == "GET" else None)
    chosen = edit.featured_ids
    status = 200
    if request.method == "POST":
        chosen = _chosen()
        if not form.validate_on_submit():
            status = 400
        else:
            try:
                belt_pages.update_belt_page(current_user, belt_slug, belt_pages.BeltPageDraft(
                    intro=form.intro.data or "", address=form.address.data or "",
                    hotline=form.hotline.data or "", featured_ids=chosen,
                    remove_banner=bool(form.remove_banner.data)), photo("banner"))
            except DomainError as error:
                if error.status in (403, 404):
                    raise
                db.session.rollback()
                attach_error(form, error)
                status = error.status
            else:
                flash(_("产业带页面已保存。"), "success")
                return redirect(url_for("catalog.belt", belt_slug=belt_slug), code=303)
    return render_page("merchants/belt_page_form.html", form=form, belt=edit.belt,
                       candidates=edit.candidates, chosen=set(chosen),
                       max_featured=belt_pages.MAX_FEATURED, status=status)
