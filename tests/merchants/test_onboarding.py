"""Opening a shop and keeping its settings: the fields, the hotline formats, the logo, and
every kind of bad input (a clear message beside the field, a 4xx, nothing saved)."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app.exceptions import InvalidInput
from app.extensions import db
from app.merchants.checks import normalise_hotline
from app.merchants.models import Merchant
from tests import factories as make
from tests.merchants.conftest import photo


def page(response) -> str:
    return response.get_data(as_text=True)


def shops() -> int:
    return db.session.scalar(select(func.count()).select_from(Merchant))


def open_form(**changes) -> dict:
    data = {"name": "镇平玉雕小馆", "source_type": "industry_belt",
            "belt_id": str(make.belt("zhenping-jade").id), "industry_id": "",
            "hotline": "0377 6590 1234", "address": "河南省南阳市镇平县石佛寺镇玉雕大世界 12 号",
            "intro": "三代玉雕，独山玉摆件。"}
    data.update(changes)
    return data


def test_a_new_user_signs_up_then_opens_a_shop_in_zhenping(client, ctx):
    belt = make.belt("zhenping-jade")
    signup = client.post("/signup", data={"account": "13800138000", "display_name": "小徐",
                                          "password": "good password", "confirm": "good password"})
    assert signup.status_code == 303
    assert client.get("/my-shop").headers["Location"].endswith("/my-shop/open")
    form = client.get("/my-shop/open")
    assert "开一家源头好店" in page(form) and "河南镇平" in page(form)

    response = client.post("/my-shop/open", data={**open_form(), "logo": photo()},
                           content_type="multipart/form-data")
    assert response.status_code == 303 and response.headers["Location"].endswith("/my-shop")
    shop = db.session.scalar(select(Merchant))
    assert (shop.name, shop.belt_id, shop.industry_id) == ("镇平玉雕小馆", belt.id, belt.industry_id)
    assert shop.hotline == "0377-65901234" and shop.logo_key and not shop.certified
    dashboard = page(client.get("/my-shop"))
    assert "镇平玉雕小馆" in dashboard and "申请官方认证" in dashboard
    public = page(client.get(f"/shops/{shop.id}"))
    assert "0377-65901234" in public and f"/media/img/{shop.logo_key[:2]}/{shop.logo_key}" in public
    assert "/my-shop/open" not in page(client.get("/account"))  # now it links to the shop


def test_a_factory_without_a_belt_names_its_industry(client, ctx):
    make.sign_in(client, make.user())
    tea = make.industry("tea")
    missing = client.post("/my-shop/open", data=open_form(source_type="factory_direct", belt_id=""))
    assert missing.status_code == 400 and "请选择经营的行业" in page(missing)
    done = client.post("/my-shop/open", data=open_form(source_type="factory_direct", belt_id="",
                                                       industry_id=str(tea.id)))
    assert done.status_code == 303
    shop = db.session.scalar(select(Merchant))
    assert shop.belt_id is None and shop.industry_id == tea.id


@pytest.mark.parametrize("source", ["industry_belt", "origin"])
def test_belt_and_origin_shops_must_name_their_belt(client, ctx, source):
    make.sign_in(client, make.user())
    response = client.post("/my-shop/open", data=open_form(source_type=source, belt_id=""))
    assert response.status_code == 400
    assert "需要选择所在的产业带" in page(response)
    assert 'value="镇平玉雕小馆"' in page(response)  # what was typed is kept
    assert shops() == 0


@pytest.mark.parametrize("typed,stored", [
    ("4006861106", "400-686-1106"), ("400-686-1106", "400-686-1106"),
    ("800 820 8820", "800-820-8820"), ("(0377) 6590 1234", "0377-65901234"),
    ("010-88886666", "010-88886666"), ("021 6888 8888", "021-68888888"),
    ("0571-8888666", "0571-8888666"), ("+86 138 0013 8000", "13800138000"),
    ("13800138000", "13800138000"), ("０３７７－６５９０１２３４", "0377-65901234"),
])
def test_hotlines_in_every_accepted_format_are_normalised(ctx, typed, stored):
    assert normalise_hotline(typed) == stored


@pytest.mark.parametrize("typed", ["12345", "400-123", "4001234567890", "12800138000",
                                   "0377-1234", "377-65901234", "010-0888866", "tel:4006861106",
                                   "<script>", "一二三四五六七八九十", "0377-65901234-88"])
def test_hotlines_that_are_no_phone_number_are_refused(ctx, typed):
    with pytest.raises(InvalidInput) as error:
        normalise_hotline(typed)
    assert error.value.field == "hotline" and "400-686-1106" in error.value.message


@pytest.mark.parametrize("field,value,message", [
    ("name", "<script>alert(1)</script>", "店铺名称不能包含"),
    ("name", "<img src=x onerror=alert(1)>", "店铺名称不能包含"),
    ("name", "玉" * 21, "店铺名称不能超过 20 个字"),
    ("name", "玉", "店铺名称至少 2 个字"),
    ("name", "", "请填写店铺名称"),
    ("hotline", "12345", "客服电话格式不正确"),
    ("hotline", "", "请填写客服电话"),
    ("address", "路" * 201, "地址不能超过 200 个字"),
    ("address", "", "请填写发货地址"),
    ("intro", "好" * 501, "店铺简介不能超过 500 个字"),
    ("intro", "<a href='javascript:alert(1)'>点我</a>", "店铺简介不能包含"),
    ("source_type", "pirate", "请选择源头类型"),
    ("belt_id", "999999", "请选择列表中的产业带"),
    ("belt_id", "abc", "需要选择所在的产业带"),
])
def test_bad_shop_fields_are_refused_beside_the_field(client, ctx, field, value, message):
    make.sign_in(client, make.user())
    response = client.post("/my-shop/open", data=open_form(**{field: value}))
    assert response.status_code == 400
    text = page(response)
    assert message in text
    assert 'class="field-error"' in text
    assert "<script>alert(1)" not in text and "<img src=x" not in text  # echoed escaped
    assert shops() == 0


@pytest.mark.parametrize("data,name,message", [
    (b"MZ\x90\x00 this is an exe", "logo.jpg", "这不是能识别的图片"),
    (b"%PDF-1.4 licence", "licence.png", "这不是能识别的图片"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "logo.svg",
     "这不是能识别的图片"),
    (None, "bomb.png", "图片像素过大"),
])
def test_a_logo_is_checked_by_its_content_not_its_name(client, ctx, data, name, message):
    make.sign_in(client, make.user())
    if data is None:
        data = make.png_bomb()
    response = client.post("/my-shop/open", data={**open_form(), "logo": photo(data, name)},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and message in page(response)
    assert shops() == 0


def test_an_oversized_logo_is_refused_beside_the_field(client, ctx, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_IMAGE_BYTES", 50_000)
    make.sign_in(client, make.user())
    big = make.jpeg_bytes(1600, 1600, (10, 200, 30)) + b"\x00" * 60_000
    response = client.post("/my-shop/open", data={**open_form(), "logo": photo(big)},
                           content_type="multipart/form-data")
    assert response.status_code == 413 and "图片超过" in page(response)
    assert shops() == 0


def test_a_body_over_the_request_limit_gets_the_form_back_with_a_413(client, ctx, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 100_000)
    make.sign_in(client, make.user())
    response = client.post("/my-shop/open", data={**open_form(), "logo": photo(b"x" * 200_000)},
                           content_type="multipart/form-data")
    assert response.status_code == 413
    assert "上传的文件太大了" in page(response) and "开一家源头好店" in page(response)
    assert shops() == 0


def test_one_account_opens_one_shop(client, ctx):
    owner = make.user()
    make.merchant("镇平玉缘", owner=owner)
    make.sign_in(client, owner)
    assert client.get("/my-shop/open").headers["Location"].endswith("/my-shop")
    again = client.post("/my-shop/open", data=open_form())
    assert again.status_code == 303 and shops() == 1


def test_shop_names_are_not_reused(client, ctx):
    make.merchant("玉匠人")
    make.sign_in(client, make.user())
    response = client.post("/my-shop/open", data=open_form(name="玉匠人"))
    assert response.status_code == 409 and "已有同名店铺" in page(response)
    assert shops() == 1


def test_hostile_bodies_never_500(client, ctx):
    make.sign_in(client, make.user())
    token = client.csrf_token()
    for body in (open_form(), {**open_form(), "name": {"$ne": 1}, "belt_id": [1, 2]}):
        as_json = client.post("/my-shop/open", data=json.dumps(body), csrf=False,
                              content_type="application/json", headers={"X-CSRFToken": token})
        assert as_json.status_code == 415 and "格式不支持" in page(as_json)
    empty = client.post("/my-shop/open", data={})
    assert empty.status_code == 400
    odd = client.post("/my-shop/open", data={"name": ["a", "b"], "belt_id": "1e9",
                                             "industry_id": "-1", "source_type": "x" * 5000})
    assert odd.status_code == 400
    assert shops() == 0


def test_the_owner_edits_the_shop_settings(client, ctx):
    owner = make.user()
    shop = make.merchant("镇平玉缘", owner=owner)
    make.sign_in(client, owner)
    form = page(client.get("/my-shop/settings"))
    assert 'value="镇平玉缘"' in form and "不能自行更改" in form
    response = client.post("/my-shop/settings", data={
        "name": "镇平玉缘阁", "hotline": "800-820-8820", "address": "石佛寺镇玉雕大世界",
        "intro": "新简介", "logo": photo()}, content_type="multipart/form-data")
    assert response.status_code == 303
    db.session.expire_all()
    shop = db.session.get(Merchant, shop.id)
    assert (shop.name, shop.hotline, shop.intro) == ("镇平玉缘阁", "800-820-8820", "新简介")
    assert shop.logo_key and shop.belt.slug == "zhenping-jade"


def test_bad_settings_change_nothing_and_keep_what_was_typed(client, ctx):
    owner = make.user()
    shop = make.merchant("镇平玉缘", owner=owner)
    make.sign_in(client, owner)
    response = client.post("/my-shop/settings", data={
        "name": "新名字", "hotline": "0000", "address": "石佛寺镇玉雕大世界", "intro": ""})
    assert response.status_code == 400
    assert "客服电话格式不正确" in page(response) and 'value="新名字"' in page(response)
    db.session.expire_all()
    assert db.session.get(Merchant, shop.id).name == "镇平玉缘"


def test_without_a_shop_there_are_no_settings(client, ctx):
    make.sign_in(client, make.user())
    assert client.get("/my-shop/settings").status_code == 403
    assert client.post("/my-shop/settings", data={"name": "x"}).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for path in ("/my-shop", "/my-shop/open", "/my-shop/settings", "/my-shop/certification",
                 "/my-shop/certificates", "/my-shop/goods/new", "/admin/certifications",
                 "/admin/belts/zhenping-jade/certifications"):
        response = client.get(path)
        assert response.status_code == 302 and "/signin" in response.headers["Location"], path
