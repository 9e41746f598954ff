"""A published raffle commitment is for good (issue 17, part 3): an operator who moves the
warm-up can add days but never removes or replaces a published day's draw; an open day keeps
its published rules; an edit that would strand entrants is refused with the reason; and after
the edit every day still verifies with the downloadable verify_raffle.py."""
from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from app import clock
from app.accounts.models import AuditEntry
from app.campaigns import draws
from app.campaigns.models import Campaign, RaffleDraw, RaffleEntry
from app.campaigns.verify_raffle import __file__ as VERIFY_SCRIPT
from app.extensions import db
from tests import factories as make
from tests.campaigns.helpers import page


def shanghai(y, m, d, h=0):
    return clock.shanghai_midnight(date(y, m, d)) + timedelta(hours=h)


def form(**overrides) -> dict:
    values = {"name": "116卖货王", "hashtag": "#116卖货王", "tagline": "源头好货",
              "warmup_start": "2026-11-05T00:00", "sale_start": "2026-11-09T00:00",
              "sale_end": "2026-11-11T00:00", "raffle_beacon": ""}
    values.update(overrides)
    return values


def enter(campaign, users, day):
    for user in users:
        db.session.add(RaffleEntry(campaign_id=campaign.id, day=day, user_id=user.id,
                                   task="vote"))
    db.session.commit()


def published(campaign) -> dict[date, tuple]:
    """What the raffle page published for each day: (commit, beacon, winners, cap, close)."""
    db.session.expire_all()
    return {d.day: (d.commit, d.beacon, d.winners_count, d.cap_fen, d.closes_at)
            for d in db.session.scalars(select(RaffleDraw).where(
                RaffleDraw.campaign_id == campaign.id))}


def mid_warmup(ctx):
    """Warm-up 11-05..11-08; it is 11-06 10:00: 11-05 drawn (12 entrants, 5 prizes), and 9
    buyers have entered today's draw."""
    clock.freeze(datetime(2026, 10, 20, tzinfo=UTC))
    campaign = make.campaign("116-2026", warmup_start=shanghai(2026, 11, 5), daily_count=5)
    people = [make.user(f"老铁{n}") for n in range(12)]
    enter(campaign, people, date(2026, 11, 5))
    clock.freeze(shanghai(2026, 11, 6, 0) + timedelta(minutes=1))
    assert draws.draw_due_raffles() == 1
    clock.freeze(shanghai(2026, 11, 6, 10))
    enter(campaign, people[:9], date(2026, 11, 6))
    return campaign, people


def test_moving_the_warmup_off_a_day_with_entrants_is_refused_with_the_reason(client, ctx):
    campaign, _people = mid_warmup(ctx)
    before = published(campaign)
    operator = make.user("运营", operator=True)
    make.sign_in(client, operator)
    # the edit of the bug report: the warm-up moved back to 11-01..11-04
    response = client.post(f"/admin/campaigns/{campaign.slug}/edit", data=form(
        warmup_start="2026-11-01T00:00", sale_start="2026-11-05T00:00", tagline="留着我"))
    assert response.status_code == 409
    text = page(response)
    assert "11-06 场已有 9 人获得抽奖资格" in text and "不能移出预热期" in text
    assert 'value="2026-11-01T00:00"' in text and "留着我" in text  # what was typed is kept
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).warmup_start == shanghai(2026, 11, 5)
    assert published(campaign) == before
    assert db.session.scalar(select(AuditEntry.id).where(
        AuditEntry.action == "campaign.update")) is None


def test_an_open_days_beacon_cannot_change(client, ctx):
    campaign, _people = mid_warmup(ctx)
    before = published(campaign)
    make.sign_in(client, make.user("运营", operator=True))
    response = client.post(f"/admin/campaigns/{campaign.slug}/edit",
                           data=form(raffle_beacon="drand:99999:after-the-fact"))
    assert response.status_code == 409
    text = page(response)
    assert "公开信标已随 11-06、11-07、11-08 场的抽奖规则公布" in text
    assert "drand:99999:after-the-fact" in text
    assert published(campaign) == before


def test_a_date_edit_keeps_every_published_draw_and_each_day_still_verifies(client, ctx,
                                                                            tmp_path):
    campaign, people = mid_warmup(ctx)
    before = published(campaign)
    assert sorted(before) == [date(2026, 11, d) for d in (5, 6, 7, 8)]
    # the campaign's raffle settings change behind the form: open draws keep what they published
    db.session.get(Campaign, campaign.id).raffle_daily_count = 1
    db.session.get(Campaign, campaign.id).raffle_cap_fen = 100
    db.session.commit()
    operator = make.user("运营", operator=True)
    make.sign_in(client, operator)
    # warm-up moved to 11-03..11-06: 11-03 and 11-04 are over (no commitment after the fact),
    # 11-07 and 11-08 leave the warm-up (no entrants yet) and are drawn as committed
    response = client.post(f"/admin/campaigns/{campaign.slug}/edit", data=form(
        warmup_start="2026-11-03T00:00", sale_start="2026-11-07T00:00",
        sale_end="2026-11-09T00:00"))
    assert response.status_code == 303, page(response)
    after = published(campaign)
    assert after == before  # nothing added, removed, replaced or rewritten
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "campaign.update"))
    assert audit.actor_id == operator.id
    assert audit.details["days_without_draw"] == ["2026-11-03", "2026-11-04"]
    assert audit.details["draws_kept_outside_warmup"] == ["2026-11-07", "2026-11-08"]
    assert audit.details["changed"]["warmup_start"][1].startswith("2026-11-02T16:00")

    # every published day is drawn at its close, as committed
    clock.freeze(shanghai(2026, 11, 9, 0) + timedelta(minutes=1))
    assert draws.draw_due_raffles() == 3
    db.session.expire_all()
    rows = {d.day: d for d in db.session.scalars(select(RaffleDraw))}
    assert all(d.status == "drawn" for d in rows.values())
    assert (rows[date(2026, 11, 6)].entrant_total, rows[date(2026, 11, 6)].winner_total) == (9, 5)
    assert rows[date(2026, 11, 7)].entrant_total == 0
    raffle_page = page(client.get(f"/campaigns/{campaign.slug}/raffle"))
    assert raffle_page.count("这一天已不在预热期") == 2  # 11-07 and 11-08, said plainly

    # no entrant is left waiting for a draw that never comes
    entrant = client.application.test_client()
    make.sign_in(entrant, people[0])
    board = page(entrant.get(f"/campaigns/{campaign.slug}/tasks"))
    assert "等待开奖" not in board

    # and anyone can check every day with the published files and the pre-edit commitments
    script = tmp_path / "verify_raffle.py"
    script.write_bytes(client.get("/campaigns/verify_raffle.py").get_data())
    assert script.read_bytes() == Path(VERIFY_SCRIPT).read_bytes()
    for day, draw in sorted(rows.items()):
        commit, beacon, winners_count, _cap, _close = before[day]
        entrants = tmp_path / f"entrants-{day}.txt"
        winners = tmp_path / f"winners-{day}.txt"
        entrants.write_bytes(client.get(
            f"/campaigns/{campaign.slug}/raffle/{day}/entrants.txt").get_data())
        winners.write_bytes(client.get(
            f"/campaigns/{campaign.slug}/raffle/{day}/winners.txt").get_data())
        result = subprocess.run(
            [sys.executable, "-I", str(script), "--entrants", str(entrants),
             "--seed", draw.server_seed, "--commit", commit, "--beacon", beacon,
             "--winners-count", str(winners_count), "--winners", str(winners)],
            capture_output=True, text=True, check=False)
        assert result.returncode == 0, (day, result.stdout, result.stderr)
        assert f"OK: {draw.winner_total} winners match" in result.stdout


def test_a_day_added_while_its_entries_are_open_gets_a_fresh_commitment(client, ctx):
    campaign, _people = mid_warmup(ctx)
    before = published(campaign)
    make.sign_in(client, make.user("运营", operator=True))
    response = client.post(f"/admin/campaigns/{campaign.slug}/edit", data=form(
        sale_start="2026-11-10T00:00", sale_end="2026-11-12T00:00"))
    assert response.status_code == 303
    after = published(campaign)
    assert {d: after[d] for d in before} == before
    assert sorted(set(after) - set(before)) == [date(2026, 11, 9)]
    assert after[date(2026, 11, 9)][0] not in {v[0] for v in before.values()}
