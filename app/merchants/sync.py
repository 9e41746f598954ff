"""The goods carry copies of their shop's state so listings filter on the product row alone
(app.catalog.services.listable_products): whatever code path saves them, these listeners keep
them in step.

- merchant_suspended_until copies the shop's suspension (app.governance).
- merchant_certified copies the shop's certification: set on insert, and rewritten for all of
  a shop's goods when the shop's `certified` changes through the ORM (certification approval
  or revocation).
- merchant_active copies `status == "active"` and merchant_name the shop's name, the same way.
Bulk UPDATE statements on merchants bypass this: don't use them for these columns."""
from __future__ import annotations

from sqlalchemy import event, select, update
from sqlalchemy.orm import attributes, object_session

from app.catalog.models import Product
from app.catalog.services import COUNTED_COLUMNS, note_goods_changed
from app.db import utcnow
from app.merchants.models import Merchant


@event.listens_for(Product, "before_insert")
def _product_inserted(mapper, connection, target: Product) -> None:
    if target.merchant_id is not None:
        row = connection.execute(
            select(Merchant.certified, Merchant.suspended_until, Merchant.status, Merchant.name)
            .where(Merchant.id == target.merchant_id)).first()
        target.merchant_certified = bool(row and row[0])
        target.merchant_suspended_until = row[1] if row else None
        target.merchant_active = bool(row and row[2] == "active")
        target.merchant_name = row[3] if row else ""


@event.listens_for(Merchant, "after_update")
def _shop_certification_changed(mapper, connection, target: Merchant) -> None:
    attrs = attributes.instance_state(target).attrs
    values = {}
    if attrs["certified"].history.has_changes():
        values["merchant_certified"] = bool(target.certified)
    if attrs["suspended_until"].history.has_changes():
        values["merchant_suspended_until"] = target.suspended_until
        values["updated_at"] = utcnow()  # live rooms' ETags and caches see the change
    if attrs["status"].history.has_changes():
        values["merchant_active"] = target.status == "active"
        values["updated_at"] = utcnow()
    if attrs["name"].history.has_changes():
        values["merchant_name"] = target.name
    if values.keys() & COUNTED_COLUMNS and (session := object_session(target)) is not None:
        note_goods_changed(session)  # the goods' facet counts change (catalog.services)
    if values:
        connection.execute(
            update(Product.__table__).where(Product.__table__.c.merchant_id == target.id)
            .values(**values))
