"""What other domains (and issue 7's leaderboards, flash sales and live vouchers) use from the
campaign domain. The rules live in campaigns.py (phases), registration.py (invited
registration), coupons.py (coupons, wallet, checkout stacking), tasks.py (warm-up tasks and
coins) and draws.py (the daily raffle); see docs/CAMPAIGNS.md.

- `phase_of(campaign, now)`, `sale_window(campaign)`, `warmup_window(campaign)`,
  `next_deadline(campaign, now)`, `current_campaign(now)`, `get_campaign(slug)`;
- `approved_merchants(campaign)`, `approved_merchant_ids(campaign)`,
  `approved_live_rooms(campaign)` (live first), `approved_products(campaign)`;
- `venue_category_of(product)` → 'apparel' | 'beauty' | 'food' | 'jade' | 'general'
  (VENUE_GROUPS gives 服饰 美妆 美食 玉石 百货);
- coupons: `Coupon` rows are data (funded_by / kind / restriction columns);
  `register_eligibility_check(fn)` adds a restriction; `eligible_lines(coupon, order, now)`.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.campaigns.campaigns import (
    PHASE_NAMES,
    current_campaign,
    get_campaign,
    next_deadline,
    phase_name,
    phase_of,
    require_campaign,
    sale_window,
    venue_category_of,
    warmup_window,
)
from app.campaigns.coupons import (
    coupon_amount,
    eligible_lines,
    register_eligibility_check,
)
from app.campaigns.models import Campaign, Coupon, Phase
from app.campaigns.registration import (
    approved_live_rooms,
    approved_merchant_ids,
    approved_merchants,
    approved_products,
)
from app.catalog.models import Product
from app.catalog.reference import VENUE_GROUPS

__all__ = [
    "PHASE_NAMES", "VENUE_GROUPS", "Campaign", "Coupon", "Phase", "VenueView",
    "approved_live_rooms", "approved_merchant_ids", "approved_merchants", "approved_products",
    "coupon_amount", "current_campaign", "eligible_lines", "get_campaign", "next_deadline",
    "phase_name", "phase_of", "register_eligibility_check", "register_venue_data",
    "require_campaign", "sale_window",
    "venue_category", "venue_category_of", "venue_view", "warmup_window",
]


@dataclass
class VenueView:
    """What the venue page shows: the phase, the countdown target, the approved anchors' live
    rooms (live first) and their registered goods per session category."""

    campaign: Campaign
    phase: str
    deadline: datetime | None
    rooms: list = field(default_factory=list)
    goods: dict[str, list[Product]] = field(default_factory=dict)
    category: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)  # other domains' data (see below)

    @property
    def live_count(self) -> int:
        return sum(1 for room in self.rooms if room.status == "live")


# Other domains add their own data to the venue's view (their slot partials read it from
# `view.extras[name]`), so the page's data is still gathered by its one view function.
VenueData = Callable[[Campaign, datetime], Any]
VENUE_DATA: dict[str, VenueData] = {}


def register_venue_data(name: str, fn: VenueData) -> None:
    VENUE_DATA[name] = fn


def venue_category(raw: str | None) -> str | None:
    return raw if raw in VENUE_GROUPS else None


def venue_view(campaign: Campaign, now: datetime, category: str | None = None,
               per_category: int = 8) -> VenueView:
    phase = phase_of(campaign, now)
    goods: dict[str, list[Product]] = {key: [] for key in VENUE_GROUPS}
    # Once the campaign has ended the venue shows its results, not the session's goods.
    for product in approved_products(campaign) if phase != Phase.ended else []:
        group = goods[venue_category_of(product)]
        if category is not None or len(group) < per_category:
            group.append(product)
    if category is not None:
        goods = {category: goods[category]}
    return VenueView(campaign=campaign, phase=phase,
                     deadline=next_deadline(campaign, now),
                     rooms=approved_live_rooms(campaign), goods=goods, category=category,
                     extras={name: fn(campaign, now) for name, fn in VENUE_DATA.items()})
