"""闪电购 lightning listing: one photo, a title, a price and a stock, and the goods are on sale
(and, when the shop is live, in the room's 小黄车 and pinned) in one request.

The photo is handled in two steps so nothing typed is ever lost: `stage_photo` checks and
stores it (by content: EXIF orientation fixed, metadata stripped, WebP sizes — app.media) and
returns a signed token for it; `list_lightning` lists the goods with that token. When another
field is wrong, the form comes back with the token in a hidden field, so the anchor fixes the
price without taking the photo again."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from app import clock
from app.accounts.models import User
from app.catalog import listing
from app.catalog.listing import ProductDraft
from app.catalog.models import Product, ProductPhoto
from app.exceptions import InvalidInput
from app.extensions import db
from app.live import console, ingest, services
from app.live.models import LiveRoom, RoomStatus
from app.media import ImageRejected, StoredImage, store_image
from app.merchants.models import Merchant

PHOTO_TOKEN_MAX_AGE = 24 * 3600
RESUBMIT_WINDOW = timedelta(minutes=2)


class PhotoTooLarge(InvalidInput):
    status = 413


@dataclass
class StagedPhoto:
    token: str
    image: StoredImage


@dataclass
class LightningResult:
    product: Product
    room: LiveRoom | None
    added: bool   # put into the live room's 小黄车
    pinned: bool  # and pinned (讲解中)
    duplicate: bool = False  # a resubmission: this is the listing made moments ago


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="live.lightning-photo")


def photo_error(error: ImageRejected) -> InvalidInput:
    mb = current_app.config["MAX_IMAGE_BYTES"] // (1024 * 1024)
    message = listing.image_error_message(error, max_mb=mb)
    if error.reason == ImageRejected.EMPTY:
        message = _("请拍一张商品照片。")
    cls = PhotoTooLarge if error.reason == ImageRejected.TOO_LARGE else InvalidInput
    return cls(message, field="photo")


def stage_photo(actor: User | None, data: bytes) -> StagedPhoto:
    """Check and store one photo for a lightning listing; the token names it for 24 hours."""
    services.own_shop(actor)
    # End the read transaction first: decoding and encoding take a while and must not hold
    # a database lock (SQLite writers queue behind BEGIN IMMEDIATE).
    db.session.commit()
    try:
        stored = store_image(data)
    except ImageRejected as error:
        raise photo_error(error) from None
    token = _serializer().dumps([stored.key, stored.width, stored.height])
    return StagedPhoto(token, stored)


def staged_photo(token: str | None) -> StoredImage | None:
    """The photo a token names, if the token is ours, fresh, and the files still exist."""
    if not token or len(token) > 300:
        return None
    try:
        key, width, height = _serializer().loads(token, max_age=PHOTO_TOKEN_MAX_AGE)
    except (BadSignature, ValueError, TypeError):
        return None
    from app.media import IMAGE_WIDTHS, image_path

    if not image_path(key, IMAGE_WIDTHS[-1]).exists():
        return None
    return StoredImage(key=key, width=width, height=height)


def _recent_twin(shop: Merchant, draft: ProductDraft, photo: StoredImage) -> Product | None:
    """The same listing made moments ago (a double tap, a resent form), if any."""
    return db.session.scalar(
        select(Product).join(ProductPhoto, ProductPhoto.product_id == Product.id)
        .where(Product.merchant_id == shop.id, Product.is_lightning.is_(True),
               Product.title == draft.title, Product.price_fen == draft.price_fen,
               Product.stock == draft.stock, ProductPhoto.image_key == photo.key,
               Product.created_at >= clock.now() - RESUBMIT_WINDOW)
        .order_by(Product.id.desc()).limit(1))


def list_lightning(actor: User | None, draft: ProductDraft, photo_token: str | None, *,
                   pin: bool = False) -> LightningResult:
    """List the goods (tagged 闪电购) and, when the shop's room is live, add them to the end of
    its 小黄车 and pin them if asked — all in one transaction.

    The same listing sent twice within RESUBMIT_WINDOW (a double tap on a slow network)
    returns the first one: the shop's row is locked while checking, so even two parallel
    requests make one product."""
    shop: Merchant = services.own_shop(actor)
    photo = staged_photo(photo_token)
    if photo is None:
        raise InvalidInput(_("请拍一张商品照片。"), field="photo")
    draft = listing.check_draft(draft, shop)
    db.session.scalar(select(Merchant.id).where(Merchant.id == shop.id).with_for_update())
    twin = _recent_twin(shop, draft, photo)
    if twin is not None:
        db.session.commit()
        room = services.room_of_shop(shop.id)
        return LightningResult(twin, room, None, False, duplicate=True)
    product = listing.create_product(actor, shop, draft, lightning=True, commit=False)
    product.photos = [ProductPhoto(position=0, image_key=photo.key, width=photo.width,
                                   height=photo.height)]
    db.session.flush()
    room = services.room_of_shop(shop.id)
    pinned = False
    added = False
    if room is not None:
        room = console.lock_room(room.id)
        if room.status == RoomStatus.live:
            console.append_to_cart(room, product.id)
            added = True
            if pin:
                room.pinned_product_id = product.id
                ingest.note_pin(room, product.id)
                pinned = True
            console.mark_changed(room)
    db.session.commit()
    return LightningResult(product, room, added, pinned)
