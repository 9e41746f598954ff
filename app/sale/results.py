"""An ended campaign's results (活动成绩) for its venue: what the sale did in each venue category
(GMV, orders, shops with sales: the leaderboards' counting rule over the whole sale window) and
the 卖货王 of each board in that category. Three queries: the totals, the titles, finalized or not."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from app.campaigns.models import Campaign, Registration, RegistrationStatus
from app.catalog.models import Category, Industry, Product
from app.catalog.reference import VENUE_GROUPS
from app.extensions import db
from app.orders.models import Order, OrderLine
from app.sale.leaderboards import COUNTED, counted_in, is_finalized, kings_of, line_venue_group
from app.sale.models import SalesKing


@dataclass
class CategoryResult:
    key: str
    gmv_fen: int = 0
    orders: int = 0
    shops: int = 0
    kings: list[SalesKing] = field(default_factory=list)


@dataclass
class VenueResults:
    finalized: bool
    categories: list[CategoryResult]

    @property
    def gmv_fen(self) -> int:
        return sum(c.gmv_fen for c in self.categories)

    @property
    def orders(self) -> int:
        """Orders with lines in several categories are counted once in each."""
        return sum(c.orders for c in self.categories)

    @property
    def kings(self) -> int:
        return sum(len(c.kings) for c in self.categories)


def venue_results(campaign: Campaign, now: datetime) -> VenueResults | None:
    """The results once the sale is over (None before)."""
    if now < campaign.sale_end:
        return None
    approved = select(Registration.merchant_id).where(
        Registration.campaign_id == campaign.id,
        Registration.status == RegistrationStatus.approved)
    group = line_venue_group().label("venue_group")
    rows = db.session.execute(
        select(group, func.sum(OrderLine.line_total_fen), func.count(func.distinct(Order.id)),
               func.count(func.distinct(Order.merchant_id)))
        .select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Product, Product.id == OrderLine.product_id)
        .join(Industry, Industry.id == Product.industry_id, isouter=True)
        .join(Category, Category.id == OrderLine.category_id, isouter=True)
        .where(counted_in(campaign.sale_start, campaign.sale_end, now),
               Order.status.in_(COUNTED), Order.merchant_id.in_(approved))
        .group_by(group)).all()
    results = {key: CategoryResult(key) for key in VENUE_GROUPS}
    for key, gmv, orders, shops in rows:
        if key in results:
            results[key].gmv_fen, results[key].orders, results[key].shops = \
                int(gmv or 0), int(orders), int(shops)
    for king in kings_of(campaign):
        if king.category in results:
            results[king.category].kings.append(king)
    return VenueResults(is_finalized(campaign), list(results.values()))
