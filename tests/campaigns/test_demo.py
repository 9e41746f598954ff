"""The campaign demo step: a campaign in its warm-up around today, approved anchors (玉匠人
first) with coupons in their rooms, yesterday's draw done with its files — and running it again
changes nothing."""
from __future__ import annotations

from sqlalchemy import func, select

from app import clock
from app.campaigns.campaigns import phase_of
from app.campaigns.models import Campaign, Coupon, RaffleDraw, RaffleWinner, Registration
from app.campaigns.registration import approved_live_rooms, approved_merchants
from app.extensions import db


def counts() -> tuple:
    return tuple(db.session.scalar(select(func.count()).select_from(m))
                 for m in (Campaign, Registration, Coupon, RaffleDraw, RaffleWinner))


def test_the_campaign_demo_shows_every_part_and_is_idempotent(app, ctx, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    demo = db.session.scalar(select(Campaign).where(Campaign.slug == "116-demo"))
    assert phase_of(demo, clock.now()) == "warmup"
    past = db.session.scalar(select(Campaign).where(Campaign.slug == "116-2025"))
    assert phase_of(past, clock.now()) == "ended"
    shops = approved_merchants(demo)
    assert shops[0].name == "玉匠人" and len(shops) >= 4
    assert approved_live_rooms(demo)[0].status == "live"
    statuses = set(db.session.scalars(select(Registration.status)))
    assert {"approved", "invited", "applied"} <= statuses
    drawn = db.session.scalar(select(RaffleDraw).where(RaffleDraw.status == "drawn"))
    assert drawn is not None and drawn.winner_total > 0
    # more entrants than prizes: the shuffle really chose among them
    assert drawn.entrant_total > drawn.winners_count == drawn.winner_total
    before = counts()
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0, again.output
    db.session.expire_all()
    assert counts() == before

    home = client.get("/").get_data(as_text=True)
    assert "116卖货王" in home and "预热期" in home
    venue = client.get("/campaigns/116-demo").get_data(as_text=True)
    assert "玉匠人" in venue and "距正式售卖" in venue
    raffle = client.get("/campaigns/116-demo/raffle").get_data(as_text=True)
    assert drawn.server_seed in raffle and "已开奖" in raffle
    day = drawn.day.isoformat()
    assert client.get(f"/campaigns/116-demo/raffle/{day}/entrants.txt").status_code == 200
    room = approved_live_rooms(demo)[0]
    assert "直播间优惠券" in client.get(f"/live/{room.id}").get_data(as_text=True)
