"""The product page reads its goods, shop, photos, belt, industry and category as plain copies
(app.catalog.views._product_with_everything), not as ORM entities. Templates and the other
domains' providers read the copies by the models' attribute names, and a name a copy lacked
would print nothing rather than fail. So the page made from the copies is compared with the
same template rendered from the ORM entities, for goods that take every branch."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app import clock
from app.catalog import views
from app.catalog.models import Product, ProductPhoto
from app.catalog.reference import VENUE_GROUPS
from app.extensions import db
from app.pagedata import gather
from app.rendering import render_page
from tests import factories as make
from tests.page_copies import assert_served_as, entity_flash_sales, served


def entity_flash_view(product, **_):
    """The good's flash sale as an ORM entity (the way the flash part was made before)."""
    from app.flash.views import view_of

    found = entity_flash_sales("product", product.id, 1) if product.has_extras else []
    return view_of(found[0], clock.now(), with_key=False) if found else None


def from_entities(app, product_id: int, url: str, lang: str = "zh") -> str:
    """The product page rendered from ORM entities, the way the page was made before."""
    db.session.expire_all()
    providers = app.extensions["yt_page_data"]["product"]
    copied, providers["flash"] = providers["flash"], entity_flash_view
    with app.test_request_context(url, headers={"Accept-Language": lang}):
        try:
            product = db.session.get(Product, product_id)
            listable = views.services.is_listable(product)
            response = render_page("catalog/product.html", product=product, listable=listable,
                                   related=views.related_products(product),
                                   parts=gather("product", product=product),
                                   venue_groups=VENUE_GROUPS)
            return response.get_data(as_text=True)
        finally:
            providers["flash"] = copied


@pytest.fixture
def goods(ctx):
    """Goods that take each branch of the page: a certified belt shop's bangle with two photos,
    a certificate, a live room and a flash sale; an uncertified shop without a belt or hotline,
    whose goods have no photo and no category; and an off-shelf item."""
    from app.flash.models import FlashSale

    certified = make.merchant("玉匠人", certified=True)
    bangle = make.product(certified, "冰种飘花手镯", photo_key="ab" * 32, sales=12345)
    db.session.add(ProductPhoto(product_id=bangle.id, position=1, image_key="cd" * 32,
                                width=640, height=480))
    make.product(certified, "同店的吊坠", photo_key="ef" * 32)
    make.certificate(bangle)
    make.live_room(certified, goods=[bangle], pinned=bangle)
    db.session.add(FlashSale(product_id=bangle.id, merchant_id=certified.id, price_fen=9900,
                             quantity=5, starts_at=clock.now() - timedelta(minutes=1),
                             ends_at=clock.now() + timedelta(hours=1)))
    plain_shop = make.merchant("义乌小铺", belt_slug=None, industry_slug="small-commodities",
                               hotline="")
    cup = make.product(plain_shop, "保温杯", stock=0)
    cup.category_id = None
    off_shelf = make.product(plain_shop, "下架的收纳箱", status="off_shelf")
    db.session.commit()
    return {"bangle": bangle.id, "cup": cup.id, "off_shelf": off_shelf.id,
            "owner": plain_shop.owner}


@pytest.mark.parametrize("name", ["bangle", "cup"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_page_from_copies_is_the_page_from_entities(app, client, goods, name, lang):
    url = f"/products/{goods[name]}"
    assert_served_as(client, url, lang, from_entities(app, goods[name], url, lang=lang))


def test_the_copies_carry_what_the_branches_need(app, client, goods):
    bangle = served(client, f"/products/{goods['bangle']}")
    for shown in ("源头好货", "官方认证", "1.2万", "NGTC-ZP-20190000001", "直播秒杀", "讲解中",
                  'href="tel:4006861106"', "2 张", "/belts/zhenping-jade", "/portals/jade",
                  "类目："):
        assert shown in bangle, shown
    cup = served(client, f"/products/{goods['cup']}")
    assert "/portals/small-commodities" in cup and "/belts/" not in cup
    assert "暂无图片" in cup and "类目：" not in cup and "客服热线" not in cup
    assert "已抢光" in cup


def test_the_owner_sees_their_off_shelf_goods_as_their_own(client, goods):
    url = f"/products/{goods['off_shelf']}"
    assert client.get(url).status_code == 404  # a buyer: gone
    make.sign_in(client, goods["owner"])
    page = served(client, url)
    assert "商品已下架，买家看不到这个页面" in page and "自己店铺的商品" in page
    assert "下架的收纳箱" in page and "加入购物车" not in page


def test_a_category_renamed_shows_at_once(app, client, goods, monkeypatch):
    """Categories are kept per process like belts: a change drops the kept copies."""
    monkeypatch.setitem(app.config, "REFERENCE_CACHE_TTL", 60)
    url = f"/products/{goods['bangle']}"
    before = served(client, url)
    product = db.session.get(Product, goods["bangle"])
    old_name = product.category.name
    assert old_name in before
    product.category.name = "改名的类目"
    db.session.commit()
    try:
        assert "改名的类目" in served(client, url)
    finally:  # categories are reference data every test shares
        product.category.name = old_name
        db.session.commit()
    assert "改名的类目" not in served(client, url)
