"""The anchor's console (主播控制台): go live and end, pin, reorder the 小黄车, stock and price.

Every change to a room takes the room's row lock first (`SELECT … FOR UPDATE` on PostgreSQL;
SQLite's writers are already serialised by BEGIN IMMEDIATE), so two edits of the same room's
order or pin never interleave, and bumps the room's `version` (part of the buyers' ETag).
Stock and price go through app.catalog.listing, whose conditional UPDATEs keep stock from
going negative whoever races. Only the room's owner acts (services.require_room_owner)."""
from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app import clock
from app.accounts.models import User
from app.catalog import listing
from app.catalog.models import Product, ProductStatus
from app.exceptions import Conflict, InvalidInput, NotFound
from app.extensions import db
from app.inputs import clean_text, has_controls
from app.live.models import LiveRoom, LiveRoomItem, RoomStatus
from app.live.services import get_room, own_shop, require_room_owner, room_goods

MAX_TITLE = 40
MAX_STREAM_URL = 500
MAX_ROOM_GOODS = 200


def lock_room(room_id: int) -> LiveRoom:
    room = db.session.scalar(
        select(LiveRoom).where(LiveRoom.id == room_id).with_for_update()
        .execution_options(populate_existing=True))
    if room is None:
        raise NotFound(_("直播间不存在。"))
    return room


def _owned_room(actor: User | None, room_id: int) -> LiveRoom:
    room = lock_room(room_id)
    require_room_owner(actor, room)
    return room


def mark_changed(room: LiveRoom) -> None:
    """Bump the version the buyers' ETag includes (the row is locked by the caller)."""
    db.session.execute(update(LiveRoom).where(LiveRoom.id == room.id)
                       .values(version=LiveRoom.version + 1, updated_at=clock.now()))


def check_stream_url(raw: str | None) -> str:
    """An http(s) URL or empty. Anything else (javascript:, data:, relative) is refused."""
    url = (raw or "").strip()
    if not url:
        return ""
    if len(url) > MAX_STREAM_URL:
        raise InvalidInput(_("直播流地址不能超过 %(n)d 个字符。", n=MAX_STREAM_URL),
                           field="stream_url")
    parts = urlsplit(url)
    if (parts.scheme.lower() not in ("http", "https") or not parts.hostname
            or has_controls(url) or any(c.isspace() for c in url) or parts.username):
        raise InvalidInput(_("直播流地址需以 http:// 或 https:// 开头，例如 "
                             "https://live.example.cn/room.m3u8。"), field="stream_url")
    return url


def _check_title(raw: str) -> str:
    title = clean_text(raw, max_len=MAX_TITLE)
    if not title:
        raise InvalidInput(_("请填写直播间标题。"), field="title")
    if len(title) > MAX_TITLE:
        raise InvalidInput(_("标题不能超过 %(n)d 个字。", n=MAX_TITLE), field="title")
    return title


def _check_start(start: datetime | None, previous: datetime | None = None) -> datetime | None:
    if start is None or start == previous:
        return start
    now = clock.now()
    if start < now - timedelta(minutes=5):
        raise InvalidInput(_("开播时间不能早于现在。"), field="scheduled_start")
    if start > now + timedelta(days=366):
        raise InvalidInput(_("开播时间需在一年以内。"), field="scheduled_start")
    return start


def open_room(actor: User | None, title: str, scheduled_start: datetime | None = None,
              stream_url: str = "") -> LiveRoom:
    """开通直播间: one room per shop (a unique constraint says so, whoever races)."""
    shop = own_shop(actor)
    room = LiveRoom(merchant_id=shop.id, title=_check_title(title),
                    scheduled_start=_check_start(scheduled_start),
                    stream_url=check_stream_url(stream_url), status=RoomStatus.scheduled)
    db.session.add(room)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(_("你的店铺已经开通了直播间。")) from None
    return room


def update_room(actor: User | None, room_id: int, title: str,
                scheduled_start: datetime | None, stream_url: str) -> LiveRoom:
    """Title, next start and stream URL. An ended room given a new start becomes 预告 again."""
    room = _owned_room(actor, room_id)
    room.title = _check_title(title)
    room.scheduled_start = _check_start(scheduled_start, room.scheduled_start)
    room.stream_url = check_stream_url(stream_url)
    if (room.status == RoomStatus.ended and room.scheduled_start is not None
            and room.scheduled_start > clock.now()):
        room.status = RoomStatus.scheduled
    mark_changed(room)
    db.session.commit()
    return room


def go_live(actor: User | None, room_id: int) -> LiveRoom:
    """开播. One conditional UPDATE: a second tap (or a second phone) gets a clear 409."""
    room = _owned_room(actor, room_id)
    if not room.merchant.is_open(clock.now()):
        raise Conflict(_("店铺暂停营业期间不能开播。"))
    now = clock.now()
    result = db.session.execute(
        update(LiveRoom).where(LiveRoom.id == room.id, LiveRoom.status != RoomStatus.live)
        .values(status=RoomStatus.live, started_at=now, ended_at=None,
                version=LiveRoom.version + 1, updated_at=now))
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict(_("直播间已经在直播中。"))
    db.session.commit()
    db.session.refresh(room)
    return room


def end_live(actor: User | None, room_id: int) -> LiveRoom:
    """下播: the pin is cleared (讲解中 means now); the goods stay for the next show. While a
    push through the ingest is alive the room follows it instead (stop the push)."""
    from app.live import ingest

    room = _owned_room(actor, room_id)
    ingest.refuse_manual_end(room)
    now = clock.now()
    ingest.end_for_anchor(room, now)
    result = db.session.execute(
        update(LiveRoom).where(LiveRoom.id == room.id, LiveRoom.status == RoomStatus.live)
        .values(status=RoomStatus.ended, ended_at=now, pinned_product_id=None,
                version=LiveRoom.version + 1, updated_at=now))
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict(_("直播间没有在直播。"))
    db.session.commit()
    db.session.refresh(room)
    return room


def _room_item(room: LiveRoom, product_id: int) -> LiveRoomItem:
    item = db.session.get(LiveRoomItem, (room.id, product_id))
    if item is None:
        raise NotFound(_("这件商品不在小黄车里。"), field="product")
    return item


def pin(actor: User | None, room_id: int, product_id: int) -> LiveRoom:
    """讲解中: put one of the room's goods on top of every buyer's screen."""
    room = _owned_room(actor, room_id)
    if room.status == RoomStatus.ended:
        raise Conflict(_("直播已结束，开播后再讲解商品。"))
    item = _room_item(room, product_id)
    if item.product.status != ProductStatus.active:
        raise Conflict(_("商品已下架，不能讲解。"), field="product")
    room.pinned_product_id = product_id
    from app.live import ingest

    ingest.note_pin(room, product_id)  # a marker on the replay: "jump to when explained"
    mark_changed(room)
    db.session.commit()
    return room


def unpin(actor: User | None, room_id: int) -> LiveRoom:
    room = _owned_room(actor, room_id)
    room.pinned_product_id = None
    mark_changed(room)
    db.session.commit()
    return room


def append_to_cart(room: LiveRoom, product_id: int) -> LiveRoomItem:
    """Add at the end, so the numbers buyers hear (“3号链接”) stay what they were."""
    count, last = db.session.execute(
        select(func.count(), func.max(LiveRoomItem.position))
        .where(LiveRoomItem.room_id == room.id)).one()
    if count >= MAX_ROOM_GOODS:
        raise Conflict(_("小黄车最多放 %(n)d 件商品。", n=MAX_ROOM_GOODS), field="product")
    if db.session.get(LiveRoomItem, (room.id, product_id)) is not None:
        raise Conflict(_("这件商品已经在小黄车里。"), field="product")
    item = LiveRoomItem(room_id=room.id, product_id=product_id, position=(last or 0) + 1)
    db.session.add(item)
    return item


def add_goods(actor: User | None, room_id: int, product_id: int) -> LiveRoomItem:
    """Put one of the shop's own goods into the room's 小黄车."""
    room = _owned_room(actor, room_id)
    product = db.session.get(Product, product_id)
    if product is None or product.merchant_id != room.merchant_id:
        raise NotFound(_("只能添加本店的商品。"), field="product")
    if product.status == ProductStatus.delisted:
        raise Conflict(_("商品已被平台下架，不能加入小黄车。"), field="product")
    item = append_to_cart(room, product.id)
    mark_changed(room)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(_("这件商品已经在小黄车里。"), field="product") from None
    return item


def remove_goods(actor: User | None, room_id: int, product_id: int) -> LiveRoom:
    room = _owned_room(actor, room_id)
    item = _room_item(room, product_id)
    if room.pinned_product_id == product_id:
        room.pinned_product_id = None
    db.session.delete(item)
    db.session.flush()
    _renumber(room.id, [i.product_id for i in room_items(room.id)])
    mark_changed(room)
    db.session.commit()
    return room


def room_items(room_id: int) -> list[LiveRoomItem]:
    return list(db.session.scalars(
        select(LiveRoomItem).where(LiveRoomItem.room_id == room_id)
        .order_by(LiveRoomItem.position, LiveRoomItem.product_id)))


def _renumber(room_id: int, order: list[int]) -> None:
    current = {i.product_id: i for i in room_items(room_id)}
    for position, product_id in enumerate(order, start=1):
        if current[product_id].position != position:
            current[product_id].position = position


MOVES = ("up", "down", "top")


def move_goods(actor: User | None, room_id: int, product_id: int, direction: str) -> LiveRoom:
    """Reorder the 小黄车: one place up or down, or to the top. Runs under the room lock."""
    if direction not in MOVES:
        raise InvalidInput(_("未知的移动方向。"), field="direction")
    room = _owned_room(actor, room_id)
    _room_item(room, product_id)
    order = [i.product_id for i in room_items(room.id)]
    index = order.index(product_id)
    target = {"up": max(index - 1, 0), "down": min(index + 1, len(order) - 1), "top": 0}[direction]
    order.insert(target, order.pop(index))
    _renumber(room.id, order)
    mark_changed(room)
    db.session.commit()
    return room


def _owned_room_good(actor: User | None, room_id: int, product_id: int) -> LiveRoom:
    room = get_room(room_id)
    if room is None:
        raise NotFound(_("直播间不存在。"))
    require_room_owner(actor, room)
    _room_item(room, product_id)
    return room


def set_goods_stock(actor: User | None, room_id: int, product_id: int, stock: int) -> Product:
    """改库存 to a counted number (app.catalog.listing.set_stock)."""
    _owned_room_good(actor, room_id, product_id)
    return listing.set_stock(actor, product_id, stock)


def adjust_goods_stock(actor: User | None, room_id: int, product_id: int, delta: int) -> Product:
    """+1 / +10 / −1: one conditional UPDATE (app.catalog.listing.adjust_stock), so racing
    edits and orders never take the stock below zero."""
    _owned_room_good(actor, room_id, product_id)
    return listing.adjust_stock(actor, product_id, delta)


def set_goods_price(actor: User | None, room_id: int, product_id: int, price_fen: int) -> Product:
    _owned_room_good(actor, room_id, product_id)
    return listing.set_price(actor, product_id, price_fen)


def console_goods(room: LiveRoom) -> list[Product]:
    """Everything in the room, on sale or not, for the anchor."""
    return room_goods(room.id)


def shop_goods_not_in_room(room: LiveRoom, limit: int = 100) -> list[Product]:
    in_room = select(LiveRoomItem.product_id).where(LiveRoomItem.room_id == room.id)
    return list(db.session.scalars(
        select(Product).where(Product.merchant_id == room.merchant_id,
                              Product.status != ProductStatus.delisted,
                              Product.id.not_in(in_room))
        .order_by(Product.created_at.desc(), Product.id.desc()).limit(limit)))
