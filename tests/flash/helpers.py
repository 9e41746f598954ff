"""Helpers for the flash-sale stories: a shop with a live room and a bangle on a sale."""
from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import func, select

from app import clock
from app.catalog.models import Product
from app.extensions import db
from app.flash.models import FlashClaim, FlashSale
from app.orders.models import Order, OrderLine
from tests import factories as make

HTMX = {"HX-Request": "true"}


def sale_row(shop, product, *, price_fen: int = 9900, quantity: int = 3, limit: int = 1,
             starts_in: timedelta = timedelta(minutes=10),
             minutes: int = 60, room=None, sold: int = 0) -> FlashSale:
    """A flash sale written directly (its start may be in the past, unlike the service's)."""
    starts_at = clock.now() + starts_in
    sale = FlashSale(product_id=product.id, merchant_id=shop.id,
                     live_room_id=room.id if room is not None else None, price_fen=price_fen,
                     quantity=quantity, sold=sold, per_user_limit=limit, starts_at=starts_at,
                     ends_at=starts_at + timedelta(minutes=minutes))
    db.session.add(sale)
    db.session.commit()
    return sale


def world():
    """玉匠人 live now with a bangle (¥1,280, 10 in stock); a buyer with an address."""
    shop = make.merchant("玉匠人", certified=True)
    bangle = make.product(shop, "冰种飘花翡翠手镯", price_fen=128000, stock=10)
    room = make.live_room(shop, goods=[bangle], pinned=bangle)
    buyer = make.user("老铁买家")
    make.address(buyer)
    return SimpleNamespace(shop=shop, owner=shop.owner, bangle=bangle, room=room, buyer=buyer)


def buy_form(page_text: str) -> dict:
    """The buy form's fields as the page rendered them."""
    form = {}
    for name in ("key", "price_fen", "quantity"):
        match = re.search(rf'name="{name}" value="([^"]*)"', page_text)
        if match:
            form[name] = match.group(1)
    if "quantity" not in form and 'name="quantity"' in page_text:
        form["quantity"] = "1"
    assert "key" in form, "no buy form on the page"
    return form


def text(response) -> str:
    return response.get_data(as_text=True)


def fresh(model, row_id):
    db.session.expire_all()
    return db.session.get(model, row_id)


def flash_units_sold(product_id: int) -> int:
    return db.session.scalar(select(func.coalesce(func.sum(OrderLine.quantity), 0)).where(
        OrderLine.product_id == product_id, OrderLine.price_source == "flash_sale")) or 0


def units_per_buyer(product_id: int) -> dict[int, int]:
    return dict(db.session.execute(
        select(Order.buyer_id, func.sum(OrderLine.quantity))
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(OrderLine.product_id == product_id, OrderLine.price_source == "flash_sale")
        .group_by(Order.buyer_id)).all())


def counts() -> tuple[int, int, int, int]:
    """(orders, claims, sold, stock) over everything: for "nothing changed"."""
    db.session.expire_all()
    return (db.session.scalar(select(func.count()).select_from(Order)),
            db.session.scalar(select(func.count()).select_from(FlashClaim)),
            db.session.scalar(select(func.coalesce(func.sum(FlashSale.sold), 0))),
            db.session.scalar(select(func.coalesce(func.sum(Product.stock), 0))))
