"""Listing goods and keeping stock right, whoever edits it and however many buy at once."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.catalog import listing
from app.catalog.listing import ProductDraft
from app.catalog.models import Product
from app.exceptions import Conflict, InvalidInput, PermissionDenied
from app.extensions import db
from tests import factories as make
from tests.concurrency import race


def test_owner_lists_goods_with_photos_inheriting_the_shops_source(ctx):
    shop = make.merchant("玉匠人")
    product = listing.create_product(shop.owner, shop, ProductDraft("  和田玉平安扣 ", 9900, 5),
                                     [make.jpeg_bytes()])
    assert product.title == "和田玉平安扣"
    assert (product.belt_id, product.source_type) == (shop.belt_id, "industry_belt")
    assert len(product.photos) == 1 and product.photos[0].width == 800


def test_only_the_owner_lists_or_edits(ctx):
    shop = make.merchant("玉匠人")
    stranger = make.user("路人")
    with pytest.raises(PermissionDenied):
        listing.create_product(stranger, shop, ProductDraft("手镯", 100, 1))
    with pytest.raises(PermissionDenied):
        listing.create_product(None, shop, ProductDraft("手镯", 100, 1))
    item = make.product(shop)
    with pytest.raises(PermissionDenied):
        listing.set_stock(stranger, item.id, 0)
    with pytest.raises(PermissionDenied):
        listing.set_price(stranger, item.id, 1)


@pytest.mark.parametrize("draft,field", [
    (ProductDraft("", 100, 1), "title"),
    (ProductDraft("长" * 61, 100, 1), "title"),
    (ProductDraft("手镯", 0, 1), "price"),
    (ProductDraft("手镯", 100, -1), "stock"),
    (ProductDraft("手镯", 100, 10_000_000), "stock"),
    (ProductDraft("手镯", 100, 1, category_id=9999), "category"),
])
def test_bad_drafts_name_the_field_and_save_nothing(ctx, draft, field):
    shop = make.merchant("玉匠人")
    with pytest.raises(InvalidInput) as error:
        listing.create_product(shop.owner, shop, draft)
    assert error.value.field == field
    assert db.session.scalar(select(Product)) is None


def test_a_bad_photo_refuses_the_whole_listing(ctx):
    shop = make.merchant("玉匠人")
    with pytest.raises(InvalidInput) as error:
        listing.create_product(shop.owner, shop, ProductDraft("手镯", 100, 1),
                               [make.jpeg_bytes(), b"<?php evil(); ?>"])
    assert error.value.field == "photos"
    assert db.session.scalar(select(Product)) is None


def test_adjusting_stock_never_goes_below_zero(ctx):
    shop = make.merchant("玉匠人")
    item = make.product(shop, stock=3)
    assert listing.adjust_stock(shop.owner, item.id, +2).stock == 5
    with pytest.raises(Conflict):
        listing.adjust_stock(shop.owner, item.id, -6)
    assert db.session.get(Product, item.id).stock == 5


@pytest.mark.concurrency
def test_parallel_buyers_and_stock_edits_never_oversell(app, ctx):
    shop = make.merchant("玉匠人")
    item = make.product(shop, stock=10)
    owner_id, product_id = shop.owner_id, item.id

    def act(i: int):
        if i % 5 == 0:  # the merchant removes a unit now and then while buyers buy
            from app.accounts.models import User

            try:
                listing.adjust_stock(db.session.get(User, owner_id), product_id, -1)
                return "removed"
            except Conflict:
                return "refused"
        taken = listing.take_stock(product_id, 1)
        db.session.commit()
        return "bought" if taken else "sold out"

    results = race(app, 40, act)
    assert not [r for r in results if isinstance(r, Exception)], results
    db.session.expire_all()
    final = db.session.get(Product, product_id)
    assert final.stock == 0
    assert results.count("bought") + results.count("removed") == 10
    assert final.sales_count == results.count("bought")
