"""The product card is rendered once per version of what it shows (app.cards): a card whose
goods, shop, photo, language or loading changed renders anew, never a stale copy."""
from __future__ import annotations

import dataclasses

import pytest
from flask import current_app

from app.cards import CardCache, product_card
from app.catalog.services import CardPhoto, CardShop, ProductCard
from app.extensions import db
from app.i18n import LOCALE_COOKIE
from tests import factories as make

CARD = ProductCard(
    id=7, title="冰种手镯", price_fen=128000, stock=3, sales_count=12, status="active",
    merchant_suspended_until=None, source_type="origin", is_lightning=False,
    merchant_id=2, merchant_active=True, merchant_certified=True,
    merchant=CardShop(2, "玉匠人", True),
    cover=CardPhoto("ab" * 16, 480, 640))


def _fresh(card: ProductCard, loading: str = "lazy") -> str:
    """What the macro renders now, with no reuse."""
    return str(current_app.jinja_env.get_template("macros.html").module
               .product_card_markup(card, loading))


def _variants() -> list[tuple[str, ProductCard]]:
    """The card with each value it shows changed, one at a time."""
    changed = {int: lambda v: v + 1, str: lambda v: v + "改", bool: lambda v: not v}
    out = []
    for field in dataclasses.fields(ProductCard):
        value = getattr(CARD, field.name)
        if field.name in ("status", "merchant_suspended_until", "merchant_active",
                          "merchant_certified"):
            continue  # listing rules, not printed (the page cache reads them)
        if field.name == "merchant":
            for shop_field in ("name", "certified"):
                shop_value = getattr(CARD.merchant, shop_field)
                out.append((f"merchant.{shop_field}", dataclasses.replace(
                    CARD, merchant=dataclasses.replace(
                        CARD.merchant, **{shop_field: changed[type(shop_value)](shop_value)}))))
        elif field.name == "cover":
            for photo_field, new in (("image_key", "cd" * 16), ("width", 481), ("height", 641)):
                out.append((f"cover.{photo_field}", dataclasses.replace(
                    CARD, cover=dataclasses.replace(CARD.cover, **{photo_field: new}))))
            out.append(("no cover", dataclasses.replace(CARD, cover=None)))
        else:
            new = {"source_type": "factory_direct", "stock": 0}.get(field.name)  # 0: sold out
            new = changed[type(value)](value) if new is None else new
            out.append((field.name, dataclasses.replace(CARD, **{field.name: new})))
    return out


@pytest.mark.parametrize("name, variant", _variants(), ids=[n for n, _ in _variants()])
def test_a_card_with_any_shown_value_changed_renders_anew(app, name, variant):
    with app.test_request_context("/"):
        first = product_card(CARD)
        assert first == _fresh(CARD)
        again = product_card(variant)
        assert again == _fresh(variant), f"{name}: a stale card was reused"
        assert again != first, f"{name} is not shown on the card (drop it from the test)"


def test_the_same_card_is_reused_and_each_language_and_loading_has_its_own(app):
    with app.test_request_context("/"):
        cards: CardCache = current_app.extensions["yt_cards"]
        cards.clear()
        chinese = product_card(CARD)
        assert product_card(CARD) is chinese and len(cards) == 1
        assert product_card(dataclasses.replace(CARD, stock=2)) is chinese  # in stock either way
        eager = product_card(CARD, "high")
        assert 'fetchpriority="high"' in eager and "fetchpriority" not in chinese
    with app.test_request_context("/", headers={"Cookie": f"{LOCALE_COOKIE}=en"}):
        english = product_card(CARD)
    assert english != chinese and "Certified" in english and "官方认证" in chinese
    assert len(cards) == 3


def test_the_cache_keeps_the_most_recent_cards_within_its_size():
    cards = CardCache(size=2)
    for key in ("a", "b", "c"):
        cards.put((key,), f"<{key}>")
    assert cards.get(("a",)) is None and cards.get(("c",)) == "<c>" and len(cards) == 2


def test_a_price_change_shows_on_the_next_belt_page(ctx, client):
    shop = make.merchant("玉匠人", certified=True)
    item = make.product(shop, "冰种手镯", price_fen=128000)
    db.session.commit()
    assert "1,280" in client.get("/belts/zhenping-jade").get_data(as_text=True)
    item.price_fen = 99900
    item.sales_count = 5
    db.session.commit()
    page = client.get("/belts/zhenping-jade").get_data(as_text=True)
    assert "999" in page and "1,280" not in page



def test_a_shop_card_renders_anew_when_what_it_shows_changes(app, ctx):
    from app.merchants.cards import shop_card

    shop = make.merchant("玉匠人", certified=True)
    db.session.commit()
    fresh = current_app.jinja_env.get_template("macros.html").module.shop_card_markup
    with app.test_request_context("/"):
        first = shop_card(shop)
        assert first == str(fresh(shop)) and shop_card(shop) is first
        for change in (lambda: setattr(shop, "name", "镇平玉缘"),
                       lambda: setattr(shop, "certified", False),
                       lambda: setattr(shop, "source_type", "factory_direct"),
                       lambda: setattr(shop, "belt_id", None)):
            before = shop_card(shop)
            change()
            db.session.flush()
            db.session.expire(shop, ["belt"])
            after = shop_card(shop)
            assert after == str(fresh(shop)) and after != before
