"""The daily verifiable raffle: the commitment is public before entries close, the tick job
draws once (even on several hosts at once), the winners are distinct, notified and get a
free-order coupon, and anyone can recompute them from the published files."""
from __future__ import annotations

import hashlib
import io
import subprocess
import sys
from contextlib import redirect_stdout
from datetime import timedelta

import pytest
from sqlalchemy import select

from app import clock
from app.accounts.models import Notification
from app.campaigns import draws
from app.campaigns.models import Coupon, CouponClaim, RaffleDraw, RaffleEntry, RaffleWinner
from app.campaigns.verify_raffle import main as verify_main
from app.extensions import db
from tests import factories as make
from tests.campaigns.helpers import count, page
from tests.concurrency import race


def enter(campaign, users, day):
    for user in users:
        db.session.add(RaffleEntry(campaign_id=campaign.id, day=day, user_id=user.id, task="vote"))
    db.session.commit()


@pytest.fixture
def day_one(ctx):
    campaign = make.campaign("116-2026", daily_count=5)
    clock.freeze(campaign.warmup_start + timedelta(hours=9))
    users = [make.user(f"老铁{n}") for n in range(12)]
    enter(campaign, users, clock.local_today())
    return campaign, users


def independent_winners(entrants: list[str], seed_hex: str, list_hash_hex: str, beacon: str,
                        k: int) -> list[str]:
    """docs/RAFFLE.md, written again from the text (no app code)."""
    seed = hashlib.sha256(bytes.fromhex(seed_hex) + bytes.fromhex(list_hash_hex)
                          + beacon.encode()).digest()
    pool = list(entrants)
    for i in range(min(k, len(pool))):
        bound, attempt = len(pool) - i, 0
        while True:
            r = int.from_bytes(hashlib.sha256(seed + i.to_bytes(4, "big")
                                              + attempt.to_bytes(4, "big")).digest(), "big")
            if r < (1 << 256) - (1 << 256) % bound:
                break
            attempt += 1
        j = i + r % bound
        pool[i], pool[j] = pool[j], pool[i]
    return pool[:min(k, len(pool))]


def test_the_commitment_is_public_before_close_and_the_seed_is_not(client, day_one):
    campaign, _users = day_one
    draw = db.session.scalar(select(RaffleDraw).where(RaffleDraw.day == clock.local_today()))
    text = page(client.get("/campaigns/116-2026/raffle"))
    assert draw.commit in text and "报名中" in text
    assert draw.server_seed not in text
    assert hashlib.sha256(bytes.fromhex(draw.server_seed)).hexdigest() == draw.commit
    day = draw.day.isoformat()
    assert client.get(f"/campaigns/116-2026/raffle/{day}/entrants.txt").status_code == 404
    assert draws.draw_due_raffles() == 0  # not closed yet


def test_the_daily_draw_picks_distinct_winners_anyone_can_recompute(client, day_one, tmp_path):
    campaign, users = day_one
    today = clock.local_today()
    draw_id = db.session.scalar(select(RaffleDraw.id).where(RaffleDraw.day == today))
    clock.freeze(clock.shanghai_midnight(today + timedelta(days=1)) + timedelta(minutes=1))
    assert draws.draw_due_raffles() == 1
    assert draws.draw_due_raffles() == 0  # idempotent
    db.session.expire_all()
    draw = db.session.get(RaffleDraw, draw_id)
    assert (draw.status, draw.entrant_total, draw.winner_total) == ("drawn", 12, 5)

    winners = db.session.scalars(select(RaffleWinner).where(RaffleWinner.draw_id == draw.id)).all()
    assert len({w.user_id for w in winners}) == 5
    coupon = db.session.get(Coupon, draw.coupon_id)
    assert (coupon.kind, coupon.funded_by, coupon.cap_fen, coupon.source) == (
        "free_order", "platform", 66600, "raffle")
    claims = db.session.scalars(select(CouponClaim).where(CouponClaim.coupon_id == coupon.id)).all()
    assert sorted(c.user_id for c in claims) == sorted(w.user_id for w in winners)
    notified = db.session.scalars(select(Notification.user_id)).all()
    assert sorted(notified) == sorted(w.user_id for w in winners)

    # the published files, as anyone downloads them
    day = today.isoformat()
    entrants = client.get(f"/campaigns/116-2026/raffle/{day}/entrants.txt")
    published = client.get(f"/campaigns/116-2026/raffle/{day}/winners.txt")
    assert entrants.status_code == published.status_code == 200
    text = page(client.get("/campaigns/116-2026/raffle"))
    assert draw.server_seed in text and draw.list_hash in text and "已开奖" in text
    data = entrants.get_data()
    assert hashlib.sha256(data).hexdigest() == draw.list_hash
    ids = data.decode().splitlines()
    assert ids == sorted(set(ids)) and len(ids) == 12
    expected = independent_winners(ids, draw.server_seed, draw.list_hash, draw.beacon, 5)
    assert published.get_data().decode().splitlines() == expected
    assert sorted(w.pseudonym for w in winners) == sorted(expected)

    # and the downloadable checker agrees
    (tmp_path / "entrants.txt").write_bytes(data)
    (tmp_path / "winners.txt").write_bytes(published.get_data())
    script = client.get("/campaigns/verify_raffle.py")
    assert script.status_code == 200
    (tmp_path / "verify_raffle.py").write_bytes(script.get_data())
    result = subprocess.run(
        [sys.executable, str(tmp_path / "verify_raffle.py"), "--entrants",
         str(tmp_path / "entrants.txt"), "--seed", draw.server_seed, "--commit", draw.commit,
         "--winners-count", "5", "--winners", str(tmp_path / "winners.txt")],
        capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "OK: 5 winners match" in result.stdout
    out = io.StringIO()
    with redirect_stdout(out):
        assert verify_main(["--entrants", str(tmp_path / "entrants.txt"), "--seed", "00" * 32,
                            "--commit", draw.commit, "--winners-count", "5"]) == 1
    assert "MISMATCH" in out.getvalue()


def test_a_winner_sees_the_win_and_the_coupon_pays_up_to_666(client, day_one):
    campaign, users = day_one
    today = clock.local_today()
    clock.freeze(clock.shanghai_midnight(today + timedelta(days=1)) + timedelta(minutes=1))
    draws.draw_due_raffles()
    winner_id = db.session.scalar(select(RaffleWinner.user_id))
    winner = next(u for u in users if u.id == winner_id)
    make.sign_in(client, winner)
    board = page(client.get("/campaigns/116-2026/tasks"))
    assert "中奖：免单券已放入券包" in board
    assert "免单" in page(client.get("/coupons"))
    raffle = page(client.get("/campaigns/116-2026/raffle"))
    assert "中奖" in raffle
    shop = make.merchant("玉匠人")
    vase = make.product(shop, "翡翠摆件", price_fen=100000, stock=2)
    make.address(winner)
    from tests.campaigns.helpers import checkout_form

    form = checkout_form(client, f"?product_id={vase.id}&quantity=1")
    assert form["expected_total"] == str(100000 - 66600)


def test_everyone_wins_when_fewer_enter_than_there_are_coupons(ctx):
    campaign = make.campaign("116-2026")  # 666 a day
    clock.freeze(campaign.warmup_start + timedelta(hours=9))
    users = [make.user(f"u{n}") for n in range(3)]
    enter(campaign, users, clock.local_today())
    clock.travel(timedelta(days=1))
    assert draws.draw_due_raffles() == 1
    assert count(RaffleWinner) == 3 and count(CouponClaim) == 3


def test_an_empty_day_is_drawn_with_no_winners(ctx):
    campaign = make.campaign("116-2026")
    clock.freeze(campaign.warmup_start + timedelta(days=1, hours=1))
    assert draws.draw_due_raffles() == 1
    draw = db.session.scalar(select(RaffleDraw).where(RaffleDraw.status == "drawn"))
    assert (draw.entrant_total, draw.winner_total, draw.entrants_text) == (0, 0, "")
    assert count(Coupon) == 0


@pytest.mark.concurrency
def test_two_tick_workers_draw_each_day_once(app, ctx):
    campaign = make.campaign("116-2026", daily_count=5)
    clock.freeze(campaign.warmup_start + timedelta(hours=9))
    enter(campaign, [make.user(f"u{n}") for n in range(20)], clock.local_today())
    clock.freeze(campaign.warmup_start + timedelta(days=1, minutes=1))
    done = race(app, 6, lambda _i: draws.draw_due_raffles())
    assert all(isinstance(d, int) for d in done), done
    assert sum(done) == 1
    assert count(RaffleWinner) == 5 and count(CouponClaim) == 5 and count(Coupon) == 1


def test_flask_tick_runs_the_draw(app, day_one):
    clock.travel(timedelta(days=1))
    result = app.test_cli_runner().invoke(args=["tick"])
    assert result.exit_code == 0, result.output
    assert "campaigns.draw_raffles" in result.output
    db.session.expire_all()
    assert count(RaffleDraw, RaffleDraw.status == "drawn") == 1
