"""The enforcement form offers only the steps that apply to the shop as it is (撤销认证 to a
certified shop, 恢复营业 to a suspended one, 下架商品 while it has goods on the shelf); the
service still refuses the others when they are posted anyway. A suspended shop's own page
says plainly that it is suspended."""
from __future__ import annotations

import re

from sqlalchemy import update

from app.catalog.models import Product, ProductStatus
from app.extensions import db
from app.governance.models import EnforcementAction


def offered(world, role="zhenping_admin", shop=None) -> list[str]:
    shop = shop or world.shop
    response = world.client(role).get(f"/admin/merchants/{shop.id}/enforcement")
    assert response.status_code == 200
    select = re.search(r'<select[^>]*name="kind".*?</select>', response.get_data(as_text=True),
                       re.S)
    return re.findall(r'<option[^>]*value="(\w+)"', select.group(0))


def act(world, role="zhenping_admin", shop=None, **data):
    shop = shop or world.shop
    return world.client(role).post(f"/admin/merchants/{shop.id}/enforcement", data=data)


def test_a_certified_open_shop_is_offered_everything_but_reinstating(world):
    assert offered(world) == ["warning", "delist", "suspend", "revoke"]


def test_an_uncertified_shop_is_not_offered_revoking_its_certification(world):
    assert offered(world, "ruili_admin", world.other_shop) == ["warning", "delist", "suspend"]


def test_a_suspended_shop_is_offered_reinstating(world):
    response = act(world, kind="suspend", days="7", reason="售假投诉成立，停业整顿")
    assert response.status_code == 303
    assert offered(world) == ["warning", "delist", "suspend", "reinstate", "revoke"]
    assert act(world, kind="reinstate", reason="整改完成，提前恢复").status_code == 303
    assert "reinstate" not in offered(world)


def test_a_shop_with_nothing_on_the_shelf_is_not_offered_delisting(world):
    db.session.execute(update(Product).where(Product.merchant_id == world.shop.id)
                       .values(status=ProductStatus.delisted))
    db.session.commit()
    assert "delist" not in offered(world)


def test_the_service_still_refuses_what_the_form_does_not_offer(world):
    revoke = act(world, "ruili_admin", world.other_shop, kind="revoke", reason="没有认证也撤销")
    assert revoke.status_code == 409
    assert "当前没有官方认证" in revoke.get_data(as_text=True)
    reinstate = act(world, kind="reinstate", reason="没停业也恢复")
    assert reinstate.status_code == 409
    assert "没有在暂停营业" in reinstate.get_data(as_text=True)
    db.session.rollback()
    assert db.session.query(EnforcementAction).count() == 0


def test_a_suspended_shops_page_says_it_is_suspended_not_that_it_has_no_goods(world):
    assert act(world, kind="suspend", days="7", reason="售假投诉成立，停业整顿").status_code == 303
    html = world.client("anonymous").get(f"/shops/{world.shop.id}").get_data(as_text=True)
    assert "店铺暂停营业至" in html
    assert "店铺暂停营业中" in html
    assert "这家店还没有在售商品" not in html
    assert "清除筛选" not in html
    assert 'href="/belts/zhenping-jade"' in html  # somewhere to go next


def test_an_open_shops_page_says_nothing_about_suspension(world):
    html = world.client("anonymous").get(f"/shops/{world.shop.id}").get_data(as_text=True)
    assert "暂停营业" not in html
