"""What a buyer sees on the home page, portals, belt pages, shops and product pages."""
from __future__ import annotations

import re

from app.demo import BELTS
from tests import factories as make


def text_of(response) -> str:
    return response.get_data(as_text=True)


def positions(page: str, *needles: str) -> list[int]:
    return [page.index(n) for n in needles]


def test_home_lists_the_industry_portals_and_certified_goods(client, ctx):
    certified = make.merchant("玉匠人", certified=True)
    plain = make.merchant("无名玉器", certified=False)
    make.product(certified, "认证店的手镯")
    make.product(plain, "普通店的手镯")
    page = text_of(client.get("/"))
    for name in ("见宝", "服装源头", "食品源头", "茶叶源头", "小商品源头"):
        assert name in page
    assert "认证店的手镯" in page
    assert "普通店的手镯" not in page  # the featured strip is certified goods only
    assert "/portals/jade" in page


def test_jade_portal_is_jianbao_with_all_seven_jade_belts(client, ctx):
    for slug, *_ in BELTS:
        make.belt(slug)
    certified = make.merchant("瑞丽翠韵", belt_slug="ruili-jade", certified=True)
    make.product(certified, "木那翡翠原石")
    page = text_of(client.get("/portals/jade"))
    assert "<h1" in page and "见宝" in page
    jade_belts = [b for b in BELTS if b[5] == "jade"]
    assert len(jade_belts) == 7
    for slug, name, *_ in jade_belts:
        assert f"/belts/{slug}" in page and name in page
    assert "河北沧州" not in page  # apparel belts stay on the apparel portal
    assert "瑞丽翠韵" in page and "木那翡翠原石" in page


def test_portal_of_an_industry_without_belts_says_so(client, ctx):
    page = text_of(client.get("/portals/tea"))
    assert "产业带筹备中" in page


def test_belt_page_shows_base_info_hotline_and_certified_shops_first(client, ctx):
    uncertified = make.merchant("镇平大卖家", certified=False, sales=99999)
    certified = make.merchant("玉匠人", certified=True, sales=10)
    make.product(uncertified, "卖得最好的普通手镯", sales=5000)
    make.product(certified, "认证店手镯", sales=1)
    page = text_of(client.get("/belts/zhenping-jade"))
    assert "快手珠宝玉石产业带镇平基地" in page
    assert 'href="tel:4008202105"' in page and "400-820-2105" in page
    assert "河南省南阳市镇平县石佛寺镇" in page
    shops_section = page[page.index("基地商家"):]
    first, second = positions(shops_section, "玉匠人", "镇平大卖家")
    assert first < second, "certified shop listed before a bigger uncertified one"
    goods = page[page.index('id="listing"'):]
    first, second = positions(goods, "认证店手镯", "卖得最好的普通手镯")
    assert first < second, "certified goods ranked first by default"


def test_belt_page_facets_filter_by_category_and_source(client, ctx):
    shop = make.merchant("玉匠人")
    make.product(shop, "平安扣吊坠", category_slug="jade-pendant")
    make.product(shop, "贵妃镯", category_slug="jade-bangle")
    page = text_of(client.get("/belts/zhenping-jade"))
    assert re.search(r'value="jade-pendant"[^>]*>吊坠 \(1\)', page)
    filtered = text_of(client.get("/belts/zhenping-jade?category=jade-pendant"))
    listing = filtered[filtered.index('id="listing"'):]
    assert "平安扣吊坠" in listing and "贵妃镯" not in listing
    none = text_of(client.get("/belts/zhenping-jade?source=creator_brand"))
    assert "没有找到符合条件的商品" in none


def test_belt_listing_htmx_fragment_is_only_the_listing(client, ctx):
    shop = make.merchant("玉匠人")
    make.product(shop, "贵妃镯")
    response = client.get("/belts/zhenping-jade?sort=price",
                          headers={"HX-Request": "true", "HX-Target": "listing"})
    page = text_of(response)
    assert response.status_code == 200
    assert page.lstrip().startswith('<div id="listing"') and "site-header" not in page
    assert "贵妃镯" in page


def test_product_page_has_everything_a_buyer_checks(client, ctx):
    shop = make.merchant("玉匠人", certified=True, hotline="400-686-1106")
    item = make.product(shop, "冰种飘花翡翠手镯 圈口56", price_fen=128050, stock=7, sales=12345)
    make.certificate(item, "NGTC-ZP-20190000001")
    page = text_of(client.get(f"/products/{item.id}"))
    assert "冰种飘花翡翠手镯 圈口56" in page
    assert '<span class="price-yuan">1,280</span><span class="price-fen">.50</span>' in page
    assert "库存 7 件" in page and "已售 1.2万" in page
    assert "产业带" in page and "源头好货" in page and "官方认证" in page
    assert "NGTC-ZP-20190000001" in page
    assert 'href="tel:4006861106"' in page
    assert "河南镇平" in page


def test_sold_out_goods_say_so(client, ctx):
    shop = make.merchant("玉匠人")
    item = make.product(shop, "最后一只手镯", stock=0)
    assert "已抢光" in text_of(client.get(f"/products/{item.id}"))
    assert "is-sold-out" in text_of(client.get("/belts/zhenping-jade"))


def test_off_shelf_goods_are_gone_for_buyers_but_visible_to_their_owner(client, ctx):
    shop = make.merchant("玉匠人")
    item = make.product(shop, "下架的手镯", status="off_shelf")
    response = client.get(f"/products/{item.id}")
    assert response.status_code == 404 and "商品已下架" in text_of(response)
    assert "下架的手镯" not in text_of(client.get("/belts/zhenping-jade"))
    make.sign_in(client, shop.owner)
    owner_view = client.get(f"/products/{item.id}")
    assert owner_view.status_code == 200 and "买家看不到" in text_of(owner_view)


def test_suspended_shops_goods_are_not_listed(client, ctx):
    from app.extensions import db

    shop = make.merchant("被暂停的店")
    make.product(shop, "暂停店的手镯")
    shop.status = "suspended"
    db.session.commit()
    assert "暂停店的手镯" not in text_of(client.get("/belts/zhenping-jade"))
    assert "暂停店的手镯" not in text_of(client.get("/search?q=手镯"))


def test_shop_page_shows_badge_source_type_hotline_and_goods(client, ctx):
    shop = make.merchant("玉匠人", certified=True)
    make.product(shop, "和田玉平安扣")
    page = text_of(client.get(f"/shops/{shop.id}"))
    assert "玉匠人" in page and "官方认证" in page and "产业带" in page
    assert "400-686-1106" in page and "和田玉平安扣" in page


def test_shop_without_own_hotline_shows_the_base_hotline(client, ctx):
    shop = make.merchant("小档口", hotline="")
    assert "400-820-2105" in text_of(client.get(f"/shops/{shop.id}"))


def test_pages_in_english(client, ctx):
    make.belt("zhenping-jade")
    client.post("/lang", data={"lang": "en"})
    page = text_of(client.get("/belts/zhenping-jade"))
    assert 'lang="en"' in page and "Base hotline" in page and "Zhenping, Henan" in page
