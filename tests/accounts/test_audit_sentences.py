"""The audit log reads as sentences: who did what to which shop, person or goods, by name,
translated, with the reason; names are resolved with one query per subject type (the page's
query count does not grow with its rows)."""
from __future__ import annotations

import ast
import pathlib

from sqlalchemy import event

from app.accounts import services
from app.accounts.audit import AUDIT_ACTIONS, GENERIC_SENTENCE
from app.extensions import db
from app.governance.models import ActionKind
from tests import factories as make

APP = pathlib.Path(__file__).resolve().parents[2] / "app"


def page(response) -> str:
    return response.get_data(as_text=True)


def recorded_actions() -> set[str]:
    """Every action code passed to record_audit anywhere in the app (string literals, the
    module constants they name, both arms of a conditional, governance's f-string)."""
    import importlib

    found: set[str] = set()
    for path in APP.rglob("*.py"):
        tree = ast.parse(path.read_text())
        module_name = ".".join(path.relative_to(APP.parent).with_suffix("").parts)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "record_audit"):
                continue
            if len(node.args) < 2:
                continue
            arg = node.args[1]
            arms = [arg.body, arg.orelse] if isinstance(arg, ast.IfExp) else [arg]
            for arm in arms:
                if isinstance(arm, ast.Constant):
                    found.add(arm.value)
                elif isinstance(arm, ast.Name):
                    module = importlib.import_module(module_name)
                    if hasattr(module, arm.id):  # else a loop variable (the demo's replays)
                        found.add(getattr(module, arm.id))
                elif isinstance(arm, ast.JoinedStr):  # f"governance.{request.kind}"
                    found.update(f"governance.{kind}" for kind in ActionKind.ALL
                                 if kind != ActionKind.revoke)  # revoke goes through certification
                elif isinstance(arm, ast.Name | ast.Attribute):
                    raise AssertionError(f"unrecognised action in {path}")
    return found


def test_every_action_the_app_records_has_a_label_and_a_sentence(app):
    actions = recorded_actions()
    assert {"order.refund", "certification.approve", "complaint.file"} <= actions
    missing = sorted(a for a in actions if a not in AUDIT_ACTIONS)
    assert not missing
    generic = sorted(a for a in actions if AUDIT_ACTIONS[a].sentence == GENERIC_SENTENCE)
    assert not generic


def test_filing_a_complaint_is_not_labelled_as_the_base_accepting_it(app):
    assert AUDIT_ACTIONS["complaint.file"].label == "发起投诉"


def test_rows_name_shops_people_and_goods_and_translate_the_action(ctx, make_client):
    operator = make.user("平台运营", operator=True)
    admin = make.belt_admin("zhenping-jade", "镇平基地管理员")
    shop = make.merchant("镇平玉缘", certified=True)
    buyer = make.user("老铁")
    bangle = make.product(shop, "冰种飘花翡翠手镯")
    order = make.order(buyer, bangle)
    zhenping = make.belt("zhenping-jade").id
    services.record_audit(admin, "governance.suspend", "merchant", shop.id, belt_id=zhenping,
                          reason="售假投诉成立", shop=shop.name)
    services.record_audit(admin, "governance.delist", "merchant", shop.id, belt_id=zhenping,
                          reason="证书不符", shop=shop.name, product=bangle.title)
    services.record_audit(operator, "belt_admin.assign", "user", buyer.id, belt_id=zhenping)
    services.record_audit(shop.owner, "order.refund", "order", order.id, reason="买家退货")
    db.session.commit()
    client = make_client()
    make.sign_in(client, operator)
    html = page(client.get("/admin/audit"))
    assert f'镇平基地管理员</strong> 暂停了 <a href="/shops/{shop.id}">镇平玉缘</a> 的营业' in html
    assert "下架了" in html and "“冰种飘花翡翠手镯”" in html
    assert "<strong>平台运营</strong> 任命 <strong>老铁</strong> 为基地管理员" in html
    assert f"为订单 <strong>{order.number}</strong> 退了款" in html
    assert "order.refund" not in html and "merchant #" not in html
    assert 'data-label="原因"' in html  # a phone shows each cell's label
    client.post("/lang", data={"lang": "en"})
    english = page(client.get("/admin/audit"))
    assert f'suspended <a href="/shops/{shop.id}">镇平玉缘</a>' in english
    assert f"refunded order <strong>{order.number}</strong>" in english


def test_names_are_escaped(ctx, make_client):
    operator = make.user("<b>运营</b>", operator=True)
    shop = make.merchant("<script>x</script>")
    services.record_audit(operator, "governance.warning", "merchant", shop.id,
                          belt_id=shop.belt_id, reason="<i>原因</i>")
    db.session.commit()
    client = make_client()
    make.sign_in(client, operator)
    html = page(client.get("/admin/audit"))
    assert "<script>x</script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert "<b>运营</b>" not in html and "<i>原因</i>" not in html


def test_a_subject_that_is_gone_keeps_its_stored_name(ctx, make_client):
    operator = make.user("平台运营", operator=True)
    services.record_audit(operator, "governance.warning", "merchant", 99999, shop="已注销的店")
    services.record_audit(operator, "something.unknown", "thing", 5)
    db.session.commit()
    client = make_client()
    make.sign_in(client, operator)
    html = page(client.get("/admin/audit"))
    assert "<strong>已注销的店</strong>" in html
    assert "其他操作（something.unknown）" in html and "#5" in html


def _queries_for(client) -> int:
    statements: list[str] = []

    def note(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        assert client.get("/admin/audit").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    return len(statements)


def _record_round(operator, n: int) -> None:
    shop = make.merchant(f"店{n}", owner=make.user(f"店主{n}"))
    person = make.user(f"人{n}")
    admin = make.belt_admin("zhenping-jade", f"管理员{n}")
    services.record_audit(admin, "governance.warning", "merchant", shop.id,
                          belt_id=shop.belt_id, reason="提醒")
    services.record_audit(operator, "belt_admin.assign", "user", person.id, belt_id=shop.belt_id)
    db.session.commit()


def test_the_page_costs_the_same_queries_for_two_rows_or_twenty(ctx, make_client):
    operator = make.user("平台运营", operator=True)
    client = make_client()
    make.sign_in(client, operator)
    _record_round(operator, 0)
    few = _queries_for(client)
    for n in range(1, 10):
        _record_round(operator, n)
    assert _queries_for(client) == few
