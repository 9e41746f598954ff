"""Shops and quality certificates (the certification workflow builds on this)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.merchants.models import Certificate, Merchant


def get_shop(merchant_id: int) -> Merchant | None:
    return db.session.scalar(
        select(Merchant).options(selectinload(Merchant.belt), selectinload(Merchant.industry))
        .where(Merchant.id == merchant_id))


def shop_of(user_id: int) -> Merchant | None:
    return db.session.scalar(select(Merchant).where(Merchant.owner_id == user_id))


def product_certificates(product_id: int) -> list[Certificate]:
    return list(db.session.scalars(
        select(Certificate).where(Certificate.product_id == product_id)
        .order_by(Certificate.id)))


def shop_hotline(merchant: Merchant) -> str:
    """The shop's own 400 line, else its belt base's hotline."""
    if merchant.hotline:
        return merchant.hotline
    return merchant.belt.hotline if merchant.belt is not None else ""
