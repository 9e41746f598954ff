"""Warm-up tasks (预热任务) and the coins that pay for gifts. Each completed task gives the user a
raffle entry for that Shanghai day (one entry per user per day, whatever the task).

- 短视频: a video link (http/https) whose caption or link carries the campaign hashtag. A link
  counts once, ever: its normal form (lower-case host, no fragment, no utm_* parameters, sorted
  query) is hashed into a unique column, so a reused link is refused even under concurrency.
- 投票: one vote per user per anchor per day — a unique (campaign, user, anchor, day) row.
- 电商专属礼物: gifts priced in coins. The balance changes only through
  `UPDATE coin_accounts SET balance = balance - :cost WHERE user_id = :u AND balance >= :cost`
  (and `+ n` for top-ups), each change writing a ledger line with the balance after it.
  A top-up carries a form key; (user, reference) is unique in the ledger, so a resubmitted
  top-up is counted once."""
from __future__ import annotations

import functools
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from app import clock
from app.accounts.models import User
from app.accounts.services import is_signed_in, require_signed_in
from app.campaigns.campaigns import phase_of, require_campaign
from app.campaigns.models import (
    Campaign,
    CoinAccount,
    CoinLedger,
    Gift,
    GiftSend,
    Phase,
    RaffleDraw,
    RaffleEntry,
    RaffleWinner,
    VideoTask,
    Vote,
)
from app.db import is_postgres, plain_rows
from app.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from app.extensions import db
from app.i18n import N_
from app.inputs import clean_text, has_controls

MAX_URL = 500
MAX_CAPTION = 200
MAX_GIFTS = 99
# "topup:" + the key must fit the ledger's 64-character reference.
KEY_RE = re.compile(r"^[A-Za-z0-9_-]{16,58}$")

# 电商专属礼物: (code, name msgid, badge glyph (no emoji fonts needed), price in coins)
GIFTS = (
    ("source-goods", N_("源头好货"), "源", 1),
    ("yellow-cart", N_("小黄车"), "车", 10),
    ("jade-hall", N_("金玉满堂"), "玉", 66),
    ("sales-king", N_("卖货王冠"), "王", 166),
)
# Sandbox top-up packs (coins → price in fen); only where sandbox payments are on.
TOPUP_PACKS = {"60": (60, 600), "300": (300, 3000), "980": (980, 9800)}
TASK_NAMES = {"video": N_("短视频"), "vote": N_("投票"), "gift": N_("送礼物")}



def _warmup(slug: str, now: datetime) -> Campaign:
    campaign = require_campaign(slug)
    if phase_of(campaign, now) != Phase.warmup:
        raise Conflict(_("预热任务只在预热期开放。"))
    return campaign


def _insert_ignoring_duplicates(model, **values) -> bool:
    """INSERT … ON CONFLICT DO NOTHING on SQLite and PostgreSQL; True when a row was added."""
    insert = pg_insert if is_postgres() else sqlite_insert
    result = db.session.execute(insert(model).values(**values).on_conflict_do_nothing())
    return result.rowcount == 1


def _enter(campaign: Campaign, user: User, day: date, task: str, now: datetime) -> bool:
    """The day's raffle entry (a no-op when the user already has one for that day)."""
    return _insert_ignoring_duplicates(RaffleEntry, campaign_id=campaign.id, day=day,
                                       user_id=user.id, task=task, created_at=now)


# --- 短视频 ------------------------------------------------------------------------------------

def normal_url(url: str) -> str:
    """The form two spellings of one link share: lower-case scheme and host, no default port,
    no fragment, no utm_* tracking parameters, query sorted, no trailing slash."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                   if not k.lower().startswith("utm_"))
    path = parts.path.rstrip("/") or "/"
    return urlunsplit(("https" if parts.scheme.lower() in ("http", "https") else parts.scheme,
                       host, path, urlencode(query), ""))


def check_video_url(raw: str | None) -> str:
    url = (raw or "").strip()
    if not url:
        raise InvalidInput(_("请填写视频链接。"), field="url")
    if len(url) > MAX_URL or has_controls(url) or any(ch.isspace() for ch in url):
        raise InvalidInput(_("视频链接不是有效的网址。"), field="url")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        raise InvalidInput(_("视频链接不是有效的网址。"), field="url") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname \
            or "." not in parts.hostname:
        raise InvalidInput(_("视频链接要以 http:// 或 https:// 开头。"), field="url")
    return url


def submit_video(actor: User | None, slug: str, raw_url: str | None,
                 raw_caption: str | None) -> VideoTask:
    user = require_signed_in(actor)
    now = clock.now()
    campaign = _warmup(slug, now)
    url = check_video_url(raw_url)
    caption = clean_text(raw_caption, max_len=MAX_CAPTION)
    if len(caption) > MAX_CAPTION:
        raise InvalidInput(_("视频文案不能超过 %(n)d 个字。", n=MAX_CAPTION), field="caption")
    if campaign.hashtag not in caption and campaign.hashtag not in unquote(url):
        raise InvalidInput(_("视频要带上话题 %(tag)s（写在文案或链接里）。", tag=campaign.hashtag),
                           field="caption")
    key = hashlib.sha256(normal_url(url).encode()).hexdigest()
    day = clock.local_today()
    video = VideoTask(campaign_id=campaign.id, user_id=user.id, url=url, url_key=key,
                      caption=caption, day=day, created_at=now)
    try:
        db.session.add(video)
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(_("这个视频链接已经提交过了，每个链接只算一次。"), field="url") from None
    _enter(campaign, user, day, "video", now)
    db.session.commit()
    return video


# --- 投票 --------------------------------------------------------------------------------------

def _approved_room(campaign: Campaign, room_id: int | None):
    from app.campaigns.registration import is_approved
    from app.live.services import get_room, is_visible

    room = get_room(room_id) if room_id else None
    if room is None or not is_visible(room):
        raise NotFound(_("直播间不存在。"))
    if not is_approved(campaign, room.merchant_id):
        raise Conflict(_("这位主播没有参加本次活动。"))
    return room


def vote(actor: User | None, slug: str, room_id: int | None) -> Vote:
    user = require_signed_in(actor)
    now = clock.now()
    campaign = _warmup(slug, now)
    room = _approved_room(campaign, room_id)
    if room.merchant.owner_id == user.id:
        raise PermissionDenied(_("不能给自己的直播间投票。"))
    day = clock.local_today()
    ballot = Vote(campaign_id=campaign.id, user_id=user.id, merchant_id=room.merchant_id,
                  live_room_id=room.id, day=day, created_at=now)
    try:
        db.session.add(ballot)
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(_("今天已经给这位主播投过票了，明天再来吧。")) from None
    _enter(campaign, user, day, "vote", now)
    db.session.commit()
    return ballot


def _votes_column(campaign_id, merchant_id):
    return select(func.count()).select_from(Vote).where(
        Vote.campaign_id == campaign_id, Vote.merchant_id == merchant_id).scalar_subquery()


def votes_for(campaign: Campaign, merchant_id: int) -> int:
    return db.session.scalar(select(_votes_column(campaign.id, merchant_id))) or 0


# --- coins and gifts ---------------------------------------------------------------------------

def _balance_column(user_id):
    return select(CoinAccount.balance).where(CoinAccount.user_id == user_id).scalar_subquery()


def balance(user: User | None) -> int:
    if not is_signed_in(user):
        return 0
    return db.session.scalar(select(_balance_column(user.id))) or 0


def ledger(user: User, limit: int = 20) -> list[CoinLedger]:
    return list(db.session.scalars(select(CoinLedger).where(CoinLedger.user_id == user.id)
                                   .order_by(CoinLedger.id.desc()).limit(limit)))


def new_topup_key() -> str:
    return secrets.token_urlsafe(18)


def topups_enabled() -> bool:
    return "sandbox" in current_app.config.get("ORDER_PAYMENT_PROVIDERS", [])


def credit(user_id: int, coins: int, reason: str, reference: str) -> bool:
    """Add coins in the caller's transaction; False when `reference` was credited before."""
    now = clock.now()
    _insert_ignoring_duplicates(CoinAccount, user_id=user_id, balance=0, updated_at=now)
    try:
        # The balance and its ledger line together: a reference seen before undoes both.
        with db.session.begin_nested():
            after = db.session.execute(
                update(CoinAccount).where(CoinAccount.user_id == user_id)
                .values(balance=CoinAccount.balance + coins, updated_at=now)
                .returning(CoinAccount.balance)).scalar_one()
            db.session.add(CoinLedger(user_id=user_id, delta=coins, balance_after=after,
                                      reason=reason, reference=reference, created_at=now))
    except IntegrityError:
        return False
    return True


def top_up(actor: User | None, pack: str | None, key: str | None) -> int:
    """充值 (sandbox): a pack of coins; the form's key makes a resubmission count once.
    Returns the balance."""
    user = require_signed_in(actor)
    if not topups_enabled():
        raise PermissionDenied(_("充值暂未开放。"))
    if pack not in TOPUP_PACKS:
        raise InvalidInput(_("请选择充值档位。"), field="pack")
    if not key or not KEY_RE.match(key):
        raise InvalidInput(_("页面已过期，请刷新后重新提交。"), field="key")
    coins, _price = TOPUP_PACKS[pack]
    credit(user.id, coins, "topup", f"topup:{key}")
    db.session.commit()
    return balance(user)


def gift_catalogue() -> list[dict]:
    return [{"code": code, "name": name, "icon": icon, "price": price}
            for code, name, icon, price in GIFTS]


def _gift_row(code: str | None) -> tuple[Gift, int]:
    """The gift's row (for the send's reference) and the price the buyer was shown (GIFTS is
    the catalogue: a row written by an earlier version never sets the price)."""
    entry = next((g for g in GIFTS if g[0] == code), None)
    if entry is None:
        raise InvalidInput(_("请选择礼物。"), field="gift")
    code, name, icon, price = entry
    _insert_ignoring_duplicates(Gift, code=code, name=name, icon=icon, price_coins=price,
                                ecommerce_exclusive=True,
                                position=[g[0] for g in GIFTS].index(code))
    return db.session.scalar(select(Gift).where(Gift.code == code)), price


def send_gift(actor: User | None, slug: str, room_id: int | None, gift_code: str | None,
              quantity: int | None) -> GiftSend:
    user = require_signed_in(actor)
    now = clock.now()
    campaign = _warmup(slug, now)
    room = _approved_room(campaign, room_id)
    if room.merchant.owner_id == user.id:
        raise PermissionDenied(_("不能给自己的直播间送礼物。"))
    if quantity is None or not 1 <= quantity <= MAX_GIFTS:
        raise InvalidInput(_("礼物数量在 1 到 %(n)d 之间。", n=MAX_GIFTS), field="quantity")
    gift, price = _gift_row(gift_code)
    cost = price * quantity
    after = db.session.execute(
        update(CoinAccount).where(CoinAccount.user_id == user.id, CoinAccount.balance >= cost)
        .values(balance=CoinAccount.balance - cost, updated_at=now)
        .returning(CoinAccount.balance)).scalar()
    if after is None:
        db.session.rollback()
        raise Conflict(_("金币不足：送出需要 %(cost)d 金币，你有 %(have)d 金币。", cost=cost,
                         have=balance(user)), field="quantity")
    day = clock.local_today()
    sent = GiftSend(campaign_id=campaign.id, user_id=user.id, merchant_id=room.merchant_id,
                    live_room_id=room.id, gift_id=gift.id, quantity=quantity, coins=cost,
                    day=day, created_at=now)
    db.session.add(sent)
    db.session.flush()
    db.session.add(CoinLedger(user_id=user.id, delta=-cost, balance_after=after, reason="gift",
                              reference=f"gift:{sent.id}", created_at=now))
    _enter(campaign, user, day, "gift", now)
    db.session.commit()
    return sent


# --- what the user sees -----------------------------------------------------------------------

@dataclass
class EntryView:
    day: date
    task: str
    draw: RaffleDraw | None
    won: bool = False


@dataclass
class TaskBoard:
    campaign: Campaign
    phase: str
    today: date
    done_today: set[str] = field(default_factory=set)
    videos: list[VideoTask] = field(default_factory=list)
    entries: list[EntryView] = field(default_factory=list)
    balance: int = 0
    ledger: list[CoinLedger] = field(default_factory=list)

    @property
    def entered_today(self) -> bool:
        return any(e.day == self.today for e in self.entries)


def task_board(actor: User | None, slug: str) -> TaskBoard:
    """我的任务: today's tasks, my videos, my raffle entries (and wins), coins."""
    user = require_signed_in(actor)
    campaign = require_campaign(slug)
    now = clock.now()
    today = clock.local_today()
    done = set()
    if db.session.scalar(select(VideoTask.id).where(
            VideoTask.campaign_id == campaign.id, VideoTask.user_id == user.id,
            VideoTask.day == today).limit(1)):
        done.add("video")
    if db.session.scalar(select(Vote.id).where(
            Vote.campaign_id == campaign.id, Vote.user_id == user.id,
            Vote.day == today).limit(1)):
        done.add("vote")
    if db.session.scalar(select(GiftSend.id).where(
            GiftSend.campaign_id == campaign.id, GiftSend.user_id == user.id,
            GiftSend.day == today).limit(1)):
        done.add("gift")
    draws = {d.day: d for d in db.session.scalars(select(RaffleDraw).where(
        RaffleDraw.campaign_id == campaign.id))}
    won = set(db.session.scalars(select(RaffleWinner.draw_id).join(
        RaffleDraw, RaffleDraw.id == RaffleWinner.draw_id).where(
        RaffleDraw.campaign_id == campaign.id, RaffleWinner.user_id == user.id)))
    entries = [EntryView(e.day, e.task, draws.get(e.day),
                         bool(draws.get(e.day) and draws[e.day].id in won))
               for e in db.session.scalars(select(RaffleEntry).where(
                   RaffleEntry.campaign_id == campaign.id, RaffleEntry.user_id == user.id)
                   .order_by(RaffleEntry.day.desc()))]
    videos = list(db.session.scalars(select(VideoTask).where(
        VideoTask.campaign_id == campaign.id, VideoTask.user_id == user.id)
        .order_by(VideoTask.id.desc()).limit(20)))
    return TaskBoard(campaign=campaign, phase=phase_of(campaign, now), today=today,
                     done_today=done, videos=videos, entries=entries, balance=balance(user),
                     ledger=ledger(user))


def _voted_clause(campaign_id, user_id, merchant_id, day):
    return select(Vote.id).where(Vote.campaign_id == campaign_id, Vote.user_id == user_id,
                                 Vote.merchant_id == merchant_id, Vote.day == day).exists()


def voted_today(user: User | None, campaign: Campaign, merchant_id: int) -> bool:
    if not is_signed_in(user):
        return False
    return bool(db.session.scalar(select(_voted_clause(campaign.id, user.id, merchant_id,
                                                       clock.local_today()))))


@functools.cache
def _room_part_columns(signed_in: bool) -> tuple:
    """The room's part of each candidate campaign: approved, votes (and for a signed-in
    viewer their vote today and balance)."""
    from app.campaigns.registration import approved_clause

    merchant_id = bindparam("merchant_id")
    columns = [approved_clause(Campaign.id, merchant_id), _votes_column(Campaign.id, merchant_id)]
    if signed_in:
        user_id = bindparam("user_id")
        columns += [_voted_clause(Campaign.id, user_id, merchant_id, bindparam("day")),
                    _balance_column(user_id)]
    return tuple(columns)


@functools.cache
def _room_campaign_statement(signed_in: bool):
    """The candidate campaigns (campaigns.candidates_statement) with, for each, this room's
    approval and votes, and for a signed-in viewer their vote today and balance: one query,
    built once per shape and run with parameters."""
    from app.campaigns.campaigns import candidates_statement

    return candidates_statement().add_columns(*_room_part_columns(signed_in))


def room_campaign(room, viewer) -> dict | None:
    """The live room's 预热任务 part: the campaign in warm-up whose approved anchors include
    this room's shop, with the viewer's vote, balance and the gifts; None outside warm-up.
    One query: the current campaign's candidates, each with the room's part (plain rows; the
    campaign a plain copy, campaigns.campaign_copy)."""
    from app.campaigns.campaigns import campaign_copy, candidate_params, current_campaign

    now = clock.now()
    signed_in = is_signed_in(viewer)
    params = {**candidate_params(now), "merchant_id": room.merchant_id}
    if signed_in:
        params.update(user_id=viewer.id, day=clock.local_today())
    # Each row: the campaign, then (approved, votes[, voted today, balance]).
    part = len(_room_part_columns(signed_in))
    rows = [(campaign_copy(row), *row[-part:])
            for row in plain_rows(_room_campaign_statement(signed_in), params)]
    campaign = current_campaign(now, [row[0] for row in rows])
    if campaign is None or phase_of(campaign, now) != "warmup":
        return None
    row = next((row for row in rows if row[0].id == campaign.id), None)
    if row is None:  # the request read its current campaign earlier, and it is not among these
        from app.campaigns.registration import is_approved

        if not is_approved(campaign, room.merchant_id):
            return None
        row = (campaign, True, votes_for(campaign, room.merchant_id),
               voted_today(viewer, campaign, room.merchant_id), balance(viewer))
    if not row[1]:
        return None
    return {"campaign": campaign,
            "voted": bool(row[3]) if signed_in else False,
            "votes": row[2] or 0,
            "balance": (row[4] or 0) if signed_in else 0, "gifts": gift_catalogue()}
