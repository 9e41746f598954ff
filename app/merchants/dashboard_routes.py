"""The merchant's own pages (/my-shop…): open a shop, settings, goods, certification,
certificates, and the numbers. Every action goes through a service that checks ownership."""
from __future__ import annotations

from datetime import date

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from app.catalog import listing
from app.catalog.models import Belt, Industry
from app.catalog.names import belt_place, industry_name
from app.catalog.reference import SOURCE_TYPE_NAMES
from app.exceptions import DomainError, InvalidInput
from app.extensions import db
from app.forms import attach_error
from app.inputs import parse_int
from app.merchants import certificates, certification, lift, services, stats, upload_routes
from app.merchants.forms import (
    ApplyForm,
    CertificateForm,
    OpenShopForm,
    ProductForm,
    ShopSettingsForm,
)
from app.merchants.goods_routes import categories
from app.merchants.routes import bp
from app.merchants.uploads import limit_uploads, photo, photos
from app.money import input_value
from app.rendering import render_page


def _my_shop_or_redirect():
    shop = services.shop_of(current_user.id)
    if shop is None:
        flash(_("你还没有店铺，先开一家吧。"), "info")
    return shop


# --- open a shop and its settings -------------------------------------------------------

def _belt_choices() -> dict:
    """Belts grouped by industry for the select (<optgroup>)."""
    grouped: dict[str, list[tuple[str, str]]] = {}
    for belt in db.session.scalars(select(Belt).order_by(Belt.industry_id, Belt.id)):
        grouped.setdefault(industry_name(belt.industry), []).append(
            (str(belt.id), _("%(belt)s · %(base)s", belt=belt_place(belt), base=belt.base_name)))
    return {"": [("", _("不在产业带"))], **grouped}


def _fill_open_choices(form: OpenShopForm) -> None:
    form.source_type.choices = [("", _("请选择"))] + [
        (key.value, _(name)) for key, name in SOURCE_TYPE_NAMES.items()]
    form.belt_id.choices = _belt_choices()
    form.industry_id.choices = [("", _("按所选产业带"))] + [
        (str(i.id), industry_name(i))
        for i in db.session.scalars(select(Industry).order_by(Industry.position))]


def _draft(form) -> services.ShopDraft:
    return services.ShopDraft(
        name=form.name.data or "", address=form.address.data or "",
        hotline=form.hotline.data or "", intro=form.intro.data or "",
        source_type=getattr(form, "source_type", None) and form.source_type.data or "",
        belt_id=getattr(form, "belt_id", None) and form.belt_id.data or None,
        industry_id=getattr(form, "industry_id", None) and form.industry_id.data or None)


@bp.route("/my-shop/open", methods=["GET", "POST"])
@limit_uploads
@login_required
def open_shop():
    if services.shop_of(current_user.id) is not None:
        return redirect(url_for("merchants.dashboard"), code=303)
    form = OpenShopForm()
    _fill_open_choices(form)
    status = 200
    if form.validate_on_submit():
        try:
            shop = services.open_shop(current_user, _draft(form), photo("logo"))
        except DomainError as error:
            attach_error(form, error)
            status = error.status
        else:
            flash(_("店铺“%(name)s”开好了！上架第一件商品，或申请基地官方认证。", name=shop.name),
                  "success")
            return redirect(url_for("merchants.dashboard"), code=303)
    elif request.method == "POST":
        status = 400
    return render_page("merchants/open.html", form=form, status=status)


@bp.route("/my-shop/settings", methods=["GET", "POST"])
@limit_uploads
@login_required
def settings():
    shop = services.own_shop(current_user)
    form = ShopSettingsForm(obj=shop if request.method == "GET" else None)
    status = 200
    if form.validate_on_submit():
        try:
            services.update_shop(current_user, shop.id, _draft(form), photo("logo"))
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
            status = error.status
        else:
            flash(_("店铺设置已保存。"), "success")
            return redirect(url_for("merchants.settings"), code=303)
    elif request.method == "POST":
        status = 400
    db.session.refresh(shop)
    return render_page("merchants/settings.html", form=form, shop=shop, status=status)


# --- the dashboard ------------------------------------------------------------------------

@bp.get("/my-shop")
@login_required
def dashboard():
    shop = _my_shop_or_redirect()
    if shop is None:
        return redirect(url_for("merchants.open_shop"), code=303)
    goods = listing.shop_products(shop.id)
    return render_page(
        "merchants/dashboard.html", shop=shop, goods=goods,
        views=stats.views_by_product(shop.id),
        applications=certification.history(shop.id)[:1],
        can_apply=certification.can_apply(shop),
        certificates=certificates.shop_certificates(shop.id)[:5],
        report=lift.conversion(shop), min_views=lift.MIN_VIEWS_FOR_COMPARISON)


# --- certification --------------------------------------------------------------------------

def _certification_page(form: ApplyForm, status: int = 200):
    shop = services.own_shop(current_user)
    return render_page("merchants/certification.html", shop=shop, form=form,
                       applications=certification.history(shop.id),
                       can_apply=certification.can_apply(shop),
                       max_photos=certification.MAX_WORKSHOP_PHOTOS, status=status)


@bp.get("/my-shop/certification")
@login_required
def certification_status():
    if services.shop_of(current_user.id) is None:
        return redirect(url_for("merchants.open_shop"), code=303)
    return _certification_page(ApplyForm())


@bp.post("/my-shop/certification")
@limit_uploads
@login_required
def certification_apply():
    form = ApplyForm()
    services.own_shop(current_user)
    try:
        documents = certification.Documents(licence=photo("licence"),
                                            workshop=photos("workshop"))
        certification.apply(current_user, documents, form.statement.data or "")
    except DomainError as error:
        if error.status == 403:
            raise
        attach_error(form, error)
        return _certification_page(form, error.status)
    flash(_("申请已提交，基地审核后会通知你。"), "success")
    return redirect(url_for("merchants.certification_status"), code=303)


# --- quality certificates -------------------------------------------------------------------

def _certificates_page(form: CertificateForm, status: int = 200):
    shop = services.own_shop(current_user)
    goods = listing.shop_products(shop.id)
    form.product_id.choices = [("", _("请选择"))] + [(str(p.id), p.title) for p in goods]
    return render_page("merchants/certificates.html", shop=shop, form=form, goods=goods,
                       certificates=certificates.shop_certificates(shop.id), status=status)


def _issued_on(raw: str | None) -> date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(_("签发日期格式应为 2024-05-01。"), field="issued_on") from None


@bp.route("/my-shop/certificates", methods=["GET", "POST"])
@limit_uploads
@login_required
def certificates_page():
    if request.method == "GET" and services.shop_of(current_user.id) is None:
        return redirect(url_for("merchants.open_shop"), code=303)
    preset = parse_int(request.args.get("product"), minimum=1)
    form = CertificateForm(product_id=preset) if request.method == "GET" else CertificateForm()
    if request.method == "GET":
        return _certificates_page(form)
    services.own_shop(current_user)
    if not form.validate_on_submit():
        return _certificates_page(form, 400)
    try:
        draft = certificates.CertificateDraft(
            number=form.number.data, lab=form.lab.data, findings=form.findings.data,
            issued_on=_issued_on(form.issued_on.data))
        certificates.attach(current_user, form.product_id.data, draft, photo("scan"))
    except DomainError as error:
        if error.status == 403 or (error.status == 404 and not error.field):
            raise
        attach_error(form, error)
        return _certificates_page(form, error.status)
    flash(_("证书 %(number)s 已登记，商品页会显示验证二维码。",
            number=certificates.normalise_number(form.number.data)), "success")
    return redirect(url_for("merchants.certificates_page"), code=303)


# --- uploads over the request limit --------------------------------------------------------

@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(error: RequestEntityTooLarge):
    """A body over the limit is refused before it is read (413). Show the form again with
    the message beside its file field; what was typed could not be read, so say so."""
    from app.errors import render_error

    endpoint = request.endpoint
    limit = (upload_routes.MULTI_PHOTO_REQUEST_LIMIT if endpoint in upload_routes.MULTI_PHOTO_ENDPOINTS
             else current_app.config["MAX_CONTENT_LENGTH"]) // (1024 * 1024)
    message = _("上传的文件太大了：一次合计不能超过 %(mb)d MB。请压缩照片或分几次上传，"
                "并重新填写本页。", mb=limit)
    if not current_user.is_authenticated or services.shop_of(current_user.id) is None and \
            endpoint != "merchants.open_shop":
        return render_error(413, message)
    if endpoint == "merchants.certification_apply":
        form = ApplyForm(formdata=None)
        form.licence.errors = [message]
        return _certification_page(form, 413)
    if endpoint == "merchants.certificates_page":
        form = CertificateForm(formdata=None)
        form.scan.errors = [message]
        return _certificates_page(form, 413)
    if endpoint == "merchants.open_shop":
        form = OpenShopForm(formdata=None)
        _fill_open_choices(form)
        form.logo.errors = [message]
        return render_page("merchants/open.html", form=form, status=413)
    if endpoint == "merchants.settings":
        shop = services.own_shop(current_user)
        form = ShopSettingsForm(formdata=None, obj=shop)
        form.logo.errors = [message]
        return render_page("merchants/settings.html", form=form, shop=shop, status=413)
    if endpoint in ("merchants.goods_new", "merchants.goods_edit"):
        shop = services.own_shop(current_user)
        product = None
        if endpoint == "merchants.goods_edit":
            product = listing.get_owned_product(current_user, request.view_args["product_id"])
            form = ProductForm(formdata=None, obj=product, price=input_value(product.price_fen),
                               stock=str(product.stock), stock_seen=str(product.stock))
        else:
            form = ProductForm(formdata=None)
        form.category_id.choices = categories(shop)
        form.photos.errors = [message]
        return render_page("merchants/goods_form.html", form=form, shop=shop, product=product,
                           status=413)
    return render_error(413, message)
