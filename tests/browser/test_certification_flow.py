"""A merchant signs up, opens a shop in 河南镇平, lists a piece with its certificate and
applies for 官方认证 with photos; the Zhenping admin approves it from the queue (htmx, in
place); the badge shows on the shop, the belt page lists the shop first, and the product
page's QR link opens the certificate page. Then the plain-form path with JavaScript off."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests import factories as make
from tests.browser.conftest import check_accessibility

PHOTO = {"name": "photo.jpg", "mimeType": "image/jpeg"}


def _file(name: str, color=(20, 120, 80)) -> dict:
    return {**PHOTO, "name": name, "buffer": make.jpeg_bytes(900, 700, color)}


@pytest.fixture
def zhenping(ctx):
    """Plain values only: touching ORM rows during the story would hold SQLite's lock."""
    from app.extensions import db

    belt = make.belt("zhenping-jade")
    admin = make.belt_admin("zhenping-jade", "镇平基地管理员")
    rival = make.merchant("镇平老字号", sales=50000)  # outsells the newcomer, not certified
    make.product(rival, "岫玉平安扣")
    world = {"belt_id": belt.id, "admin_email": admin.email}
    db.session.commit()
    return world


def _sign_in(page, live_server, account: str, password: str = make.PASSWORD) -> None:
    page.goto(live_server + "/signin")
    page.get_by_label("手机号或邮箱").fill(account)
    page.get_by_label("密码", exact=True).fill(password)
    page.locator(".stack-form").get_by_role("button", name="登录").click()
    page.wait_for_url(live_server + "/")


def test_a_new_merchant_gets_certified_and_buyers_see_it(page, new_page, live_server, zhenping):
    # The merchant signs up and opens a shop in 河南镇平.
    page.goto(live_server + "/signup")
    check_accessibility(page)
    page.get_by_label("手机号或邮箱").fill("13900139000")
    page.get_by_label("昵称").fill("小徐")
    page.get_by_label("密码", exact=True).fill("good password")
    page.get_by_label("确认密码").fill("good password")
    page.locator(".stack-form").get_by_role("button", name="注册").click()
    page.wait_for_url(live_server + "/")
    page.goto(live_server + "/account")
    check_accessibility(page)
    page.get_by_role("link", name="我要开店").click()
    page.wait_for_url("**/my-shop/open")
    check_accessibility(page)
    page.get_by_label("店铺名称").fill("镇平玉雕小馆")
    page.get_by_label("源头类型").select_option("industry_belt")
    page.get_by_label("所在产业带").select_option(str(zhenping["belt_id"]))
    page.get_by_label("客服电话").fill("0377 6590 1234")
    page.get_by_label("发货地址").fill("河南省南阳市镇平县石佛寺镇玉雕大世界 12 号")
    page.get_by_role("button", name="开店").click()
    page.wait_for_url("**/my-shop")
    expect(page.get_by_role("heading", name="镇平玉雕小馆")).to_be_visible()
    check_accessibility(page)

    # A piece with photos, then its quality certificate.
    page.get_by_role("link", name="上架商品").first.click()
    page.wait_for_url("**/my-shop/goods/new")
    check_accessibility(page)
    page.get_by_label("商品标题").fill("独山玉山水摆件")
    page.get_by_label("价格（元）").fill("2680")
    page.get_by_label("库存（件）").fill("3")
    page.get_by_label("类目").select_option(label="摆件")
    page.get_by_label("商品照片").set_input_files([_file("摆件.jpg")])
    page.get_by_role("button", name="上架", exact=True).click()
    page.wait_for_url("**/my-shop#goods")
    page.get_by_role("link", name="加证书 独山玉山水摆件").click()
    page.wait_for_url("**/my-shop/certificates?product=*")
    check_accessibility(page)
    page.get_by_label("证书编号").fill("NGTC-ZP-20260000042")
    page.get_by_label("检测机构").fill("国家珠宝玉石质量监督检验中心（NGTC）")
    page.get_by_label("检测结论").fill("独山玉；重量 1.2 kg")
    page.get_by_role("button", name="登记", exact=True).click()
    page.wait_for_url("**/my-shop/certificates")
    expect(page.get_by_text("NGTC-ZP-20260000042").first).to_be_visible()

    # The application, with a licence photo and a workshop photo.
    page.goto(live_server + "/my-shop/certification")
    check_accessibility(page)
    page.get_by_label("营业执照照片").set_input_files([_file("营业执照.jpg", (250, 248, 240))])
    page.get_by_label("工厂 / 档口实拍照片").set_input_files([_file("档口.jpg", (70, 56, 44))])
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url("**/my-shop/certification")
    expect(page.get_by_text("审核中").first).to_be_visible()
    check_accessibility(page)

    # Before approval the bigger rival is listed first on the belt page.
    buyer = new_page()
    buyer.goto(live_server + "/belts/zhenping-jade")
    expect(buyer.locator(".shop-row .shop-card-name").first).to_have_text("镇平老字号")

    # The Zhenping admin approves from the queue; htmx swaps the card in place.
    admin = new_page()
    _sign_in(admin, live_server, zhenping["admin_email"])
    admin.goto(live_server + "/account")
    admin.get_by_role("link", name="河南镇平 · 认证审核").click()
    admin.wait_for_url("**/admin/belts/zhenping-jade/certifications")
    check_accessibility(admin)
    card = admin.locator("article.application", has_text="镇平玉雕小馆")
    expect(card.get_by_role("img", name="营业执照 · 镇平玉雕小馆")).to_be_visible()
    queue_url = admin.url
    card.get_by_label("审核意见").fill("执照清晰，档口实拍属实")
    card.get_by_role("button", name="通过 镇平玉雕小馆").click()
    decided = admin.locator("article.application", has_text="镇平玉雕小馆")
    expect(decided.get_by_text("已通过 镇平玉雕小馆 的认证")).to_be_visible()
    expect(decided.get_by_role("button", name="通过 镇平玉雕小馆")).to_have_count(0)
    assert admin.url == queue_url  # swapped in place, no navigation
    check_accessibility(admin)

    # Buyers: the badge on the shop, the shop first on the belt page, the QR to the certificate.
    buyer.goto(live_server + "/belts/zhenping-jade")
    expect(buyer.locator(".shop-row .shop-card-name").first).to_have_text("镇平玉雕小馆")
    check_accessibility(buyer)
    buyer.locator(".shop-row .shop-card-link").first.click()
    buyer.wait_for_url("**/shops/*")
    expect(buyer.locator(".shop-name .chip-certified")).to_have_text("官方认证")
    check_accessibility(buyer)
    buyer.get_by_role("link", name="独山玉山水摆件").first.click()
    buyer.wait_for_url("**/products/*")
    expect(buyer.locator(".product-info .chip-source")).to_have_text("源头好货")
    check_accessibility(buyer)
    buyer.get_by_role("link", name="证书 NGTC-ZP-20260000042 的验证二维码").click()
    buyer.wait_for_url("**/certificates/NGTC-ZP-20260000042")
    expect(buyer.get_by_role("heading", name="证书有效")).to_be_visible()
    expect(buyer.get_by_text("镇平玉雕小馆").first).to_be_visible()
    check_accessibility(buyer)

    # The merchant is told.
    page.goto(live_server + "/notifications")
    expect(page.get_by_text("已通过河南镇平基地官方认证").first).to_be_visible()
    check_accessibility(page)


def test_an_admin_rejects_with_a_reason_without_javascript(page_nojs, new_page, live_server,
                                                          zhenping):
    from app.extensions import db

    shop = make.merchant("镇平玉缘", owner=make.user("店主", email="owner@example.cn"))
    make.application(shop)
    db.session.commit()
    page = page_nojs
    _sign_in(page, live_server, zhenping["admin_email"])
    page.goto(live_server + "/admin/belts/zhenping-jade/certifications")
    check_accessibility(page)
    card = page.locator("article.application", has_text="镇平玉缘")
    card.get_by_role("button", name="驳回 镇平玉缘").click()  # no reason: refused, said why
    page.wait_for_load_state()
    card = page.locator("article.application", has_text="镇平玉缘")
    expect(card.get_by_text("请填写原因。")).to_be_visible()
    check_accessibility(page)
    card.get_by_label("审核意见").fill("营业执照已过期，请更新后再申请")
    card.get_by_role("button", name="驳回 镇平玉缘").click()
    page.wait_for_url("**/admin/belts/zhenping-jade/certifications")
    expect(page.get_by_text("已驳回 镇平玉缘 的申请").first).to_be_visible()
    expect(page.get_by_text("没有待审核的申请")).to_be_visible()

    merchant = new_page(javascript=False)
    _sign_in(merchant, live_server, "owner@example.cn")
    merchant.goto(live_server + "/my-shop/certification")
    expect(merchant.get_by_text("营业执照已过期，请更新后再申请").first).to_be_visible()
    check_accessibility(merchant)
