"""Shops (merchants), the belt certification workflow, quality certificates and view counts."""
from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import ClassVar

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.catalog.reference import SOURCE_TYPE_CHECK
from app.db import UTCDateTime, utcnow
from app.extensions import db


class ShopState:
    """Whether a shop is open, for the entity and for its plain copies (`ShopCopy`)."""

    status: str
    suspended_until: datetime | None

    def is_suspended(self, now: datetime) -> bool:
        return self.suspended_until is not None and self.suspended_until > now

    def is_open(self, now: datetime) -> bool:
        """Taking orders and listed: active and not under a suspension in force."""
        return self.status == "active" and not self.is_suspended(now)


class ShopCopy(ShopState, SimpleNamespace):
    """A shop's columns as a plain object (pages: app.merchants.views), with the entity's
    attribute names and rules."""


class Merchant(ShopState, db.Model):
    """A shop (店铺), owned by one user, optionally in a belt."""

    __tablename__ = "merchants"
    __table_args__ = (
        CheckConstraint(SOURCE_TYPE_CHECK, name="source_type_known"),
        CheckConstraint("status IN ('active','suspended')", name="status_known"),
        Index("ix_merchants_belt_rank", "belt_id", "certified", "sales_count"),
    )

    # What other domains' plain copies of a shop are made as (app.catalog.views, which
    # reaches the shop through Product.merchant without importing this domain).
    plain_kind: ClassVar[type] = ShopCopy

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    source_type: Mapped[str] = mapped_column(String(20))
    industry_id: Mapped[int] = mapped_column(ForeignKey("industries.id"), index=True)
    belt_id: Mapped[int | None] = mapped_column(ForeignKey("belts.id"))
    hotline: Mapped[str] = mapped_column(String(30), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    intro: Mapped[str] = mapped_column(Text, default="")
    logo_key: Mapped[str | None] = mapped_column(String(64))
    # 官方认证: set and cleared only by the certification workflow.
    certified: Mapped[bool] = mapped_column(default=False)
    certified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12), default="active")
    # 暂停营业: set by a belt base (app.governance); the shop is closed while now < this.
    # Time-correct without a timer: reads compare with clock.now() (see is_open).
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sales_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner = relationship("User")
    industry = relationship("Industry")
    belt = relationship("Belt")
    products = relationship("Product", back_populates="merchant", lazy="dynamic")


class Certificate(db.Model):
    """质检证书: a per-item quality certificate, publicly verifiable by its number.

    A number is registered once, ever: revoking a certificate does not free its number."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    lab: Mapped[str] = mapped_column(String(80))
    findings: Mapped[str] = mapped_column(Text, default="")
    scan_key: Mapped[str | None] = mapped_column(String(64))
    scan_width: Mapped[int | None]
    scan_height: Mapped[int | None]
    issued_on: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoke_reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    product = relationship("Product")
    merchant = relationship("Merchant")


class CertificationStatus:
    pending = "pending"      # waiting for the belt base's decision
    approved = "approved"    # in force: the shop carries 官方认证
    rejected = "rejected"    # refused, with a reason; the merchant may apply again
    revoked = "revoked"      # was approved, later withdrawn with a reason


class CertificationApplication(db.Model):
    """A merchant's application to its belt's base for 官方认证, and what became of it.

    At most one application per shop is open (pending, or approved and in force): a partial
    unique index says so, so two submissions racing cannot both get in."""

    __tablename__ = "certification_applications"
    __table_args__ = (
        CheckConstraint("status IN ('pending','approved','rejected','revoked')",
                        name="status_known"),
        Index("uq_certification_open_per_merchant", "merchant_id", unique=True,
              sqlite_where=text("status IN ('pending','approved')"),
              postgresql_where=text("status IN ('pending','approved')")),
        Index("ix_certification_queue", "belt_id", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    belt_id: Mapped[int] = mapped_column(ForeignKey("belts.id"))
    status: Mapped[str] = mapped_column(String(12), default=CertificationStatus.pending)
    statement: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str] = mapped_column(String(200), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoke_reason: Mapped[str] = mapped_column(String(200), default="")

    merchant: Mapped[Merchant] = relationship()
    belt = relationship("Belt")
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    revoked_by = relationship("User", foreign_keys=[revoked_by_id])
    documents: Mapped[list[CertificationDocument]] = relationship(
        back_populates="application", order_by="CertificationDocument.position",
        cascade="all, delete-orphan")

    @property
    def licence(self) -> CertificationDocument | None:
        return next((d for d in self.documents if d.kind == "licence"), None)

    @property
    def workshop_photos(self) -> list[CertificationDocument]:
        return [d for d in self.documents if d.kind == "workshop"]


class CertificationDocument(db.Model):
    """A photo supporting an application: the business licence (营业执照) or the workshop/stall."""

    __tablename__ = "certification_documents"
    __table_args__ = (CheckConstraint("kind IN ('licence','workshop')", name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("certification_applications.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    position: Mapped[int] = mapped_column(default=0)
    image_key: Mapped[str] = mapped_column(String(64))
    width: Mapped[int]
    height: Mapped[int]

    application: Mapped[CertificationApplication] = relationship(back_populates="documents")


class ProductViewCount(db.Model):
    """Product-page views per product and hour, written in batches (see merchants.stats)."""

    __tablename__ = "product_view_counts"
    __table_args__ = (Index("ix_product_views_merchant_hour", "merchant_id", "hour"),)

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True)
    hour: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    views: Mapped[int] = mapped_column(default=0)


class BeltFeaturedShop(db.Model):
    """A shop the belt base features on its belt page (chosen among the belt's certified
    shops, in the base's order)."""

    __tablename__ = "belt_featured_shops"

    belt_id: Mapped[int] = mapped_column(ForeignKey("belts.id", ondelete="CASCADE"),
                                         primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id", ondelete="CASCADE"),
                                             primary_key=True)
    position: Mapped[int] = mapped_column(default=0)
