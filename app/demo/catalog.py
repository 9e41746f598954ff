"""The demo catalogue: the seed's belts, shops of every industry, their goods and photos."""
from __future__ import annotations

import math
import random
from datetime import timedelta

from sqlalchemy import func, insert, or_, select

from app import clock
from app.accounts.models import BeltAdmin
from app.catalog.models import Belt, Category, Industry, Product, ProductPhoto
from app.catalog.reference import SourceType
from app.catalog.search import tokens_for
from app.demo.people import (
    BUYER_EMAIL,
    DEMO_PASSWORD,
    OPERATOR_EMAIL,
    YUJIANGREN_EMAIL,
    ensure_user,
    password_hash,
)
from app.demo_photos import draw_photo
from app.extensions import db
from app.media import store_image
from app.merchants.models import Certificate, Merchant

# (slug, name, name_en, province, city, industry, base name, address, hotline, intro)
BELTS = [
    ("hangzhou-apparel", "浙江杭州", "Hangzhou, Zhejiang", "浙江省", "杭州市", "apparel",
     "杭州四季青服装产业带基地", "浙江省杭州市上城区四季青街道", "400-820-1101",
     "四季青服装市场是华东最大的服装批发集散地之一，女装款式更新快，档口直播一件也是批发价。"),
    ("zhengzhou-apparel", "河南郑州", "Zhengzhou, Henan", "河南省", "郑州市", "apparel",
     "郑州银基服装产业带基地", "河南省郑州市二七区银基商贸城", "400-820-1102",
     "中原服装集散中心，覆盖男女装与童装，档口主播每天直播上新。"),
    ("tongerbao-apparel", "辽宁佟二堡", "Tong'erbao, Liaoning", "辽宁省", "辽阳市", "apparel",
     "佟二堡皮草皮衣产业带基地", "辽宁省辽阳市灯塔市佟二堡镇", "400-820-1103",
     "中国皮革皮草名镇，皮衣、皮草从工厂直达直播间。"),
    ("changshu-apparel", "江苏常熟", "Changshu, Jiangsu", "江苏省", "苏州市", "apparel",
     "常熟服装城产业带基地", "江苏省苏州市常熟市招商城", "400-820-1104",
     "常熟服装城以羽绒服、毛衫和休闲装闻名，工厂与档口一体。"),
    ("cangzhou-apparel", "河北沧州", "Cangzhou, Hebei", "河北省", "沧州市", "apparel",
     "沧州服装产业带基地", "河北省沧州市东光县", "400-820-1105",
     "沧州童装与针织产业集群，源头工厂直供。"),
    ("ruili-jade", "云南瑞丽", "Ruili, Yunnan", "云南省", "德宏州", "jade",
     "瑞丽翡翠产业带基地", "云南省德宏州瑞丽市姐告玉城", "400-820-2101",
     "中缅边境的翡翠集散地，原石与成品翡翠源头直播。"),
    ("sihui-jade", "广东四会", "Sihui, Guangdong", "广东省", "肇庆市", "jade",
     "四会玉器产业带基地", "广东省肇庆市四会市玉器街", "400-820-2102",
     "全国闻名的玉器加工与批发中心，摆件、手镯品类齐全。"),
    ("jieyang-jade", "广东揭阳", "Jieyang, Guangdong", "广东省", "揭阳市", "jade",
     "揭阳阳美翡翠产业带基地", "广东省揭阳市揭东区阳美村", "400-820-2103",
     "阳美被誉为“中国玉都”，以中高档翡翠加工著称。"),
    ("ketang-jade", "广东可塘", "Ketang, Guangdong", "广东省", "汕尾市", "jade",
     "可塘珠宝产业带基地", "广东省汕尾市海丰县可塘镇", "400-820-2104",
     "可塘珠宝玉石加工产业集群，彩宝与翡翠饰品源头。"),
    ("zhenping-jade", "河南镇平", "Zhenping, Henan", "河南省", "南阳市", "jade",
     "快手珠宝玉石产业带镇平基地", "河南省南阳市镇平县石佛寺镇", "400-820-2105",
     "“中国玉雕之乡”，全国最大的玉雕产品生产、加工、销售集散地；2019 年 9 月基地挂牌。"),
    ("xiuyan-jade", "辽宁岫岩", "Xiuyan, Liaoning", "辽宁省", "鞍山市", "jade",
     "岫岩岫玉产业带基地", "辽宁省鞍山市岫岩满族自治县", "400-820-2106",
     "岫玉的故乡，玉料开采与雕刻源头。"),
    ("shiyan-jade", "湖北十堰", "Shiyan, Hubei", "湖北省", "十堰市", "jade",
     "十堰绿松石产业带基地", "湖北省十堰市郧阳区", "400-820-2107",
     "世界优质绿松石主产地之一，原矿与雕件源头直供。"),
]

SHOP_WORDS = {
    "jade": ["玉缘", "翠韵", "玉匠坊", "和田居", "翡翠人家", "玉雕工作室", "石佛寺玉器", "玉满堂"],
    "apparel": ["衣橱", "档口", "服饰", "制衣厂", "潮衣社", "皮草行", "羊毛衫", "童装坊"],
    "food": ["果园", "土特产", "农场"],
    "tea": ["茶园", "茶厂", "茶舍"],
    "small-commodities": ["百货", "好物", "美妆工厂"],
}

TITLES = {
    "jade-bangle": (["冰种", "糯冰种", "飘花", "晴水", "紫罗兰", "独山玉", "岫玉", "和田玉"],
                    ["手镯", "圆条手镯", "贵妃镯", "平安镯"], ["圈口{n}", "附证书", "源头直发"]),
    "jade-pendant": (["冰种", "翡翠", "和田玉", "绿松石", "岫玉"],
                     ["平安扣", "观音吊坠", "佛公吊坠", "如意吊坠", "葫芦吊坠"],
                     ["手工雕刻", "附证书", "大师作品"]),
    "jade-bracelet": (["绿松石", "翡翠", "和田玉", "岫玉"], ["手串", "108颗佛珠", "圆珠手链"],
                      ["原矿", "{n}mm", "高瓷"]),
    "jade-ornament": (["独山玉", "岫玉", "翡翠", "玉石"], ["山水摆件", "貔貅摆件", "白菜摆件",
                                                       "茶盘"], ["镇宅", "手工雕刻", "送礼"]),
    "jade-raw": (["缅甸", "莫西沙", "木那", "原矿", "岫岩"], ["翡翠原石", "赌石", "玉料",
                                                         "绿松石原矿"], ["开窗料", "{n}克"]),
    "womenswear": (["2026秋冬", "法式", "韩版", "新中式", "通勤"], ["连衣裙", "毛呢大衣",
                                                            "针织开衫", "阔腿裤", "衬衫"],
                   ["档口直发", "一件批发价", "显瘦"]),
    "menswear": (["商务", "休闲", "加厚", "纯棉"], ["夹克", "羊毛衫", "卫衣", "西裤", "衬衫"],
                 ["工厂直供", "大码"]),
    "kidswear": (["纯棉", "加绒", "宝宝", "中大童"], ["套装", "羽绒服", "卫衣", "连体衣"],
                 ["工厂直发", "A类标准"]),
    "fur-leather": (["海宁", "佟二堡", "绵羊皮", "水貂"], ["皮衣", "皮草外套", "羊剪绒",
                                                      "皮夹克"], ["工厂直销", "真皮"]),
    "knitwear": (["羊绒", "纯羊毛", "半高领", "粗针"], ["毛衣", "针织衫", "开衫"],
                 ["常熟源头", "一件批发价"]),
    "fresh-produce": (["现摘", "高山", "原产地"], ["脐橙", "苹果", "猕猴桃", "石榴"],
                      ["{n}斤装", "产地直发"]),
    "snacks": (["手工", "农家", "古法"], ["红薯干", "腊肠", "牛肉干", "糕点"], ["{n}g", "特产"]),
    "tea-green": (["明前", "高山", "头采"], ["龙井", "碧螺春", "毛尖"], ["{n}g", "茶农直供"]),
    "tea-dark": (["陈年", "古树", "老茶"], ["普洱饼", "安化黑茶", "六堡茶"], ["357g", "茶厂直发"]),
    "beauty": (["保湿", "修护", "国货"], ["面霜", "精华液", "面膜", "口红"], ["工厂直供", "{n}ml"]),
    "household": (["加厚", "家用", "大号"], ["收纳箱", "保温杯", "毛巾", "拖把"],
                  ["义乌源头", "一件包邮"]),
}

CATEGORY_PRICES = {  # yuan range per category
    "jade-bangle": (199, 12800), "jade-pendant": (88, 6800), "jade-bracelet": (59, 2600),
    "jade-ornament": (299, 26800), "jade-raw": (99, 8800), "womenswear": (39, 599),
    "menswear": (49, 699), "kidswear": (29, 299), "fur-leather": (399, 8999),
    "knitwear": (59, 899), "fresh-produce": (19, 99), "snacks": (9, 89),
    "tea-green": (49, 899), "tea-dark": (39, 1299), "beauty": (19, 299), "household": (6, 129),
}

CATEGORY_PALETTE = {
    "jade-bangle": "jade", "jade-pendant": "jade", "jade-bracelet": "jade",
    "jade-ornament": "jade", "jade-raw": "jade", "womenswear": "apparel",
    "menswear": "apparel", "kidswear": "apparel", "fur-leather": "apparel",
    "knitwear": "apparel", "fresh-produce": "food", "snacks": "food", "tea-green": "tea",
    "tea-dark": "tea", "beauty": "beauty", "household": "general",
}

# Shops of industries with no belt yet (小商品, 食品, 茶叶): factory-direct and creator brands.
BELTLESS_SHOPS = [
    ("义乌好物工厂店", "small-commodities", SourceType.factory_direct),
    ("源头美妆工厂", "small-commodities", SourceType.factory_direct),
    ("老铁百货", "small-commodities", SourceType.creator_brand),
    ("山里人家土特产", "food", SourceType.creator_brand),
    ("赣南果园直播", "food", SourceType.factory_direct),
    ("安化茶厂", "tea", SourceType.factory_direct),
    ("西湖茶农小王", "tea", SourceType.creator_brand),
    ("云南古树茶", "tea", SourceType.factory_direct),
]

PHOTO_VARIANTS = 6
PRODUCTS_PER_SHOP = 10


def _belts() -> dict[str, Belt]:
    industries = {i.slug: i for i in db.session.scalars(select(Industry))}
    existing = {b.slug: b for b in db.session.scalars(select(Belt))}
    for slug, name, name_en, province, city, industry, base, address, hotline, intro in BELTS:
        if slug not in existing:
            belt = Belt(slug=slug, name=name, name_en=name_en, province=province, city=city,
                        industry_id=industries[industry].id, base_name=base, address=address,
                        hotline=hotline, intro=intro)
            db.session.add(belt)
            existing[slug] = belt
    db.session.flush()
    return existing


class PhotoPool:
    """Generated photos, made once per (category, variant) and shared by many products."""

    def __init__(self) -> None:
        self._made: dict[tuple[str, int], tuple[str, int, int]] = {}

    def get(self, category: str, variant: int) -> tuple[str, int, int]:
        key = (category, variant % PHOTO_VARIANTS)
        if key not in self._made:
            stored = store_image(draw_photo(category, CATEGORY_PALETTE[category], key[1]))
            self._made[key] = (stored.key, stored.width, stored.height)
        return self._made[key]


def _title(rng: random.Random, category: str) -> str:
    first, second, third = TITLES[category]
    extra = rng.choice(third).format(n=rng.choice([52, 54, 56, 58, 60, 8, 10, 500, 250, 5]))
    return f"{rng.choice(first)}{rng.choice(second)} {extra}"[:60]


def _price_fen(rng: random.Random, category: str) -> int:
    low, high = CATEGORY_PRICES[category]
    yuan = int(math.exp(rng.uniform(math.log(low), math.log(high))))
    return yuan * 100 + rng.choice([0, 0, 0, 80, 90, 99])


def _description(belt: Belt | None, title: str, shop: str) -> str:
    where = f"{belt.province}{belt.city}（{belt.name}）" if belt else "源头工厂"
    return (f"{title}。{shop}出品，货源地：{where}。源头好货，一件也是批发价；"
            "直播间实物拍摄，所见即所得，支持七天无理由退换。")


def _categories_for(industry: str, by_industry: dict[str, list[Category]]) -> list[Category]:
    return by_industry[industry]


def _new_product_rows(rng, merchant: Merchant, industry_slug: str, categories, belt, count,
                      lightning_share=0.1):
    rows = []
    for _ in range(count):
        category = rng.choice(categories)
        title = _title(rng, category.slug)
        description = _description(belt, title, merchant.name)
        rows.append({
            "merchant_id": merchant.id, "industry_id": merchant.industry_id,
            "belt_id": merchant.belt_id, "category_id": category.id, "title": title,
            "description": description, "search_tokens": tokens_for(title, description),
            "merchant_certified": merchant.certified,
            "merchant_active": merchant.status == "active", "merchant_name": merchant.name,
            "price_fen": _price_fen(rng, category.slug), "stock": rng.randint(0, 300)
            if rng.random() > 0.05 else 0,
            "source_type": merchant.source_type, "is_lightning": rng.random() < lightning_share,
            "status": "active", "sales_count": int(rng.paretovariate(1.2) * 20),
            "created_at": clock.now() - timedelta(minutes=rng.randint(0, 60 * 24 * 90)),
            "updated_at": clock.now(),
        })
    return rows


def _insert_products(rows: list[dict], photos: PhotoPool, rng: random.Random,
                     slug_of: dict[int, str]) -> None:
    """Bulk insert (fast enough for --scale 100000) with one to three photos each."""
    for start in range(0, len(rows), 2000):
        batch = rows[start:start + 2000]
        ids = db.session.scalars(insert(Product).returning(Product.id, sort_by_parameter_order=True),
                                 batch).all()
        photo_rows = []
        for product_id, row in zip(ids, batch, strict=True):
            slug = slug_of[row["category_id"]]
            variant = rng.randrange(PHOTO_VARIANTS)
            for position in range(rng.choice([1, 1, 2, 3])):
                key, width, height = photos.get(slug, variant + position)
                photo_rows.append({"product_id": product_id, "position": position,
                                   "image_key": key, "width": width, "height": height})
        db.session.execute(insert(ProductPhoto), photo_rows)


def _shops(pw_hash: str, belts: dict[str, Belt], rng: random.Random) -> list[Merchant]:
    industries = {i.slug: i for i in db.session.scalars(select(Industry))}
    existing = {m.owner.email: m for m in db.session.scalars(select(Merchant))
                if m.owner and m.owner.email}
    shops: list[Merchant] = []

    def make(email, name, industry, source, belt, hotline, certified, sales=None):
        if email in existing:
            shops.append(existing[email])
            return
        owner = ensure_user(email, name, pw_hash)
        merchant = Merchant(
            owner_id=owner.id, name=name, source_type=source, industry_id=industries[industry].id,
            belt_id=belt.id if belt else None, hotline=hotline,
            address=belt.address if belt else "", certified=certified,
            certified_at=clock.now() - timedelta(days=rng.randint(20, 300)) if certified else None,
            intro=f"{name}，源头直供，直播间天天见。",
            sales_count=sales if sales is not None else rng.randint(50, 50000),
        )
        db.session.add(merchant)
        db.session.flush()
        shops.append(merchant)

    # 玉匠人: the seed's Zhenping jade carver (徐方滔), certified, 400 hotline, certificates.
    make(YUJIANGREN_EMAIL, "玉匠人", "jade", SourceType.industry_belt, belts["zhenping-jade"],
         "400-686-1106", True, sales=128000)  # the seed's top seller: ¥5M in ten days
    for index, (slug, *_rest) in enumerate(BELTS):
        belt = belts[slug]
        industry = _rest[4]
        words = SHOP_WORDS[industry]
        for n in range(5):
            source = SourceType.industry_belt
            if industry == "jade" and n == 4:
                source = SourceType.origin
            elif n == 3:
                source = SourceType.factory_direct
            name = f"{belt.name[2:]}{words[(index + n) % len(words)]}{'一二三四五'[n]}号"
            make(f"shop-{slug}-{n}@demo.yuantou.cn", name, industry, source, belt,
                 f"400-{600 + index:03d}-{1000 + n:04d}", n in (0, 2))
    for n, (name, industry, source) in enumerate(BELTLESS_SHOPS):
        make(f"shop-{industry}-{n}@demo.yuantou.cn", name, industry, source, None,
             f"0571-8{n:03d}{n:04d}", n % 3 == 0)
    return shops


CERTIFIED_TITLE = "附证书"


def _certificates(shop: Merchant, rng: random.Random) -> int:
    """Every piece of 玉匠人 carries a quality certificate (质检证书), as in the seed, and so does
    every demo product whose title promises one (附证书), whichever shop sells it."""
    made = 0
    have = set(db.session.scalars(select(Certificate.product_id)))
    products = db.session.scalars(
        select(Product).where(or_(Product.merchant_id == shop.id,
                                  Product.title.contains(CERTIFIED_TITLE)))
        .order_by(Product.id)).all()
    for index, product in enumerate(products):
        if product.id in have:
            continue
        weight = rng.uniform(8, 80)
        db.session.add(Certificate(
            number=f"NGTC-ZP-{2019 + index % 7}{product.id:07d}", product_id=product.id,
            merchant_id=product.merchant_id, lab="国家珠宝玉石质量监督检验中心（NGTC）",
            findings=f"翡翠（A货）；重量 {weight:.1f} g；{product.title}",
            issued_on=clock.now() - timedelta(days=rng.randint(1, 200)),
        ))
        made += 1
    return made


def seed_catalog(scale: int = 0) -> list[str]:
    rng = random.Random(20191106)
    pw_hash = password_hash()
    belts = _belts()
    operator = ensure_user(OPERATOR_EMAIL, "平台运营小源", pw_hash, operator=True)
    ensure_user(BUYER_EMAIL, "老铁买家", pw_hash)
    for slug, name in (("zhenping-jade", "镇平基地管理员"), ("ruili-jade", "瑞丽基地管理员")):
        admin = ensure_user(f"admin-{slug}@demo.yuantou.cn", name, pw_hash)
        if db.session.get(BeltAdmin, (admin.id, belts[slug].id)) is None:
            db.session.add(BeltAdmin(user_id=admin.id, belt_id=belts[slug].id,
                                     assigned_by_id=operator.id))
    shops = _shops(pw_hash, belts, rng)

    categories = db.session.scalars(select(Category)).all()
    by_industry: dict[str, list[Category]] = {}
    industry_slug = {i.id: i.slug for i in db.session.scalars(select(Industry))}
    for category in categories:
        by_industry.setdefault(industry_slug[category.industry_id], []).append(category)
    slug_of = {c.id: c.slug for c in categories}
    belts_by_id = {b.id: b for b in belts.values()}
    photos = PhotoPool()

    counts = dict(db.session.execute(
        select(Product.merchant_id, func.count()).group_by(Product.merchant_id)).all())
    rows = []
    for shop in shops:
        missing = PRODUCTS_PER_SHOP - counts.get(shop.id, 0)
        if missing > 0:
            rows += _new_product_rows(rng, shop, industry_slug[shop.industry_id],
                                      by_industry[industry_slug[shop.industry_id]],
                                      belts_by_id.get(shop.belt_id), missing)
    _insert_products(rows, photos, rng, slug_of)

    total = db.session.scalar(select(func.count()).select_from(Product)) or 0
    if scale > total:
        extra = []
        for index in range(scale - total):
            shop = shops[index % len(shops)]
            extra += _new_product_rows(rng, shop, industry_slug[shop.industry_id],
                                       by_industry[industry_slug[shop.industry_id]],
                                       belts_by_id.get(shop.belt_id), 1)
            if len(extra) >= 20000:
                _insert_products(extra, photos, rng, slug_of)
                db.session.commit()
                extra = []
        _insert_products(extra, photos, rng, slug_of)
    certificates = _certificates(shops[0], rng)
    db.session.commit()
    total = db.session.scalar(select(func.count()).select_from(Product)) or 0
    return [
        f"belts: {len(belts)}, shops: {db.session.scalar(select(func.count()).select_from(Merchant))},"
        f" products: {total}, new certificates: {certificates}",
        f"demo accounts (password {DEMO_PASSWORD}): operator {OPERATOR_EMAIL}, "
        f"buyer {BUYER_EMAIL}, merchant 玉匠人 {YUJIANGREN_EMAIL}, "
        "belt admins admin-zhenping-jade@demo.yuantou.cn / admin-ruili-jade@demo.yuantou.cn",
    ]
