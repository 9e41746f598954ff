"""The goods carry copies of their shop's state and name (app.merchants.sync), so the
catalogue's listing rule and product cards read the product row alone."""
from __future__ import annotations

from app.catalog import services as catalog
from app.catalog.filters import ProductFilter
from app.extensions import db
from tests import factories as make


def _listed(shop_id: int) -> list[str]:
    return [card.title for card in catalog.find_products(ProductFilter(merchant_id=shop_id)).items]


def test_a_new_product_takes_its_shop_s_name_and_state(ctx):
    shop = make.merchant("玉匠人", certified=True)
    item = make.product(shop, "冰种手镯")
    db.session.commit()
    assert (item.merchant_name, item.merchant_active, item.merchant_certified) == (
        "玉匠人", True, True)


def test_a_suspended_shop_s_goods_leave_every_listing_and_come_back(ctx, client):
    shop = make.merchant("玉匠人")
    make.product(shop, "冰种手镯")
    db.session.commit()
    assert _listed(shop.id) == ["冰种手镯"]
    shop.status = "suspended"
    db.session.commit()
    assert _listed(shop.id) == []
    assert "冰种手镯" not in client.get("/belts/zhenping-jade").get_data(as_text=True)
    shop.status = "active"
    db.session.commit()
    assert _listed(shop.id) == ["冰种手镯"]


def test_a_renamed_shop_shows_its_new_name_on_its_goods_cards(ctx, client):
    shop = make.merchant("玉匠人")
    make.product(shop, "冰种手镯")
    db.session.commit()
    assert "玉匠人" in client.get("/belts/zhenping-jade").get_data(as_text=True)
    shop.name = "镇平玉缘"
    db.session.commit()
    page = client.get("/belts/zhenping-jade").get_data(as_text=True)
    assert "镇平玉缘" in page and "玉匠人" not in page
    assert catalog.find_products(ProductFilter(merchant_id=shop.id)).items[0].merchant.name == "镇平玉缘"
