"""A belt base runs its belt page: intro, address, hotline, banner and featured shops (among
the belt's certified shops). Only that belt's admins and operators may; every other role is
refused; bad input gets a clear 4xx with what was typed kept and nothing saved."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from app.accounts.models import AuditEntry
from app.catalog.models import Belt
from app.extensions import db
from app.merchants.models import BeltFeaturedShop
from tests import factories as make

URL = "/admin/belts/zhenping-jade/page"


def page(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def cast(ctx, make_client):
    gem = make.merchant("镇平玉缘", certified=True, sales=50)
    carver = make.merchant("石佛寺玉雕", certified=True, sales=20)
    newcomer = make.merchant("新开玉店")  # not certified
    ruili = make.merchant("瑞丽翠韵", belt_slug="ruili-jade", certified=True)
    people = {
        "buyer": make.user("老铁"),
        "merchant": gem.owner,
        "zhenping_admin": make.belt_admin("zhenping-jade", "镇平基地管理员"),
        "ruili_admin": make.belt_admin("ruili-jade", "瑞丽基地管理员"),
        "operator": make.user("平台运营", operator=True),
    }
    clients = {"anonymous": make_client()}
    for role, person in people.items():
        clients[role] = make_client()
        make.sign_in(clients[role], person)
    return type("Cast", (), dict(gem=gem, carver=carver, newcomer=newcomer, ruili=ruili,
                                 clients=clients))


def form(**overrides):
    data = {"intro": "镇平石佛寺，中国玉雕之乡。\n万人雕玉，十万人卖玉。",
            "address": "河南省南阳市镇平县石佛寺镇玉雕大世界", "hotline": "0377 6590 1234"}
    data.update(overrides)
    return data


def belt() -> Belt:
    db.session.expire_all()
    return db.session.scalar(select(Belt).where(Belt.slug == "zhenping-jade"))


def test_the_belts_admin_edits_the_page_and_buyers_see_it(cast):
    admin = cast.clients["zhenping_admin"]
    assert admin.get(URL).status_code == 200
    response = admin.post(URL, data={**form(), "featured": [str(cast.carver.id), str(cast.gem.id)],
                                     "banner": (io.BytesIO(make.jpeg_bytes(1600, 600)), "b.jpg")},
                          content_type="multipart/form-data")
    assert response.status_code == 303 and response.headers["Location"] == "/belts/zhenping-jade"
    saved = belt()
    assert saved.hotline == "0377-65901234" and saved.address.startswith("河南省南阳市")
    assert saved.banner_key
    html = page(cast.clients["anonymous"].get("/belts/zhenping-jade"))
    assert "万人雕玉" in html and "0377-65901234" in html and saved.banner_key in html
    featured = html.split('id="belt-featured"')[1].split("</section>")[0]
    assert featured.index("石佛寺玉雕") < featured.index("镇平玉缘")  # the base's order
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "belt.page"))
    assert entry.belt_id == saved.id
    log = page(cast.clients["operator"].get("/admin/audit"))
    assert "镇平基地管理员</strong> 编辑了" in log


def test_operators_may_edit_any_belt_page(cast):
    response = cast.clients["operator"].post(URL, data=form(intro="平台代为更新"))
    assert response.status_code == 303
    assert belt().intro == "平台代为更新"


@pytest.mark.parametrize("role", ["buyer", "merchant", "ruili_admin"])
def test_other_roles_are_refused(cast, role):
    before = belt().intro
    assert cast.clients[role].get(URL).status_code == 403
    assert cast.clients[role].post(URL, data=form(intro="我来改")).status_code == 403
    assert belt().intro == before


def test_the_anonymous_are_sent_to_sign_in(cast):
    response = cast.clients["anonymous"].post(URL, data=form(intro="我来改"))
    assert response.status_code in (302, 303) and "/signin" in response.headers["Location"]
    assert belt().intro != "我来改"


def test_an_unknown_belt_is_404(cast):
    assert cast.clients["operator"].get("/admin/belts/no-such-belt/page").status_code == 404


def test_only_the_belts_certified_shops_may_be_featured(cast):
    admin = cast.clients["zhenping_admin"]
    for shop in (cast.newcomer, cast.ruili):
        response = admin.post(URL, data={**form(intro="想推荐别的店"), "featured": [str(shop.id)]})
        assert response.status_code == 400
        html = page(response)
        assert "只能推荐本产业带已官方认证的店铺" in html
        assert "想推荐别的店" in html  # what was typed is kept
    assert db.session.query(BeltFeaturedShop).count() == 0
    assert belt().intro != "想推荐别的店"
    # The form only offers the belt's certified shops.
    html = page(admin.get(URL))
    assert "镇平玉缘" in html and "新开玉店" not in html and "瑞丽翠韵" not in html


@pytest.mark.parametrize("data, message", [
    ({"hotline": "12345"}, "客服电话格式不正确"),
    ({"intro": "<script>alert(1)</script>"}, "不能包含"),
    ({"address": "地" * 201}, "不能超过 200 个字"),
    ({"featured": ["abc"]}, "只能推荐本产业带"),
    ({"featured": ["-1"]}, "只能推荐本产业带"),
])
def test_bad_input_gets_a_clear_400_and_nothing_is_saved(cast, data, message):
    response = cast.clients["zhenping_admin"].post(URL, data=form(**data))
    assert response.status_code == 400
    assert message in page(response)
    assert belt().address != form()["address"]


def test_a_banner_that_is_not_an_image_is_refused_by_its_content(cast):
    response = cast.clients["zhenping_admin"].post(
        URL, data={**form(), "banner": (io.BytesIO(b"GIF89a not really"), "banner.jpg")},
        content_type="multipart/form-data")
    assert response.status_code in (400, 415)
    assert belt().banner_key is None and belt().address != form()["address"]


def test_a_shop_that_loses_its_certification_drops_off_the_page(cast):
    admin = cast.clients["zhenping_admin"]
    assert admin.post(URL, data={**form(), "featured": [str(cast.gem.id)]}).status_code == 303
    html = page(cast.clients["anonymous"].get("/belts/zhenping-jade"))
    assert 'id="belt-featured"' in html
    shop = db.session.get(type(cast.gem), cast.gem.id)
    shop.certified = False
    db.session.commit()
    assert 'id="belt-featured"' not in page(cast.clients["anonymous"].get("/belts/zhenping-jade"))


def test_the_banner_can_be_removed(cast):
    admin = cast.clients["zhenping_admin"]
    admin.post(URL, data={**form(), "banner": (io.BytesIO(make.jpeg_bytes()), "b.jpg")},
               content_type="multipart/form-data")
    assert belt().banner_key
    assert admin.post(URL, data={**form(), "remove_banner": "y"}).status_code == 303
    assert belt().banner_key is None


def test_an_oversized_banner_is_refused_beside_its_field_keeping_what_was_typed(cast, app,
                                                                               monkeypatch):
    monkeypatch.setitem(app.config, "MAX_IMAGE_BYTES", 50_000)
    big = make.jpeg_bytes(1600, 600) + b"\x00" * 60_000
    response = cast.clients["zhenping_admin"].post(
        URL, data={**form(intro="带大图的介绍"), "banner": (io.BytesIO(big), "big.jpg")},
        content_type="multipart/form-data")
    assert response.status_code == 413
    html = page(response)
    assert "图片超过" in html and "带大图的介绍" in html
    assert belt().banner_key is None and belt().intro != "带大图的介绍"
