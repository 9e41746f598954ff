"""Live rooms (直播间): what buyers see, and what only the room's anchor may change.

Who may act: only the shop's owner (the anchor, 主播) changes a room or lists into it.
Platform operators and belt-base admins may not: a live room is the merchant's own stage, and
goods or shops that break the rules are taken down through the catalog and certification
workflows, which also hide them from every room. `require_room_owner` is the one check.
The anchor's actions are in app.live.console, 闪电购 in app.live.lightning."""
from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import bindparam, case, select
from sqlalchemy.orm import joinedload, selectinload

from app import clock
from app.accounts.models import User
from app.accounts.services import is_signed_in, require_signed_in
from app.catalog.models import Product, ProductPhoto
from app.catalog.services import (
    CardPhoto,
    ProductCard,
    card_of,
    card_select,
    listable_products,
    now_param,
    page_belts_by_id,
)
from app.db import column_attributes, columns_of, given, plain_copy, plain_rows, where_given
from app.exceptions import PermissionDenied
from app.extensions import db
from app.live import chat_feed, presence
from app.live.models import BroadcastCopy, LiveRoom, LiveRoomItem, RoomCopy, RoomStatus
from app.merchants.models import Merchant, ShopCopy
from app.merchants.services import (
    SHOP_CARD_COLUMNS,
    ShopCard,
    is_shop_owner,
    open_shops_clause,
    shop_cards_of,
    shop_is_open,
    shop_of,
    visible_to,
)
from app.merchants.services import own_shop as merchants_own_shop

VIDEO_SUFFIXES = (".m3u8", ".mp4", ".webm")


# --- permission -----------------------------------------------------------------------------

def require_room_owner(actor: User | None, room: LiveRoom) -> None:
    """Only the anchor whose shop owns the room acts on it (operators and admins neither)."""
    require_signed_in(actor)
    if room.merchant.owner_id != actor.id:
        raise PermissionDenied(_("只有直播间的主播本人可以操作这个直播间。"))


def own_shop(actor: User | None) -> Merchant:
    """The actor's own shop, or PermissionDenied: live rooms and 闪电购 are for merchants."""
    return merchants_own_shop(actor, _("开店后才能直播和使用闪电购。"))


# --- reading --------------------------------------------------------------------------------

@functools.cache
def _room_statement():
    # Built once, run with parameters: every room page, poll and action loads its room.
    return (select(LiveRoom).options(joinedload(LiveRoom.merchant).joinedload(Merchant.belt))
            .where(LiveRoom.id == bindparam("room_id")))


def get_room(room_id: int) -> LiveRoom | None:
    return db.session.scalar(_room_statement(), {"room_id": room_id})


def room_of_shop(merchant_id: int) -> LiveRoom | None:
    return db.session.scalar(select(LiveRoom).where(LiveRoom.merchant_id == merchant_id))


def is_visible(room: LiveRoom) -> bool:
    """Buyers see rooms of open shops only (a suspended shop's room is gone with it)."""
    return shop_is_open(room.merchant)


def is_room_owner(user: User | None, room: LiveRoom) -> bool:
    return is_shop_owner(user, room.merchant)


def viewable_room(viewer: User | None, room_id: int) -> LiveRoom | None:
    """The room if `viewer` may see it (buyers: an open shop's; its anchor: always)."""
    room = get_room(room_id)
    if room is None or not visible_to(viewer, room.merchant, public=is_visible(room)):
        return None
    return room


@functools.cache
def _room_page_statement():
    # The room, its shop and its chat's state (newest comment, moderation version, likes):
    # one query, plain columns.
    return (select(*columns_of(column_attributes(LiveRoom)),
                   *columns_of(column_attributes(Merchant)),
                   *chat_feed.state_columns())
            .select_from(LiveRoom).join(LiveRoom.merchant)
            .where(LiveRoom.id == bindparam("room_id")))


def room_page(viewer: User | None, room_id: int) -> tuple[RoomCopy, chat_feed.StoredState] | None:
    """`viewable_room` for the room page, with its chat's state read in the same query. The
    room and its shop come as plain copies with the entities' attribute names (RoomCopy,
    ShopCopy; the shop's belt from the catalogue's reference copies): reading the entities
    cost the ORM ~1.5 ms of Python per page."""
    rows = plain_rows(_room_page_statement(), {"room_id": room_id})
    if not rows:
        return None
    rooms, shops = len(column_attributes(LiveRoom)), len(column_attributes(Merchant))
    row = rows[0]
    room = plain_copy(column_attributes(LiveRoom), row[:rooms], RoomCopy)
    room.merchant = merchant = plain_copy(column_attributes(Merchant),
                                          row[rooms:rooms + shops], ShopCopy)
    merchant.belt = page_belts_by_id().get(merchant.belt_id)  # None: no belt
    if not visible_to(viewer, merchant, public=is_visible(room)):
        return None
    newest, version, likes = row[rooms + shops:]
    return room, chat_feed.StoredState(newest or 0, version or 0, likes or 0)


def stream_kind(url: str) -> str | None:
    """'video' for an https playlist or video file the <video> element plays (the CSP allows
    https media only), 'link' for anything else: a page the buyer opens."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.path.lower().endswith(VIDEO_SUFFIXES):
        return "video"
    return "link"


@dataclass
class Stage:
    """The video area: the room's state and what plays in it. `src` is a playlist or video
    file for <video> (the broadcast's HLS through the ingest, else a pasted https URL);
    `link` a pasted stream page to open instead; `replay` the newest replay, for 看回放."""

    state: str
    src: str | None = None
    link: str | None = None
    broadcast: BroadcastCopy | None = None
    replay: BroadcastCopy | None = None

    @property
    def is_hls(self) -> bool:
        return bool(self.src) and urlsplit(self.src).path.endswith(".m3u8")


def stage_of(room: LiveRoom,
             broadcasts: tuple[BroadcastCopy | None, list[BroadcastCopy]] | None = None) -> Stage:
    """The stage from the room's broadcast on air (if live) and its newest replay: one query,
    none when the page has read them already (`broadcasts`: replays.room_broadcasts)."""
    from app.live import ingest, replays

    on_air, shown = broadcasts if broadcasts is not None else replays.room_broadcasts(room.id, 1)
    stage = Stage(room.status)
    if room.is_live:
        stage.broadcast = on_air
        if stage.broadcast is not None:
            stage.src = ingest.live_playlist_url(stage.broadcast)
        elif stream_kind(room.stream_url) == "video":
            stage.src = room.stream_url
        elif room.stream_url:
            stage.link = room.stream_url
    stage.replay = shown[0] if shown else None
    return stage


@dataclass
class RoomView:
    """What a buyer sees of a room: its listable goods in order and the pinned one."""

    room: LiveRoom
    goods: list[ProductCard]
    pinned: ProductCard | None
    viewers: int
    numbers: dict[int, int] = field(default_factory=dict)  # product id → 1号, 2号 …
    stage: Stage | None = None


def room_goods(room_id: int) -> list[Product]:
    """Every good of the room's 小黄车 in order, listable or not (the anchor's console; buyers
    see `room_cart`)."""
    query = (select(Product).join(Product.merchant)
             .join(LiveRoomItem, LiveRoomItem.product_id == Product.id)
             .where(LiveRoomItem.room_id == room_id)
             .options(selectinload(Product.photos), selectinload(Product.merchant))
             .order_by(LiveRoomItem.position, LiveRoomItem.product_id))
    return list(db.session.scalars(query))


def watching(room: LiveRoom) -> int:
    """Viewers of a live room as its page shows them: whoever is looking counts, even before
    the cached count (a few seconds old) has caught up with them."""
    return max(presence.count(room.id), 1) if room.is_live else 0


@dataclass
class RoomGoods:
    """The room's 小黄车 as buyers see it (`cards`: the goods they can buy, in order, as plain
    card rows) and `state`: every good's row (listable or not) for the room's ETag."""

    cards: list[ProductCard]
    state: list[tuple]


@functools.cache
def _goods_statement():
    # Built once, run with parameters: every room page and its polled part run it. One query
    # for both the 小黄车 and the ETag: each good of the room, listable or not, with what its
    # card shows and whether buyers can see it (catalog's rule, as a column).
    now = now_param()
    return (card_select(select(Product)
                        .join(LiveRoomItem, LiveRoomItem.product_id == Product.id)
                        .where(LiveRoomItem.room_id == bindparam("room_id")))
            .add_columns(Product.updated_at, LiveRoomItem.position,
                         listable_products(now).whereclause.label("listable"))
            .order_by(LiveRoomItem.position, LiveRoomItem.product_id))


def room_goods_state(room_id: int) -> RoomGoods:
    """Every good of the room in one query: buyers' cards and the ETag's rows."""
    goods = RoomGoods([], [])
    for row in chat_feed.plain_rows(_goods_statement(), {"room_id": room_id, "now": clock.now()}):
        listable = bool(row.listable)
        goods.state.append((row.id, row.price_fen, row.stock, row.status, row.updated_at,
                            listable, row.position))
        if listable:
            goods.cards.append(card_of(row))
    return goods


def room_cart(room_id: int) -> list[ProductCard]:
    """The room's 小黄车 as buyers see it (goods they can buy, in order), as plain card rows."""
    return room_goods_state(room_id).cards


def room_view(room: LiveRoom,
              broadcasts: tuple[BroadcastCopy | None, list[BroadcastCopy]] | None = None,
              goods: RoomGoods | None = None) -> RoomView:
    goods = (goods or room_goods_state(room.id)).cards
    pinned = None
    if room.status != RoomStatus.ended and room.pinned_product_id is not None:
        pinned = next((p for p in goods if p.id == room.pinned_product_id), None)
    viewers = watching(room)
    numbers = {p.id: n for n, p in enumerate(goods, start=1)}
    return RoomView(room, goods, pinned, viewers, numbers, stage_of(room, broadcasts))


def state_tag(room: LiveRoom, locale: str, goods: RoomGoods | None = None) -> str:
    """The ETag of a room's live part, from the server's own state (no rendering): the room's
    version and status, each good's price, stock, status and whether buyers may see it, the
    viewer count and language. Anything that changes what a buyer sees changes one of these.
    `goods`: the room's goods if the caller has read them (room_goods_state)."""
    rows = (goods or room_goods_state(room.id)).state
    viewers = watching(room)
    state = repr((room.id, room.version, room.status, room.pinned_product_id,
                  room.merchant.status, shop_is_open(room.merchant), viewers, locale, rows))
    return hashlib.sha256(state.encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class CardRoom:
    """A room as its card shows it, read as plain columns (the attribute names are the
    LiveRoom's); its shop is a merchants.services.ShopCard."""

    id: int
    title: str
    status: str
    scheduled_start: datetime | None
    pinned_product_id: int | None
    merchant: ShopCard

    @property
    def is_live(self) -> bool:
        return self.status == RoomStatus.live


@dataclass
class RoomCard:
    room: CardRoom
    cover: CardPhoto | None
    goods_count: int
    viewers: int


_STATUS_RANK = case((LiveRoom.status == RoomStatus.live, 0),
                    (LiveRoom.status == RoomStatus.scheduled, 1), else_=2)


@functools.cache
def _room_cards_statement(shape: tuple[str, ...], include_ended: bool):
    """`room_cards`' rooms for the subjects named in `shape`, built once per shape and run with
    parameters (building a select costs more Python than running it; pages run this one)."""
    query = (select(*SHOP_CARD_COLUMNS, LiveRoom.id, LiveRoom.title, LiveRoom.status,
                    LiveRoom.scheduled_start, LiveRoom.pinned_product_id)
             .select_from(LiveRoom).join(LiveRoom.merchant)
             .where(open_shops_clause(now_param())))
    query = where_given(query, shape, {"merchant_id": LiveRoom.merchant_id,
                                       "belt_id": Merchant.belt_id,
                                       "industry_id": Merchant.industry_id})
    if not include_ended:
        query = query.where(LiveRoom.status != RoomStatus.ended)
    return query.order_by(
        _STATUS_RANK, LiveRoom.started_at.desc().nulls_last(),
        LiveRoom.scheduled_start.asc().nulls_last(), LiveRoom.ended_at.desc().nulls_last(),
        LiveRoom.id).limit(bindparam("limit"))


@functools.cache
def _room_covers_statement(rooms: int):
    """Every listed good of `rooms` rooms (`room_0` … bound) with its cover photo's columns,
    built once per number of rooms (a page shows at most `room_cards`' limit). Not one
    array (`= ANY`): its length changes from page to page, and PostgreSQL then never trusts
    one plan for it and plans the query again on every run."""
    return (listable_products(now_param())
            .with_only_columns(LiveRoomItem.room_id, Product.id, ProductPhoto.image_key,
                               ProductPhoto.width, ProductPhoto.height)
            .join(LiveRoomItem, LiveRoomItem.product_id == Product.id)
            .outerjoin(ProductPhoto, (ProductPhoto.product_id == Product.id)
                       & (ProductPhoto.position == 0))
            .where(LiveRoomItem.room_id.in_([bindparam(f"room_{i}") for i in range(rooms)]))
            .order_by(LiveRoomItem.room_id, LiveRoomItem.position, LiveRoomItem.product_id))


def _room_covers(ids: list[int], now) -> list:
    return plain_rows(_room_covers_statement(len(ids)),
                      {"now": now, **{f"room_{i}": room for i, room in enumerate(ids)}})


def room_cards(*, merchant_id: int | None = None, belt_id: int | None = None,
               industry_id: int | None = None, include_ended: bool = False,
               limit: int = 8) -> list[RoomCard]:
    """Rooms for a shop, belt, industry or everywhere: live now first (latest start first),
    then the coming ones by start time, then (if asked) ended ones. Two queries, plain rows."""
    subjects = given(merchant_id=merchant_id, belt_id=belt_id, industry_id=industry_id)
    now = clock.now()
    rooms = [CardRoom(*room, shop) for shop, *room in shop_cards_of(
        plain_rows(_room_cards_statement(tuple(subjects), include_ended),
                   {**subjects, "limit": limit, "now": now}), extra=5)]
    if not rooms:
        return []
    # Every room's goods with their cover photo, in one query.
    goods_count: dict[int, int] = {}
    first_photo: dict[int, CardPhoto] = {}
    pinned_photo: dict[int, CardPhoto] = {}
    pinned_of = {r.id: r.pinned_product_id for r in rooms}
    for room_id, product_id, image_key, width, height in _room_covers([r.id for r in rooms], now):
        goods_count[room_id] = goods_count.get(room_id, 0) + 1
        if image_key is not None:
            photo = CardPhoto(image_key, width, height)
            first_photo.setdefault(room_id, photo)
            if product_id == pinned_of[room_id]:
                pinned_photo[room_id] = photo
    viewers = presence.counts([r.id for r in rooms if r.is_live])
    return [RoomCard(r, pinned_photo.get(r.id) or first_photo.get(r.id),
                     goods_count.get(r.id, 0), viewers.get(r.id, 0)) for r in rooms]


def cart_number(room: LiveRoom, product_id: int) -> tuple[int | None, bool]:
    """A product's number in the room's 小黄车 (“3号链接”, as buyers see it) and whether it
    is the pinned one; (None, False) when it is not in the room."""
    goods = list(db.session.scalars(
        listable_products().with_only_columns(Product.id)
        .join(LiveRoomItem, LiveRoomItem.product_id == Product.id)
        .where(LiveRoomItem.room_id == room.id)
        .order_by(LiveRoomItem.position, LiveRoomItem.product_id)))
    if product_id not in goods:
        return None, False
    pinned = room.status != RoomStatus.ended and room.pinned_product_id == product_id
    return goods.index(product_id) + 1, pinned


@functools.cache
def _presenting_statement():
    # Built once (see catalog.services.now_param): the product page runs it for every product.
    return (select(LiveRoom).join(LiveRoomItem, LiveRoomItem.room_id == LiveRoom.id)
            .join(LiveRoom.merchant)
            .where(LiveRoomItem.product_id == bindparam("product_id"),
                   LiveRoom.status == RoomStatus.live, open_shops_clause(now_param())).limit(1))


def live_room_presenting(product_id: int) -> tuple[LiveRoom, bool] | None:
    """The live room selling this product right now, and whether it is being presented
    (讲解中), for the product page; None when no live room has it."""
    room = db.session.scalar(_presenting_statement(),
                             {"product_id": product_id, "now": clock.now()})
    if room is None:
        return None
    return room, room.pinned_product_id == product_id


def shop_of_user(user: User | None) -> Merchant | None:
    return shop_of(user.id) if is_signed_in(user) else None
