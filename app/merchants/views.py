"""The shop page's data, gathered by one function (see app.catalog.views for the rule)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app import clock
from app.catalog import services as catalog
from app.catalog.filters import ParsedFilter, ProductFilter
from app.extensions import db
from app.merchants.models import Merchant
from app.pagedata import Parts, gather


@dataclass
class ShopView:
    merchant: Merchant
    goods: catalog.ProductPage
    filter: ProductFilter
    notes: list[str]
    closed: bool
    suspended_until: datetime | None
    base_url: str
    parts: Parts  # hotline, DSR, complaints, titles, live room and replays, videos


def shop_page(merchant_id: int, parsed: ParsedFilter, page_size: int,
              base_url: str) -> ShopView | None:
    """The shop with its belt and industry (one query), its goods with their photos (one
    query), and the other domains' parts."""
    merchant = db.session.scalar(
        select(Merchant).options(joinedload(Merchant.belt), joinedload(Merchant.industry))
        .where(Merchant.id == merchant_id))
    if merchant is None:
        return None
    now = clock.now()
    parsed.filter = parsed.filter.with_(merchant_id=merchant.id, belt=None, industry=None)
    return ShopView(
        merchant=merchant, goods=catalog.find_products(parsed.filter, page_size),
        filter=parsed.filter, notes=parsed.notes, closed=not merchant.is_open(now),
        suspended_until=merchant.suspended_until if merchant.is_suspended(now) else None,
        base_url=base_url, parts=gather("shop", merchant=merchant))
