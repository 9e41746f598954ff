"""Search: Chinese substring matching, facets, sorting, load-more, and hostile queries."""
from __future__ import annotations

import re

import pytest

from tests import factories as make


def listing(response) -> str:
    page = response.get_data(as_text=True)
    return page[page.index('id="listing"'):] if 'id="listing"' in page else page


@pytest.fixture
def catalogue(ctx):
    zhenping = make.merchant("玉匠人", certified=True)
    ruili = make.merchant("瑞丽翠韵", belt_slug="ruili-jade")
    hangzhou = make.merchant("四季青女装", belt_slug="hangzhou-apparel", source_type="factory_direct")
    return {
        "bangle": make.product(zhenping, "冰种飘花翡翠手镯", price_fen=128000, sales=50),
        "pendant": make.product(ruili, "木那平安扣吊坠", price_fen=38800, sales=900,
                                category_slug="jade-pendant",
                                description="缅甸翡翠，冰糯种，适合日常佩戴"),
        "coat": make.product(hangzhou, "法式毛呢大衣", price_fen=59900, sales=300,
                             category_slug="womenswear"),
    }


def test_chinese_query_finds_titles_and_descriptions(client, catalogue):
    result = listing(client.get("/search", query_string={"q": "翡翠"}))
    assert "冰种飘花翡翠手镯" in result  # title match
    assert "木那平安扣吊坠" in result    # description match (缅甸翡翠)
    assert "法式毛呢大衣" not in result
    # title matches rank above description-only matches
    assert result.index("冰种飘花翡翠手镯") < result.index("木那平安扣吊坠")


def test_query_without_exact_match_falls_back_to_shorter_words(client, catalogue):
    result = listing(client.get("/search", query_string={"q": "翡翠吊坠"}))
    assert "木那平安扣吊坠" in result
    assert "相关结果" in result


def test_filters_narrow_the_results(client, catalogue):
    def titles(**params):
        return listing(client.get("/search", query_string=params))

    assert "法式毛呢大衣" in titles(industry="apparel")
    assert "冰种飘花翡翠手镯" not in titles(industry="apparel")
    assert "木那平安扣吊坠" in titles(belt="ruili-jade")
    assert "冰种飘花翡翠手镯" not in titles(belt="ruili-jade")
    only_cert = titles(certified="1")
    assert "冰种飘花翡翠手镯" in only_cert and "木那平安扣吊坠" not in only_cert
    assert "法式毛呢大衣" in titles(source="factory_direct")
    priced = titles(min="300", max="600")
    assert "木那平安扣吊坠" in priced and "法式毛呢大衣" in priced
    assert "冰种飘花翡翠手镯" not in priced
    assert "吊坠" in titles(category="jade-pendant")


def test_sort_orders(client, catalogue):
    def order(sort):
        page = listing(client.get("/search", query_string={"sort": sort}))
        names = ["冰种飘花翡翠手镯", "木那平安扣吊坠", "法式毛呢大衣"]
        return sorted(names, key=page.index)

    assert order("price") == ["木那平安扣吊坠", "法式毛呢大衣", "冰种飘花翡翠手镯"]
    assert order("price_desc") == ["冰种飘花翡翠手镯", "法式毛呢大衣", "木那平安扣吊坠"]
    assert order("sales") == ["木那平安扣吊坠", "法式毛呢大衣", "冰种飘花翡翠手镯"]
    assert order("newest")[0] == "法式毛呢大衣"
    # relevance without a query: certified shop first
    assert order("relevance")[0] == "冰种飘花翡翠手镯"


def test_load_more_pages_with_links_and_htmx_fragments(client, ctx, app):
    shop = make.merchant("玉匠人")
    for n in range(app.config["PAGE_SIZE"] + 5):
        make.product(shop, f"手镯{n:02d}号", sales=n)
    first = client.get("/search", query_string={"q": "手镯", "sort": "sales"}).get_data(as_text=True)
    assert first.count('class="card-title"') == app.config["PAGE_SIZE"]
    more = re.search(r'<a class="button button-ghost" href="([^"]+)" hx-get="([^"]+)"', first)
    assert more, "a load-more link that also works without JavaScript"
    href = more.group(1).replace("&amp;", "&")
    assert "page=2" in href
    plain = client.get(href).get_data(as_text=True)
    assert plain.count('class="card-title"') == 5 and "上一页" in plain
    fragment = client.get(href, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "site-header" not in fragment and fragment.count('class="card-title"') == 5
    assert fragment.lstrip().startswith("<li>") and "没有更多了" in fragment


@pytest.mark.parametrize("params,note", [
    ({"min": "abc"}, "不是有效金额"),
    ({"max": "1e9"}, "不是有效金额"),
    ({"page": "-3"}, "页码无效"),
    ({"page": "99999999999999999999"}, "页码无效"),
    ({"page": "0"}, "页码无效"),
    ({"page": "二"}, "页码无效"),
    ({"sort": "price; DROP TABLE products"}, "未知的排序方式"),
    ({"belt": "atlantis-jade"}, "未知的产业带"),
    ({"industry": "<b>x</b>"}, "未知的行业"),
    ({"q": "翡翠" * 5000}, "搜索词过长"),
    ({"q": "手\x01镯\x7f"}, "控制字符已移除"),
    ({"min": "500", "max": "100"}, "已为你对调"),
])
def test_malformed_filters_are_ignored_with_a_visible_note(client, catalogue, params, note):
    response = client.get("/search", query_string=params)
    assert response.status_code == 200
    assert note in response.get_data(as_text=True)


def test_whatever_the_user_typed_is_shown_escaped(client, catalogue):
    page = client.get("/search", query_string={"q": '"><script>alert(1)</script>'}).get_data(
        as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_like_wildcards_in_queries_are_literal(client, catalogue):
    assert "冰种飘花翡翠手镯" not in listing(client.get("/search", query_string={"q": "%"}))
    assert "冰种飘花翡翠手镯" not in listing(client.get("/search", query_string={"q": "_"}))


def test_repeated_and_array_parameters_do_not_break_anything(client, catalogue):
    response = client.get("/search?q=翡翠&q=手镯&page=1&page=2&min[]=1&sort[]=x")
    assert response.status_code == 200


def test_a_huge_page_number_in_range_shows_an_empty_page(client, catalogue):
    response = client.get("/search?page=500")
    assert response.status_code == 200
    assert "没有找到符合条件的商品" in response.get_data(as_text=True)


def test_search_tokens_cover_every_character_and_pair():
    from app.catalog.search import required_tokens, tokens_for

    tokens = set(tokens_for("冰种翡翠手镯 56mm", "NGTC-ZP").split())
    assert {"冰", "镯", "冰种", "翡翠", "手镯", "56mm", "ngtc", "zp"} <= tokens
    assert required_tokens("翡翠手镯") == ["翡翠", "翠手", "手镯"]
    assert required_tokens("玉") == ["玉"]
    assert required_tokens("ngtc") == []  # ASCII substrings are left to the ILIKE recheck


def test_single_characters_and_mixed_terms_are_found(client, catalogue):
    assert "冰种飘花翡翠手镯" in listing(client.get("/search", query_string={"q": "镯"}))
    assert "法式毛呢大衣" in listing(client.get("/search", query_string={"q": "毛呢"}))
    assert "木那平安扣吊坠" in listing(client.get("/search", query_string={"q": "冰糯"}))


def test_editing_a_title_reindexes_it(client, catalogue):
    from app.catalog import listing as listing_service
    from app.catalog.listing import ProductDraft

    bangle = catalogue["bangle"]
    listing_service.update_product(bangle.merchant.owner, bangle.id,
                                   ProductDraft("紫罗兰贵妃镯", bangle.price_fen, bangle.stock))
    assert "紫罗兰贵妃镯" in listing(client.get("/search", query_string={"q": "紫罗兰"}))
    assert "紫罗兰贵妃镯" not in listing(client.get("/search", query_string={"q": "飘花"}))


def test_certifying_a_shop_ranks_its_goods_first_everywhere(client, catalogue):
    from app.extensions import db

    ruili_shop = catalogue["pendant"].merchant
    ruili_shop.certified = True
    db.session.commit()
    db.session.expire_all()
    assert catalogue["pendant"].merchant_certified
    only_cert = listing(client.get("/search", query_string={"certified": "1"}))
    assert "木那平安扣吊坠" in only_cert
    ruili_shop.certified = False
    db.session.commit()
    assert "木那平安扣吊坠" not in listing(client.get("/search", query_string={"certified": "1"}))
