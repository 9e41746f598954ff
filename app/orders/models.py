"""Carts, addresses, checkouts, orders (lines, discounts, events, payments), reviews (DSR) and
the commission table.

Money is integer fen everywhere; an order keeps what it was sold for (per-line unit price,
per-order discount lines, the commission rate applied and why), so later price, coupon or
commission changes never rewrite history."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, and_, case
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import UTCDateTime, utcnow
from app.extensions import db


class OrderStatus:
    pending_payment = "pending_payment"      # 待付款 (stock held until pay_deadline)
    awaiting_shipment = "awaiting_shipment"  # 待发货 (paid online, or cash on delivery)
    shipped = "shipped"                      # 已发货
    completed = "completed"                  # 已完成 (buyer confirmed, or auto after N days)
    cancelled = "cancelled"                  # 已取消 (by buyer, merchant, or payment timeout)
    refunded = "refunded"                    # 退款 (merchant refunded)

    ALL = (pending_payment, awaiting_shipment, shipped, completed, cancelled, refunded)


STATUS_CHECK = "status IN ({})".format(",".join(f"'{s}'" for s in OrderStatus.ALL))


class CartItem(db.Model):
    """小黄车 / 购物车: a signed-in buyer's cart line (anonymous carts live in the session)."""

    __tablename__ = "cart_items"
    __table_args__ = (
        UniqueConstraint("user_id", "product_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"),
                                            index=True)
    quantity: Mapped[int]
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    product = relationship("Product")


class Address(db.Model):
    """A buyer's delivery address (收货地址). Orders copy it, so editing never changes them."""

    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    recipient: Mapped[str] = mapped_column(String(30))
    phone: Mapped[str] = mapped_column(String(20))
    region: Mapped[str] = mapped_column(String(60))
    detail: Mapped[str] = mapped_column(String(120))
    is_default: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def one_line(self) -> str:
        return f"{self.region} {self.detail}"


class Checkout(db.Model):
    """One submission of the checkout form. Its idempotency key is unique per buyer, so a
    double click or a resubmission finds the same checkout (and its orders) again."""

    __tablename__ = "checkouts"
    __table_args__ = (UniqueConstraint("buyer_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    idempotency_key: Mapped[str] = mapped_column(String(64))
    payment_method: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    orders: Mapped[list[Order]] = relationship(back_populates="checkout", order_by="Order.id")


class Order(db.Model):
    """One shop's part of a checkout. Every status change is one conditional UPDATE on
    `status` (see app.orders.orders), so two actions can never both apply."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(STATUS_CHECK, name="status_known"),
        CheckConstraint("items_total_fen >= 0 AND discount_fen >= 0 AND shipping_fen >= 0",
                        name="amounts_not_negative"),
        CheckConstraint("pay_fen = items_total_fen + shipping_fen - discount_fen",
                        name="pay_adds_up"),
        CheckConstraint("pay_fen >= 0", name="pay_not_negative"),
        CheckConstraint("shop_discount_fen >= 0 AND shop_discount_fen <= discount_fen",
                        name="shop_discount_within_discount"),
        CheckConstraint("commission_fen >= 0 AND commission_fen <= commission_base_fen",
                        name="commission_within_base"),
        Index("ix_orders_buyer_created", "buyer_id", "created_at"),
        Index("ix_orders_merchant_created", "merchant_id", "created_at"),
        Index("ix_orders_merchant_status", "merchant_id", "status"),
        # The tick jobs: unpaid orders past their deadline, shipped orders past auto-confirm.
        Index("ix_orders_status_pay_deadline", "status", "pay_deadline"),
        Index("ix_orders_status_receive_deadline", "status", "receive_deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    checkout_id: Mapped[int] = mapped_column(ForeignKey("checkouts.id"), index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    status: Mapped[str] = mapped_column(String(20))
    payment_method: Mapped[str] = mapped_column(String(20))

    items_total_fen: Mapped[int]
    shipping_fen: Mapped[int] = mapped_column(default=0)
    discount_fen: Mapped[int] = mapped_column(default=0)
    shop_discount_fen: Mapped[int] = mapped_column(default=0)  # the shop-funded part
    pay_fen: Mapped[int]
    # 佣金: charged on what the shop takes in (goods less shop-funded discounts).
    commission_base_fen: Mapped[int] = mapped_column(default=0)
    commission_fen: Mapped[int] = mapped_column(default=0)
    commission_reduction_bp: Mapped[int] = mapped_column(default=0)
    commission_basis: Mapped[dict] = mapped_column(JSON, default=dict)

    recipient: Mapped[str] = mapped_column(String(30))
    recipient_phone: Mapped[str] = mapped_column(String(20))
    shipping_address: Mapped[str] = mapped_column(String(200))
    buyer_note: Mapped[str] = mapped_column(String(200), default="")

    carrier: Mapped[str] = mapped_column(String(20), default="")
    tracking_number: Mapped[str] = mapped_column(String(40), default="")
    payment_reference: Mapped[str] = mapped_column(String(64), default="")
    cancel_reason: Mapped[str] = mapped_column(String(200), default="")
    refund_reason: Mapped[str] = mapped_column(String(200), default="")

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    pay_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    receive_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    checkout: Mapped[Checkout] = relationship(back_populates="orders")
    buyer = relationship("User")
    merchant = relationship("Merchant")
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.id", cascade="all, delete-orphan")
    discounts: Mapped[list[OrderDiscount]] = relationship(
        order_by="OrderDiscount.id", cascade="all, delete-orphan")
    events: Mapped[list[OrderEvent]] = relationship(
        order_by="OrderEvent.id", cascade="all, delete-orphan")
    review: Mapped[Review | None] = relationship(back_populates="order", uselist=False)

    def effective_status(self, now: datetime) -> str:
        """The status as of `now`: an unpaid order past its deadline is cancelled and a shipped
        order past its auto-confirm time is completed, whether or not `flask tick` ran yet."""
        if self.status == OrderStatus.pending_payment and self.pay_deadline is not None \
                and self.pay_deadline <= now:
            return OrderStatus.cancelled
        if self.status == OrderStatus.shipped and self.receive_deadline is not None \
                and self.receive_deadline <= now:
            return OrderStatus.completed
        return self.status

    def amount_state(self, now: datetime) -> str:
        """What the order's amount is to the buyer now: 'paid' (实付), 'refunded' (paid, then
        given back), 'cancelled' (never paid: nothing was charged), 'cod_due' (cash on
        delivery, not delivered yet) or 'due' (to be paid online)."""
        status = self.effective_status(now)
        if status == OrderStatus.refunded:
            return "refunded"
        if status == OrderStatus.cancelled:
            return "cancelled"
        if self.paid_at is not None or status == OrderStatus.completed:
            return "paid"  # an auto-confirmed cash-on-delivery order was paid on delivery
        return "cod_due" if self.payment_method == "cod" else "due"

    def is_expired(self, now: datetime) -> bool:
        return self.status == OrderStatus.pending_payment and self.effective_status(now) \
            == OrderStatus.cancelled

    @property
    def quantity(self) -> int:
        return sum(line.quantity for line in self.lines)


def effective_status_sql(now: datetime):
    """`Order.effective_status(now)` as a SQL expression, for filters and counts."""
    return case(
        (and_(Order.status == OrderStatus.pending_payment, Order.pay_deadline <= now),
         OrderStatus.cancelled),
        (and_(Order.status == OrderStatus.shipped, Order.receive_deadline <= now),
         OrderStatus.completed),
        else_=Order.status,
    )


class OrderLine(db.Model):
    """A product in an order, with the unit price actually charged (a flash-sale price when
    one applied) beside the list price, and the commission rate applied to it."""

    __tablename__ = "order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "product_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price_fen >= 0 AND list_price_fen >= 0", name="prices_not_negative"),
        CheckConstraint("line_total_fen = unit_price_fen * quantity", name="total_adds_up"),
        CheckConstraint("commission_rate_bp >= 0 AND commission_rate_bp <= 10000",
                        name="rate_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    title: Mapped[str] = mapped_column(String(60))
    image_key: Mapped[str | None] = mapped_column(String(64))
    list_price_fen: Mapped[int]
    unit_price_fen: Mapped[int]
    price_source: Mapped[str] = mapped_column(String(20), default="list")
    quantity: Mapped[int]
    line_total_fen: Mapped[int]
    commission_rate_bp: Mapped[int] = mapped_column(default=0)
    commission_fen: Mapped[int] = mapped_column(default=0)

    order: Mapped[Order] = relationship(back_populates="lines")


class OrderDiscount(db.Model):
    """A discount applied to an order: at most one shop coupon and one platform coupon
    (the unique constraint says so); `funded_by` decides whose income it reduces."""

    __tablename__ = "order_discounts"
    __table_args__ = (
        UniqueConstraint("order_id", "kind"),
        CheckConstraint("kind IN ('shop_coupon','platform_coupon')", name="kind_known"),
        CheckConstraint("funded_by IN ('shop','platform')", name="funded_by_known"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    funded_by: Mapped[str] = mapped_column(String(10))
    label: Mapped[str] = mapped_column(String(60))
    amount_fen: Mapped[int]
    reference_id: Mapped[int | None]  # the coupon (campaigns domain), when there is one


class OrderEvent(db.Model):
    """The order's timeline: each status change, who made it and a note (carrier, reason)."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Payment(db.Model):
    """Money movements reported by a payment provider. (provider, kind, reference) is unique,
    so a provider's notification delivered twice is recorded once."""

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("provider", "kind", "reference"),
        CheckConstraint("kind IN ('charge','refund')", name="kind_known"),
        CheckConstraint("amount_fen >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    provider: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(10))
    reference: Mapped[str] = mapped_column(String(64))
    amount_fen: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Review(db.Model):
    """DSR 店铺动态评分: one review per completed order, 1–5 on three dimensions."""

    __tablename__ = "reviews"
    __table_args__ = (
        CheckConstraint("description BETWEEN 1 AND 5", name="description_range"),
        CheckConstraint("service BETWEEN 1 AND 5", name="service_range"),
        CheckConstraint("logistics BETWEEN 1 AND 5", name="logistics_range"),
        Index("ix_reviews_merchant_created", "merchant_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    description: Mapped[int]  # 描述相符
    service: Mapped[int]      # 服务态度
    logistics: Mapped[int]    # 物流服务
    text: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship(back_populates="review")
    buyer = relationship("User")


class CommissionRate(db.Model):
    """Base commission per category, in basis points (500 = 5%). Operators edit the table."""

    __tablename__ = "commission_rates"
    __table_args__ = (CheckConstraint("rate_bp BETWEEN 0 AND 10000", name="rate_in_range"),)

    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), primary_key=True)
    rate_bp: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    category = relationship("Category")


class CommissionTier(db.Model):
    """佣金减免: a reduction for source-goods (certified) shops whose 180-day DSR clears every
    threshold (hundredths: 480 = 4.80) with at least `min_reviews` reviews."""

    __tablename__ = "commission_tiers"
    __table_args__ = (
        CheckConstraint("min_description BETWEEN 100 AND 500 AND min_service BETWEEN 100 AND 500"
                        " AND min_logistics BETWEEN 100 AND 500", name="thresholds_in_range"),
        CheckConstraint("min_reviews >= 0", name="min_reviews_not_negative"),
        CheckConstraint("reduction_bp BETWEEN 1 AND 10000", name="reduction_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    min_description: Mapped[int]
    min_service: Mapped[int]
    min_logistics: Mapped[int]
    min_reviews: Mapped[int] = mapped_column(default=0)
    reduction_bp: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
