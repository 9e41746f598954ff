"""What other domains use from orders (the rules themselves live in cart.py, checkout.py,
orders.py, reviews.py, commission.py and pricing.py).

- `count_orders_for_merchant(merchant_id, start, end)`: the merchant dashboard's order count;
- `register_unit_price_rule` / `register_discount_rule`: flash-sale prices and coupons plug
  into pricing (see app.orders.pricing for the contract);
- `dsr_summary(merchant)` / `shop_dsr(merchant_id)`: a shop's 180-day DSR."""
from __future__ import annotations

from app.orders.orders import count_orders_for_merchant
from app.orders.pricing import (
    FREE_ORDER_CAP_FEN,
    Discount,
    UnitPrice,
    register_discount_rule,
    register_unit_price_rule,
)
from app.orders.reviews import dsr_summary, shop_dsr

__all__ = [
    "FREE_ORDER_CAP_FEN",
    "Discount",
    "UnitPrice",
    "count_orders_for_merchant",
    "dsr_summary",
    "register_discount_rule",
    "register_unit_price_rule",
    "shop_dsr",
]
