"""Reference data the app ships with: the industries, product categories and source types.

Category and source-type names are Simplified Chinese msgids (extracted by N_) so the English
catalogue translates them; industries carry their English names in columns (`name_en`).
The migrations insert the same rows; `ensure_reference_data()` keeps a database in step.
"""
from __future__ import annotations

from enum import StrEnum

from app.i18n import N_


class SourceType(StrEnum):
    """源头类型: the four kinds of source in the seed."""

    origin = "origin"                  # 原产地
    industry_belt = "industry_belt"    # 产业带
    factory_direct = "factory_direct"  # 工厂直供
    creator_brand = "creator_brand"    # 达人品牌


SOURCE_TYPE_NAMES = {
    SourceType.origin: N_("原产地"),
    SourceType.industry_belt: N_("产业带"),
    SourceType.factory_direct: N_("工厂直供"),
    SourceType.creator_brand: N_("达人品牌"),
}

SOURCE_TYPE_CHECK = "source_type IN ('origin','industry_belt','factory_direct','creator_brand')"

# Source types that must name a belt: the goods come from a cluster region.
SOURCE_TYPES_NEEDING_BELT = {SourceType.industry_belt, SourceType.origin}

# (slug, name, English name, portal name, English portal name, position). Industries are rows
# (operators may add more), so their English names are stored beside the Chinese ones.
INDUSTRIES = [
    ("jade", "玉石", "Jade", "见宝", "Jianbao", 1),
    ("apparel", "服装", "Apparel", "服装源头", "Apparel at source", 2),
    ("food", "食品", "Food", "食品源头", "Food at source", 3),
    ("tea", "茶叶", "Tea", "茶叶源头", "Tea at source", 4),
    ("small-commodities", "小商品", "Small commodities", "小商品源头", "Small commodities at source", 5),
]

# The campaign venue's session categories (源头好货专场): 服饰 美妆 美食 玉石 百货.
VENUE_GROUPS = {
    "apparel": N_("服饰"),
    "beauty": N_("美妆"),
    "food": N_("美食"),
    "jade": N_("玉石"),
    "general": N_("百货"),
}

# (slug, name, industry slug, venue group)
CATEGORIES = [
    ("jade-bangle", N_("手镯"), "jade", "jade"),
    ("jade-pendant", N_("吊坠"), "jade", "jade"),
    ("jade-bracelet", N_("手串"), "jade", "jade"),
    ("jade-ornament", N_("摆件"), "jade", "jade"),
    ("jade-raw", N_("原石"), "jade", "jade"),
    ("womenswear", N_("女装"), "apparel", "apparel"),
    ("menswear", N_("男装"), "apparel", "apparel"),
    ("kidswear", N_("童装"), "apparel", "apparel"),
    ("fur-leather", N_("皮草皮衣"), "apparel", "apparel"),
    ("knitwear", N_("毛衫"), "apparel", "apparel"),
    ("fresh-produce", N_("生鲜果蔬"), "food", "food"),
    ("snacks", N_("零食特产"), "food", "food"),
    ("tea-green", N_("绿茶"), "tea", "food"),
    ("tea-dark", N_("黑茶普洱"), "tea", "food"),
    ("beauty", N_("美妆护肤"), "small-commodities", "beauty"),
    ("household", N_("家居百货"), "small-commodities", "general"),
]
