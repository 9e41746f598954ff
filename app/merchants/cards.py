"""The shop card (macros.html `shop_card_markup`), rendered once per version of what it shows:
a belt or portal page shows a row of them (app.cards explains the reuse)."""
from __future__ import annotations

from markupsafe import Markup

from app.cards import render_once
from app.catalog.names import belt_name
from app.merchants.models import Merchant


def shop_card_key(merchant: Merchant) -> tuple:
    """Every value `shop_card_markup` prints or branches on (the belt as it is named)."""
    belt = merchant.belt
    return (merchant.id, merchant.name, merchant.certified, merchant.source_type,
            belt_name(belt) if belt is not None else None)


def shop_card(merchant: Merchant) -> Markup:
    return render_once(shop_card_key(merchant), "shop_card_markup", merchant)
