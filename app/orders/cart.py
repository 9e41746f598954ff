"""The cart (购物车): a GuestCart for anonymous visitors (the routes keep it in the signed
cookie session), in the database once signed in, merged at sign-in. Grouped per shop; every
render shows the live stock and price, and quantities are checked against stock and the
per-line limit.

Prices come from the same path as checkout (app.orders.pricing.price_checkout): a flash price,
the coupons checkout would choose and the total are what checkout will charge for the lines
ticked by default. Nothing is reserved here: stock is taken only at checkout, by one
conditional UPDATE."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import ScalarSelect, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.accounts.services import is_signed_in
from app.catalog.models import Product
from app.catalog.services import is_listable
from app.exceptions import Conflict, InvalidInput, NotFound
from app.extensions import db
from app.merchants.models import Merchant
from app.orders.models import CartItem
from app.orders.pricing import PricedLine, PricedOrder, price_checkout

SESSION_KEY = "cart"


@dataclass
class CartLine:
    product: Product
    quantity: int
    priced: PricedLine | None = None  # as checkout prices it (None: not in the checkout)

    @property
    def available(self) -> bool:
        return is_listable(self.product) and self.product.stock > 0

    @property
    def problem(self) -> str | None:
        if not is_listable(self.product):
            return _("商品已下架")
        if self.product.stock <= 0:
            return _("已抢光")
        if self.quantity > self.product.stock:
            return _("库存只剩 %(n)d 件", n=self.product.stock)
        return None

    @property
    def in_checkout(self) -> bool:
        """Ticked by default: checkout takes it as it is."""
        return self.available and self.problem is None

    @property
    def unit_price_fen(self) -> int:
        return self.priced.unit_price_fen if self.priced else self.product.price_fen

    @property
    def line_total_fen(self) -> int:
        return self.unit_price_fen * self.quantity


@dataclass
class CartGroup:
    merchant: Merchant
    lines: list[CartLine] = field(default_factory=list)
    order: PricedOrder | None = None  # the shop's order as checkout prices it


@dataclass
class CartView:
    groups: list[CartGroup]

    @property
    def orders(self) -> list[PricedOrder]:
        return [g.order for g in self.groups if g.order is not None]

    @property
    def total_fen(self) -> int:
        return sum(o.pay_fen for o in self.orders)

    @property
    def discount_fen(self) -> int:
        return sum(o.discount_fen for o in self.orders)

    @property
    def count(self) -> int:
        return sum(1 for g in self.groups for line in g.lines if line.in_checkout)


def max_quantity() -> int:
    return current_app.config["ORDER_MAX_QUANTITY"]


def check_quantity(quantity: int | None) -> int:
    """1 … ORDER_MAX_QUANTITY, or a clear message naming the field."""
    limit = max_quantity()
    if quantity is None or isinstance(quantity, bool) or not isinstance(quantity, int) \
            or not 1 <= quantity <= limit:
        raise InvalidInput(_("购买数量需为 1–%(max)d 的整数。", max=limit), field="quantity")
    return quantity


def buyable_product(user: User | None, product_id: int) -> Product:
    """A product the user may put in a cart or buy now: listed, not their own shop's."""
    product = db.session.get(Product, product_id) if isinstance(product_id, int) else None
    if product is None:
        raise NotFound(_("商品不存在。"), field="product")
    if not is_listable(product):
        raise Conflict(_("商品已下架，不能购买。"), field="product")
    if is_signed_in(user) and product.merchant.owner_id == user.id:
        raise Conflict(_("不能购买自己店铺的商品。"), field="product")
    return product


def check_stock(product: Product, quantity: int) -> None:
    if product.stock <= 0:
        raise Conflict(_("%(title)s 已抢光。", title=product.title), field="quantity")
    if quantity > product.stock:
        raise Conflict(_("%(title)s 库存只剩 %(n)d 件。", title=product.title, n=product.stock),
                       field="quantity")


# --- storage: the guest cart or the database ----------------------------------------------

class GuestCart(dict[str, int]):
    """An anonymous visitor's cart: product id (as text) → quantity. The routes keep it in the
    signed session cookie under SESSION_KEY and save it after a change; the services here
    only read and change it. Anything malformed in the cookie is dropped."""

    @classmethod
    def load(cls, raw: object) -> GuestCart:
        guest = cls()
        if isinstance(raw, dict):
            for key, value in raw.items():
                if isinstance(key, str) and key.isdigit() and isinstance(value, int) and value > 0:
                    guest[key] = value
        return guest


def _quantities(user: User | None, guest: GuestCart | None) -> dict[int, int]:
    if is_signed_in(user):
        return dict(db.session.execute(
            select(CartItem.product_id, CartItem.quantity).where(CartItem.user_id == user.id)
        ).all())
    return {int(k): v for k, v in (guest or {}).items()}


def _store(user: User | None, guest: GuestCart | None, product_id: int, quantity: int) -> None:
    if not is_signed_in(user):
        if guest is not None:
            guest[str(product_id)] = quantity
        return
    item = db.session.scalar(select(CartItem).where(CartItem.user_id == user.id,
                                                    CartItem.product_id == product_id))
    if item is not None:
        item.quantity = quantity
        return
    try:
        with db.session.begin_nested():
            db.session.add(CartItem(user_id=user.id, product_id=product_id, quantity=quantity))
    except IntegrityError:
        # The same buyer added it in another tab a moment ago: set the quantity on that row.
        item = db.session.scalar(select(CartItem).where(CartItem.user_id == user.id,
                                                        CartItem.product_id == product_id))
        if item is not None:
            item.quantity = quantity


# --- what buyers do -------------------------------------------------------------------------

def add_to_cart(user: User | None, product_id: int, quantity: int = 1,
                guest: GuestCart | None = None) -> int:
    """加入购物车: adds to what is already there; returns the line's new quantity."""
    check_quantity(quantity)
    product = buyable_product(user, product_id)
    current = _quantities(user, guest)
    if product.id not in current and len(current) >= current_app.config["CART_MAX_LINES"]:
        raise Conflict(_("购物车最多放 %(n)d 种商品，先结算或删掉一些吧。",
                         n=current_app.config["CART_MAX_LINES"]), field="product")
    total = current.get(product.id, 0) + quantity
    if total > max_quantity():
        raise Conflict(_("每件商品一次最多买 %(max)d 件。", max=max_quantity()), field="quantity")
    check_stock(product, total)
    _store(user, guest, product.id, total)
    db.session.commit()
    return total


def set_quantity(user: User | None, product_id: int, quantity: int,
                 guest: GuestCart | None = None) -> int:
    """Change a line's quantity (the − / + buttons or the number typed)."""
    check_quantity(quantity)
    if product_id not in _quantities(user, guest):
        raise NotFound(_("购物车里没有这件商品。"), field="product")
    product = buyable_product(user, product_id)
    check_stock(product, quantity)
    _store(user, guest, product.id, quantity)
    db.session.commit()
    return quantity


def remove_from_cart(user: User | None, product_ids: list[int],
                     guest: GuestCart | None = None) -> int:
    ids = [pid for pid in product_ids if isinstance(pid, int)]
    if not is_signed_in(user):
        guest = guest if guest is not None else GuestCart()
        return sum(1 for pid in ids if guest.pop(str(pid), None) is not None)
    result = db.session.execute(delete(CartItem).where(CartItem.user_id == user.id,
                                                       CartItem.product_id.in_(ids)))
    db.session.commit()
    return result.rowcount


def cart_count_of(user_id) -> ScalarSelect:
    """Distinct goods in the user's cart, as a scalar subquery (`user_id` a value or a column)."""
    return (select(func.count()).select_from(CartItem).where(CartItem.user_id == user_id)
            .scalar_subquery())


def cart_count(user: User | None, guest: GuestCart | None = None) -> int:
    """The number on the cart icon: distinct goods in the cart."""
    if is_signed_in(user):
        return db.session.scalar(select(cart_count_of(user.id))) or 0
    return len(guest or {})


def cart_groups(user: User | None, guest: GuestCart | None = None) -> list[CartGroup]:
    """The cart as the page shows it: per shop, with live stock and prices."""
    quantities = _quantities(user, guest)
    if not quantities:
        return []
    products = db.session.scalars(
        select(Product).options(selectinload(Product.merchant), selectinload(Product.photos))
        .where(Product.id.in_(list(quantities)))
    ).all()
    groups: dict[int, CartGroup] = {}
    for product in sorted(products, key=lambda p: (p.merchant_id, p.id)):
        group = groups.setdefault(product.merchant_id, CartGroup(product.merchant))
        group.lines.append(CartLine(product, quantities[product.id]))
    return list(groups.values())


def priced_cart(user: User | None, now: datetime, guest: GuestCart | None = None) -> CartView:
    """The cart priced as checkout will price the ticked lines: unit prices (flash prices),
    the coupons chosen across the shops, each shop's amount and the total."""
    groups = cart_groups(user, guest)
    wanted = [(g, [ln for ln in g.lines if ln.in_checkout]) for g in groups]
    wanted = [(g, lines) for g, lines in wanted if lines]
    buyer = user if is_signed_in(user) else None
    orders = price_checkout([(g.merchant, [(ln.product, ln.quantity) for ln in lines])
                             for g, lines in wanted], buyer, now)
    for (group, lines), order in zip(wanted, orders, strict=True):
        group.order = order
        for line, priced in zip(lines, order.lines, strict=True):
            line.priced = priced
    return CartView(groups)


def merge_guest_cart(user: User, anonymous: GuestCart) -> int:
    """At sign-in: the anonymous cart joins the account's cart (quantities add up, capped by
    the per-line limit; own-shop and unlisted goods are dropped). Returns lines merged."""
    if not anonymous:
        return 0
    existing = _quantities(user, None)
    merged = 0
    for key, quantity in anonymous.items():
        product = db.session.get(Product, int(key))
        if product is None or not is_listable(product) or product.merchant.owner_id == user.id:
            continue
        if product.id not in existing and len(existing) >= current_app.config["CART_MAX_LINES"]:
            break
        total = min(existing.get(product.id, 0) + quantity, max_quantity())
        _store(user, None, product.id, total)
        existing[product.id] = total
        merged += 1
    db.session.commit()
    return merged


def remove_bought(user: User, product_ids: list[int]) -> None:
    """After checkout, in the placement's transaction: the bought goods leave the cart."""
    db.session.execute(delete(CartItem).where(CartItem.user_id == user.id,
                                              CartItem.product_id.in_(product_ids)))
