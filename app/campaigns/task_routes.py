"""Warm-up tasks (短视频 / 投票 / 礼物), coins, and the raffle's public record."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from flask import abort, flash, make_response, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from app import clock
from app.campaigns import campaigns, draws, services, tasks
from app.campaigns.forms import EmptyForm, GiftForm, TopUpForm, VideoForm, as_int
from app.campaigns.routes import bp
from app.core import safe_next
from app.exceptions import DomainError
from app.extensions import limiter
from app.forms import attach_error, browser_navigation, retried, retry_at
from app.pagedata import Parts
from app.ratelimits import buyer_key, grab_limit
from app.rendering import is_htmx, render_page

VERIFY_SCRIPT = Path(__file__).with_name("verify_raffle.py")


def _campaign_or_404(slug: str):
    campaign = campaigns.get_campaign(slug)
    if campaign is None:
        abort(404)
    return campaign


def _tasks_page(slug: str, status: int = 200, video: VideoForm | None = None,
                error: str | None = None):
    board = tasks.task_board(current_user, slug)
    return render_page(
        "campaigns/tasks.html", status=status, board=board, campaign=board.campaign,
        video=video or VideoForm(formdata=None), topup=TopUpForm(formdata=None),
        topup_key=tasks.new_topup_key(), packs=tasks.TOPUP_PACKS,
        topups=tasks.topups_enabled(), gifts=tasks.gift_catalogue(), error=error,
        rooms=services.approved_live_rooms(board.campaign), task_names=tasks.TASK_NAMES)


@bp.get("/campaigns/<slug:slug>/tasks")
@login_required
def tasks_page(slug: str):
    """我的任务: today's three tasks, my raffle entries, my coins."""
    return _tasks_page(slug, video=retried(VideoForm, f"video:{slug}"))


@bp.post("/campaigns/<slug:slug>/tasks/video")
@login_required
@limiter.limit(grab_limit, key_func=buyer_key)
def submit_video(slug: str):
    form = VideoForm()
    back = url_for("campaigns.tasks_page", slug=slug)
    if not form.validate_on_submit():
        if browser_navigation():
            return retry_at(back, f"video:{slug}", form)
        return _tasks_page(slug, 400, form)
    try:
        tasks.submit_video(current_user, slug, form.url.data, form.caption.data)
    except DomainError as error:
        if error.status in (403, 404):
            raise
        attach_error(form, error)
        if browser_navigation():
            return retry_at(back, f"video:{slug}", form)
        return _tasks_page(slug, error.status, form)
    flash(_("视频任务完成，已获得今天的抽奖资格。"), "success")
    return redirect(url_for("campaigns.tasks_page", slug=slug), code=303)


@bp.post("/campaigns/<slug:slug>/coins/topup")
@login_required
def top_up(slug: str):
    tasks.require_campaign(slug)  # an unknown campaign is a 404 before any coins move
    form = TopUpForm()
    back = url_for("campaigns.tasks_page", slug=slug)
    if not form.validate_on_submit():
        if browser_navigation():
            return retry_at(back, f"topup:{slug}", message=_("页面已过期，请刷新后重新提交。"))
        return _tasks_page(slug, 400, error=_("页面已过期，请刷新后重新提交。"))
    try:
        tasks.top_up(current_user, form.pack.data, form.key.data)
    except DomainError as error:
        if error.status in (403, 404):
            raise
        if browser_navigation():
            return retry_at(back, f"topup:{slug}", message=error.message)
        return _tasks_page(slug, error.status, error=error.message)
    flash(_("充值成功（沙箱，不会真实扣款）。"), "success")
    return redirect(url_for("campaigns.tasks_page", slug=slug), code=303)


def _room_answer(slug: str, room_id: int, message: str, status: int = 200):
    """After a vote or gift: with htmx the room's task section in place (the stream keeps
    playing); without, back to the room (flash) or an error page with the reason."""
    back = safe_next(request.form.get("next"), url_for("live.room", room_id=room_id))
    if is_htmx():
        from app.live.services import get_room

        room = get_room(room_id)
        if room is None:
            abort(404)
        return render_page("campaigns/room_tasks.html", "room_tasks", status=status, room=room,
                           back=back, task_message=message, task_error=status >= 400,
                           parts=Parts(room_campaign=tasks.room_campaign(room, current_user)))
    if status >= 400:
        if browser_navigation():  # back to the room, the reason on top (not left on the POST)
            return retry_at(back, f"room:{room_id}", message=message)
        return render_page("campaigns/task_error.html", status=status, message=message,
                           back=back, slug=slug)
    flash(message, "success")
    return redirect(back, code=303)


@bp.post("/campaigns/<slug:slug>/live/<id:room_id>/vote")
@login_required
@limiter.limit(grab_limit, key_func=buyer_key)
def vote(slug: str, room_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        tasks.vote(current_user, slug, room_id)
    except DomainError as error:
        return _room_answer(slug, room_id, error.message, error.status)
    return _room_answer(slug, room_id, _("投票成功，已获得今天的抽奖资格。"))


@bp.post("/campaigns/<slug:slug>/live/<id:room_id>/gift")
@login_required
@limiter.limit(grab_limit, key_func=buyer_key)
def gift(slug: str, room_id: int):
    form = GiftForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        sent = tasks.send_gift(current_user, slug, room_id, form.gift.data,
                               as_int(form.quantity.data, maximum=10_000))
    except DomainError as error:
        return _room_answer(slug, room_id, error.message, error.status)
    return _room_answer(slug, room_id, ngettext(
        "已送出礼物（%(num)d 金币），已获得今天的抽奖资格。",
        "已送出礼物（%(num)d 金币），已获得今天的抽奖资格。", sent.coins))


@bp.get("/campaigns/<slug:slug>/raffle")
def raffle_page(slug: str):
    """免单抽奖公示: each day's commitment; after the draw its entrants, seed and winners."""
    campaign = _campaign_or_404(slug)
    now = clock.now()
    published = draws.draws_of(campaign)
    mine = {}
    if current_user.is_authenticated:
        mine = {d.id: draws.pseudonym_of(d, current_user.id) for d in published}
    return render_page("campaigns/raffle.html", campaign=campaign, draws=published,
                       now=now, mine=mine, warmup=set(campaigns.warmup_days(campaign)))


def _drawn(slug: str, day: str):
    campaign = _campaign_or_404(slug)
    try:
        the_day = date.fromisoformat(day)
    except ValueError:
        abort(404)
    draw = draws.get_draw(campaign, the_day)
    if draw is None or draw.status != "drawn":
        abort(404)
    return draw


def _text_file(body: str, name: str):
    response = make_response(body.encode("utf-8"))
    response.headers["Content-Type"] = "text/plain; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/campaigns/<slug:slug>/raffle/<day>/entrants.txt")
def raffle_entrants(slug: str, day: str):
    draw = _drawn(slug, day)
    return _text_file(draw.entrants_text or "", f"entrants-{draw.day}.txt")


@bp.get("/campaigns/<slug:slug>/raffle/<day>/winners.txt")
def raffle_winners(slug: str, day: str):
    draw = _drawn(slug, day)
    return _text_file(draw.winners_text or "", f"winners-{draw.day}.txt")


@bp.get("/campaigns/verify_raffle.py")
def verify_script():
    return send_file(VERIFY_SCRIPT, mimetype="text/x-python", as_attachment=True,
                     download_name="verify_raffle.py")
