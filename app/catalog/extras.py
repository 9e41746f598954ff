"""Whether another domain has attached something to a product: a certificate (merchants), a
source video (governance), a flash sale (flash), a place in a live room's 小黄车 (live).

Most goods have none of these, yet the product page would ask each of those domains (a query
each) on every render. So the product row carries `has_extras`, set by a listener on those rows'
insert, and the page's providers skip their query while it is false. It is set once and never
cleared: a stale true costs the page a few queries, never a missing part."""
from __future__ import annotations

from sqlalchemy import event, update

from app.catalog.models import Product

_products = Product.__table__


def _attached(mapper, connection, target) -> None:
    connection.execute(
        update(_products)
        .where(_products.c.id == target.product_id, _products.c.has_extras.is_(False))
        .values(has_extras=True, updated_at=_products.c.updated_at))


def attached_to_goods(model) -> None:
    """Rows of `model` (with a `product_id`) attach something to those goods."""
    if not event.contains(model, "after_insert", _attached):
        event.listen(model, "after_insert", _attached)
