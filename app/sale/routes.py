"""The sale phase's pages: leaderboards (巅峰榜 / 潜力榜 / 行业分榜), live vouchers (直播购物券)
claimed in a live room, and the operators' page that sets the voucher plan and crowns the sales
kings (卖货王). Thin: parse, call a service, render."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from app.campaigns.campaigns import get_campaign, phase_of
from app.catalog.reference import VENUE_GROUPS
from app.exceptions import DomainError, InvalidInput
from app.extensions import db, limiter
from app.forms import attach_error, form_posts_only
from app.i18n import locale_code
from app.pagedata import Parts
from app.ratelimits import buyer_key, grab_limit
from app.rendering import is_htmx, polled, render_page
from app.sale import leaderboards, vouchers
from app.sale.forms import VoucherPlanForm

bp = Blueprint("sale", __name__)
form_posts_only(bp)


def _campaign(slug: str):
    campaign = get_campaign(slug)
    if campaign is None:
        abort(404)
    return campaign


# --- leaderboards ---------------------------------------------------------------------------

@bp.get("/campaigns/<slug:slug>/leaderboards")
def leaderboards_home(slug: str):
    _campaign(slug)
    return redirect(url_for("sale.leaderboard", slug=slug, board="peak"), code=302)


@bp.get("/campaigns/<slug:slug>/leaderboards/<board>")
def leaderboard(slug: str, board: str):
    """A board, refreshed by htmx every 30 s; 304 while its figures have not changed."""
    campaign = _campaign(slug)
    try:
        board = leaderboards.check_board(board)
    except DomainError:
        abort(404)
    try:
        category = leaderboards.check_category(request.args.get("category"))
    except InvalidInput as error:
        return render_page("sale/leaderboard.html", status=400, campaign=campaign,
                           board=None, board_name=board, category=None, error=error.message,
                           groups=VENUE_GROUPS, kings=[], phase=None, etag="")
    result = leaderboards.board_of(campaign, board, category)
    tag = f"{result.etag}-{locale_code()}"

    def render():
        from app import clock

        return render_page(
            "sale/leaderboard.html", "board_body", campaign=campaign, board=result,
            board_name=board, category=category, groups=VENUE_GROUPS, error=None,
            kings=leaderboards.kings_of(campaign), phase=phase_of(campaign, clock.now()),
            etag=tag)

    return polled(tag, render) if is_htmx() else render()


# --- live vouchers --------------------------------------------------------------------------



@bp.post("/live/<id:room_id>/voucher")
@login_required
@limiter.limit(grab_limit, key_func=buyer_key)
def claim_voucher(room_id: int):
    from app.live.models import LiveRoom

    status, message = 200, None
    try:
        vouchers.claim_live_voucher(current_user, room_id)
    except DomainError as error:
        db.session.rollback()
        if error.status == 404:
            abort(404)
        status, message = error.status, error.message
    room = db.session.get(LiveRoom, room_id)
    if is_htmx():
        return render_page("sale/_room_voucher.html", status=status, room=room,
                           voucher_message=message, voucher_ok=message is None,
                           parts=Parts(voucher=vouchers.room_offer(room, current_user)))
    if message is None:
        flash(_("已领取直播购物券，在这个直播间下单时自动抵扣。"), "success")
        return redirect(url_for("live.room", room_id=room_id), code=303)
    return render_page("sale/voucher_refused.html", status=status, room=room,
                       message=message)


# --- operators ------------------------------------------------------------------------------

def _admin_page(campaign, form: VoucherPlanForm | None = None, status: int = 200):
    from app import clock

    plan = vouchers.plan_of(campaign)
    if form is None:
        form = VoucherPlanForm.of(plan)
    return render_page("sale/admin.html", status=status, campaign=campaign, plan=plan,
                       form=form, kings=leaderboards.kings_of(campaign),
                       finalized=leaderboards.is_finalized(campaign),
                       phase=phase_of(campaign, clock.now()),
                       claims_today=vouchers.claims_today(campaign))


def _operator():
    from app.accounts.services import require_operator

    require_operator(current_user)


@bp.get("/admin/campaigns/<slug:slug>/sale")
@login_required
def admin(slug: str):
    _operator()
    return _admin_page(_campaign(slug))


@bp.post("/admin/campaigns/<slug:slug>/vouchers")
@login_required
def set_plan(slug: str):
    _operator()
    campaign = _campaign(slug)
    form = VoucherPlanForm()
    if not form.validate_on_submit():
        return _admin_page(campaign, form, status=400)
    try:
        vouchers.set_voucher_plan(current_user, campaign, form.draft())
    except DomainError as error:
        attach_error(form, error)
        return _admin_page(campaign, form, status=error.status)
    flash(_("直播购物券已设置。"), "success")
    return redirect(url_for("sale.admin", slug=slug), code=303)


@bp.post("/admin/campaigns/<slug:slug>/finalize")
@login_required
def finalize(slug: str):
    _operator()
    campaign = _campaign(slug)
    kings, now = leaderboards.finalize_campaign(current_user, campaign)
    if now:
        flash(ngettext("已评选出 %(num)d 位卖货王。", "已评选出 %(num)d 位卖货王。", len(kings)), "success")
    else:
        flash(_("这个活动已经评选过卖货王。"), "info")
    return redirect(url_for("sale.leaderboard", slug=slug, board="peak"), code=303)
