"""Demo live rooms: some shops live now (goods in the 小黄车, one pinned 讲解中, a 闪电购 item
among them), some announced for later today or tomorrow, one ended. Idempotent: a shop that
already has a room keeps it; an announced start that has passed is moved forward again."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app import clock
from app.accounts.models import User
from app.catalog.listing import ProductDraft, create_product
from app.catalog.models import Category, Product, ProductStatus
from app.demo.people import YUJIANGREN_EMAIL
from app.demo_photos import draw_photo
from app.extensions import db
from app.live.ingest import set_stream_key
from app.live.models import LiveRoom, LiveRoomItem, RoomStatus
from app.merchants.models import Certificate, Merchant

# (owner e-mail, room title, status, hours from now to the announced start, lightning goods)
ROOMS = [
    (YUJIANGREN_EMAIL, "玉匠人 · 镇平玉雕源头直播，一件也是批发价", RoomStatus.live, None,
     [("现雕独山玉平安扣 · 闪电购", 16800, 12, "jade-pendant"),
      ("手工碧玉貔貅把件 · 闪电购", 58800, 0, "jade-ornament")]),
    ("shop-ruili-jade-0@demo.yuantou.cn", "瑞丽姐告玉城 · 翡翠原石开窗直播", RoomStatus.live,
     None, []),
    ("shop-hangzhou-apparel-0@demo.yuantou.cn", "四季青档口 · 秋冬女装上新", RoomStatus.live,
     None, []),
    ("shop-zhenping-jade-0@demo.yuantou.cn", "镇平石佛寺 · 玉雕工坊夜场", RoomStatus.scheduled,
     3, []),
    ("shop-tongerbao-apparel-0@demo.yuantou.cn", "佟二堡皮草 · 工厂直供专场",
     RoomStatus.scheduled, 26, []),
    ("shop-sihui-jade-0@demo.yuantou.cn", "四会玉器街 · 摆件专场", RoomStatus.ended, None, []),
]
GOODS_PER_ROOM = 6
# The demo anchor's stream key (玉匠人), set only by seed-demo so `make run` can print it and a
# developer can push to the demo room at once. Real rooms get random keys (app.live.ingest).
DEMO_STREAM_KEY = "yt_demo_yujiangren_2025"


def _shop(email: str) -> Merchant | None:
    return db.session.scalar(
        select(Merchant).join(User, User.id == Merchant.owner_id).where(User.email == email))


def _lightning_goods(shop: Merchant, goods: list[tuple[str, int, int, str]]) -> list[int]:
    made = []
    for title, price_fen, stock, category_slug in goods:
        existing = db.session.scalar(select(Product.id).where(
            Product.merchant_id == shop.id, Product.title == title))
        if existing is not None:
            made.append(existing)
            continue
        category = db.session.scalar(select(Category).where(Category.slug == category_slug))
        photo = draw_photo(category_slug, "jade", len(made) + 3)
        product = create_product(shop.owner, shop, ProductDraft(
            title=title, price_fen=price_fen, stock=stock,
            description=f"{title}。主播直播间现拍现上架，源头直发。",
            category_id=category.id if category else None), [photo], lightning=True,
            commit=False)
        db.session.flush()
        # Every piece 玉匠人 sells carries a quality certificate (质检证书), as in the seed.
        db.session.add(Certificate(
            number=f"NGTC-ZP-L{product.id:07d}", product_id=product.id, merchant_id=shop.id,
            lab="国家珠宝玉石质量监督检验中心（NGTC）", findings=f"{title}；现场复检合格",
            issued_on=clock.now() - timedelta(days=2)))
        made.append(product.id)
    return made


def _fill(room: LiveRoom, shop: Merchant, lightning_ids: list[int]) -> None:
    goods = list(db.session.scalars(
        select(Product.id).where(Product.merchant_id == shop.id,
                                 Product.status == ProductStatus.active,
                                 Product.id.not_in(lightning_ids or [0]))
        .order_by(Product.sales_count.desc(), Product.id).limit(GOODS_PER_ROOM)))
    for position, product_id in enumerate(goods + lightning_ids, start=1):
        db.session.add(LiveRoomItem(room_id=room.id, product_id=product_id, position=position))
    if room.status == RoomStatus.live and goods:
        room.pinned_product_id = lightning_ids[0] if lightning_ids else goods[0]


def seed_live(scale: int = 0) -> list[str]:
    now = clock.now()
    made = moved = 0
    for email, title, status, hours, lightning in ROOMS:
        shop = _shop(email)
        if shop is None:
            continue
        room = db.session.scalar(select(LiveRoom).where(LiveRoom.merchant_id == shop.id))
        if room is not None and email == YUJIANGREN_EMAIL and room.stream_key_hash is None:
            set_stream_key(room, DEMO_STREAM_KEY)
        if room is not None:
            if room.status == RoomStatus.scheduled and hours and (
                    room.scheduled_start is None or room.scheduled_start < now):
                room.scheduled_start = now + timedelta(hours=hours)
                moved += 1
            continue
        room = LiveRoom(merchant_id=shop.id, title=title, status=status)
        if status == RoomStatus.live:
            room.started_at = now - timedelta(minutes=42)
            room.scheduled_start = now - timedelta(minutes=45)
        elif status == RoomStatus.scheduled:
            room.scheduled_start = (now + timedelta(hours=hours)).replace(minute=0, second=0,
                                                                          microsecond=0)
        else:
            room.scheduled_start = now - timedelta(days=1, hours=3)
            room.started_at = now - timedelta(days=1, hours=3)
            room.ended_at = now - timedelta(days=1)
        if email == YUJIANGREN_EMAIL:
            set_stream_key(room, DEMO_STREAM_KEY)
        db.session.add(room)
        db.session.flush()
        _fill(room, shop, _lightning_goods(shop, lightning))
        made += 1
    db.session.commit()
    live = db.session.scalar(select(func.count()).select_from(LiveRoom)
                             .where(LiveRoom.status == RoomStatus.live)) or 0
    return [f"live rooms: {made} new, {moved} re-announced, {live} live now"]
