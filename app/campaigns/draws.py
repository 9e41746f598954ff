"""The daily verifiable raffle (免单券抽奖), following docs/RAFFLE.md with the arithmetic of
app.campaigns.raffle / verify_raffle.py:

1. each warm-up day has a draw row from the moment the campaign exists: a fresh secret
   `server_seed` and its published `commit = SHA-256(server_seed)` (entries close at the end of
   that Shanghai day, `closes_at`);
2. the tick job `campaigns.draw_raffles` takes each due draw (`FOR UPDATE SKIP LOCKED` on
   PostgreSQL; SQLite serialises writers), freezes the day's entrant list (per-draw pseudonyms,
   sorted, one per line) and its SHA-256, computes the winners, issues the free-order coupons,
   notifies the winners and flips the draw open → drawn with one conditional UPDATE — all in one
   transaction, so running it twice (or on two hosts) draws once;
3. after the draw the venue publishes the seed, the list and the winners for download."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import and_, func, select, update

from app import clock
from app.accounts.services import notify
from app.campaigns import raffle
from app.campaigns.models import (
    Campaign,
    ClaimStatus,
    Coupon,
    CouponClaim,
    RaffleDraw,
    RaffleEntry,
    RaffleWinner,
)
from app.db import is_postgres
from app.extensions import db
from app.i18n import N_


def _closes_at(day: date) -> datetime:
    return clock.shanghai_midnight(day + timedelta(days=1))


def sync_draws(campaign: Campaign, now: datetime | None = None
               ) -> tuple[list[date], list[date]]:
    """Publish a commitment for each warm-up day that has none yet, in the caller's
    transaction. Returns (days given a draw, warm-up days left without one).

    A published draw is never changed or removed here (docs/RAFFLE.md, "A commitment is
    for good"): its seed, commit, close, beacon, number of winners and cap stay as published,
    and a day that leaves the warm-up is still drawn at its close as committed. A new day whose
    entries have already closed gets no draw: a commitment published after the fact proves
    nothing, and nobody could have entered a day that was not in the warm-up. (`now` is for
    the demo, which lays out a campaign as if it had been created before its warm-up.)"""
    from app.campaigns.campaigns import warmup_days

    now = now or clock.now()
    published = set(db.session.scalars(
        select(RaffleDraw.day).where(RaffleDraw.campaign_id == campaign.id)))
    added: list[date] = []
    too_late: list[date] = []
    for day in warmup_days(campaign):
        if day in published:
            continue
        if _closes_at(day) <= now:
            too_late.append(day)
            continue
        seed = raffle.new_server_seed()
        db.session.add(RaffleDraw(
            campaign_id=campaign.id, day=day, closes_at=_closes_at(day), status="open",
            rules_version=raffle.RULES_VERSION, server_seed=seed, commit=raffle.commitment(seed),
            beacon=campaign.raffle_beacon, winners_count=campaign.raffle_daily_count,
            cap_fen=campaign.raffle_cap_fen, created_at=now))
        added.append(day)
    db.session.flush()
    return added, too_late


def entries_per_open_day(campaign: Campaign) -> dict[date, int]:
    """Entrants of each day whose draw is still open (they wait for that draw)."""
    return dict(db.session.execute(
        select(RaffleEntry.day, func.count())
        .join(RaffleDraw, and_(RaffleDraw.campaign_id == RaffleEntry.campaign_id,
                               RaffleDraw.day == RaffleEntry.day))
        .where(RaffleEntry.campaign_id == campaign.id, RaffleDraw.status == "open")
        .group_by(RaffleEntry.day)).all())


def draws_of(campaign: Campaign) -> list[RaffleDraw]:
    return list(db.session.scalars(select(RaffleDraw).where(RaffleDraw.campaign_id == campaign.id)
                                   .order_by(RaffleDraw.day)))


def get_draw(campaign: Campaign, day: date) -> RaffleDraw | None:
    return db.session.scalar(select(RaffleDraw).where(RaffleDraw.campaign_id == campaign.id,
                                                      RaffleDraw.day == day))


def pseudonym_of(draw: RaffleDraw, user_id: int) -> str:
    return raffle.pseudonym(current_app.config["SECRET_KEY"], draw.id, user_id)


def _issue_coupon(draw: RaffleDraw, count: int, now: datetime) -> Coupon:
    campaign = draw.campaign
    coupon = Coupon(
        funded_by="platform", kind="free_order", source="raffle",
        title=f"免单券 {draw.day:%m-%d}", cap_fen=draw.cap_fen, quantity=count, remaining=0,
        per_user_limit=1, valid_from=now, valid_until=max(campaign.sale_end, now + timedelta(days=7)),
        campaign_id=campaign.id, created_at=now)
    db.session.add(coupon)
    db.session.flush()
    return coupon


def draw_one(draw_id: int) -> bool:
    """Draw one due draw in one transaction; False when it is not due, already drawn or being
    drawn by another worker right now."""
    now = clock.now()
    query = select(RaffleDraw).where(RaffleDraw.id == draw_id, RaffleDraw.status == "open",
                                     RaffleDraw.closes_at <= now)
    if is_postgres():
        query = query.with_for_update(skip_locked=True)
    draw = db.session.scalar(query)
    if draw is None:
        db.session.rollback()
        return False
    user_ids = list(db.session.scalars(
        select(RaffleEntry.user_id).where(RaffleEntry.campaign_id == draw.campaign_id,
                                          RaffleEntry.day == draw.day)))
    by_pseudonym = {pseudonym_of(draw, uid): uid for uid in user_ids}
    entrants = raffle.entrant_list_bytes(by_pseudonym)
    list_hash = raffle.list_hash(entrants)
    picked = raffle.winners(raffle.parse_entrant_list(entrants),
                            raffle.draw_seed(draw.server_seed, list_hash, draw.beacon),
                            draw.winners_count)
    won = db.session.execute(
        update(RaffleDraw).where(RaffleDraw.id == draw.id, RaffleDraw.status == "open")
        .values(status="drawn", drawn_at=now, entrants_text=entrants.decode("utf-8"),
                list_hash=list_hash, winners_text="".join(f"{p}\n" for p in picked),
                entrant_total=len(by_pseudonym), winner_total=len(picked)))
    if won.rowcount != 1:
        db.session.rollback()
        return False
    if picked:
        coupon = _issue_coupon(draw, len(picked), now)
        db.session.execute(update(RaffleDraw).where(RaffleDraw.id == draw.id)
                           .values(coupon_id=coupon.id))
        for name in picked:
            user_id = by_pseudonym[name]
            claim = CouponClaim(coupon_id=coupon.id, user_id=user_id, n=1,
                                status=ClaimStatus.unused, claimed_at=now)
            db.session.add(claim)
            db.session.flush()
            db.session.add(RaffleWinner(draw_id=draw.id, user_id=user_id, pseudonym=name,
                                        claim_id=claim.id))
            notify(user_id, N_("恭喜！你在 %(day)s 的抽奖中获得一张免单券（最高 ¥%(cap)s），已放入券包。"),
                   link="/coupons", day=f"{draw.day:%m-%d}", cap=draw.cap_fen // 100)
    db.session.commit()
    return True


def draw_due_raffles() -> int:
    """The tick job: draw every due draw (idempotent; safe on many hosts at once)."""
    now = clock.now()
    due = list(db.session.scalars(select(RaffleDraw.id).where(
        RaffleDraw.status == "open", RaffleDraw.closes_at <= now).order_by(RaffleDraw.closes_at)))
    db.session.commit()
    return sum(1 for draw_id in due if draw_one(draw_id))
