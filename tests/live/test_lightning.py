"""闪电购: while live, the anchor snaps one photo, types a title, price and stock, and the
goods are on sale — in the shop, on the belt page and in the live room's 小黄车, pinned if
asked — from one POST. Bad photos and bad fields come back with a clear message and
everything typed kept; nobody lists into a room that is not theirs."""
from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.catalog.models import Product
from app.extensions import db
from app.live.models import LiveRoom, LiveRoomItem
from app.media import image_path
from tests import factories as make
from tests.live.conftest import htmx, signed_in


def form(photo: bytes | None = None, **fields) -> dict:
    data = {"title": "现雕独山玉平安扣", "price": "168", "stock": "12", "category": "",
            "pin": "y"}
    data.update(fields)
    if photo is not None:
        data["photo"] = (io.BytesIO(photo), "IMG_2041.jpg")
    return data


def products() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Product))


@pytest.fixture
def anchor(make_client, studio):
    return signed_in(make_client, studio.owner)


def lightning_product() -> Product:
    db.session.expire_all()
    return db.session.scalar(select(Product).where(Product.is_lightning.is_(True)))


# --- the story the seed tells -------------------------------------------------------------------

def test_a_lightning_listing_appears_in_the_live_room_the_shop_and_the_belt(anchor, client,
                                                                          studio):
    answer = anchor.post("/sell/quick", data=form(make.jpeg_bytes(1600, 1200)))
    product = lightning_product()
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/sell/quick?listed={product.id}"
    assert (product.title, product.price_fen, product.stock) == ("现雕独山玉平安扣", 16800, 12)
    assert (product.belt_id, product.source_type) == (studio.shop.belt_id, "industry_belt")
    assert (product.photos[0].width, product.photos[0].height) == (960, 720)

    room = db.session.get(LiveRoom, studio.room.id)
    assert [i.product_id for i in room.items][-1] == product.id  # appended: 4号
    assert room.pinned_product_id == product.id

    landing = anchor.get(answer.headers["Location"]).get_data(as_text=True)
    assert "已加入直播间小黄车 4号" in landing and "讲解中" in landing

    live = client.get(f"/live/{studio.room.id}").get_data(as_text=True)
    pinned = live[live.index('class="pinned-card'):live.index('id="cart-title"')]
    assert "现雕独山玉平安扣" in pinned and "闪电购" in pinned
    assert "现雕独山玉平安扣" in client.get(f"/shops/{studio.shop.id}").get_data(as_text=True)
    belt = client.get("/belts/zhenping-jade?sort=newest").get_data(as_text=True)
    assert "现雕独山玉平安扣" in belt


def test_with_htmx_the_listing_is_shown_in_place_with_a_fresh_form(anchor, studio):
    category = make.category("jade-pendant")
    answer = anchor.post("/sell/quick", data=form(make.jpeg_bytes(), category=str(category.id)),
                         headers=htmx("quick"))
    body = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert body.lstrip().startswith('<div id="quick"') and "<html" not in body
    assert "已上架" in body and "已加入直播间小黄车 4号" in body
    assert 'value="现雕独山玉平安扣"' not in body  # the form is ready for the next one
    assert f'<option selected value="{category.id}">' in body  # the category stays chosen
    assert lightning_product().category_id == category.id


def test_without_pin_the_goods_join_the_cart_and_the_pin_stays(anchor, studio):
    anchor.post("/sell/quick", data=form(make.jpeg_bytes(), pin=""))
    room = db.session.get(LiveRoom, studio.room.id)
    assert room.pinned_product_id == studio.bangle.id
    assert lightning_product().id in [i.product_id for i in room.items]


def test_when_not_live_the_goods_go_to_the_shop_only(anchor, client, studio):
    studio.room.status = "ended"
    db.session.commit()
    answer = anchor.post("/sell/quick", data=form(make.jpeg_bytes()))
    landing = anchor.get(answer.headers["Location"]).get_data(as_text=True)
    assert "直播间未开播，商品已上架到店铺" in landing
    product = lightning_product()
    assert db.session.get(LiveRoomItem, (studio.room.id, product.id)) is None
    assert "现雕独山玉平安扣" in client.get(f"/shops/{studio.shop.id}").get_data(as_text=True)


def test_a_shop_without_a_room_still_lists(make_client, ctx):
    shop = make.merchant("四会玉器一号", belt_slug="sihui-jade")
    merchant = signed_in(make_client, shop.owner)
    assert "还没有直播间" in merchant.get("/sell/quick").get_data(as_text=True)
    assert merchant.post("/sell/quick", data=form(make.jpeg_bytes())).status_code == 303
    assert lightning_product().merchant_id == shop.id
    in_place = merchant.post("/sell/quick", data=form(make.jpeg_bytes(color=(1, 2, 3)),
                                                      title="第二件"), headers=htmx("quick"))
    assert in_place.status_code == 200 and "已上架" in in_place.get_data(as_text=True)


def test_the_photo_is_turned_upright_and_its_metadata_removed(anchor, studio):
    image = Image.new("RGB", (800, 400), (30, 120, 80))
    exif = Image.Exif()
    exif[0x0112] = 6  # the phone was held sideways
    exif[0x010F] = "AnchorPhone"
    exif[0x8825] = {1: "N", 2: (34.0, 40.0, 0.0)}  # GPS: where the workshop is
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    anchor.post("/sell/quick", data=form(buffer.getvalue()))
    photo = lightning_product().photos[0]
    assert (photo.width, photo.height) == (400, 800)
    with Image.open(image_path(photo.image_key, 960)) as stored:
        assert stored.format == "WEBP" and not stored.getexif() and "exif" not in stored.info


# --- bad photos and bad fields -----------------------------------------------------------------

def bomb() -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (9000, 9000)).save(buffer, "PNG")  # 81 megapixels in a few kilobytes
    return buffer.getvalue()


@pytest.mark.parametrize("photo,status,message", [
    (b"<?php system($_GET['c']); ?>", 400, "这不是能识别的图片，请上传 JPEG、PNG 或 WebP 照片"),
    (b"%PDF-1.4\n" + b"0" * 1000, 400, "这不是能识别的图片"),
    (b"\xff\xd8\xff" + b"\x00" * (15 * 1024 * 1024), 413, "图片超过 15 MB"),
    (b"\xff\xd8\xff" + b"\x00" * (25 * 1024 * 1024), 413, "图片超过 15 MB"),
    ("bomb", 400, "图片像素过大"),
    (b"", 400, "请拍一张商品照片"),
    (None, 400, "请拍一张商品照片"),
], ids=["php", "pdf", "over-15MB", "over-20MB", "bomb", "empty", "none"])
def test_bad_photos_are_refused_with_the_fields_kept(anchor, studio, photo, status, message):
    before = products()
    data = form(bomb() if photo == "bomb" else photo, title="和田玉籽料手把件", price="888.8",
                stock="3")
    answer = anchor.post("/sell/quick", data=data, headers=htmx("quick"))
    body = answer.get_data(as_text=True)
    assert answer.status_code == status
    assert message in body
    assert 'value="和田玉籽料手把件"' in body and 'value="888.8"' in body and 'value="3"' in body
    assert products() == before


def test_an_upload_over_the_body_limit_gets_the_form_back_with_what_was_typed(anchor, app,
                                                                             studio):
    too_big = b"\x00" * (app.config["LIVE_UPLOAD_MAX_BODY"] + 1)
    answer = anchor.post("/sell/quick", data=form(too_big))
    assert answer.status_code == 413
    text = answer.get_data(as_text=True)
    assert "上传的文件太大了" in text and 'id="photo-error"' in text
    assert "现雕独山玉平安扣" in text and 'value="168"' in text and 'value="12"' in text
    assert products() == 3


def test_a_body_beyond_what_is_worth_reading_gets_the_bare_413(anchor, app, studio, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_DRAIN_MAX", app.config["LIVE_UPLOAD_MAX_BODY"])
    too_big = b"\x00" * (app.config["LIVE_UPLOAD_MAX_BODY"] + 1)
    answer = anchor.post("/sell/quick", data=form(too_big))
    assert answer.status_code == 413
    assert "上传的内容超过了大小限制" in answer.get_data(as_text=True)
    assert products() == 3


@pytest.mark.parametrize("fields,message", [
    ({"title": ""}, "请填写商品标题"),
    ({"title": "长" * 61}, "标题不能超过 60 个字"),
    ({"title": "\u200b\u200b"}, "请填写商品标题"),
    ({"price": ""}, "请填写价格"),
    ({"price": "abc"}, "价格格式不正确"),
    ({"price": "0"}, "价格必须大于 0"),
    ({"price": "1e5"}, "价格格式不正确"),
    ({"stock": ""}, "请填写库存"),
    ({"stock": "-1"}, "库存需为 0–1000000 的整数"),
    ({"stock": "十"}, "库存需为 0–1000000 的整数"),
    ({"category": "999"}, "未知的类目"),
])
def test_bad_fields_are_refused_and_the_photo_is_kept(anchor, studio, fields, message):
    answer = anchor.post("/sell/quick", data=form(make.jpeg_bytes(), **fields),
                         headers=htmx("quick"))
    body = answer.get_data(as_text=True)
    assert answer.status_code == 400 and message in body
    assert "照片已保留" in body  # no need to take the photo again
    assert products() == 3


def test_a_kept_photo_lists_without_uploading_it_again(anchor, studio):
    first = anchor.post("/sell/quick", data=form(make.jpeg_bytes(), price="abc"))
    body = first.get_data(as_text=True)
    start = body.index('name="photo_token" type="hidden" value="') + len(
        'name="photo_token" type="hidden" value="')
    token = body[start:body.index('"', start)]
    second = anchor.post("/sell/quick", data=form(None, price="168", photo_token=token))
    assert second.status_code == 303
    assert len(lightning_product().photos) == 1


def test_a_forged_photo_token_is_no_photo(anchor, studio):
    answer = anchor.post("/sell/quick", data=form(None, photo_token="abc.def.ghi"))
    assert answer.status_code == 400 and "请拍一张商品照片" in answer.get_data(as_text=True)
    assert products() == 3


def test_a_double_tap_lists_once(anchor, studio):
    photo = make.jpeg_bytes()
    assert anchor.post("/sell/quick", data=form(photo)).status_code == 303
    again = anchor.post("/sell/quick", data=form(photo))
    assert again.status_code == 303
    assert products() == 4
    assert len(db.session.get(LiveRoom, studio.room.id).items) == 4


def test_listing_too_fast_is_slowed_down_with_the_fields_kept(anchor, app, studio, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_LIGHTNING", "2 per minute")
    for n in range(2):
        anchor.post("/sell/quick", data=form(make.jpeg_bytes(color=(n, 9, 9)), title=f"手镯{n}"))
    answer = anchor.post("/sell/quick", data=form(make.jpeg_bytes(), title="第三件"),
                         headers=htmx("quick"))
    body = answer.get_data(as_text=True)
    assert answer.status_code == 429 and "上架太频繁了" in body and 'value="第三件"' in body
    assert products() == 5


def test_a_suspended_shop_cannot_list(anchor, studio):
    studio.shop.status = "suspended"
    db.session.commit()
    answer = anchor.post("/sell/quick", data=form(make.jpeg_bytes()), headers=htmx("quick"))
    assert answer.status_code == 409 and "店铺暂停营业期间不能上架商品" in answer.get_data(as_text=True)
    assert products() == 3


# --- only the owner lists into a room -----------------------------------------------------------

@pytest.mark.parametrize("who", ["anonymous", "buyer", "belt admin", "operator"])
def test_people_without_a_shop_cannot_use_lightning(make_client, studio, outsiders, who):
    client = signed_in(make_client, outsiders[who])
    page = client.get("/sell/quick")
    answer = client.post("/sell/quick", data=form(make.jpeg_bytes()))
    if who == "anonymous":
        assert page.status_code == answer.status_code == 302
    else:
        assert page.status_code == answer.status_code == 403
        assert "开店后才能直播和使用闪电购" in answer.get_data(as_text=True)
    assert products() == 3


def test_another_merchant_lists_into_their_own_shop_never_into_this_room(make_client, studio,
                                                                         outsiders):
    rival = signed_in(make_client, outsiders["another merchant"])
    assert rival.post("/sell/quick", data=form(make.jpeg_bytes())).status_code == 303
    product = lightning_product()
    assert product.merchant.name == "镇平玉满堂"
    room = db.session.get(LiveRoom, studio.room.id)
    assert product.id not in [i.product_id for i in room.items]
    assert room.pinned_product_id == studio.bangle.id


def test_a_listed_product_is_only_shown_back_to_its_own_shop(make_client, studio, outsiders):
    rival = signed_in(make_client, outsiders["another merchant"])
    page = rival.get(f"/sell/quick?listed={studio.bangle.id}").get_data(as_text=True)
    assert "listed-card" not in page


def test_a_real_sized_photo_of_several_hundred_kilobytes_uploads(anchor, studio):
    """Photos are many multipart chunks of binary data (werkzeug reads 64 KB at a time and
    keeps a possible boundary's tail between chunks): they must not trip the form-memory
    limit meant for text fields."""
    noise = Image.merge("RGB", [Image.effect_noise((900, 700), 80) for _ in range(3)])
    buffer = io.BytesIO()
    noise.save(buffer, "JPEG", quality=95)
    assert len(buffer.getvalue()) > 500_000
    answer = anchor.post("/sell/quick", data=form(buffer.getvalue()))
    assert answer.status_code == 303, answer.get_data(as_text=True)[:300]
