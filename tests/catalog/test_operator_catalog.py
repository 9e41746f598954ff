"""An operator creates and edits industries and belts (names in Chinese and English, a slug
chosen once, the base's first admin appointed with the belt). New belts show on the home page
and their portal at once. Every other role is refused; bad input gets a clear 4xx with the
typed fields kept and nothing saved."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.accounts.models import AuditEntry, BeltAdmin, Notification
from app.catalog.models import Belt, Industry
from app.extensions import db
from tests import factories as make


def page(response) -> str:
    return response.get_data(as_text=True)


def _drop_test_industries() -> None:
    """Industries are reference rows the suite keeps between tests: remove the ones made here."""
    db.session.rollback()
    db.session.execute(Industry.__table__.delete().where(Industry.slug == "porcelain"))
    db.session.commit()


@pytest.fixture
def people(ctx, make_client):
    _drop_test_industries()
    make.belt("zhenping-jade")  # the jade industry and a belt exist
    cast = {
        "buyer": make.user("老铁"),
        "merchant": make.merchant("镇平玉缘").owner,
        "belt_admin": make.belt_admin("zhenping-jade", "镇平基地管理员"),
        "operator": make.user("平台运营", operator=True),
    }
    clients = {"anonymous": make_client()}
    for role, person in cast.items():
        clients[role] = make_client()
        make.sign_in(clients[role], person)
    yield clients
    _drop_test_industries()


def belt_form(**overrides) -> dict:
    jade = db.session.scalar(select(Industry.id).where(Industry.slug == "jade"))
    data = {"slug": "xiuyan-jade", "name": "辽宁岫岩", "name_en": "Xiuyan, Liaoning",
            "industry_id": str(jade), "province": "辽宁省", "city": "鞍山市",
            "base_name": "快手珠宝玉石产业带岫岩基地", "admin_account": ""}
    data.update(overrides)
    return data


def industry_form(**overrides) -> dict:
    data = {"slug": "porcelain", "name": "陶瓷", "name_en": "Porcelain", "portal_name": "瓷都好物",
            "portal_name_en": "Porcelain at source", "position": "9"}
    data.update(overrides)
    return data


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_an_operator_creates_a_belt_with_its_admin_and_it_shows_everywhere(people):
    newcomer = make.user("岫岩基地老王", email="wang@example.cn")
    operator = people["operator"]
    assert "辽宁岫岩" not in page(operator.get("/admin/catalog"))
    response = operator.post("/admin/belts/new", data=belt_form(admin_account="wang@example.cn"))
    assert response.status_code == 303 and response.headers["Location"] == "/belts/xiuyan-jade"
    belt = db.session.scalar(select(Belt).where(Belt.slug == "xiuyan-jade"))
    assert belt.name_en == "Xiuyan, Liaoning" and belt.industry.slug == "jade"
    assert db.session.get(BeltAdmin, (newcomer.id, belt.id)) is not None
    assert count(Notification, Notification.user_id == newcomer.id) == 1
    assert count(AuditEntry, AuditEntry.action == "belt.create") == 1
    visitor = people["anonymous"]
    assert visitor.get("/belts/xiuyan-jade").status_code == 200
    assert 'href="/belts/xiuyan-jade"' in page(visitor.get("/portals/jade"))
    assert 'href="/belts/xiuyan-jade"' in page(visitor.get("/"))
    visitor.post("/lang", data={"lang": "en"})
    assert "Xiuyan, Liaoning (jade)" in page(visitor.get("/belts/xiuyan-jade"))
    assert "辽宁岫岩" in page(operator.get("/admin/catalog"))
    log = page(operator.get("/admin/audit"))
    assert "新建了产业带" in log and 'href="/belts/xiuyan-jade"' in log


def test_an_operator_edits_a_belt_but_not_its_slug(people):
    operator = people["operator"]
    response = operator.post("/admin/belts/zhenping-jade/edit",
                             data=belt_form(slug="changed", name="河南镇平石佛寺",
                                            name_en="Shifosi, Zhenping"))
    assert response.status_code == 303
    belt = db.session.scalar(select(Belt).where(Belt.slug == "zhenping-jade"))
    assert belt.name == "河南镇平石佛寺" and belt.name_en == "Shifosi, Zhenping"
    assert count(Belt, Belt.slug == "changed") == 0


def test_an_operator_creates_and_edits_an_industry_with_its_portal(people):
    operator = people["operator"]
    assert operator.post("/admin/industries/new", data=industry_form()).status_code == 303
    assert "瓷都好物" in page(people["anonymous"].get("/portals/porcelain"))
    assert "瓷都好物" in page(people["anonymous"].get("/"))
    response = operator.post("/admin/industries/porcelain/edit",
                             data=industry_form(portal_name="景德镇好瓷"))
    assert response.status_code == 303
    assert "景德镇好瓷" in page(people["anonymous"].get("/portals/porcelain"))


@pytest.mark.parametrize("role", ["buyer", "merchant", "belt_admin"])
def test_other_roles_are_refused_everywhere(people, role):
    client = people[role]
    for url in ("/admin/catalog", "/admin/belts/new", "/admin/industries/new",
                "/admin/belts/zhenping-jade/edit", "/admin/industries/jade/edit"):
        assert client.get(url).status_code == 403, url
    assert client.post("/admin/belts/new", data=belt_form()).status_code == 403
    assert client.post("/admin/industries/new", data=industry_form()).status_code == 403
    assert client.post("/admin/belts/zhenping-jade/edit",
                       data=belt_form(name="改名")).status_code == 403
    assert count(Belt, Belt.slug == "xiuyan-jade") == 0
    assert count(Industry, Industry.slug == "porcelain") == 0
    assert count(Belt, Belt.name == "改名") == 0


def test_the_anonymous_are_sent_to_sign_in(people):
    response = people["anonymous"].post("/admin/belts/new", data=belt_form())
    assert response.status_code in (302, 303) and "/signin" in response.headers["Location"]
    assert count(Belt, Belt.slug == "xiuyan-jade") == 0


@pytest.mark.parametrize("overrides, status, message", [
    ({"slug": "zhenping-jade"}, 409, "已被使用"),
    ({"slug": ""}, 400, "请填写网址名"),
    ({"slug": "Xiu Yan!"}, 400, "小写英文字母"),
    ({"slug": "-x"}, 400, "小写英文字母"),
    ({"name": "   "}, 400, "请填写中文名称"),
    ({"name_en": ""}, 400, "请填写英文名称"),
    ({"name_en": "岫岩"}, 400, "请用英文填写"),
    ({"name": "<script>alert(1)</script>"}, 400, "不能包含"),
    ({"name": "岫" * 41}, 400, "不能超过 40"),
    ({"industry_id": ""}, 400, "请选择行业"),
    ({"industry_id": "99999"}, 400, "请选择行业"),
    ({"industry_id": "abc"}, 400, "请选择行业"),
    ({"base_name": ""}, 400, "请填写基地名称"),
    ({"admin_account": "nobody@example.cn"}, 400, "没有这个账号"),
    ({"admin_account": "not an account"}, 400, "格式不正确"),
])
def test_bad_belt_input_is_refused_with_the_typed_fields_kept(people, overrides, status, message):
    data = belt_form(**overrides)
    response = people["operator"].post("/admin/belts/new", data=data)
    assert response.status_code == status
    html = page(response)
    assert message in html
    assert "快手珠宝玉石产业带岫岩基地" in html or not data["base_name"]  # typed, kept
    assert count(Belt) == 1  # only zhenping
    assert count(AuditEntry, AuditEntry.action == "belt.create") == 0


@pytest.mark.parametrize("overrides, status, message", [
    ({"slug": "jade"}, 409, "已被使用"),
    ({"portal_name": ""}, 400, "请填写聚合页名称"),
    ({"portal_name_en": "见宝"}, 400, "请用英文填写"),
    ({"position": "-1"}, 400, "排序需为"),
    ({"position": "1e9"}, 400, "排序需为"),
])
def test_bad_industry_input_is_refused(people, overrides, status, message):
    response = people["operator"].post("/admin/industries/new", data=industry_form(**overrides))
    assert response.status_code == status
    assert message in page(response)
    assert count(Industry, Industry.slug == "porcelain") == 0


def test_unknown_belts_and_industries_are_404(people):
    assert people["operator"].get("/admin/belts/no-such/edit").status_code == 404
    assert people["operator"].get("/admin/industries/no-such/edit").status_code == 404


def test_appointing_someone_already_the_admin_is_a_conflict(people):
    admin_email = db.session.scalar(select(BeltAdmin)).user.email
    response = people["operator"].post("/admin/belts/zhenping-jade/edit",
                                       data=belt_form(name="新名字", admin_account=admin_email))
    assert response.status_code == 409 and "已经是该基地管理员" in page(response)
    assert count(Belt, Belt.name == "新名字") == 0
