"""Governance pages: complaints (buyer, merchant, base), enforcement, the base dashboard, and
source videos (the merchant's posting page, a belt's feed, one video). Routes are thin: parse,
call one service, render; permission checks live in the services."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.catalog import services as catalog
from app.catalog.models import Belt, Product, ProductStatus
from app.exceptions import DomainError, PermissionDenied
from app.extensions import db
from app.forms import attach_error, form_posts_only
from app.governance import complaints, dashboard, enforcement, videos
from app.governance.forms import (
    ActionForm,
    AdditionForm,
    AnswerForm,
    ComplaintForm,
    DecisionForm,
    VideoForm,
)
from app.governance.models import ComplaintStatus
from app.inputs import MAX_PAGE, parse_int
from app.media import send_private_image
from app.merchants import certification
from app.merchants.checks import has_file
from app.merchants.uploads import limit_uploads, photos
from app.pagecache import public_page
from app.rendering import render_page

bp = Blueprint("governance", __name__)

UPLOAD_ENDPOINTS = {"governance.file_complaint": "GOVERNANCE_COMPLAINT_MAX_BODY",
                    "governance.my_videos": "GOVERNANCE_VIDEO_MAX_BODY"}


@bp.url_value_preprocessor
def _raise_upload_limit(endpoint: str | None, values: dict | None) -> None:
    """Runs before CSRF reads the body: the forms with photos or a video may be larger than
    the app-wide limit (an oversized video then gets the form back with a clear message)."""
    if request.method == "POST" and endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = current_app.config[UPLOAD_ENDPOINTS[endpoint]]


form_posts_only(bp)


def _kind_choices() -> list[tuple[str, str]]:
    return [(k, _(v)) for k, v in complaints.KIND_NAMES.items()]


# --- complaints: the buyer ------------------------------------------------------------------

@bp.route("/orders/<id:order_id>/complaint", methods=["GET", "POST"])
@limit_uploads
@login_required
def file_complaint(order_id: int):
    order = complaints.complainable_order(current_user, order_id)
    existing = complaints.complaint_of_order(order.id)
    if existing is not None:
        return redirect(url_for("governance.complaint", complaint_id=existing.id), code=303)
    form = ComplaintForm()
    form.kind.choices = _kind_choices()
    status = 200
    if request.method == "POST":
        try:
            draft = complaints.ComplaintDraft(kind=form.kind.data or "", text=form.text.data or "",
                                              photos=photos("photos"))
            complaint = complaints.file_complaint(current_user, order.id, draft)
        except DomainError as error:
            if error.status in (403, 404):
                raise
            attach_error(form, error)
            status = error.status
        else:
            flash(_("投诉已提交，店铺所在基地会尽快处理。"), "success")
            return redirect(url_for("governance.complaint", complaint_id=complaint.id), code=303)
    return render_page("governance/complaint_new.html", form=form, order=order, status=status)


@bp.get("/complaints")
@login_required
def my_complaints():
    return render_page("governance/my_complaints.html",
                       rows=complaints.buyer_complaints(current_user))


def _thread(complaint_id: int, *, answer_form=None, addition_form=None, decision_form=None,
            action_form=None, status: int = 200, conflict: str = ""):
    complaint = complaints.get_complaint(current_user, complaint_id)
    decider = complaints.can_decide(current_user, complaint)
    decision_form = decision_form or DecisionForm(formdata=None)
    decision_form.outcome.choices = [(ComplaintStatus.upheld, _("投诉成立")),
                                     (ComplaintStatus.rejected, _("投诉不成立"))]
    if action_form is None and decider:
        action_form = _action_form(complaint.merchant, formdata=None)
        action_form.complaint_id.data = str(complaint.id)
    return render_page(
        "governance/complaint.html", complaint=complaint, decider=decider,
        answer_form=answer_form or AnswerForm(formdata=None),
        addition_form=addition_form or AdditionForm(formdata=None),
        decision_form=decision_form, action_form=action_form,
        upheld=complaints.upheld_count(complaint.merchant_id), conflict=conflict, status=status)


@bp.get("/complaints/<id:complaint_id>")
@login_required
def complaint(complaint_id: int):
    return _thread(complaint_id)


@bp.get("/complaints/photos/<id:photo_id>/<int:width>.webp")
def complaint_photo(photo_id: int, width: int):
    """A complaint photo: the complainant, the shop's owner, the belt's admins and operators."""
    photo = complaints.photo_for(current_user, photo_id)
    return send_private_image(photo.image_key, width)


@bp.post("/complaints/<id:complaint_id>/answer")
@login_required
def answer(complaint_id: int):
    form = AnswerForm()
    try:
        complaints.answer(current_user, complaint_id, form.answer.data or "")
    except DomainError as error:
        if error.status in (403, 404):
            raise
        attach_error(form, error)
        return _thread(complaint_id, answer_form=form, status=error.status,
                       conflict=error.message if error.status == 409 else "")
    flash(_("回复已发送，买家和基地都能看到。"), "success")
    return redirect(url_for("governance.complaint", complaint_id=complaint_id), code=303)


@bp.post("/complaints/<id:complaint_id>/addition")
@login_required
def addition(complaint_id: int):
    form = AdditionForm()
    try:
        complaints.add(current_user, complaint_id, form.addition.data or "")
    except DomainError as error:
        if error.status in (403, 404):
            raise
        attach_error(form, error)
        return _thread(complaint_id, addition_form=form, status=error.status,
                       conflict=error.message if error.status == 409 else "")
    flash(_("补充说明已提交。"), "success")
    return redirect(url_for("governance.complaint", complaint_id=complaint_id), code=303)


@bp.post("/complaints/<id:complaint_id>/decision")
@login_required
def decide(complaint_id: int):
    form = DecisionForm()
    try:
        complaints.decide(current_user, complaint_id, form.outcome.data or "",
                          form.reason.data or "")
    except DomainError as error:
        if error.status in (403, 404):
            raise
        attach_error(form, error)
        return _thread(complaint_id, decision_form=form, status=error.status,
                       conflict=error.message if error.status == 409 else "")
    flash(_("处理结果已记录，买家和商家都会收到通知。"), "success")
    return redirect(url_for("governance.complaint", complaint_id=complaint_id), code=303)


# --- complaints: the merchant ---------------------------------------------------------------

@bp.get("/sell/complaints")
@login_required
def shop_complaints():
    shop, rows = complaints.shop_complaints(current_user)
    return render_page("governance/shop_complaints.html", shop=shop, rows=rows,
                       actions=enforcement.history(shop.id),
                       upheld=complaints.upheld_count(shop.id))


# --- the base -------------------------------------------------------------------------------

@bp.get("/admin/complaints")
@login_required
def admin_overview():
    """Every belt the user administers with its open complaints; operators also get the queue
    of shops that have no belt."""
    if current_user.is_operator:
        belts = list(db.session.scalars(select(Belt).order_by(Belt.industry_id, Belt.id)))
    elif current_user.is_belt_admin:
        belts = sorted((scope.belt for scope in current_user.belt_scopes), key=lambda b: b.id)
    else:
        raise PermissionDenied(_("只有基地管理员和平台运营可以处理投诉。"))
    rows = [(belt, len(complaints.queue(belt.id, decided_limit=0)[0])) for belt in belts]
    unbelted = complaints.queue(None) if current_user.is_operator else None
    return render_page("governance/admin_overview.html", rows=rows, unbelted=unbelted)


@bp.get("/admin/belts/<slug:belt_slug>/complaints")
@login_required
def admin_queue(belt_slug: str):
    belt = certification.belt_for_admin(current_user, belt_slug)
    open_, decided = complaints.queue(belt.id)
    return render_page("governance/admin_queue.html", belt=belt, open_=open_, decided=decided)


@bp.get("/admin/belts/<slug:belt_slug>/governance")
@login_required
def admin_dashboard(belt_slug: str):
    board = dashboard.dashboard(current_user, belt_slug)
    return render_page("governance/dashboard.html", board=board, belt=board.belt)


def _action_form(merchant, formdata=None) -> ActionForm:
    """The enforcement form offering only the steps that apply to the shop as it is now."""
    form = ActionForm(formdata=formdata) if formdata is not None else ActionForm(formdata=None)
    goods = db.session.scalars(
        select(Product).where(Product.merchant_id == merchant.id,
                              Product.status != ProductStatus.delisted)
        .order_by(Product.sales_count.desc(), Product.id).limit(100)).all()
    form.kind.choices = [(k, _(enforcement.ACTION_NAMES[k]))
                         for k in enforcement.applicable_actions(merchant, has_goods=bool(goods))]
    form.product_id.choices = [("", _("（仅下架商品时选择）"))] + [(p.id, p.title) for p in goods]
    return form


def _enforcement_page(merchant_id: int, form: ActionForm | None = None, status: int = 200):
    merchant = enforcement.get_merchant_for_admin(current_user, merchant_id)
    return render_page("governance/enforcement.html", merchant=merchant,
                       form=form or _action_form(merchant),
                       actions=enforcement.history(merchant.id),
                       upheld=complaints.upheld_count(merchant.id), status=status)


@bp.get("/admin/merchants/<id:merchant_id>/enforcement")
@login_required
def enforcement_page(merchant_id: int):
    return _enforcement_page(merchant_id)


@bp.post("/admin/merchants/<id:merchant_id>/enforcement")
@login_required
def act(merchant_id: int):
    merchant = enforcement.get_merchant_for_admin(current_user, merchant_id)
    form = _action_form(merchant, formdata=request.form)
    complaint_id = parse_int(form.complaint_id.data, minimum=1)
    raw_days = (form.days.data or "").strip()
    days = parse_int(raw_days, minimum=0, maximum=10_000) if raw_days else None
    if raw_days and days is None:
        days = -1  # not a number: the service refuses it with the range
    try:
        enforcement.act(current_user, merchant.id, enforcement.ActionRequest(
            kind=form.kind.data or "", reason=form.reason.data or "",
            product_id=form.product_id.data if isinstance(form.product_id.data, int) else None,
            days=days, complaint_id=complaint_id))
    except DomainError as error:
        if error.status in (403, 404):
            raise
        db.session.rollback()
        attach_error(form, error)
        if complaint_id:
            return _thread(complaint_id, action_form=form, status=error.status)
        return _enforcement_page(merchant_id, form, status=error.status)
    flash(_("已对 %(shop)s 执行：%(action)s。商家会收到原因。", shop=merchant.name,
            action=_(enforcement.ACTION_NAMES[form.kind.data])), "success")
    if complaint_id:
        return redirect(url_for("governance.complaint", complaint_id=complaint_id), code=303)
    return redirect(url_for("governance.enforcement_page", merchant_id=merchant.id), code=303)


# --- source videos --------------------------------------------------------------------------

def _product_ids() -> list[int]:
    ids = []
    for raw in request.form.getlist("product_ids")[:50]:
        value = parse_int(raw, minimum=1)
        ids.append(value if value is not None else 0)
    return ids


@bp.route("/sell/videos", methods=["GET", "POST"])
@limit_uploads
@login_required
def my_videos():
    shop, posted = videos.shop_videos(current_user)
    form = VideoForm()
    chosen: list[int] = []
    status = 200
    if request.method == "POST":
        chosen = _product_ids()
        try:
            upload = request.files.get("video")
            data = videos.read_video(upload.stream) if has_file(upload) else None
            videos.post_video(current_user, videos.VideoDraft(
                caption=form.caption.data or "", product_ids=chosen, url=form.url.data or ""), data)
        except DomainError as error:
            if error.status in (403, 404):
                raise
            attach_error(form, error)
            status = error.status
        else:
            flash(_("视频已发布，会出现在产业带、店铺和商品页的“源头实拍”里。"), "success")
            return redirect(url_for("governance.my_videos"), code=303)
    goods = db.session.scalars(
        select(Product).where(Product.merchant_id == shop.id,
                              Product.status != ProductStatus.delisted)
        .order_by(Product.created_at.desc(), Product.id.desc()).limit(100)).all()
    return render_page("governance/my_videos.html", shop=shop, form=form, goods=goods,
                       chosen=set(chosen), posted=posted, status=status,
                       max_mb=videos.max_bytes() // (1024 * 1024), max_s=videos.max_seconds())


@bp.post("/sell/videos/<id:video_id>/remove")
@login_required
def remove_video(video_id: int):
    videos.remove_video(current_user, video_id)
    flash(_("视频已删除。"), "success")
    return redirect(url_for("governance.my_videos"), code=303)


@bp.get("/belts/<slug:belt_slug>/videos")
@public_page
def belt_videos(belt_slug: str):
    belt = catalog.belt_by_slug(belt_slug)
    if belt is None:
        abort(404)
    page = parse_int(request.args.get("page"), minimum=1, maximum=MAX_PAGE) or 1
    feed = videos.belt_feed(belt.id, page)
    return render_page("governance/belt_videos.html", belt=belt, feed=feed)


@bp.get("/videos/<id:video_id>")
@public_page
def video(video_id: int):
    found, goods = videos.public_video(video_id)
    return render_page("governance/video.html", video=found, goods=goods)

