"""Warm-up tasks (短视频 / 投票 / 礼物), coins, and the raffle's public record."""
from __future__ import annotations

from datetime import date

from flask import abort, make_response, send_file
from flask_login import current_user, login_required

from app import clock
from app.campaigns import campaigns, draws
from app.campaigns.routes import bp
from app.rendering import render_page

VERIFY_SCRIPT = __import__("pathlib").Path(__file__).with_name("verify_raffle.py")


def _campaign_or_404(slug: str):
    campaign = campaigns.get_campaign(slug)
    if campaign is None:
        abort(404)
    return campaign


@bp.get("/campaigns/<slug:slug>/tasks")
@login_required
def tasks(slug: str):
    campaign = _campaign_or_404(slug)
    return render_page("campaigns/tasks.html", campaign=campaign, now=clock.now(),
                       phase=campaigns.phase_of(campaign, clock.now()))


@bp.get("/campaigns/<slug:slug>/raffle")
def raffle_page(slug: str):
    """免单抽奖公示: each day's commitment; after the draw its entrants, seed and winners."""
    campaign = _campaign_or_404(slug)
    now = clock.now()
    mine = {}
    if current_user.is_authenticated:
        mine = {d.id: draws.pseudonym_of(d, current_user.id) for d in draws.draws_of(campaign)}
    return render_page("campaigns/raffle.html", campaign=campaign, draws=draws.draws_of(campaign),
                       now=now, mine=mine)


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
