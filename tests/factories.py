"""Small helpers that make the rows a story needs, committed, with sensible defaults."""
from __future__ import annotations

import functools
import io
import itertools

from PIL import Image
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app.accounts.models import BeltAdmin, User
from app.catalog.models import Belt, Category, Industry, Product, ProductPhoto
from app.demo import BELTS
from app.extensions import db
from app.merchants.models import Certificate, Merchant

PASSWORD = "correct horse battery"
_counter = itertools.count(1)
_PASSWORD_HASH: str | None = None


def _hash() -> str:
    global _PASSWORD_HASH
    if _PASSWORD_HASH is None:
        _PASSWORD_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    return _PASSWORD_HASH


def industry(slug: str) -> Industry:
    return db.session.scalar(select(Industry).where(Industry.slug == slug))


def category(slug: str) -> Category:
    return db.session.scalar(select(Category).where(Category.slug == slug))


def user(name: str = "买家", *, email: str | None = None, phone: str | None = None,
         operator: bool = False) -> User:
    n = next(_counter)
    if email is None and phone is None:
        email = f"user{n}@example.cn"
    account = User(email=email, phone=phone, display_name=name, password_hash=_hash(),
                   is_operator=operator)
    db.session.add(account)
    db.session.commit()
    return account


def belt(slug: str = "zhenping-jade") -> Belt:
    existing = db.session.scalar(select(Belt).where(Belt.slug == slug))
    if existing:
        return existing
    row = next(b for b in BELTS if b[0] == slug)
    slug, name, name_en, province, city, industry_slug, base, address, hotline, intro = row
    record = Belt(slug=slug, name=name, name_en=name_en, province=province, city=city,
                  industry_id=industry(industry_slug).id, base_name=base, address=address,
                  hotline=hotline, intro=intro)
    db.session.add(record)
    db.session.commit()
    return record


def belt_admin(belt_slug: str = "zhenping-jade", name: str = "基地管理员") -> User:
    admin = user(name)
    db.session.add(BeltAdmin(user_id=admin.id, belt_id=belt(belt_slug).id))
    db.session.commit()
    return admin


def merchant(name: str = "玉匠人", *, belt_slug: str | None = "zhenping-jade",
             industry_slug: str | None = None, source_type: str = "industry_belt",
             certified: bool = False, owner: User | None = None, hotline: str = "400-686-1106",
             sales: int = 0) -> Merchant:
    the_belt = belt(belt_slug) if belt_slug else None
    if industry_slug is None:
        industry_slug = the_belt.industry.slug if the_belt else "small-commodities"
    owner = owner or user(f"{name}店主")
    shop = Merchant(owner_id=owner.id, name=name, source_type=source_type,
                    industry_id=industry(industry_slug).id,
                    belt_id=the_belt.id if the_belt else None, hotline=hotline,
                    certified=certified, sales_count=sales)
    if certified:
        from app import clock

        shop.certified_at = clock.now()
    db.session.add(shop)
    db.session.commit()
    return shop


def product(shop: Merchant, title: str = "冰种飘花翡翠手镯", *, price_fen: int = 128000,
            stock: int = 10, category_slug: str | None = None, description: str = "",
            sales: int = 0, status: str = "active", photo_key: str | None = None) -> Product:
    if category_slug is None:
        category_slug = "jade-bangle" if shop.industry.slug == "jade" else "household"
    item = Product(merchant_id=shop.id, industry_id=shop.industry_id, belt_id=shop.belt_id,
                   category_id=category(category_slug).id, title=title,
                   description=description or f"{title}，源头直发。", price_fen=price_fen,
                   stock=stock, source_type=shop.source_type, sales_count=sales, status=status)
    db.session.add(item)
    db.session.flush()
    if photo_key:
        db.session.add(ProductPhoto(product_id=item.id, position=0, image_key=photo_key,
                                    width=480, height=480))
    db.session.commit()
    return item


def certificate(item: Product, number: str = "NGTC-ZP-20190000001") -> Certificate:
    cert = Certificate(number=number, product_id=item.id, merchant_id=item.merchant_id,
                       lab="国家珠宝玉石质量监督检验中心（NGTC）", findings="翡翠（A货）")
    db.session.add(cert)
    db.session.commit()
    return cert


def jpeg_bytes(width: int = 800, height: int = 600, color=(20, 120, 80)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def sign_in(client, account: User) -> None:
    response = client.post("/signin", data={"account": account.email or account.phone,
                                            "password": PASSWORD})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]


# --- merchants (issue 3) -----------------------------------------------------------------

def application(shop: Merchant, *, statement: str = "石佛寺玉器市场 3 号档口"):
    """A pending certification application with a licence and one workshop photo."""
    from app.media import store_private_image
    from app.merchants.models import CertificationApplication, CertificationDocument

    licence = store_private_image(jpeg_bytes(640, 480, (250, 248, 240)))
    workshop = store_private_image(jpeg_bytes(640, 480, (60, 50, 40)))
    record = CertificationApplication(merchant_id=shop.id, belt_id=shop.belt_id,
                                      statement=statement)
    record.documents = [
        CertificationDocument(kind="licence", position=0, image_key=licence.key,
                              width=licence.width, height=licence.height),
        CertificationDocument(kind="workshop", position=1, image_key=workshop.key,
                              width=workshop.width, height=workshop.height),
    ]
    db.session.add(record)
    db.session.commit()
    return record


@functools.lru_cache(maxsize=2)
def png_bomb(side: int = 30000) -> bytes:
    """A small PNG that claims side x side pixels (a decompression bomb); made once."""
    buffer = io.BytesIO()
    Image.new("1", (side, side)).save(buffer, "PNG")
    return buffer.getvalue()
# --- live rooms (issue 4) ----------------------------------------------------------------

def live_room(shop: Merchant, *, title: str = "镇平玉雕源头直播", status: str = "live",
              goods: tuple | list = (), pinned: Product | None = None, stream_url: str = "",
              scheduled_start=None):
    """A shop's live room with `goods` in its 小黄车 (in that order) and maybe one pinned."""
    from app import clock
    from app.live.models import LiveRoom, LiveRoomItem

    room = LiveRoom(merchant_id=shop.id, title=title, status=status, stream_url=stream_url,
                    scheduled_start=scheduled_start,
                    started_at=clock.now() if status == "live" else None)
    db.session.add(room)
    db.session.flush()
    for position, item in enumerate(goods, start=1):
        db.session.add(LiveRoomItem(room_id=room.id, product_id=item.id, position=position))
    room.pinned_product_id = pinned.id if pinned is not None else None
    db.session.commit()
    return room


# --- orders (issue 5) ----------------------------------------------------------------------

def address(owner: User, recipient: str = "张老铁", *, phone: str = "13800138000",
            region: str = "河南省 南阳市 镇平县", detail: str = "石佛寺镇玉雕大世界 8 号"):
    from app.orders.models import Address

    record = Address(user_id=owner.id, recipient=recipient, phone=phone, region=region,
                     detail=detail, is_default=True)
    db.session.add(record)
    db.session.commit()
    return record


def order(buyer: User, *items, method: str = "cod", address_id: int | None = None):
    """Place an order the way checkout does (stock taken, one order per shop). `items` are
    products or (product, quantity) pairs. Returns the first order of the checkout."""
    from app.orders import checkout
    from app.orders.models import Address

    pairs = [(i, 1) if isinstance(i, Product) else i for i in items]
    if address_id is None:
        existing = db.session.scalar(select(Address).where(Address.user_id == buyer.id))
        address_id = (existing or address(buyer)).id
    wanted = [(p.id, q) for p, q in pairs]
    plan = checkout.preview_checkout(buyer, wanted)
    placed, _created = checkout.place_checkout(buyer, checkout.CheckoutRequest(
        items=wanted, address_id=address_id, payment_method=method,
        idempotency_key=checkout.new_idempotency_key(), expected_total_fen=plan.total_fen))
    return placed.orders[0]


def review(placed_order, description: int = 5, service: int = 5, logistics: int = 5,
           text: str = ""):
    """A review of a completed order, written directly (for DSR figures)."""
    from app import clock
    from app.orders.models import Review

    record = Review(order_id=placed_order.id, buyer_id=placed_order.buyer_id,
                    merchant_id=placed_order.merchant_id, description=description,
                    service=service, logistics=logistics, text=text, created_at=clock.now())
    db.session.add(record)
    db.session.commit()
    return record


# --- campaigns (issue 6) -------------------------------------------------------------------

def campaign(slug: str = "116-test", *, warmup_start=None, days_warmup: int = 4,
             days_sale: int = 2, name: str = "116卖货王", hashtag: str = "#116卖货王",
             daily_count: int = 666):
    """A campaign whose warm-up starts at `warmup_start` (default: today's Shanghai midnight),
    with its daily draws committed."""
    from datetime import timedelta

    from app import clock
    from app.campaigns.draws import sync_draws
    from app.campaigns.models import Campaign

    start = warmup_start or clock.shanghai_midnight(clock.local_today())
    record = Campaign(slug=slug, name=name, hashtag=hashtag, warmup_start=start,
                      sale_start=start + timedelta(days=days_warmup),
                      sale_end=start + timedelta(days=days_warmup + days_sale),
                      raffle_daily_count=daily_count)
    db.session.add(record)
    db.session.flush()
    sync_draws(record)
    db.session.commit()
    return record


def registration(the_campaign, shop: Merchant, *, status: str = "approved", goods=()):
    from app import clock
    from app.campaigns.models import Registration, RegistrationProduct

    record = Registration(campaign_id=the_campaign.id, merchant_id=shop.id, status=status,
                          applied_at=clock.now(), decided_at=clock.now())
    record.goods = [RegistrationProduct(product_id=p.id) for p in goods]
    db.session.add(record)
    db.session.commit()
    return record


def coupon(shop: Merchant | None = None, *, kind: str = "reduce", amount_fen: int = 1000,
           threshold_fen: int = 0, quantity: int = 100, per_user_limit: int = 1,
           funded_by: str | None = None, cap_fen: int | None = None, source: str = "grab",
           valid_from=None, valid_until=None, live_room=None, the_campaign=None,
           phase: str | None = None, title: str = "主播福利券"):
    from datetime import timedelta

    from app import clock
    from app.campaigns.models import Coupon

    now = clock.now()
    record = Coupon(
        funded_by=funded_by or ("shop" if shop is not None else "platform"), kind=kind,
        source=source, title=title, amount_fen=amount_fen, threshold_fen=threshold_fen,
        cap_fen=cap_fen, quantity=quantity, remaining=quantity, per_user_limit=per_user_limit,
        valid_from=valid_from or now - timedelta(hours=1),
        valid_until=valid_until or now + timedelta(days=3),
        merchant_id=shop.id if shop is not None else None,
        live_room_id=live_room.id if live_room is not None else None,
        campaign_id=the_campaign.id if the_campaign is not None else None, phase=phase)
    db.session.add(record)
    db.session.commit()
    return record


def wallet_copy(owner: User, the_coupon, n: int = 1):
    """A copy of `the_coupon` in `owner`'s wallet (as if grabbed or won)."""
    from app.campaigns.models import CouponClaim

    claim = CouponClaim(coupon_id=the_coupon.id, user_id=owner.id, n=n)
    db.session.add(claim)
    db.session.commit()
    return claim
