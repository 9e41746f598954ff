"""English words a buyer may search with, and the Chinese words the goods are listed under.

Titles and descriptions are written in Chinese by merchants, so "jade bangle" finds nothing
by itself. A query word found here also matches its Chinese words: "jade bangle" finds
翡翠手镯. Expanding the query (rather than storing English keywords on each product) means a
word added here works at once for every product, with nothing to re-index.

Keys are lower-case English, singular; several-word keys ("green tea") are matched before
their single words. Keep the Chinese words specific (each one is matched as a substring) and
short where you can: a word of one or two characters is a single index lookup on PostgreSQL
(app.catalog.matching), a longer one needs a substring check of each candidate."""
from __future__ import annotations

import re

SYNONYMS: dict[str, tuple[str, ...]] = {
    # industries and the words around them
    "jade": ("玉", "翡翠"),  # 玉 is in 和田玉, 岫玉, 独山玉, 玉石 …: one token, one index lookup
    "jadeite": ("翡翠",),
    "emerald": ("翡翠",),
    "nephrite": ("和田玉",),
    "hetian": ("和田玉",),
    "xiuyan": ("岫玉",),
    "dushan": ("独山玉",),
    "turquoise": ("绿松石",),
    "apparel": ("服装", "服饰", "女装", "男装", "童装"),
    "clothes": ("服装", "服饰", "女装", "男装", "童装"),
    "clothing": ("服装", "服饰", "女装", "男装", "童装"),
    "fashion": ("服装", "服饰"),
    "food": ("食品", "美食"),
    "tea": ("茶",),
    "green tea": ("绿茶", "龙井", "碧螺春", "毛尖"),
    "dark tea": ("黑茶", "普洱", "六堡茶"),
    "black tea": ("红茶",),
    "pu'er": ("普洱",),
    "puer": ("普洱",),
    "pu-erh": ("普洱",),
    "longjing": ("龙井",),
    "dragon well": ("龙井",),
    "biluochun": ("碧螺春",),
    "tea tray": ("茶盘",),
    # jade goods
    "bangle": ("手镯", "镯"),
    "bracelet": ("手串", "手链", "手镯"),
    "bead": ("珠", "手串"),
    "pendant": ("吊坠", "坠", "平安扣"),
    "necklace": ("项链", "吊坠"),
    "amulet": ("平安扣", "吊坠"),
    "ornament": ("摆件",),
    "carving": ("雕", "摆件"),
    "raw stone": ("原石", "原矿", "玉料", "赌石"),
    "rough": ("原石", "原矿", "玉料"),
    "certificate": ("证书",),
    "certified": ("证书", "认证"),
    # apparel
    "womenswear": ("女装",),
    "women": ("女装", "女士", "女款"),
    "menswear": ("男装",),
    "men": ("男装", "男士", "男款"),
    "kidswear": ("童装", "童", "宝宝"),
    "kid": ("童", "宝宝"),
    "child": ("童", "宝宝"),
    "baby": ("宝宝", "婴"),
    "dress": ("连衣裙", "裙"),
    "skirt": ("裙",),
    "coat": ("大衣", "外套"),
    "jacket": ("夹克", "外套", "皮衣"),
    "down jacket": ("羽绒服",),
    "shirt": ("衬衫",),
    "hoodie": ("卫衣",),
    "sweatshirt": ("卫衣",),
    "sweater": ("毛衣", "毛衫", "针织衫", "开衫"),
    "cardigan": ("开衫",),
    "knitwear": ("毛衫", "针织", "毛衣"),
    "cashmere": ("羊绒",),
    "wool": ("羊毛", "毛呢", "羊绒"),
    "trousers": ("裤",),
    "pants": ("裤",),
    "leather": ("皮衣", "真皮", "皮夹克", "皮革"),
    "fur": ("皮草", "水貂"),
    "mink": ("水貂",),
    "suit": ("套装", "西装"),
    # food
    "fruit": ("水果", "鲜果", "橙", "苹果", "猕猴桃", "石榴"),
    "orange": ("橙",),
    "apple": ("苹果",),
    "kiwi": ("猕猴桃",),
    "pomegranate": ("石榴",),
    "snack": ("零食", "肉干", "红薯干", "糕点"),
    "beef jerky": ("牛肉干",),
    "jerky": ("肉干",),
    "sausage": ("腊肠", "香肠"),
    "pastry": ("糕点",),
    "cake": ("糕",),
    "sweet potato": ("红薯",),
    "specialty": ("特产",),
    "speciality": ("特产",),
    "fresh": ("生鲜", "现摘"),
    # small commodities, beauty
    "beauty": ("美妆",),
    "skincare": ("护肤", "面霜", "精华"),
    "cream": ("面霜", "霜"),
    "face cream": ("面霜",),
    "serum": ("精华",),
    "mask": ("面膜",),
    "lipstick": ("口红",),
    "household": ("家居", "百货"),
    "storage": ("收纳",),
    "storage box": ("收纳箱",),
    "thermos": ("保温杯",),
    "cup": ("杯",),
    "towel": ("毛巾",),
    "mop": ("拖把",),
    # how goods are sold
    "source": ("源头",),
    "factory": ("工厂",),
    "wholesale": ("批发",),
    "handmade": ("手工",),
    "hand-carved": ("手工雕刻",),
    "gift": ("送礼", "礼盒", "礼品"),
}

_LONGEST_KEY = max(len(key.split()) for key in SYNONYMS)
_WORD = re.compile(r"[a-z][a-z'\-]*")


def english_key(words: list[str]) -> str | None:
    """The synonym key these English words stand for, if any ("green teas" → "green tea")."""
    phrase = " ".join(words)
    if phrase in SYNONYMS:
        return phrase
    *head, last = words
    for suffix, replacement in (("ies", "y"), ("es", ""), ("s", "")):
        if last.endswith(suffix):
            candidate = " ".join([*head, last[: -len(suffix)] + replacement])
            if candidate in SYNONYMS:
                return candidate
    return None


def split_english(words: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    """Group English words into terms, longest synonym phrase first: each term with the
    Chinese words it also matches (empty when the word isn't in the table)."""
    terms: list[tuple[str, tuple[str, ...]]] = []
    i = 0
    while i < len(words):
        for size in range(min(_LONGEST_KEY, len(words) - i), 0, -1):
            chunk = words[i:i + size]
            if all(_WORD.fullmatch(w) for w in chunk):
                key = english_key(chunk)
                if key is not None:
                    terms.append((" ".join(chunk), SYNONYMS[key]))
                    i += size
                    break
        else:
            terms.append((words[i], ()))
            i += 1
    return terms
