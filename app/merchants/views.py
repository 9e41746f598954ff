"""The shop page's data, gathered by one function (see app.catalog.views for the rule)."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select

from app import clock
from app.catalog import services as catalog
from app.catalog.filters import ParsedFilter, ProductFilter
from app.db import column_attributes, columns_of, plain_copy, plain_rows
from app.merchants.models import Merchant, ShopCopy
from app.pagedata import Parts, gather


@dataclass
class ShopView:
    merchant: ShopCopy  # see `_shop_with_belt`
    goods: catalog.ProductPage
    filter: ProductFilter
    notes: list[str]
    closed: bool
    suspended_until: datetime | None
    base_url: str
    parts: Parts  # hotline, DSR, complaints, titles, live room and replays, videos


@functools.cache
def _shop_statement():
    return (select(*columns_of(column_attributes(Merchant)))
            .where(Merchant.id == bindparam("merchant_id")))


def _shop_with_belt(merchant_id: int) -> ShopCopy | None:
    """The shop as a plain copy with the model's attribute names (templates and providers
    read it as the entity), its belt and industry from the catalogue's reference copies: one
    query. Reading the entity with both joined took the ORM ~1 ms of Python per page."""
    rows = plain_rows(_shop_statement(), {"merchant_id": merchant_id})
    if not rows:
        return None
    merchant = plain_copy(column_attributes(Merchant), rows[0], ShopCopy)
    merchant.belt = catalog.page_belts_by_id().get(merchant.belt_id)  # None: no belt
    merchant.industry = catalog.page_industries_by_id().get(merchant.industry_id)
    return merchant


def shop_page(merchant_id: int, parsed: ParsedFilter, page_size: int,
              base_url: str) -> ShopView | None:
    """The shop (one query; its belt and industry are reference data), its goods with their
    photos (one query), and the other domains' parts."""
    merchant = _shop_with_belt(merchant_id)
    if merchant is None:
        return None
    now = clock.now()
    parsed.filter = parsed.filter.with_(merchant_id=merchant.id, belt=None, industry=None)
    return ShopView(
        merchant=merchant, goods=catalog.find_products(parsed.filter, page_size),
        filter=parsed.filter, notes=parsed.notes, closed=not merchant.is_open(now),
        suspended_until=merchant.suspended_until if merchant.is_suspended(now) else None,
        base_url=base_url, parts=gather("shop", merchant=merchant))
