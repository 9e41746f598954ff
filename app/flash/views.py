"""What the flash-sale panel shows one viewer (the page, the live room and the product page
render the same panel), and the ETag its polling compares: the server's own state only."""
from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import datetime

from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from app import clock
from app.catalog.models import Product
from app.catalog.services import CARD_WIDTH, card_of, card_select
from app.db import column_attributes, columns_of, plain_copy, plain_rows
from app.extensions import db
from app.flash.buy import claimed, default_address_id, unpaid_checkout_id
from app.flash.models import FlashSale, FlashSaleCopy, FlashState, FlashStatus
from app.flash.services import may_manage, sale_state
from app.merchants.models import Merchant, ShopCopy

POLL_OPEN_SECONDS = 3       # while open: sold-out shows to everyone within seconds
POLL_UPCOMING_SECONDS = 20  # before: an edit or a cancel shows up; the countdown asks at zero


@dataclass
class FlashView:
    sale: FlashSale | FlashSaleCopy
    state: str
    now: datetime
    mine: int = 0
    signed_in: bool = False
    own_shop: bool = False
    can_manage: bool = False
    has_address: bool = False
    key: str = ""
    unpaid_checkout_id: int | None = None  # the grabbed order still to pay (去付款)

    @property
    def product(self) -> Product:
        return self.sale.product

    @property
    def deadline(self) -> datetime | None:
        if self.state == FlashState.upcoming:
            return self.sale.starts_at
        if self.state == FlashState.open:
            return self.sale.ends_at
        return None

    @property
    def remaining_seconds(self) -> int:
        deadline = self.deadline
        if deadline is None:
            return 0
        return max(int((deadline - self.now).total_seconds() + 0.999), 0)

    @property
    def countdown_text(self) -> str:
        seconds = self.remaining_seconds
        hours, rest = divmod(seconds, 3600)
        return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"

    @property
    def percent_sold(self) -> int:
        return min(100, self.sale.sold * 100 // self.sale.quantity)

    @property
    def at_limit(self) -> bool:
        return self.mine >= self.sale.per_user_limit

    @property
    def can_buy(self) -> bool:
        return (self.state == FlashState.open and self.signed_in and not self.own_shop
                and not self.at_limit)

    @property
    def poll_seconds(self) -> int | None:
        if self.state == FlashState.open:
            return POLL_OPEN_SECONDS
        if self.state == FlashState.upcoming:
            return POLL_UPCOMING_SECONDS
        return None  # sold out, ended, cancelled: nothing more will change

    @property
    def now_ms(self) -> int:
        return int(self.now.timestamp() * 1000)

    @property
    def deadline_ms(self) -> int:
        return int(self.deadline.timestamp() * 1000) if self.deadline else 0

    def etag(self, locale: str) -> str:
        state = (self.sale.id, self.sale.version, self.state, self.sale.sold,
                 self.sale.product.stock > 0, self.mine, self.signed_in, self.own_shop,
                 self.has_address, self.unpaid_checkout_id, locale)
        return hashlib.sha256(repr(state).encode()).hexdigest()[:20]


def view_of(sale: FlashSale, now: datetime | None = None, *, with_key: bool = True) -> FlashView:
    """The sale as the current user sees it now."""
    from app.orders.checkout import new_idempotency_key

    now = now or clock.now()
    view = FlashView(sale=sale, state=sale_state(sale, now), now=now)
    if current_user.is_authenticated:
        view.signed_in = True
        view.own_shop = sale.merchant.owner_id == current_user.id
        view.can_manage = may_manage(current_user, sale)
        view.mine = claimed(sale.id, current_user.id)
        if view.mine:
            view.unpaid_checkout_id = unpaid_checkout_id(sale, current_user.id, now)
        if view.state == FlashState.open and not view.own_shop:
            view.has_address = default_address_id(current_user) is not None
            view.key = new_idempotency_key() if with_key else ""
    return view


def _current(query, now: datetime):
    return (query.where(FlashSale.status == FlashStatus.scheduled, FlashSale.ends_at > now)
            # The sale's product and shop joined (one row each), the photos in one more query.
            .options(joinedload(FlashSale.product).selectinload(Product.photos),
                     joinedload(FlashSale.merchant))
            .order_by(FlashSale.starts_at, FlashSale.id))


# The sale's columns, then its shop's, after the goods' card columns (catalog's card_select).
# (Read once the mappers are configured, at the first page.)
def _sale_columns() -> tuple:
    return column_attributes(FlashSale)


def _shop_columns() -> tuple:
    return column_attributes(Merchant)


@functools.cache
def _sales_statement(by: str):
    # Built once per subject ("room": a live room's sales; "product": a good's), run with
    # parameters (every room page and every product page with extras runs it): each sale with
    # its goods as a card (cover photo included) and its shop, one row per sale, plain columns.
    subject = FlashSale.live_room_id if by == "room" else FlashSale.product_id
    return (card_select(select(FlashSale.id).select_from(FlashSale)
                        .join(Product, Product.id == FlashSale.product_id)
                        .join(Merchant, Merchant.id == FlashSale.merchant_id))
            .add_columns(*columns_of(_sale_columns()),
                         *columns_of(_shop_columns()))
            .where(subject == bindparam("subject_id"),
                   FlashSale.status == FlashStatus.scheduled,
                   FlashSale.ends_at > bindparam("now", type_=FlashSale.ends_at.type))
            .order_by(FlashSale.starts_at, FlashSale.id).limit(bindparam("limit")))


def _current_copies(by: str, subject_id: int, limit: int, now: datetime) -> list[FlashSaleCopy]:
    """The subject's sales that have not ended, first to start first, as plain copies
    (FlashSaleCopy: the panel and its rules read them as they read the entity) rather than
    ORM entities (~1 ms of Python less per page)."""
    rows = plain_rows(_sales_statement(by), {"subject_id": subject_id, "now": now,
                                             "limit": limit})
    columns, shop = _sale_columns(), _shop_columns()
    sales = len(columns)
    copies = []
    for row in rows:
        rest = row[CARD_WIDTH:]
        copies.append(plain_copy(columns, rest[:sales], FlashSaleCopy, product=card_of(row),
                                 merchant=plain_copy(shop, rest[sales:], ShopCopy)))
    return copies


def room_flash_views(room_id: int, limit: int = 4) -> list[FlashView]:
    """The live room's flash sales that have not ended (sold-out ones stay, greyed): one
    query."""
    now = clock.now()
    return [view_of(sale, now) for sale in _current_copies("room", room_id, limit, now)]


def product_flash_view(product_id: int) -> FlashView | None:
    """The product's current or next flash sale, if any: one query."""
    now = clock.now()
    found = _current_copies("product", product_id, 1, now)
    return view_of(found[0], now, with_key=False) if found else None


def campaign_flash_views(campaign_id: int, limit: int = 6) -> list[FlashView]:
    """A campaign's flash sales that have not ended, for its venue."""
    now = clock.now()
    sales = db.session.scalars(_current(select(FlashSale).where(
        FlashSale.campaign_id == campaign_id), now).limit(limit)).all()
    return [view_of(sale, now) for sale in sales]
