"""Public pages: the shop, and certificate verification with its QR code."""
from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.catalog import services as catalog
from app.catalog.filters import parse_filter
from app.exceptions import DomainError
from app.forms import attach_error, form_posts_only
from app.merchants import certificates, views
from app.merchants.forms import ReasonForm
from app.pagecache import public_page
from app.rendering import render_page

bp = Blueprint("merchants", __name__)

MAX_NUMBER_IN_URL = 60


form_posts_only(bp)


@bp.get("/shops/<id:merchant_id>")
@public_page
def shop(merchant_id: int):
    parsed = parse_filter(request.args, **catalog.filter_vocabulary())
    page = views.shop_page(merchant_id, parsed, current_app.config["PAGE_SIZE"],
                           url_for("merchants.shop", merchant_id=merchant_id))
    if page is None:
        abort(404)
    return render_page("merchants/shop.html", {"listing": "listing", None: "results"},
                       **vars(page))


# --- certificates ------------------------------------------------------------------------

def public_base_url() -> str:
    """Where QR codes point: PUBLIC_BASE_URL when set (production), else this request's host."""
    configured = current_app.config.get("PUBLIC_BASE_URL")
    return (configured or request.host_url).rstrip("/")


@bp.get("/certificates")
def certificate_lookup():
    """The verification box: type a number from a paper certificate."""
    raw = (request.args.get("number") or "").strip()
    if raw:
        if certificates.is_number(raw):
            return redirect(url_for("merchants.certificate",
                                    number=certificates.normalise_number(raw)), code=303)
        return _certificate_page(raw[:MAX_NUMBER_IN_URL], None, status=404)
    return render_page("merchants/certificate.html", certificate=None, number="", lookup=True)


def _certificate_page(number: str, certificate, *, form: ReasonForm | None = None,
                      status: int = 200):
    listable = certificate is not None and catalog.is_listable(certificate.product)
    revocable = certificate is not None and certificates.can_revoke(current_user, certificate)
    return render_page(
        "merchants/certificate.html", certificate=certificate, number=number, lookup=False,
        listable=listable, revocable=revocable and certificate.revoked_at is None,
        form=form or ReasonForm(), status=status)


@bp.get("/certificates/<number>")
def certificate(number: str):
    """Public verification: valid, revoked (with the reason), or plainly unknown (404)."""
    if len(number) > MAX_NUMBER_IN_URL or not certificates.is_number(number):
        return _certificate_page(number[:MAX_NUMBER_IN_URL], None, status=404)
    normal = certificates.normalise_number(number)
    if normal != number:
        return redirect(url_for("merchants.certificate", number=normal), code=301)
    found = certificates.find(normal)
    return _certificate_page(normal, found, status=200 if found else 404)


@bp.get("/certificates/<number>/qr.png")
def certificate_qr(number: str):
    """The QR code printed beside a certificate on the product page: it opens the public page."""
    if len(number) > MAX_NUMBER_IN_URL or not certificates.is_number(number):
        abort(404)
    normal = certificates.normalise_number(number)
    target = public_base_url() + url_for("merchants.certificate", number=normal)
    response = current_app.response_class(certificates.qr_png(target), mimetype="image/png")
    response.headers["Cache-Control"] = "public, max-age=86400"
    response.vary.add("Host")
    return response


@bp.post("/certificates/<number>/revoke")
@login_required
def certificate_revoke(number: str):
    form = ReasonForm()
    try:
        certificates.revoke(current_user, number, form.reason.data or "")
    except DomainError as error:
        if error.field != "reason":
            raise
        attach_error(form, error)
        normal = certificates.normalise_number(number)
        return _certificate_page(normal, certificates.find(normal), form=form, status=error.status)
    flash(_("证书已撤销，验证页面会显示撤销原因。"), "success")
    return redirect(url_for("merchants.certificate", number=certificates.normalise_number(number)),
                    code=303)
