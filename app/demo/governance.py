"""Demo data: source videos (tiny clips generated with PyAV, posters taken from them) for
shops of 镇平 and a few other belts, and complaints on 镇平 in every state (open, answered and
added to, upheld with a warning, rejected). Idempotent: each part looks before it writes."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app import clock
from app.accounts.models import User
from app.catalog.models import Belt, Product, ProductStatus
from app.extensions import db
from app.governance import complaints, enforcement, videos
from app.governance.models import Complaint, SourceVideo
from app.governance.sample_video import make_video
from app.merchants.models import Merchant
from app.orders.models import Order, OrderStatus

# (belt slug, caption, clip colour)
VIDEO_SHOPS = [
    ("zhenping-jade", "石佛寺工作室实拍：老师傅手工雕手镯，从原料到抛光一镜到底", (46, 110, 80)),
    ("zhenping-jade", "镇平玉雕大世界档口：今天到的新料，一件也是批发价", (70, 120, 96)),
    ("zhenping-jade", "开料现场：冰种料子切开的那一刻", (30, 90, 70)),
    ("ruili-jade", "姐告玉城清晨的翡翠公盘，源头直采", (60, 100, 60)),
    ("hangzhou-apparel", "四季青档口上新：版房打样到成衣", (150, 70, 60)),
]


def _shops(slug: str, limit: int = 3) -> list[Merchant]:
    belt = db.session.scalar(select(Belt).where(Belt.slug == slug))
    if belt is None:
        return []
    return list(db.session.scalars(
        select(Merchant).where(Merchant.belt_id == belt.id, Merchant.status == "active")
        .order_by(Merchant.certified.desc(), Merchant.sales_count.desc(), Merchant.id).limit(limit)))


def _seed_videos() -> int:
    if db.session.scalar(select(func.count()).select_from(SourceVideo)):
        return 0
    made = 0
    used: dict[str, int] = {}
    for slug, caption, colour in VIDEO_SHOPS:
        shops = _shops(slug)
        index = used.get(slug, 0)
        used[slug] = index + 1
        if index >= len(shops):
            continue
        shop = shops[index]
        goods = db.session.scalars(
            select(Product.id).where(Product.merchant_id == shop.id,
                                     Product.status == ProductStatus.active)
            .order_by(Product.sales_count.desc(), Product.id).limit(2)).all()
        if not goods:
            continue
        clip = make_video(seconds=2.0, fps=8, size=(240, 320), color=colour)
        videos.post_video(shop.owner, videos.VideoDraft(caption, list(goods)), clip)
        made += 1
    return made


def _seed_complaints() -> int:
    zhenping = db.session.scalar(select(Belt).where(Belt.slug == "zhenping-jade"))
    admin = db.session.scalar(select(User).where(User.email == "admin-zhenping-jade@demo.yuantou.cn"))
    if zhenping is None or admin is None:
        return 0
    if db.session.scalar(select(func.count()).select_from(Complaint)
                         .where(Complaint.belt_id == zhenping.id)):
        return 0
    taken = db.session.execute(
        select(Order.id, Order.buyer_id, Order.merchant_id)
        .join(Merchant, Merchant.id == Order.merchant_id)
        .where(Merchant.belt_id == zhenping.id, Order.status == OrderStatus.completed)
        .order_by(Order.created_at.desc())).all()
    # Different shops first, then more orders of the same shops.
    seen_shops: set[int] = set()
    first = [(o, b) for o, b, m in taken if m not in seen_shops and not seen_shops.add(m)]
    rest = [(o, b) for o, b, _m in taken if (o, b) not in first]
    picked = (first + rest)[:4]
    stories = [
        ("fake", "手镯到手有一股胶水味，灯下看有酸洗的痕迹，怀疑不是直播间说的A货。", "open"),
        ("certificate", "证书上写的重量是 52 克，实物称了只有 47 克，证书和货对不上。", "answered"),
        ("not_as_described", "直播间里看是满绿，到手颜色发灰，差别太大了。", "upheld"),
        ("service", "催了三次发货客服都没回，最后才发出来。", "rejected"),
    ]
    now = clock.now()
    for n, ((order_id, buyer_id), (kind, text, story)) in enumerate(zip(picked, stories, strict=False)):
        buyer = db.session.get(User, buyer_id)
        complaint = complaints.file_complaint(buyer, order_id, complaints.ComplaintDraft(kind, text))
        complaint.created_at = now - timedelta(days=6 - n)
        db.session.commit()
        owner = complaint.merchant.owner
        if story in ("answered", "upheld", "rejected"):
            complaints.answer(owner, complaint.id, "您好，我们已经看到，会尽快核实处理，请保留好包装。")
        if story == "answered":
            complaints.add(buyer, complaint.id, "补充：证书编号在 NGTC 官网能查到，但重量不一致。")
        if story == "upheld":
            complaints.decide(admin, complaint.id, "upheld", "对比直播录像与实物照片，颜色描述明显夸大")
            enforcement.act(admin, complaint.merchant_id, enforcement.ActionRequest(
                kind="warning", reason="直播描述与实物不符，请整改讲解话术", complaint_id=complaint.id))
        if story == "rejected":
            complaints.decide(admin, complaint.id, "rejected", "物流记录显示按约定时间发货，未发现违规")
    return len(picked)


def seed_governance(scale: int = 0) -> list[str]:
    made_videos = _seed_videos()
    made_complaints = _seed_complaints()
    return [f"governance: {made_videos} source videos, {made_complaints} complaints on 镇平 "
            f"(admin-zhenping-jade@demo.yuantou.cn decides at /admin/belts/zhenping-jade/complaints)"]
