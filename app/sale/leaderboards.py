"""Leaderboards of the campaign (巅峰榜 / 潜力榜 / 行业分榜) and the sales kings (卖货王).

Figures come from unrefunded orders of the shops approved for the campaign that count in the
sale window [sale_start, min(sale_end, now)): an online order when it is paid (`paid_at`), a
cash-on-delivery order once delivered (确认收货 sets its `paid_at`; a shipped one past its
auto-confirm deadline counts from that deadline even before the tick job records it).
Cancelled and refunded orders never count. GMV is the sum of those orders' line totals (the
price actually charged); a category filter keeps the lines of one venue category (服饰 美妆 美食
玉石 百货: the line's category's venue group, else its product's industry's).

- peak 巅峰榜: GMV, highest first;
- potential 潜力榜 (small and medium shops): shops whose GMV in the equal period just before the
  sale was under LEADERBOARD_POTENTIAL_MAX_BEFORE_FEN (¥50,000), ranked by growth *rate*:
  (GMV − GMV before) ÷ max(GMV before, LEADERBOARD_POTENTIAL_MIN_BASE_FEN (¥500)) — the floor
  keeps a shop rising from almost nothing from winning on an absurd percentage;
- industry 行业分榜: GMV within each industry, one ranking per industry.
The article splits every board by category, so every board is also shown per category and the
卖货王 titles are crowned per board and category (and industry, on the industry board).

Boards are computed by one aggregate query each and cached for LEADERBOARD_CACHE_SECONDS
(Flask-Caching: Redis when REDIS_URL is set), so a page refresh never scans orders twice.
Finalizing a campaign (operators, once the sale is over) freezes the winners as `SalesKing`
rows — once: inserting the campaign's `campaign_finals` row (its primary key) decides who
finalizes."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import contains_eager, selectinload

from app import clock
from app.accounts.models import User
from app.accounts.services import notify, record_audit, require_operator
from app.campaigns.models import Campaign, Registration, RegistrationStatus
from app.catalog.models import Category, Industry, Product
from app.catalog.reference import VENUE_GROUPS
from app.exceptions import Conflict, InvalidInput, NotFound
from app.extensions import cache, db
from app.i18n import N_
from app.merchants.models import Merchant
from app.orders.models import Order, OrderLine, OrderStatus
from app.sale.models import CampaignFinal, SalesKing

BOARDS = ("peak", "potential", "industry")
BOARD_NAMES = {"peak": N_("巅峰榜"), "potential": N_("潜力榜"), "industry": N_("行业分榜")}
BOARD_HINTS = {
    "peak": N_("正式售卖期间成交额（已付款、未退款）最高的店铺。"),
    "potential": N_("中小店铺的成交额增长率榜：只看开售前同样时长成交额低于 %(limit)s 的店铺，"
                    "按（活动成交额 − 开售前成交额）÷ 开售前成交额排名，开售前不足 %(floor)s 的按 "
                    "%(floor)s 计。"),
    "industry": N_("各行业内成交额最高的店铺。"),
}
TOP_N = 20
INDUSTRY_TOP_N = 10
# Industry slug → venue group, for lines whose product has no category (as the venue does).
INDUSTRY_VENUE_GROUP = {"apparel": "apparel", "jade": "jade", "food": "food", "tea": "food",
                        "small-commodities": "general"}
COUNTED = (OrderStatus.awaiting_shipment, OrderStatus.shipped, OrderStatus.completed)


@dataclass
class Rank:
    rank: int
    merchant_id: int
    name: str
    certified: bool
    gmv_fen: int
    before_fen: int = 0
    growth_fen: int = 0
    bar: int = 0       # 0–100: the bar's length against the board's first
    growth_percent: int | None = None  # 潜力榜: growth ÷ max(before, the floor), in percent


@dataclass
class Section:
    key: str           # '' for peak / potential; the industry slug for the industry board
    title: str
    ranks: list[Rank] = field(default_factory=list)


@dataclass
class Board:
    board: str
    category: str | None
    window: tuple[datetime, datetime]   # what is counted so far: [sale_start, min(end, now))
    sections: list[Section]
    computed_at: datetime
    sale: tuple[datetime, datetime] | None = None  # the whole sale window

    @property
    def phase(self) -> str:
        """'before' the sale opens, 'during' it, 'after' it ended (as of computed_at)."""
        start, end = self.sale or self.window
        if self.computed_at < start:
            return "before"
        return "during" if self.computed_at < end else "after"

    @property
    def etag(self) -> str:
        state = [(s.key, [(r.merchant_id, r.gmv_fen, r.growth_fen) for r in s.ranks])
                 for s in self.sections]
        return hashlib.sha256(repr((self.board, self.category, state)).encode()).hexdigest()[:20]


def check_board(board: str) -> str:
    if board not in BOARDS:
        raise NotFound(_("没有这个榜单。"))
    return board


def check_category(raw: str | None) -> str | None:
    if raw in (None, "", "all"):
        return None
    if raw not in VENUE_GROUPS:
        raise InvalidInput(_("没有这个类目。"), field="category")
    return raw


def line_venue_group():
    """The line's venue category: its category's venue group, else its industry's."""
    by_industry = case(
        *((Industry.slug == slug, group) for slug, group in INDUSTRY_VENUE_GROUP.items()),
        else_="general")
    return func.coalesce(Category.venue_group, by_industry)


def counted_in(start: datetime, end: datetime, now: datetime):
    """The orders that count in [start, end): paid in it, or — cash on delivery, shipped, past
    its auto-confirm deadline but not yet recorded as completed — delivered in it. Two index-
    friendly ranges rather than one CASE."""
    return or_(
        and_(Order.paid_at.is_not(None), Order.paid_at >= start, Order.paid_at < end),
        and_(Order.paid_at.is_(None), Order.status == OrderStatus.shipped,
             Order.receive_deadline <= now, Order.receive_deadline >= start,
             Order.receive_deadline < end))


def _gmv(campaign: Campaign, start: datetime, end: datetime, category: str | None,
         by_industry: bool = False, now: datetime | None = None):
    """merchant_id (, industry_id), GMV in [start, end) of approved shops."""
    approved = select(Registration.merchant_id).where(
        Registration.campaign_id == campaign.id,
        Registration.status == RegistrationStatus.approved)
    columns = [Order.merchant_id]
    if by_industry:
        columns.append(Merchant.industry_id)
    query = (
        select(*columns, func.sum(OrderLine.line_total_fen).label("gmv"))
        .join(Order, Order.id == OrderLine.order_id)
        .join(Product, Product.id == OrderLine.product_id)
        .join(Industry, Industry.id == Product.industry_id, isouter=True)
        .join(Category, Category.id == OrderLine.category_id, isouter=True)
        .where(counted_in(start, end, now or clock.now()), Order.status.in_(COUNTED),
               Order.merchant_id.in_(approved))
        .group_by(*columns))
    if by_industry:
        query = query.join(Merchant, Merchant.id == Order.merchant_id)
    if category is not None:
        query = query.where(line_venue_group() == category)
    return db.session.execute(query).all()


def _shops(ids: set[int]) -> dict[int, Merchant]:
    if not ids:
        return {}
    return {m.id: m for m in db.session.scalars(select(Merchant).where(Merchant.id.in_(ids)))}


def _ranked(rows: list[tuple[int, int, int, int]], shops: dict[int, Merchant], limit: int,
            key, percent=None) -> list[Rank]:
    """rows: (merchant_id, gmv, before, growth); ranked by key (a number, or a tuple whose
    first item the bar follows), ties by shop id; `percent(row)` fills growth_percent."""
    def lead(row) -> int:
        value = key(row)
        return value[0] if isinstance(value, tuple) else value

    rows = sorted(rows, key=lambda r: (key(r), -r[0]), reverse=True)[:limit]
    ranks = []
    top = max((lead(r) for r in rows), default=0)
    for i, row in enumerate(rows, start=1):
        merchant_id, gmv, before, growth = row
        shop = shops.get(merchant_id)
        if shop is None:
            continue
        bar = max(2, lead(row) * 100 // top) if top > 0 else 0
        ranks.append(Rank(i, merchant_id, shop.name, shop.certified, gmv, before, growth, bar,
                          percent(row) if percent else None))
    return ranks


def potential_rules() -> tuple[int, int]:
    """(the size limit: GMV before the sale under this, the floor of the growth rate's base)."""
    config = current_app.config
    return (config["LEADERBOARD_POTENTIAL_MAX_BEFORE_FEN"],
            config["LEADERBOARD_POTENTIAL_MIN_BASE_FEN"])


def hint_of(board: str) -> str:
    """The board's rule, in the reader's language, with its figures."""
    if board == "potential":
        from app.money import format_fen

        limit, floor = potential_rules()
        return _(BOARD_HINTS[board], limit=format_fen(limit), floor=format_fen(floor))
    return _(BOARD_HINTS[board])


def sale_so_far(campaign: Campaign, now: datetime) -> tuple[datetime, datetime]:
    """[sale_start, min(sale_end, now)], as a half-open window (an order paid this very
    microsecond counts)."""
    start, end = campaign.sale_start, campaign.sale_end
    return start, max(start, min(end, now + timedelta(microseconds=1)))


def compute_board(campaign: Campaign, board: str, category: str | None,
                  now: datetime | None = None) -> Board:
    now = now or clock.now()
    start, end = sale_so_far(campaign, now)
    if board == "peak":
        rows = [(m, int(g), 0, 0) for m, g in _gmv(campaign, start, end, category, now=now)]
        shops = _shops({r[0] for r in rows})
        sections = [Section("", "", _ranked(rows, shops, TOP_N, key=lambda r: r[1]))]
    elif board == "potential":
        length = end - start
        during = {m: int(g) for m, g in _gmv(campaign, start, end, category, now=now)}
        before = {m: int(g) for m, g in _gmv(campaign, start - length, start, category,
                                             now=now)}
        limit, floor = potential_rules()
        rows = [(m, g, before.get(m, 0), g - before.get(m, 0)) for m, g in during.items()
                if before.get(m, 0) < limit and g > before.get(m, 0)]

        def rate_bp(row) -> int:  # basis points, exact integers
            return row[3] * 10_000 // max(row[2], floor, 1)

        shops = _shops({r[0] for r in rows})
        sections = [Section("", "", _ranked(rows, shops, TOP_N,
                                            key=lambda r: (rate_bp(r), r[3]),
                                            percent=lambda r: rate_bp(r) // 100))]
    else:
        rows = _gmv(campaign, start, end, category, by_industry=True, now=now)
        industries = {i.id: i for i in db.session.scalars(select(Industry).order_by(Industry.id))}
        shops = _shops({r[0] for r in rows})
        sections = []
        for industry in industries.values():
            mine = [(m, int(g), 0, 0) for m, ind, g in rows if ind == industry.id]
            if mine:
                sections.append(Section(industry.slug, industry.name,
                                        _ranked(mine, shops, INDUSTRY_TOP_N, key=lambda r: r[1])))
    return Board(board, category, (start, end), [s for s in sections if s.ranks], now,
                 sale=(campaign.sale_start, campaign.sale_end))


def board_of(campaign: Campaign, board: str, category: str | None) -> Board:
    """The board as of now, from the cache when it is at most LEADERBOARD_CACHE_SECONDS old."""
    ttl = current_app.config["LEADERBOARD_CACHE_SECONDS"]
    key = f"leaderboard:{campaign.id}:{board}:{category or 'all'}"
    if ttl > 0:
        cached = cache.get(key)
        if cached is not None:
            return cached
    computed = compute_board(campaign, board, category)
    if ttl > 0:
        cache.set(key, computed, timeout=ttl)
    return computed


# --- sales kings 卖货王 ----------------------------------------------------------------------

def kings_of(campaign: Campaign) -> list[SalesKing]:
    """The campaign's 卖货王, by board, then category (in venue order), then industry."""
    order = {key: i for i, key in enumerate(VENUE_GROUPS)}
    kings = db.session.scalars(select(SalesKing).where(SalesKing.campaign_id == campaign.id)
                               .options(selectinload(SalesKing.merchant)))
    return sorted(kings, key=lambda k: (BOARDS.index(k.board), order.get(k.category, -1),
                                        k.scope))


def is_finalized(campaign: Campaign) -> bool:
    return db.session.get(CampaignFinal, campaign.id) is not None


def finalize_campaign(actor: User | None, campaign: Campaign) -> tuple[list[SalesKing], bool]:
    """Crown the 卖货王 once the sale is over, per board and venue category (as the article
    says: every board is split by category): the first of 巅峰榜 and of 潜力榜 in each category,
    and of each industry within each category on 行业分榜.
    Idempotent: the one request that inserts the campaign's `campaign_finals` row writes the
    winners; any other (a double click, a second operator) gets them back. Returns
    (kings, finalized_now)."""
    operator = require_operator(actor)
    now = clock.now()
    if now < campaign.sale_end:
        raise Conflict(_("正式售卖结束后才能评选卖货王。"))
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    won = db.session.execute(
        dialect.insert(CampaignFinal)
        .values(campaign_id=campaign.id, finalized_by=operator.id, finalized_at=now)
        .on_conflict_do_nothing(index_elements=[CampaignFinal.campaign_id])
        .returning(CampaignFinal.campaign_id)).first()
    if won is None:
        db.session.rollback()
        return kings_of(campaign), False
    winners: list[SalesKing] = []
    for board in BOARDS:
        for category in VENUE_GROUPS:
            result = compute_board(campaign, board, category, now)
            for section in result.sections:
                if section.ranks:
                    first = section.ranks[0]
                    winners.append(SalesKing(
                        campaign_id=campaign.id, merchant_id=first.merchant_id, board=board,
                        category=category, scope=section.key, gmv_fen=first.gmv_fen,
                        growth_fen=first.growth_fen, created_at=now))
    db.session.add_all(winners)
    shops = _shops({king.merchant_id for king in winners})
    for king in winners:
        shop = shops[king.merchant_id]
        notify(shop.owner_id, N_("恭喜！你的店铺获得 %(campaign)s「%(title)s」卖货王称号。"),
               link=f"/shops/{shop.id}", campaign=campaign.name,
               title=f"{VENUE_GROUPS[king.category]} · {BOARD_NAMES[king.board]}")
    record_audit(operator, "campaign.finalize", "campaign", campaign.id, kings=len(winners))
    db.session.commit()
    for board in BOARDS:  # the boards now show the frozen result's moment; drop cached ones
        for category in [None, *VENUE_GROUPS]:
            cache.delete(f"leaderboard:{campaign.id}:{board}:{category or 'all'}")
    for merchant_id in {king.merchant_id for king in winners}:
        cache.delete(_titles_key(merchant_id))
    return winners, True


@dataclass(frozen=True)
class ShopTitle:
    """A 卖货王 title as the shop page and live room show it (plain data, cacheable)."""

    campaign_slug: str
    campaign_name: str
    board: str
    category: str
    scope: str


TITLES_CACHE_SECONDS = 60


def _titles_key(merchant_id: int) -> str:
    return f"sale:titles:{merchant_id}"


def shown_titles(merchant_id: int) -> list[ShopTitle]:
    """titles_of_shop for the shop page and live room: kept a minute (finalizing drops it)."""
    found = cache.get(_titles_key(merchant_id))
    if found is None:
        found = [ShopTitle(k.campaign.slug, k.campaign.name, k.board, k.category, k.scope)
                 for k in titles_of_shop(merchant_id)]
        cache.set(_titles_key(merchant_id), found, timeout=TITLES_CACHE_SECONDS)
    return found


def titles_of_shop(merchant_id: int) -> list[SalesKing]:
    """The 卖货王 titles a shop holds (newest campaign first), for its shop page and room."""
    return list(db.session.scalars(
        select(SalesKing).join(Campaign, Campaign.id == SalesKing.campaign_id)
        .where(SalesKing.merchant_id == merchant_id).options(contains_eager(SalesKing.campaign))
        .order_by(Campaign.sale_end.desc(), SalesKing.board, SalesKing.category,
                  SalesKing.scope).limit(6)))
