"""The Zhenping base's admin runs their belt page from a phone: edits the intro and hotline,
uploads a banner, features two certified shops in order, and buyers see it on the belt page."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.extensions import db
from tests import factories as make
from tests.browser.conftest import ARTIFACTS, check_accessibility


@pytest.fixture
def story(ctx):
    make.merchant("镇平玉缘", certified=True, sales=50)
    make.merchant("石佛寺玉雕", certified=True, sales=20)
    make.merchant("新开玉店")
    admin = make.belt_admin("zhenping-jade", "镇平基地管理员")
    facts = {"admin": admin.email}
    db.session.commit()  # end the read transaction so the server can write (SQLite)
    return facts


def sign_in(page, live_server, email):
    page.goto(live_server + "/signin")
    page.get_by_label("手机号或邮箱").fill(email)
    page.get_by_label("密码").fill(make.PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(live_server + "/")


def test_a_base_admin_edits_the_belt_page_and_buyers_see_it(page, new_page, live_server, story):
    sign_in(page, live_server, story["admin"])
    page.goto(live_server + "/belts/zhenping-jade")
    page.get_by_role("link", name="编辑产业带页面").click()
    page.wait_for_url("**/admin/belts/zhenping-jade/page")
    check_accessibility(page)
    expect(page.get_by_label("新开玉店")).to_have_count(0)  # not certified: not offered

    # A bad hotline comes back with the message and what was typed.
    page.get_by_label("基地介绍").fill("镇平石佛寺，中国玉雕之乡。")
    page.get_by_label("基地热线").fill("12345")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("客服电话格式不正确")).to_be_visible()
    expect(page.get_by_label("基地介绍")).to_have_value("镇平石佛寺，中国玉雕之乡。")
    check_accessibility(page)

    page.get_by_label("基地热线").fill("0377 6590 1234")
    page.get_by_label("横幅图片").set_input_files(
        [{"name": "banner.jpg", "mimeType": "image/jpeg", "buffer": make.jpeg_bytes(1600, 600)}])
    page.get_by_label("石佛寺玉雕").check()
    page.get_by_label("镇平玉缘").check()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "belt-page-form-390.png"), full_page=True)
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(live_server + "/belts/zhenping-jade")
    expect(page.locator("#flash-area")).to_contain_text("产业带页面已保存")

    buyer = new_page()
    buyer.goto(live_server + "/belts/zhenping-jade")
    expect(buyer.locator(".belt-intro")).to_have_text("镇平石佛寺，中国玉雕之乡。")
    expect(buyer.get_by_role("link", name="0377-65901234")).to_be_visible()
    expect(buyer.locator("img.belt-banner")).to_be_visible()
    featured = buyer.locator("#belt-featured + .shop-row .shop-card-name")
    expect(featured).to_have_text(["镇平玉缘", "石佛寺玉雕"])  # the belt's certified shops
    check_accessibility(buyer)
    buyer.screenshot(path=str(ARTIFACTS / "belt-page-390.png"), full_page=True)
    buyer.set_viewport_size({"width": 1280, "height": 900})
    buyer.screenshot(path=str(ARTIFACTS / "belt-page-1280.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server + "/admin/belts/zhenping-jade/page")
    page.screenshot(path=str(ARTIFACTS / "belt-page-form-1280.png"), full_page=True)


def test_an_operator_adds_a_belt_and_buyers_find_it_on_the_portal(page, new_page, live_server,
                                                                  ctx):
    make.belt("zhenping-jade")
    operator = make.user("平台运营", operator=True, email="ops@example.cn")
    make.user("岫岩基地老王", email="wang@example.cn")
    email = operator.email
    db.session.commit()  # end the read transaction so the server can write (SQLite)
    sign_in(page, live_server, email)
    page.goto(live_server + "/account")
    page.get_by_role("link", name="行业与产业带").click()
    page.wait_for_url("**/admin/catalog")
    check_accessibility(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "admin-catalog-390.png"), full_page=True)
    page.get_by_role("link", name="新建产业带").click()
    page.wait_for_url("**/admin/belts/new")
    check_accessibility(page)
    # A taken slug comes back with the message and the typed fields.
    page.get_by_label("网址名").fill("zhenping-jade")
    page.get_by_label("行业").select_option(label="玉石")
    page.get_by_label("中文名称").fill("辽宁岫岩")
    page.get_by_label("英文名称").fill("Xiuyan, Liaoning")
    page.get_by_label("省份").fill("辽宁省")
    page.get_by_label("城市").fill("鞍山市")
    page.get_by_label("基地名称").fill("快手珠宝玉石产业带岫岩基地")
    page.get_by_label("任命基地管理员（选填）").fill("wang@example.cn")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("网址名“zhenping-jade”已被使用")).to_be_visible()
    expect(page.get_by_label("中文名称")).to_have_value("辽宁岫岩")
    check_accessibility(page)
    page.screenshot(path=str(ARTIFACTS / "admin-belt-form-390.png"), full_page=True)
    page.get_by_label("网址名").fill("xiuyan-jade")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(live_server + "/belts/xiuyan-jade")
    expect(page.get_by_role("heading", name="辽宁岫岩")).to_be_visible()

    buyer = new_page()
    buyer.goto(live_server + "/portals/jade")
    buyer.get_by_role("link", name="辽宁岫岩").first.click()
    buyer.wait_for_url("**/belts/xiuyan-jade")
    check_accessibility(buyer)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server + "/admin/catalog")
    page.screenshot(path=str(ARTIFACTS / "admin-catalog-1280.png"), full_page=True)
    page.goto(live_server + "/admin/belts/xiuyan-jade/edit")
    check_accessibility(page)
    expect(page.get_by_text("岫岩基地老王")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "admin-belt-form-1280.png"), full_page=True)
