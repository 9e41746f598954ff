"""Keeping the product rows' search tokens in step, whatever code path saves them:
search_tokens is a pure function of title and description, set on every insert/update.
(The copies of the shop's state on its goods are the merchants domain's: app.merchants.sync.)"""
from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import attributes

from app.catalog.models import Product
from app.catalog.search import tokens_for


@event.listens_for(Product, "before_insert")
def _product_inserted(mapper, connection, target: Product) -> None:
    target.search_tokens = tokens_for(target.title, target.description)


@event.listens_for(Product, "before_update")
def _product_updated(mapper, connection, target: Product) -> None:
    state = attributes.instance_state(target)
    if any(state.attrs[name].history.has_changes() for name in ("title", "description")):
        target.search_tokens = tokens_for(target.title, target.description)
