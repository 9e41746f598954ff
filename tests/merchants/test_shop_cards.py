"""The belt and portal pages' shop cards are read as plain columns (services.ShopCard), each
with its belt's plain copy: the same card as the shop's own row renders, in the same order,
in one query."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import event

from app.extensions import db
from app.merchants import services
from app.merchants.models import Merchant
from tests import factories as make


def _shops():
    certified = make.merchant("镇平玉缘", certified=True, sales=5)
    top = make.merchant("玉匠人", certified=True, sales=90)
    plain = make.merchant("石佛寺小铺", sales=500)
    elsewhere = make.merchant("瑞丽翡翠行", belt_slug="ruili-jade", certified=True)
    return certified, top, plain, elsewhere


def test_a_belts_shop_cards_are_its_open_shops_ranked_with_their_belt(app, ctx):
    certified, top, plain, elsewhere = _shops()
    shops = services.belt_shops(top.belt_id)
    assert [card.id for card in shops.ranked] == [top.id, certified.id, plain.id]
    assert {card.belt.slug for card in shops.ranked} == {"zhenping-jade"}
    card = current_app.jinja_env.get_template("macros.html").module.shop_card_markup
    with app.test_request_context("/"):
        for shown in shops.ranked:  # the same markup as the shop's own row gives
            assert str(card(shown)) == str(card(db.session.get(Merchant, shown.id)))
            assert "河南镇平" in str(card(shown))


def test_a_portals_certified_shops_come_in_one_query(app, ctx):
    certified, top, plain, elsewhere = _shops()
    industry_id = top.industry_id
    db.session.expunge_all()
    statements: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    services.ranked_shops(industry_id=industry_id, certified_only=True)  # reference copies read
    event.listen(db.engine, "before_cursor_execute", note)
    try:
        cards = services.ranked_shops(industry_id=industry_id, certified_only=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert [card.name for card in cards] == ["玉匠人", "镇平玉缘", "瑞丽翡翠行"]
    assert cards[0].belt.industry.slug == "jade"
    assert len([sql for sql in statements if "merchants" in sql]) == 1


def test_the_belt_page_shows_the_cards(app, client):
    with app.app_context():
        certified, top, plain, elsewhere = _shops()
        slug = top.belt.slug
    page = client.get(f"/belts/{slug}").get_data(as_text=True)
    assert page.index("玉匠人") < page.index("镇平玉缘") < page.index("石佛寺小铺")
    assert "瑞丽翡翠行" not in page
