"""Demo data for the certification workflow: pending applications in 河南镇平 and 云南瑞丽 with
generated document photos, decided ones (approved, rejected, revoked) with their audit entries,
and product-page view counts for 玉匠人's dashboard. Idempotent: looks before it writes."""
from __future__ import annotations

import io
import random
from datetime import timedelta
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import func, select

from app import clock
from app.accounts.models import User
from app.accounts.services import notify, record_audit
from app.catalog.models import Product
from app.demo_photos import draw_photo
from app.extensions import db
from app.i18n import N_
from app.media import store_private_image
from app.merchants.certification import APPROVE, REJECT, REVOKE
from app.merchants.models import (
    CertificationApplication,
    CertificationDocument,
    CertificationStatus,
    Merchant,
    ProductViewCount,
)
from app.merchants.stats import hour_of

FONT_PATHS = ["/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
              "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"]


def _font(size: int):
    for path in FONT_PATHS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return None


def draw_licence(shop_name: str, seed: int) -> bytes:
    """A made-up 营业执照 (business licence) photo: paper, red frame, fields and a seal."""
    rng = random.Random(seed)
    image = Image.new("RGB", (960, 680), (236, 232, 222))
    draw = ImageDraw.Draw(image)
    draw.rectangle([40, 30, 920, 650], fill=(252, 250, 244), outline=(178, 34, 34), width=10)
    draw.rectangle([60, 50, 900, 630], outline=(178, 34, 34), width=2)
    draw.ellipse([440, 70, 520, 150], fill=(200, 40, 40))
    title, body = _font(52), _font(26)
    if title is not None:
        draw.text((480, 200), "营业执照", fill=(40, 40, 40), font=title, anchor="mm")
        code = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(18))
        lines = [f"统一社会信用代码  {code}", f"名　　称  {shop_name}", "类　　型  个体工商户",
                 "经营范围  玉器加工、销售；网络直播销售", f"成立日期  20{rng.randint(10, 19)}年"
                 f"{rng.randint(1, 12)}月{rng.randint(1, 28)}日"]
        for i, line in enumerate(lines):
            draw.text((120, 270 + i * 56), line, fill=(60, 60, 60), font=body)
    else:
        for i in range(5):
            draw.rectangle([120, 280 + i * 56, 120 + rng.randint(380, 640), 300 + i * 56],
                           fill=(120, 120, 120))
    draw.ellipse([660, 440, 860, 640], outline=(200, 40, 40), width=8)
    draw.ellipse([735, 515, 785, 565], fill=(200, 40, 40))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def draw_workshop(seed: int) -> bytes:
    """A made-up 档口 / 工作室 photo: shelves of pieces under warm light."""
    rng = random.Random(seed)
    image = Image.new("RGB", (960, 720), (70, 56, 44))
    draw = ImageDraw.Draw(image)
    for row in range(3):
        y = 140 + row * 190
        draw.rectangle([60, y + 110, 900, y + 130], fill=(140, 100, 60))
        for col in range(7):
            x = 110 + col * 115 + rng.randint(-10, 10)
            green = (rng.randint(30, 90), rng.randint(120, 190), rng.randint(80, 130))
            if rng.random() < 0.5:
                draw.ellipse([x - 40, y + 20, x + 40, y + 100], outline=green, width=14)
            else:
                draw.ellipse([x - 28, y + 40, x + 28, y + 108], fill=green)
    draw.rectangle([0, 0, 960, 60], fill=(250, 214, 140))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=82)
    return buffer.getvalue()


def _documents(shop: Merchant, seed: int) -> list[CertificationDocument]:
    licence = store_private_image(draw_licence(shop.name, seed))
    docs = [CertificationDocument(kind="licence", position=0, image_key=licence.key,
                                  width=licence.width, height=licence.height)]
    workshop = [store_private_image(draw_workshop(seed)),
                store_private_image(draw_photo("jade-ornament", "jade", seed % 6))]
    docs += [CertificationDocument(kind="workshop", position=i + 1, image_key=p.key,
                                   width=p.width, height=p.height) for i, p in enumerate(workshop)]
    return docs


def _shop(email: str) -> Merchant | None:
    return db.session.scalar(select(Merchant).join(User, User.id == Merchant.owner_id)
                             .where(User.email == email))


def _admin(slug: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == f"admin-{slug}@demo.yuantou.cn"))


def _has_applications(shop: Merchant) -> bool:
    return bool(db.session.scalar(select(func.count()).select_from(CertificationApplication)
                                  .where(CertificationApplication.merchant_id == shop.id)))


# (shop e-mail, belt slug, outcome, days ago, statement or reason)
STORIES = [
    ("shop-zhenping-jade-1@demo.yuantou.cn", "zhenping-jade", "pending", 2,
     "石佛寺玉器市场 3 号档口，自有雕刻工作室 6 人，主营独山玉摆件。"),
    ("shop-zhenping-jade-4@demo.yuantou.cn", "zhenping-jade", "pending", 0.2,
     "原产地直供：家中三代玉雕，工作室在镇平县石佛寺镇。"),
    ("shop-ruili-jade-1@demo.yuantou.cn", "ruili-jade", "pending", 1,
     "姐告玉城档口，缅甸原石直采，直播间每天开窗。"),
    ("shop-zhenping-jade-3@demo.yuantou.cn", "zhenping-jade", "rejected", 10,
     "营业执照照片模糊，无法核对统一社会信用代码，请重新拍摄清晰照片后再申请。"),
    ("shop-ruili-jade-3@demo.yuantou.cn", "ruili-jade", "revoked", 40,
     "直播间多次将 B 货宣传为 A 货，经基地核实后撤销认证。"),
]


Event = tuple  # (when, audit action, actor, shop, reason)


def _story(email: str, slug: str, outcome: str, days: float, text: str, seed: int,
           events: list[Event]) -> str | None:
    shop = _shop(email)
    admin = _admin(slug)
    if shop is None or admin is None or _has_applications(shop):
        return None
    now = clock.now()
    created = now - timedelta(days=days)
    application = CertificationApplication(merchant_id=shop.id, belt_id=shop.belt_id,
                                           created_at=created)
    application.documents = _documents(shop, seed)
    if outcome == "pending":
        application.statement = text
    else:
        decided = created + timedelta(hours=20)
        application.status = CertificationStatus.approved
        application.decided_at, application.decided_by_id = decided, admin.id
        if outcome == "rejected":
            application.status = CertificationStatus.rejected
            application.decision_reason = text
            events.append((decided, REJECT, admin, shop, text))
        else:  # approved, later revoked
            events.append((decided, APPROVE, admin, shop, ""))
            revoked = decided + timedelta(days=days / 2)
            application.status = CertificationStatus.revoked
            application.revoked_at, application.revoked_by_id = revoked, admin.id
            application.revoke_reason = text
            events.append((revoked, REVOKE, admin, shop, text))
    db.session.add(application)
    db.session.flush()
    return f"{shop.name}: {outcome}"


def _certified_history(shop: Merchant, seed: int, events: list[Event]) -> bool:
    """Shops the catalog step made certified get the approved application behind it."""
    admin = _admin(shop.belt.slug) if shop.belt else None
    if admin is None or _has_applications(shop) or not shop.certified_at:
        return False
    application = CertificationApplication(
        merchant_id=shop.id, belt_id=shop.belt_id, status=CertificationStatus.approved,
        created_at=shop.certified_at - timedelta(days=3), decided_at=shop.certified_at,
        decided_by_id=admin.id, statement="")
    application.documents = _documents(shop, seed)
    db.session.add(application)
    events.append((shop.certified_at, APPROVE, admin, shop, ""))
    return True


NOTICES = {REJECT: N_("%(shop)s 的官方认证申请未通过：%(reason)s"),
           REVOKE: N_("%(shop)s 的官方认证已被撤销：%(reason)s")}


def _replay(events: list[Event]) -> None:
    """Audit entries (and notices) in the order the decisions happened."""
    for when, action, admin, shop, reason in sorted(events, key=lambda e: e[0]):
        entry = record_audit(admin, action, "merchant", shop.id, belt_id=shop.belt_id,
                             reason=reason, shop=shop.name)
        entry.created_at = when
        if action in NOTICES:
            notify(shop.owner_id, NOTICES[action], link="/my-shop/certification",
                   shop=shop.name, reason=reason)


def _views(shop: Merchant, rng: random.Random, every: int = 1, low: int = 5,
           high: int = 40) -> int:
    """Ninety days of product-page views for the dashboard (more once certified), one hour
    every `every` days."""
    if db.session.scalar(select(func.count()).select_from(ProductViewCount)
                         .where(ProductViewCount.merchant_id == shop.id)):
        return 0
    products = db.session.scalars(select(Product.id).where(Product.merchant_id == shop.id)).all()
    now = clock.now()
    rows = []
    for day in range(0, 90, every):
        moment = hour_of(now - timedelta(days=day, hours=rng.randint(0, 12)))
        boost = 2.2 if shop.certified_at and moment >= shop.certified_at else 1.0
        for product_id in products:
            rows.append({"product_id": product_id, "merchant_id": shop.id, "hour": moment,
                         "views": int(rng.randint(low, high) * boost)})
    if rows:
        db.session.execute(ProductViewCount.__table__.insert(), rows)
    return sum(r["views"] for r in rows)


def seed_certification(scale: int = 0) -> list[str]:
    rng = random.Random(20190906)
    events: list[Event] = []
    done = [line for i, story in enumerate(STORIES)
            if (line := _story(*story, seed=i + 1, events=events))]
    history = 0
    for shop in db.session.scalars(select(Merchant).where(Merchant.certified.is_(True),
                                                          Merchant.belt_id.is_not(None))
                                   .order_by(Merchant.id)):
        if shop.belt.slug in ("zhenping-jade", "ruili-jade") and _certified_history(shop, shop.id, events):
            history += 1
    yujiangren = _shop("yujiangren@demo.yuantou.cn")
    views = _views(yujiangren, rng) if yujiangren else 0
    if yujiangren is not None:  # the belt's other shops, for the dashboard's belt comparison
        for peer in db.session.scalars(select(Merchant).where(
                Merchant.belt_id == yujiangren.belt_id, Merchant.id != yujiangren.id)
                .order_by(Merchant.id)):
            _views(peer, rng, every=3, low=20, high=90)
    _replay(events)
    db.session.commit()
    return [f"certification: {len(done)} new stories ({', '.join(done) or 'already there'}), "
            f"{history} approved histories, {views} demo product views for 玉匠人; review as "
            "admin-zhenping-jade@demo.yuantou.cn at /admin/belts/zhenping-jade/certifications"]


def seed_belt_pages(scale: int = 0) -> list[str]:
    """Each belt's base features up to three of its certified shops (its best sellers), as a
    base admin would at /admin/belts/<slug>/page. Idempotent: a belt that features shops
    already is left as it is."""
    from app.catalog.models import Belt
    from app.merchants.models import BeltFeaturedShop

    featured_belts = set(db.session.scalars(select(BeltFeaturedShop.belt_id).distinct()))
    done = 0
    for belt in db.session.scalars(select(Belt).order_by(Belt.id)):
        if belt.id in featured_belts:
            continue
        shops = db.session.scalars(
            select(Merchant.id).where(Merchant.belt_id == belt.id, Merchant.certified.is_(True))
            .order_by(Merchant.sales_count.desc(), Merchant.id).limit(3)).all()
        db.session.add_all(BeltFeaturedShop(belt_id=belt.id, merchant_id=shop_id, position=i)
                           for i, shop_id in enumerate(shops))
        done += bool(shops)
    db.session.commit()
    return [f"belt pages: {done} belts feature their certified shops "
            "(edit as a base admin at /admin/belts/<slug>/page)"]
