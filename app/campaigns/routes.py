"""Buyer pages of the campaign: the venue, the coupon wallet and one-tap grabs. Thin: parse,
call one service, render (operators' pages in admin_routes, merchants' in sell_routes, the
warm-up tasks and raffle in task_routes)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import clock
from app.campaigns import coupons, services
from app.campaigns.forms import GrabForm
from app.core import safe_next
from app.extensions import limiter
from app.forms import form_posts_only
from app.ratelimits import buyer_key, grab_limit
from app.rendering import is_htmx, render_page

bp = Blueprint("campaigns", __name__)
form_posts_only(bp)




@bp.get("/campaigns/<slug:slug>")
def venue(slug: str):
    """会场: the 源头好货 session by category, approved anchors' live rooms, the countdown."""
    campaign = services.get_campaign(slug)
    if campaign is None:
        abort(404)
    category = services.venue_category(request.args.get("category"))
    now = clock.now()
    view = services.venue_view(campaign, now, category)
    from app.campaigns.draws import draws_of

    return render_page("campaigns/venue.html", "venue_goods", view=view, now=now,
                       groups=services.VENUE_GROUPS, draws=draws_of(campaign))


# --- coupons ---------------------------------------------------------------------------------

@bp.get("/coupons")
@login_required
def wallet():
    return render_page("campaigns/wallet.html", entries=coupons.wallet(current_user),
                       now=clock.now())


@bp.post("/coupons/<id:coupon_id>/grab")
@limiter.limit(grab_limit, key_func=buyer_key)
def grab(coupon_id: int):
    """一键领券. With htmx the coupon's card comes back in place; without, a redirect back to
    the room (or a page saying what went wrong, with a 4xx)."""
    form = GrabForm()
    if not form.validate_on_submit():
        abort(400)
    back = safe_next(form.next.data, url_for("campaigns.wallet"))
    if not current_user.is_authenticated:
        if is_htmx():
            return render_page("campaigns/grab.html", "coupon_card", status=401,
                               coupon=None, held=0, message=_("请先登录再领券。"), error=True,
                               back=back, signin=url_for("accounts.signin", next=back))
        return redirect(url_for("accounts.signin", next=back), code=303)
    try:
        card = coupons.grab_coupon(current_user, coupon_id)
    except coupons.GrabRefused as refused:
        return render_page("campaigns/grab.html", "coupon_card", status=refused.status,
                           coupon=refused.card, held=refused.card.held if refused.card else 0,
                           message=refused.message, error=True, back=back)
    message = _("领取成功，已放入券包。")
    if is_htmx():
        return render_page("campaigns/grab.html", "coupon_card", coupon=card, held=card.held,
                           message=message, error=False, back=back)
    flash(message, "success")
    return redirect(back, code=303)


from app.campaigns import admin_routes, sell_routes, task_routes  # noqa: E402,F401  (more routes)
