"""Industries, belts, categories, products and their photos."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.catalog.reference import SOURCE_TYPE_CHECK
from app.db import UTCDateTime, utcnow
from app.extensions import db


class ProductStatus:
    active = "active"        # on sale
    off_shelf = "off_shelf"  # the merchant took it down
    delisted = "delisted"    # the platform or belt base took it down


class Industry(db.Model):
    __tablename__ = "industries"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    # English names shown on English pages (app.catalog.names); empty: the Chinese one.
    name_en: Mapped[str] = mapped_column(String(40), default="", server_default="")
    portal_name: Mapped[str] = mapped_column(String(40))
    portal_name_en: Mapped[str] = mapped_column(String(60), default="", server_default="")
    position: Mapped[int] = mapped_column(default=0)

    belts: Mapped[list[Belt]] = relationship(back_populates="industry", order_by="Belt.id")


class Belt(db.Model):
    """产业带: a cluster region of one industry, run with the platform through a base (基地)."""

    __tablename__ = "belts"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(80), default="")
    province: Mapped[str] = mapped_column(String(20))
    city: Mapped[str] = mapped_column(String(20))
    industry_id: Mapped[int] = mapped_column(ForeignKey("industries.id"), index=True)
    base_name: Mapped[str] = mapped_column(String(80))
    address: Mapped[str] = mapped_column(String(200), default="")
    hotline: Mapped[str] = mapped_column(String(30), default="")
    intro: Mapped[str] = mapped_column(Text, default="")
    # The belt page's banner photo (app.media key), set by the base's admins.
    banner_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # A belt is named with its industry in English ("Zhenping, Henan (jade)"): load them together.
    industry: Mapped[Industry] = relationship(back_populates="belts", lazy="joined")


class Category(db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    industry_id: Mapped[int] = mapped_column(ForeignKey("industries.id"), index=True)
    venue_group: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(default=0)

    industry: Mapped[Industry] = relationship()


class Product(db.Model):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("price_fen > 0", name="price_positive"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("sales_count >= 0", name="sales_not_negative"),
        CheckConstraint(SOURCE_TYPE_CHECK, name="source_type_known"),
        CheckConstraint("status IN ('active','off_shelf','delisted')", name="status_known"),
        # Listing pages: a belt's / an industry's goods, certified shops first, then best sellers.
        Index("ix_products_belt_listing", "belt_id", "status", "merchant_certified", "sales_count"),
        Index("ix_products_industry_listing", "industry_id", "status", "merchant_certified",
              "sales_count"),
        Index("ix_products_status_created", "status", "created_at"),
        Index("ix_products_listing", "status", "merchant_certified", "sales_count"),
        # A shop's goods in the same order (its page, a product page's 本店更多好货).
        Index("ix_products_shop_listing", "merchant_id", "status", "merchant_certified",
              "sales_count"),
        # A belt's / an industry's goods sorted by price (either way) or by sales, and a belt's
        # goods of one source type: read in order instead of sorting thousands of rows
        # (/portals/jade?sort=price took 123 ms at 100,000 goods; migration 0021).
        Index("ix_products_belt_price", "belt_id", "status", "price_fen", "id"),
        Index("ix_products_belt_sales", "belt_id", "status", "sales_count", "id"),
        Index("ix_products_industry_price", "industry_id", "status", "price_fen", "id"),
        Index("ix_products_industry_sales", "industry_id", "status", "sales_count", "id"),
        Index("ix_products_belt_source", "belt_id", "status", "source_type",
              "merchant_certified", "sales_count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    # Copied from the merchant when listed, so listings filter without a join.
    industry_id: Mapped[int] = mapped_column(ForeignKey("industries.id"))
    belt_id: Mapped[int | None] = mapped_column(ForeignKey("belts.id"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    title: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(Text, default="")
    price_fen: Mapped[int]
    stock: Mapped[int] = mapped_column(default=0)
    source_type: Mapped[str] = mapped_column(String(20))
    is_lightning: Mapped[bool] = mapped_column(default=False)  # 闪电购 listing
    status: Mapped[str] = mapped_column(String(12), default=ProductStatus.active)
    sales_count: Mapped[int] = mapped_column(default=0)
    # Copied from the shop (catalog.listing.sync_shop_certification keeps it in step) so
    # certified-first listings walk an index instead of sorting a whole industry.
    merchant_certified: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    # Copied from the shop's suspended_until (catalog.sync keeps it in step), so the listable
    # rule stays on the product row: listed while NULL or in the past.
    merchant_suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Copied from the shop (app.merchants.sync): its status is "active" (the listing rule), and
    # its name (the product cards), so listings read the product row alone.
    merchant_active: Mapped[bool] = mapped_column(default=True, server_default=sa_true())
    merchant_name: Mapped[str] = mapped_column(String(40), default="", server_default="")
    # Another domain attached a certificate, video, flash sale or live room (catalog.extras).
    has_extras: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    # CJK unigrams/bigrams and ASCII words of title + description (app.catalog.search).
    search_tokens: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    merchant: Mapped[Merchant] = relationship(back_populates="products")  # noqa: F821 (merchants domain)
    industry: Mapped[Industry] = relationship()
    belt: Mapped[Belt | None] = relationship()
    category: Mapped[Category | None] = relationship()
    photos: Mapped[list[ProductPhoto]] = relationship(
        back_populates="product", order_by="ProductPhoto.position", cascade="all, delete-orphan"
    )

    @property
    def cover(self) -> ProductPhoto | None:
        return self.photos[0] if self.photos else None


class ProductPhoto(db.Model):
    __tablename__ = "product_photos"
    __table_args__ = (UniqueConstraint("product_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    # Content hash naming the stored WebP sizes under MEDIA_ROOT (see app.media).
    image_key: Mapped[str] = mapped_column(String(64))
    width: Mapped[int]
    height: Mapped[int]

    product: Mapped[Product] = relationship(back_populates="photos")


# Indexes that exist only on PostgreSQL (created by migrations with raw SQL: trigram and token
# GIN indexes). Autogenerate and the schema test ignore them.
POSTGRES_ONLY_INDEXES = {"ix_products_title_trgm", "ix_products_search_words"}
# Columns that exist only on PostgreSQL, kept by the database itself (stored generated
# columns), never written or loaded by the app: products.search_words is search_tokens as a
# text[] (migration 0018), which app.catalog.matching searches through its GIN index.
POSTGRES_ONLY_COLUMNS = {("products", "search_words")}
