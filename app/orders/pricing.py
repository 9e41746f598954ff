"""Pricing: the one place an order's amounts are computed (checkout preview and placement
both call `price_order`), in integer fen, from the database's prices — never the form's.

Later issues plug in here rather than touching checkout:
- flash sales (直播秒杀): `register_unit_price_rule(rule)`; a rule returns a `UnitPrice` for a
  product (the lowest offered wins) and may carry `reserve`, a callable run inside the
  placement transaction that returns False to refuse, `claim`, a conditional statement on
  the buyer's own row (the flash allowance), and `take`, the conditional UPDATE of a
  contended row (the flash sale's units); checkout sends `claim` and `take` with the commit;
- coupons: `register_discount_rule(rule)`; a rule returns every `Discount` it could give a
  shop's order (each wallet copy it may use, with its `reference_id`). `price_checkout` then
  chooses, across all the checkout's orders at once, which copies go where
  (app.orders.allocation: the most saved for the buyer, exactly): at most one shop coupon and
  one platform coupon per order (also a unique constraint on order_discounts), each copy on
  one order, a free-order coupon (免单券) capped at FREE_ORDER_CAP_FEN. `spend` runs in the
  placement transaction (`UPDATE … SET status='used' WHERE … AND status='unused'`; False
  refuses the order).
The cart, the checkout preview and the placement all price through `price_checkout`, so the
cart shows what checkout charges. Each order records its per-line unit price and its
discount lines."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Executable, Update

from app.accounts.models import User
from app.catalog.models import Product
from app.db import Bound
from app.merchants.models import Merchant
from app.orders import allocation
from app.orders.allocation import PLATFORM_COUPON as PLATFORM_COUPON  # re-exported: the kinds
from app.orders.allocation import SHOP_COUPON as SHOP_COUPON

# `choices` that price an order without any coupon (a discount rule offers none for it).
WITHOUT_COUPONS: Mapping[str, str] = {"coupons": "none"}
FREE_ORDER_CAP_FEN = 66_600  # 免单券 covers an order up to ¥666
DISCOUNT_ORDER = allocation.KINDS  # shop coupons first, platform on the rest


@dataclass
class UnitPrice:
    """A price a rule offers for one product (e.g. a flash sale's)."""

    unit_price_fen: int
    source: str                                   # 'flash_sale', …
    reserve: Callable[[int], bool] | None = None  # reserve(quantity) in the placement txn
    # claim(quantity): a conditional statement on the buyer's own row (the flash allowance)
    # that must change one row (an upsert: RETURNING one row); take(quantity): the
    # conditional UPDATE of a contended row (the sale's units) that must change one row.
    # Checkout sends both with the commit (app.db.commit_hot), claims first; either may be
    # a statement built once with its values (app.db.Bound).
    claim: Callable[[int], Executable | Bound] | None = None
    take: Callable[[int], Update | Bound] | None = None


@dataclass
class PricedLine:
    product: Product
    quantity: int
    list_price_fen: int
    unit_price_fen: int
    price_source: str = "list"
    reserve: Callable[[int], bool] | None = None
    claim: Callable[[int], Executable | Bound] | None = None
    take: Callable[[int], Update | Bound] | None = None

    @property
    def line_total_fen(self) -> int:
        return self.unit_price_fen * self.quantity


@dataclass
class Discount:
    kind: str                # SHOP_COUPON | PLATFORM_COUPON
    funded_by: str           # 'shop' | 'platform'
    label: str               # shown on the order (already in the buyer's words)
    amount_fen: int
    reference_id: int | None = None               # the wallet copy: one order per checkout
    cap_fen: int | None = None                    # e.g. FREE_ORDER_CAP_FEN
    spend: Callable[[int], bool] | None = None    # spend(order_id) in the placement txn
    face_fen: int | None = None                   # what the copy is worth kept (ties spend less)
    expires_at: datetime | None = None            # ties spend the copy that expires first


@dataclass
class PricedOrder:
    """One shop's order as priced now."""

    merchant: Merchant
    lines: list[PricedLine]
    discounts: list[Discount] = field(default_factory=list)
    shipping_fen: int = 0    # 包邮: source goods ship free; a shipping rule would set this

    @property
    def items_total_fen(self) -> int:
        return sum(line.line_total_fen for line in self.lines)

    @property
    def discount_fen(self) -> int:
        return sum(d.amount_fen for d in self.discounts)

    @property
    def shop_discount_fen(self) -> int:
        return sum(d.amount_fen for d in self.discounts if d.funded_by == "shop")

    @property
    def pay_fen(self) -> int:
        return self.items_total_fen + self.shipping_fen - self.discount_fen

    @property
    def quantity(self) -> int:
        return sum(line.quantity for line in self.lines)


UnitPriceRule = Callable[[Product, int, "User | None", datetime], "UnitPrice | None"]
DiscountRule = Callable[[PricedOrder, "User | None", Mapping[str, str], datetime], list[Discount]]

UNIT_PRICE_RULES: list[UnitPriceRule] = []
DISCOUNT_RULES: list[DiscountRule] = []


def register_unit_price_rule(rule: UnitPriceRule) -> UnitPriceRule:
    if rule not in UNIT_PRICE_RULES:
        UNIT_PRICE_RULES.append(rule)
    return rule


def register_discount_rule(rule: DiscountRule) -> DiscountRule:
    if rule not in DISCOUNT_RULES:
        DISCOUNT_RULES.append(rule)
    return rule


def price_line(product: Product, quantity: int, buyer: User | None, now: datetime) -> PricedLine:
    line = PricedLine(product=product, quantity=quantity, list_price_fen=product.price_fen,
                      unit_price_fen=product.price_fen)
    for rule in UNIT_PRICE_RULES:
        offer = rule(product, quantity, buyer, now)
        if offer is not None and 0 <= offer.unit_price_fen < line.unit_price_fen:
            line.unit_price_fen, line.price_source = offer.unit_price_fen, offer.source
            line.reserve, line.claim, line.take = offer.reserve, offer.claim, offer.take
    return line


def price_checkout(groups: list[tuple[Merchant, list[tuple[Product, int]]]], buyer: User | None,
                   now: datetime, choices: Mapping[str, str] | None = None) -> list[PricedOrder]:
    """Price a checkout, one order per (shop, goods) group: unit prices (list price or a rule's
    lower price), then the discounts, chosen across all the orders at once so the buyer saves
    the most (app.orders.allocation). The cart and checkout both price here."""
    orders = [PricedOrder(merchant=merchant,
                          lines=[price_line(p, q, buyer, now) for p, q in items])
              for merchant, items in groups]
    offered = [[d for rule in DISCOUNT_RULES for d in rule(order, buyer, choices or {}, now)
                if d.kind in DISCOUNT_ORDER] for order in orders]
    chosen = allocation.choose([o.items_total_fen + o.shipping_fen for o in orders], offered)
    for order, discounts in zip(orders, chosen, strict=True):
        order.discounts = list(discounts)
    return orders


def price_order(merchant: Merchant, items: list[tuple[Product, int]], buyer: User | None,
                now: datetime, choices: Mapping[str, str] | None = None) -> PricedOrder:
    """One shop's order priced alone (a checkout of one shop)."""
    return price_checkout([(merchant, items)], buyer, now, choices)[0]


def allocate(amount: int, weights: list[int]) -> list[int]:
    """Split `amount` fen over `weights` proportionally, exactly (largest remainder)."""
    total = sum(weights)
    if amount <= 0 or total <= 0:
        return [0] * len(weights)
    shares = [amount * w // total for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (amount * weights[i]) % total,
                        reverse=True)
    for i in remainders[: amount - sum(shares)]:
        shares[i] += 1
    return shares
