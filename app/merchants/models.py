"""Shops (merchants) and quality certificates."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.catalog.reference import SOURCE_TYPE_CHECK
from app.db import UTCDateTime, utcnow
from app.extensions import db


class Merchant(db.Model):
    """A shop (店铺), owned by one user, optionally in a belt."""

    __tablename__ = "merchants"
    __table_args__ = (
        CheckConstraint(SOURCE_TYPE_CHECK, name="source_type_known"),
        CheckConstraint("status IN ('active','suspended')", name="status_known"),
        Index("ix_merchants_belt_rank", "belt_id", "certified", "sales_count"),
    )

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
    sales_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner = relationship("User")
    industry = relationship("Industry")
    belt = relationship("Belt")
    products = relationship("Product", back_populates="merchant", lazy="dynamic")


class Certificate(db.Model):
    """质检证书: a per-item quality certificate, publicly verifiable by its number."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    lab: Mapped[str] = mapped_column(String(80))
    findings: Mapped[str] = mapped_column(Text, default="")
    scan_key: Mapped[str | None] = mapped_column(String(64))
    issued_on: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoke_reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    product = relationship("Product")
    merchant = relationship("Merchant")
