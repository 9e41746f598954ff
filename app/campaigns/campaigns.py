"""Campaigns and their phases (116卖货王: 预热期 warm-up, 正式售卖 sale), created and edited by
platform operators.

What other domains build on (documented in docs/CAMPAIGNS.md; names are stable):
- `phase_of(campaign, now)` → 'upcoming' | 'warmup' | 'sale' | 'ended';
- `sale_window(campaign)` → (sale_start, sale_end), aware UTC, end exclusive;
- `next_deadline(campaign, now)` → when the phase changes next (None once ended);
- `current_campaign(now)` → the campaign the home banner shows;
- `venue_category_of(product)` → one of VENUE_GROUPS' keys (apparel 服饰, beauty 美妆, food 美食,
  jade 玉石, general 百货).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import g, has_request_context
from flask_babel import gettext as _
from sqlalchemy import bindparam, select

from app import clock
from app.accounts.models import User
from app.accounts.services import record_audit, require_operator
from app.campaigns.models import Campaign, CampaignCopy, Phase
from app.catalog.models import Product
from app.catalog.reference import VENUE_GROUPS
from app.db import column_attributes, columns_of, plain_copy, plain_rows
from app.exceptions import Conflict, InvalidInput, NotFound
from app.extensions import db
from app.i18n import N_
from app.inputs import clean_text

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,58}[a-z0-9]$")
HASHTAG_RE = re.compile(r"^#[^\s#]{1,28}$")
DEFAULT_HASHTAG = "#116卖货王"
MAX_NAME, MAX_TAGLINE = 40, 120

# When a product has no category, its industry decides its venue group.
INDUSTRY_VENUE_GROUP = {"apparel": "apparel", "jade": "jade", "food": "food", "tea": "food",
                        "small-commodities": "general"}


# --- phases ---------------------------------------------------------------------------------

def phase_of(campaign: Campaign, now: datetime) -> str:
    """The campaign's phase at `now` (read from the clock by callers: `clock.now()`)."""
    if now < campaign.warmup_start:
        return Phase.upcoming
    if now < campaign.sale_start:
        return Phase.warmup
    if now < campaign.sale_end:
        return Phase.sale
    return Phase.ended


def sale_window(campaign: Campaign) -> tuple[datetime, datetime]:
    """正式售卖: [sale_start, sale_end)."""
    return campaign.sale_start, campaign.sale_end


def warmup_window(campaign: Campaign) -> tuple[datetime, datetime]:
    """预热期: [warmup_start, sale_start)."""
    return campaign.warmup_start, campaign.sale_start


def next_deadline(campaign: Campaign, now: datetime) -> datetime | None:
    """When the phase changes next: the countdown's target (None once the campaign ended)."""
    for boundary in (campaign.warmup_start, campaign.sale_start, campaign.sale_end):
        if now < boundary:
            return boundary
    return None


def warmup_days(campaign: Campaign) -> list[date]:
    """The Shanghai calendar days of the warm-up (each has a raffle draw)."""
    return days_between(campaign.warmup_start, campaign.sale_start)


def days_between(start: datetime, end: datetime) -> list[date]:
    """The Shanghai calendar days that [start, end) touches."""
    first = start.astimezone(clock.SHANGHAI).date()
    last = (end - timedelta(microseconds=1)).astimezone(clock.SHANGHAI).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def venue_category_of(product: Product) -> str:
    """The venue session category of a product: a key of VENUE_GROUPS (服饰 美妆 美食 玉石 百货),
    from its category's venue group, else from its industry."""
    if product.category is not None and product.category.venue_group in VENUE_GROUPS:
        return product.category.venue_group
    return INDUSTRY_VENUE_GROUP.get(product.industry.slug if product.industry else "", "general")


PHASE_NAMES = {
    Phase.upcoming: N_("未开始"),
    Phase.warmup: N_("预热期"),
    Phase.sale: N_("正式售卖"),
    Phase.ended: N_("已结束"),
}


def phase_name(phase: str) -> str:
    return _(PHASE_NAMES[phase])


# --- reading --------------------------------------------------------------------------------

def get_campaign(slug: str) -> Campaign | None:
    return db.session.scalar(select(Campaign).where(Campaign.slug == slug))


def require_campaign(slug: str) -> Campaign:
    campaign = get_campaign(slug)
    if campaign is None:
        raise NotFound(_("活动不存在。"))
    return campaign


def all_campaigns() -> list[Campaign]:
    return list(db.session.scalars(select(Campaign).order_by(Campaign.warmup_start.desc())))


def current_campaign(now: datetime,
                     candidates: list[CampaignCopy] | None = None) -> CampaignCopy | None:
    """The campaign to show on the home page: one running now (warm-up or sale), else the next
    one to start within 30 days, else none, as a plain copy (pages and the live room's parts
    read it; nothing changes it). Read once per request (a page's parts each ask).
    `candidates`: what `candidates_statement` found, for a caller that read them with more."""
    if has_request_context():
        if "yt_current_campaign" not in g:
            g.yt_current_campaign = _pick(
                _candidates(now) if candidates is None else candidates, now)
        return g.yt_current_campaign
    return _pick(_candidates(now) if candidates is None else candidates, now)


@functools.cache
def candidates_statement():
    """The campaigns not over that start within 30 days (a handful), their columns, built once
    and run with `candidate_params(now)` (app.db.plain_rows); a caller may add columns about
    each, after the campaign's (`campaign_copy` reads the campaign's)."""
    return (select(*columns_of(column_attributes(Campaign)))
            .where(Campaign.sale_end > bindparam("now", type_=Campaign.sale_end.type),
                   Campaign.warmup_start <= bindparam("horizon", type_=Campaign.warmup_start.type))
            .order_by(Campaign.warmup_start, Campaign.id).limit(50))


def candidate_params(now: datetime) -> dict:
    return {"now": now, "horizon": now + timedelta(days=30)}


def campaign_copy(row) -> CampaignCopy:
    """The campaign of a `candidates_statement` row (its first columns) as a plain copy."""
    columns = column_attributes(Campaign)
    return plain_copy(columns, row[:len(columns)], CampaignCopy)


def _candidates(now: datetime) -> list[CampaignCopy]:
    return [campaign_copy(row) for row in plain_rows(candidates_statement(),
                                                     candidate_params(now))]


def _pick(candidates: list[CampaignCopy], now: datetime) -> CampaignCopy | None:
    running = [c for c in candidates if c.warmup_start <= now]
    if running:
        return max(running, key=lambda c: c.warmup_start)
    return candidates[0] if candidates else None


# --- operators create and edit ----------------------------------------------------------------

def default_dates(now: datetime) -> tuple[datetime, datetime, datetime]:
    """The seed's dates: warm-up 11-01..11-04, sale 11-05..11-06 (Shanghai), this year or the
    next when this year's sale is over."""
    year = now.astimezone(clock.SHANGHAI).year
    if now >= clock.shanghai_midnight(date(year, 11, 7)):
        year += 1
    return (clock.shanghai_midnight(date(year, 11, 1)), clock.shanghai_midnight(date(year, 11, 5)),
            clock.shanghai_midnight(date(year, 11, 7)))


@dataclass
class CampaignDraft:
    slug: str
    name: str
    hashtag: str
    warmup_start: datetime | None
    sale_start: datetime | None
    sale_end: datetime | None
    tagline: str = ""
    raffle_beacon: str = ""


def _check(draft: CampaignDraft, *, creating: bool) -> dict:
    slug = (draft.slug or "").strip().lower()
    if creating and not SLUG_RE.match(slug):
        raise InvalidInput(_("活动标识只能用小写字母、数字和连字符，3–60 个字符。"), field="slug")
    name = clean_text(draft.name, max_len=MAX_NAME)
    if not name:
        raise InvalidInput(_("请填写活动名称。"), field="name")
    if len(name) > MAX_NAME:
        raise InvalidInput(_("活动名称不能超过 %(n)d 个字。", n=MAX_NAME), field="name")
    hashtag = clean_text(draft.hashtag, max_len=30)
    if not HASHTAG_RE.match(hashtag):
        raise InvalidInput(_("话题标签以 # 开头，不含空格，例如 #116卖货王。"), field="hashtag")
    tagline = clean_text(draft.tagline, max_len=MAX_TAGLINE)
    if len(tagline) > MAX_TAGLINE:
        raise InvalidInput(_("活动口号不能超过 %(n)d 个字。", n=MAX_TAGLINE), field="tagline")
    beacon = clean_text(draft.raffle_beacon, max_len=200)
    if len(beacon) > 200:
        raise InvalidInput(_("公开信标不能超过 200 个字符。"), field="raffle_beacon")
    for field_name in ("warmup_start", "sale_start", "sale_end"):
        if getattr(draft, field_name) is None:
            raise InvalidInput(_("请填写完整的日期和时间。"), field=field_name)
    if not draft.warmup_start < draft.sale_start:
        raise InvalidInput(_("预热期要在正式售卖之前开始。"), field="sale_start")
    if not draft.sale_start < draft.sale_end:
        raise InvalidInput(_("正式售卖的结束时间要晚于开始时间。"), field="sale_end")
    if draft.sale_start - draft.warmup_start > timedelta(days=31) \
            or draft.sale_end - draft.sale_start > timedelta(days=31):
        raise InvalidInput(_("每个阶段最长 31 天。"), field="sale_end")
    return dict(slug=slug, name=name, hashtag=hashtag, tagline=tagline, raffle_beacon=beacon,
                warmup_start=draft.warmup_start, sale_start=draft.sale_start,
                sale_end=draft.sale_end)


def create_campaign(actor: User | None, draft: CampaignDraft) -> Campaign:
    """平台运营 creates a campaign; its warm-up days' raffle draws are committed at once."""
    operator = require_operator(actor)
    values = _check(draft, creating=True)
    if get_campaign(values["slug"]) is not None:
        raise Conflict(_("活动标识 %(slug)s 已被使用。", slug=values["slug"]), field="slug")
    campaign = Campaign(created_by=operator.id, created_at=clock.now(),
                        updated_at=clock.now(), **values)
    db.session.add(campaign)
    db.session.flush()
    from app.campaigns.draws import sync_draws

    added, too_late = sync_draws(campaign)
    record_audit(operator, "campaign.create", "campaign", campaign.id, slug=campaign.slug,
                 draws_published=[d.isoformat() for d in added],
                 days_without_draw=[d.isoformat() for d in too_late])
    db.session.commit()
    return campaign


EDITABLE = ("name", "hashtag", "tagline", "raffle_beacon", "warmup_start", "sale_start",
            "sale_end")


def _keep_published_raffle(campaign: Campaign, values: dict) -> list[date]:
    """What an edit may not do to the raffle (docs/RAFFLE.md): change the published rules of
    an open day, or take out of the warm-up a day whose entrants wait for its draw. Returns
    the open days that leave the warm-up (drawn at their close as committed)."""
    from app.campaigns.draws import draws_of, entries_per_open_day

    open_days = [d for d in draws_of(campaign) if d.status == "open"]
    if values["raffle_beacon"] != campaign.raffle_beacon and open_days:
        raise Conflict(_("公开信标已随 %(days)s 场的抽奖规则公布，这些场次开奖前不能更改。",
                         days=_days_text([d.day for d in open_days])), field="raffle_beacon")
    staying = set(days_between(values["warmup_start"], values["sale_start"]))
    leaving = [d.day for d in open_days if d.day not in staying]
    entered = entries_per_open_day(campaign)
    stranded = [day for day in leaving if entered.get(day)]
    if stranded:
        day = stranded[0]
        field = "warmup_start" if day < min(staying, default=day) else "sale_start"
        raise Conflict(_("%(day)s 场已有 %(n)d 人获得抽奖资格，正在等这一场开奖：这一天不能移出预热期。"
                         "已公布的抽奖承诺不能撤回，请保留这一天。",
                         day=f"{day:%m-%d}", n=entered[day]), field=field)
    return leaving


def _days_text(days: list[date]) -> str:
    return "、".join(f"{d:%m-%d}" for d in days)


def update_campaign(actor: User | None, slug: str, draft: CampaignDraft) -> Campaign:
    """Edit name, hashtag, dates and the beacon. A published raffle commitment is kept as it
    is, with its entries: a date edit may add warm-up days (each gets a commitment while its
    entries are still open) but never removes or replaces one; a day that leaves the warm-up is
    drawn at its close as committed. An edit that would strand entrants, or change an open
    day's published rules, is refused with the reason."""
    operator = require_operator(actor)
    campaign = require_campaign(slug)
    values = _check(draft, creating=False)
    values.pop("slug")
    leaving = _keep_published_raffle(campaign, values)
    changed = {key: [_audit_value(getattr(campaign, key)), _audit_value(values[key])]
               for key in EDITABLE if getattr(campaign, key) != values[key]}
    for key, value in values.items():
        setattr(campaign, key, value)
    campaign.updated_at = clock.now()
    from app.campaigns.draws import sync_draws

    added, too_late = sync_draws(campaign)
    record_audit(operator, "campaign.update", "campaign", campaign.id, slug=campaign.slug,
                 changed=changed, draws_published=[d.isoformat() for d in added],
                 days_without_draw=[d.isoformat() for d in too_late],
                 draws_kept_outside_warmup=[d.isoformat() for d in leaving])
    db.session.commit()
    return campaign


def _audit_value(value):
    return value.isoformat() if isinstance(value, datetime) else value
