"""Putting goods on sale and keeping their stock: the rules every way of listing shares
(the standard form, 闪电购 lightning listing, the anchor console, checkout)."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from flask_babel import gettext as _
from sqlalchemy import Integer, Update, bindparam, func, or_, select, update

from app import clock
from app.accounts.services import require_signed_in
from app.catalog.models import Category, Product, ProductPhoto, ProductStatus
from app.db import Bound
from app.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from app.extensions import db
from app.inputs import clean_text
from app.media import ImageRejected, StoredImage, store_image


class Actor(Protocol):
    """Who acts (app.accounts' User): the catalog needs only these."""

    id: int
    is_authenticated: bool
    is_operator: bool


class Shop(Protocol):
    """The shop goods are listed for (app.merchants' Merchant): the catalog needs only these."""

    id: int
    owner_id: int
    industry_id: int
    belt_id: int | None
    source_type: str

    def is_open(self, now: datetime) -> bool: ...


MAX_TITLE = 60
MAX_DESCRIPTION = 2000
MAX_STOCK = 1_000_000
MAX_PHOTOS = 9


@dataclass
class ProductDraft:
    title: str
    price_fen: int
    stock: int
    description: str = ""
    category_id: int | None = None


def image_error_message(error: ImageRejected, max_mb: int = 15) -> str:
    return {
        ImageRejected.NOT_IMAGE: _("这不是能识别的图片，请上传 JPEG、PNG 或 WebP 照片。"),
        ImageRejected.TOO_LARGE: _("图片超过 %(mb)d MB，请换一张小一点的。", mb=max_mb),
        ImageRejected.TOO_MANY_PIXELS: _("图片像素过大，无法处理。"),
        ImageRejected.EMPTY: _("请选择一张照片。"),
    }.get(error.reason, _("图片无法处理。"))


def require_shop_owner(actor: Actor | None, merchant: Shop) -> None:
    """A merchant acts only on its own shop (operators too may act, for support)."""
    actor = require_signed_in(actor)
    if merchant.owner_id != actor.id and not actor.is_operator:
        raise PermissionDenied(_("这不是你的店铺。"))


def check_draft(draft: ProductDraft, merchant: Shop) -> ProductDraft:
    """Clean and check the fields; raises InvalidInput naming the field."""
    title = clean_text(draft.title, max_len=MAX_TITLE)
    if not title:
        raise InvalidInput(_("请填写商品标题。"), field="title")
    if len(title) > MAX_TITLE:
        raise InvalidInput(_("标题不能超过 %(n)d 个字。", n=MAX_TITLE), field="title")
    description = clean_text(draft.description, max_len=MAX_DESCRIPTION, keep_newlines=True)
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(_("详情不能超过 %(n)d 个字。", n=MAX_DESCRIPTION), field="description")
    if not isinstance(draft.price_fen, int) or draft.price_fen <= 0:
        raise InvalidInput(_("价格必须大于 0。"), field="price")
    if not isinstance(draft.stock, int) or not 0 <= draft.stock <= MAX_STOCK:
        raise InvalidInput(_("库存需为 0–%(max)d 的整数。", max=MAX_STOCK), field="stock")
    if draft.category_id is not None:
        category = db.session.get(Category, draft.category_id)
        if category is None:
            raise InvalidInput(_("未知的类目。"), field="category")
    return ProductDraft(title=title, price_fen=draft.price_fen, stock=draft.stock,
                        description=description, category_id=draft.category_id)


def store_photos(files: list[bytes]) -> list[StoredImage]:
    """Store every photo first, so a bad one refuses the whole listing before any row exists."""
    if len(files) > MAX_PHOTOS:
        raise InvalidInput(_("最多上传 %(n)d 张照片。", n=MAX_PHOTOS), field="photos")
    stored = []
    for data in files:
        try:
            stored.append(store_image(data))
        except ImageRejected as error:
            raise InvalidInput(image_error_message(error), field="photos") from None
    return stored


def create_product(actor: Actor | None, merchant: Shop, draft: ProductDraft,
                   photos: list[bytes] | None = None, *, lightning: bool = False,
                   commit: bool = True) -> Product:
    """List goods for a shop. Source type, industry and belt come from the shop."""
    require_shop_owner(actor, merchant)
    if not merchant.is_open(clock.now()):
        raise Conflict(_("店铺暂停营业期间不能上架商品。"))
    draft = check_draft(draft, merchant)
    stored = store_photos(photos or [])
    product = Product(
        merchant_id=merchant.id, industry_id=merchant.industry_id, belt_id=merchant.belt_id,
        category_id=draft.category_id, title=draft.title, description=draft.description,
        price_fen=draft.price_fen, stock=draft.stock, source_type=merchant.source_type,
        is_lightning=lightning, status=ProductStatus.active,
    )
    product.photos = [ProductPhoto(position=i, image_key=s.key, width=s.width, height=s.height)
                      for i, s in enumerate(stored)]
    db.session.add(product)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return product


def get_owned_product(actor: Actor | None, product_id: int) -> Product:
    product = db.session.get(Product, product_id)
    if product is None:
        raise NotFound(_("商品不存在。"))
    require_shop_owner(actor, product.merchant)
    return product


def update_product(actor: Actor | None, product_id: int, draft: ProductDraft,
                   new_photos: list[bytes] | None = None) -> Product:
    product = get_owned_product(actor, product_id)
    if product.status == ProductStatus.delisted:
        raise Conflict(_("商品已被平台下架，不能修改。"))
    draft = check_draft(draft, product.merchant)
    stored = store_photos(new_photos or [])
    if len(product.photos) + len(stored) > MAX_PHOTOS:
        raise InvalidInput(_("最多上传 %(n)d 张照片。", n=MAX_PHOTOS), field="photos")
    product.title, product.description = draft.title, draft.description
    product.price_fen, product.category_id = draft.price_fen, draft.category_id
    product.stock = draft.stock
    start = len(product.photos)
    for offset, image in enumerate(stored):
        product.photos.append(ProductPhoto(position=start + offset, image_key=image.key,
                                           width=image.width, height=image.height))
    db.session.commit()
    return product


def set_price(actor: Actor | None, product_id: int, price_fen: int) -> Product:
    product = get_owned_product(actor, product_id)
    if not isinstance(price_fen, int) or price_fen <= 0:
        raise InvalidInput(_("价格必须大于 0。"), field="price")
    product.price_fen = price_fen
    db.session.commit()
    return product


def set_stock(actor: Actor | None, product_id: int, stock: int) -> Product:
    """The merchant counts what is on the shelf and types the number in."""
    product = get_owned_product(actor, product_id)
    if not isinstance(stock, int) or not 0 <= stock <= MAX_STOCK:
        raise InvalidInput(_("库存需为 0–%(max)d 的整数。", max=MAX_STOCK), field="stock")
    db.session.execute(update(Product).where(Product.id == product.id)
                       .values(stock=stock, updated_at=clock.now()))
    db.session.commit()
    db.session.refresh(product)
    return product


def adjust_stock(actor: Actor | None, product_id: int, delta: int) -> Product:
    """Add or remove units (+5 / -3) without losing concurrent sales: one conditional UPDATE,
    so the stock never goes below zero however many edits and orders race."""
    product = get_owned_product(actor, product_id)
    if not isinstance(delta, int) or abs(delta) > MAX_STOCK:
        raise InvalidInput(_("库存调整数量无效。"), field="stock")
    result = db.session.execute(
        update(Product)
        .where(Product.id == product.id, Product.stock + delta >= 0,
               Product.stock + delta <= MAX_STOCK)
        .values(stock=Product.stock + delta, updated_at=clock.now())
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict(_("库存不足，不能减少这么多。"), field="stock")
    db.session.commit()
    db.session.refresh(product)
    return product


def set_on_shelf(actor: Actor | None, product_id: int, on_shelf: bool) -> Product:
    product = get_owned_product(actor, product_id)
    if product.status == ProductStatus.delisted:
        raise Conflict(_("商品已被平台下架，不能自行上架。"))
    product.status = ProductStatus.active if on_shelf else ProductStatus.off_shelf
    db.session.commit()
    return product


def take_stock(product_id: int, quantity: int) -> bool:
    """Take units for an order in the caller's transaction. True when they were there.

    `UPDATE … SET stock = stock - n WHERE id = :id AND stock >= n AND status = 'active'`:
    the row count decides, so parallel buyers can never oversell."""
    step = take_stock_update(product_id, quantity)
    return db.session.execute(step.statement, step.params).rowcount == 1


def take_stock_update(product_id: int, quantity: int) -> Bound:
    """take_stock's conditional UPDATE, for a caller that runs it itself (checkout sends it
    with the commit: `app.db.commit_hot`); it must change exactly one row."""
    if quantity <= 0:
        raise InvalidInput(_("购买数量必须大于 0。"), field="quantity")
    return Bound(_take_stock_statement(), {"take_product_id": product_id,
                                           "take_quantity": quantity, "take_now": clock.now()})


@functools.cache
def _take_stock_statement() -> Update:
    """take_stock_update's statement, built once (every order line runs it)."""
    quantity = bindparam("take_quantity", type_=Integer)
    return (update(Product)
            .where(Product.id == bindparam("take_product_id", type_=Integer),
                   Product.stock >= quantity,
                   Product.status == ProductStatus.active,
                   or_(Product.merchant_suspended_until.is_(None),
                       Product.merchant_suspended_until <= bindparam(
                           "take_now", type_=Product.merchant_suspended_until.type)))
            .values(stock=Product.stock - quantity, sales_count=Product.sales_count + quantity)
            .execution_options(synchronize_session=False))


def give_back_stock(product_id: int, quantity: int) -> None:
    """Return units of a cancelled or expired order, in the caller's transaction."""
    db.session.execute(give_back_stock_update(product_id, quantity))


def give_back_stock_update(product_id: int, quantity: int) -> Update:
    return (update(Product).where(Product.id == product_id)
            .values(stock=Product.stock + quantity,
                    sales_count=func.max(Product.sales_count - quantity, 0)
                    if db.engine.dialect.name == "sqlite"
                    else func.greatest(Product.sales_count - quantity, 0))
            .execution_options(synchronize_session=False))


def shop_products(merchant_id: int, *, include_hidden: bool = True, limit: int = 200) -> list[Product]:
    query = select(Product).where(Product.merchant_id == merchant_id)
    if not include_hidden:
        query = query.where(Product.status == ProductStatus.active)
    return list(db.session.scalars(query.order_by(Product.created_at.desc(), Product.id.desc())
                                   .limit(limit)))
