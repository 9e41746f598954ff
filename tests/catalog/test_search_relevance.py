"""Search as a buyer expects it: what the goods *are* first, English words that find Chinese
goods, and filters that say how many goods each choice gives."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from app.extensions import db
from tests import factories as make


def listing(response) -> str:
    page = response.get_data(as_text=True)
    return page[page.index('class="grid"'):] if 'class="grid"' in page else ""


def order_of(page: str, *titles: str) -> list[str]:
    found = [t for t in titles if t in page]
    return sorted(found, key=page.index)


@pytest.fixture
def tea_and_trays(ctx):
    tea_farm = make.merchant("西湖茶农", belt_slug=None, industry_slug="tea",
                             source_type="creator_brand")
    jade = make.merchant("玉匠人", certified=True)  # certified, selling more: ranked first
    return {                                        # if only the title counted
        "longjing": make.product(tea_farm, "头采龙井 500g", category_slug="tea-green",
                                 description="明前头采，茶农直供。", sales=5),
        "puer": make.product(tea_farm, "老茶普洱饼 357g", category_slug="tea-dark",
                             description="十年陈，口感醇厚。", sales=3),
        "tray": make.product(jade, "翡翠茶盘 送礼", category_slug="jade-ornament",
                             description="整料雕刻，摆放茶具。", sales=900),
    }


def test_tea_ranks_tea_before_tea_trays(client, tea_and_trays):
    page = listing(client.get("/search", query_string={"q": "茶"}))
    ranked = order_of(page, "头采龙井 500g", "老茶普洱饼 357g", "翡翠茶盘 送礼")
    assert len(ranked) == 3 and ranked[-1] == "翡翠茶盘 送礼", ranked


def test_the_category_finds_goods_whose_text_never_says_the_word(client, tea_and_trays):
    # 头采龙井's title and description never say 茶叶; its category and industry do.
    page = listing(client.get("/search", query_string={"q": "茶叶"}))
    assert "头采龙井 500g" in page and "翡翠茶盘 送礼" not in page


def test_title_and_category_matches_outrank_description_matches(client, ctx):
    shop = make.merchant("玉匠人")
    big = make.merchant("镇平大卖家", certified=True)
    make.product(big, "平安扣吊坠", category_slug="jade-pendant", sales=5000,
                 description="可与手镯搭配佩戴。")
    make.product(shop, "贵妃镯 圈口56", category_slug="jade-bangle", description="冰糯种。")
    make.product(shop, "冰种手镯", category_slug="jade-bangle", description="冰种。")
    page = listing(client.get("/search", query_string={"q": "手镯"}))
    # title + category, then category alone, then the description-only mention
    assert order_of(page, "冰种手镯", "贵妃镯 圈口56", "平安扣吊坠") == [
        "冰种手镯", "贵妃镯 圈口56", "平安扣吊坠"]


@pytest.fixture
def jade_and_coats(ctx):
    jade = make.merchant("玉匠人", certified=True)
    coats = make.merchant("四季青女装", belt_slug="hangzhou-apparel")
    tea_farm = make.merchant("西湖茶农", belt_slug=None, industry_slug="tea")
    make.product(jade, "翡翠手镯", description="缅甸A货，附证书。")
    make.product(jade, "翡翠平安扣吊坠", category_slug="jade-pendant", description="A货。")
    make.product(coats, "法式毛呢大衣", category_slug="womenswear", description="双面呢。")
    make.product(coats, "S925 银扣羊毛衫", category_slug="knitwear", description="纯羊毛。")
    make.product(tea_farm, "明前龙井 250g", category_slug="tea-green", description="头采。")


@pytest.mark.parametrize("query", ["jade bangle", "Jade Bangles", "bangle jade", "jade  bangle"])
def test_a_buyer_searching_in_english_finds_chinese_goods(client, jade_and_coats, query):
    page = listing(client.get("/search", query_string={"q": query}))
    assert "翡翠手镯" in page
    assert "翡翠平安扣吊坠" not in page and "法式毛呢大衣" not in page


def test_english_phrases_and_plain_english_text(client, jade_and_coats):
    green_tea = listing(client.get("/search", query_string={"q": "green tea"}))
    assert "明前龙井 250g" in green_tea and "翡翠手镯" not in green_tea
    coats = listing(client.get("/search", query_string={"q": "wool coat"}))
    assert "法式毛呢大衣" in coats and "S925 银扣羊毛衫" not in coats
    # a word the table doesn't know still matches the goods' own text
    assert "S925 银扣羊毛衫" in listing(client.get("/search", query_string={"q": "s925"}))


def test_an_english_reader_searches_from_the_header_in_english(client, jade_and_coats):
    client.set_cookie("lang", "en")
    response = client.get("/search", query_string={"q": "jade bangle"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "翡翠手镯" in listing(response)
    assert "Results for “jade bangle”" in page


# --- facets -----------------------------------------------------------------------------------

def options(page: str, select_id: str) -> dict[str, str]:
    """value → option text of one <select> in the filter form."""
    block = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', page, re.S)
    assert block, f"no select #{select_id}"
    return {v: " ".join(t.split()) for v, t in
            re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', block.group(1)) if v}


def test_search_facets_show_how_many_goods_each_choice_gives(client, jade_and_coats):
    page = client.get("/search", query_string={"q": "翡翠"}).get_data(as_text=True)
    assert options(page, "f-category") == {"jade-bangle": "手镯 (1)", "jade-pendant": "吊坠 (1)"}
    assert options(page, "f-belt") == {"zhenping-jade": "河南镇平 (2)"}
    assert options(page, "f-industry") == {"jade": "玉石 (2)"}
    assert "只看官方认证 (2)" in page
    # a chosen category keeps the other categories' counts (what choosing them would give)
    chosen = client.get("/search", query_string={"q": "翡翠", "category": "jade-pendant"})
    chosen = chosen.get_data(as_text=True)
    assert options(chosen, "f-category") == {"jade-bangle": "手镯 (1)", "jade-pendant": "吊坠 (1)"}
    assert options(chosen, "f-belt") == {"zhenping-jade": "河南镇平 (1)"}


def test_belt_and_portal_facets_count_within_their_scope(client, jade_and_coats):
    belt = client.get("/belts/hangzhou-apparel").get_data(as_text=True)
    assert options(belt, "f-category") == {"womenswear": "女装 (1)", "knitwear": "毛衫 (1)"}
    assert 'id="f-belt"' not in belt  # the page's own belt is not a choice
    portal = client.get("/portals/jade").get_data(as_text=True)
    assert options(portal, "f-belt") == {"zhenping-jade": "河南镇平 (2)"}
    assert 'id="f-industry"' not in portal
    client.set_cookie("lang", "en")
    english = client.get("/portals/jade").get_data(as_text=True)
    assert options(english, "f-belt") == {"zhenping-jade": "Zhenping, Henan (jade) (2)"}
    assert options(english, "f-category")["jade-bangle"] == "Bangles (1)"


def test_an_htmx_filter_change_brings_fresh_counts_with_the_goods(client, jade_and_coats):
    response = client.get("/search", query_string={"q": "翡翠", "category": "jade-bangle"},
                          headers={"HX-Request": "true", "HX-Target": "listing"})
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="listing"') and "site-header" not in fragment
    assert options(fragment, "f-belt") == {"zhenping-jade": "河南镇平 (1)"}
    assert "翡翠手镯" in fragment and "翡翠平安扣吊坠" not in listing(response)


def _statements(client, url: str) -> int:
    seen = []

    def note(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    return len(seen)


def test_facet_counts_take_the_same_few_queries_however_many_choices(client, ctx):
    shop = make.merchant("玉匠人")
    make.product(shop, "翡翠手镯")
    small = _statements(client, "/search?q=翡翠")
    for n, slug in enumerate(["ruili-jade", "sihui-jade", "jieyang-jade", "ketang-jade",
                              "xiuyan-jade", "shiyan-jade", "hangzhou-apparel"]):
        other = make.merchant(f"店{n}", belt_slug=slug)
        for category in ("jade-pendant", "jade-bracelet", "jade-ornament", "womenswear"):
            make.product(other, f"翡翠货{n}{category}", category_slug=category)
    large = _statements(client, "/search?q=翡翠")
    assert large == small, (small, large)
    assert small <= 16, small
