"""Sign-up, sign-in, roles, belt-admin appointments, notifications and the audit log."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts import services
from app.accounts.models import AuditEntry, BeltAdmin, User
from app.extensions import db
from tests import factories as make


def page(response) -> str:
    return response.get_data(as_text=True)


def test_sign_up_with_a_mobile_number_then_sign_in(client, ctx):
    response = client.post("/signup", data={"account": "138 0013 8000", "display_name": "老铁",
                                            "password": "good password", "confirm": "good password"})
    assert response.status_code == 303
    user = db.session.scalar(select(User).where(User.phone == "13800138000"))
    assert user is not None and user.password_hash != "good password"
    assert user.password_hash.startswith(("pbkdf2:", "scrypt:"))
    client.post("/signout")
    assert client.post("/signin", data={"account": "13800138000",
                                        "password": "good password"}).status_code == 303
    assert "老铁" in page(client.get("/account"))


def test_sign_up_with_an_email(client, ctx):
    response = client.post("/signup", data={"account": "Buyer@Example.CN", "display_name": "小王",
                                            "password": "good password", "confirm": "good password"})
    assert response.status_code == 303
    assert db.session.scalar(select(User).where(User.email == "buyer@example.cn"))


@pytest.mark.parametrize("data,message", [
    ({"account": "12345", "display_name": "a", "password": "good password",
      "confirm": "good password"}, "手机号格式不正确"),
    ({"account": "not-an-email", "display_name": "a", "password": "good password",
      "confirm": "good password"}, "邮箱格式不正确"),
    ({"account": "a@b.cn", "display_name": "a", "password": "short", "confirm": "short"},
     "密码需为 8–128 位"),
    ({"account": "a@b.cn", "display_name": "a", "password": "good password",
      "confirm": "other password"}, "两次输入的密码不一致"),
    ({"account": "a@b.cn", "display_name": "名" * 31, "password": "good password",
      "confirm": "good password"}, "昵称不能超过 30 个字"),
    ({"account": "", "display_name": "", "password": "", "confirm": ""}, "请输入手机号或邮箱"),
])
def test_bad_sign_ups_say_what_is_wrong_and_keep_what_was_typed(client, ctx, data, message):
    response = client.post("/signup", data=data)
    assert response.status_code == 400
    text = page(response)
    assert message in text
    if data["account"]:
        assert f'value="{data["account"]}"' in text
    assert db.session.scalar(select(User)) is None


def test_duplicate_account_is_refused(client, ctx):
    make.user(email="taken@example.cn")
    response = client.post("/signup", data={"account": "taken@example.cn", "display_name": "x",
                                            "password": "good password", "confirm": "good password"})
    assert response.status_code == 400 and "已注册" in page(response)


def test_wrong_password_is_refused_without_saying_which_part(client, ctx):
    user = make.user(email="me@example.cn")
    for account in ("me@example.cn", "nobody@example.cn"):
        response = client.post("/signin", data={"account": account, "password": "wrong pass"})
        assert response.status_code == 400 and "账号或密码不正确" in page(response)
    assert user.last_signin_at is None


def test_sign_in_is_rate_limited(client, ctx, app):
    make.user(email="me@example.cn")
    statuses = [client.post("/signin", data={"account": "me@example.cn",
                                             "password": "wrong pass"}).status_code
                for _ in range(7)]
    assert statuses[:5] == [400] * 5
    assert statuses[-1] == 429
    assert "操作太频繁" in page(client.post("/signin", data={"account": "me@example.cn",
                                                          "password": "x"}))


def test_sign_in_follows_only_local_next_urls(client, ctx):
    user = make.user(email="me@example.cn")
    ok = client.post("/signin", data={"account": user.email, "password": make.PASSWORD,
                                      "next": "/portals/jade"})
    assert ok.headers["Location"] == "/portals/jade"
    client.post("/signout")
    evil = client.post("/signin", data={"account": user.email, "password": make.PASSWORD,
                                        "next": "https://evil.example/steal"})
    assert evil.headers["Location"] == "/"


def test_sign_out_needs_a_post(client, ctx):
    make.sign_in(client, make.user())
    assert client.get("/signout").status_code == 405
    assert client.post("/signout").status_code == 303
    assert client.get("/account").status_code == 302


def test_anonymous_users_are_sent_to_sign_in(client):
    for path in ("/account", "/notifications", "/admin/belt-admins", "/admin/audit"):
        response = client.get(path)
        assert response.status_code == 302 and "/signin" in response.headers["Location"]


def test_changing_the_password_signs_out_other_sessions(make_client, ctx):
    user = make.user(email="me@example.cn")
    phone, laptop = make_client(), make_client()
    make.sign_in(phone, user)
    make.sign_in(laptop, user)
    response = phone.post("/account", data={"current": make.PASSWORD, "password": "new password1",
                                            "confirm": "new password1"})
    assert response.status_code == 303
    assert phone.get("/account").status_code == 200
    assert laptop.get("/account").status_code == 302


def test_only_operators_appoint_belt_admins(make_client, ctx):
    operator = make.user("运营", operator=True)
    buyer = make.user("买家")
    candidate = make.user("候选人", email="candidate@example.cn")
    belt = make.belt("zhenping-jade")
    buyer_client = make_client()
    make.sign_in(buyer_client, buyer)
    assert buyer_client.get("/admin/belt-admins").status_code == 403
    forbidden = buyer_client.post("/admin/belt-admins", data={"account": candidate.email,
                                                              "belt_id": belt.id})
    assert forbidden.status_code == 403
    assert db.session.scalar(select(BeltAdmin)) is None

    ops = make_client()
    make.sign_in(ops, operator)
    done = ops.post("/admin/belt-admins", data={"account": candidate.email, "belt_id": belt.id})
    assert done.status_code == 303
    db.session.expire_all()
    assert db.session.get(User, candidate.id).administers(belt.id)
    entry = db.session.scalar(select(AuditEntry))
    assert entry.action == "belt_admin.assign" and entry.actor_id == operator.id
    assert services.unread_count(candidate.id) == 1
    again = ops.post("/admin/belt-admins", data={"account": candidate.email, "belt_id": belt.id})
    assert again.status_code == 409 and "已经是该基地管理员" in page(again)
    unknown = ops.post("/admin/belt-admins", data={"account": "ghost@example.cn",
                                                   "belt_id": belt.id})
    assert unknown.status_code == 404 and "没有这个账号" in page(unknown)
    bogus_belt = ops.post("/admin/belt-admins", data={"account": candidate.email,
                                                      "belt_id": 999})
    assert bogus_belt.status_code == 400

    assert buyer_client.post(f"/admin/belt-admins/{candidate.id}/{belt.id}/remove").status_code == 403
    assert ops.post(f"/admin/belt-admins/{candidate.id}/{belt.id}/remove").status_code == 303
    db.session.expire_all()
    assert not db.session.get(User, candidate.id).administers(belt.id)


def test_belt_admin_scope_is_per_belt(ctx):
    zhenping_admin = make.belt_admin("zhenping-jade")
    ruili = make.belt("ruili-jade")
    assert zhenping_admin.administers(make.belt("zhenping-jade").id)
    assert not zhenping_admin.administers(ruili.id)
    from app.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.require_belt_admin(zhenping_admin, ruili.id)


def test_audit_log_visibility(make_client, ctx):
    operator = make.user("运营", operator=True)
    zhenping_admin = make.belt_admin("zhenping-jade")
    ruili = make.belt("ruili-jade")
    services.record_audit(operator, "test.zhenping", "merchant", 1,
                          belt_id=make.belt("zhenping-jade").id, reason="镇平的事")
    services.record_audit(operator, "test.ruili", "merchant", 2, belt_id=ruili.id,
                          reason="瑞丽的事")
    db.session.commit()
    admin_client, ops_client, buyer_client = make_client(), make_client(), make_client()
    make.sign_in(admin_client, zhenping_admin)
    make.sign_in(ops_client, operator)
    make.sign_in(buyer_client, make.user())
    admin_view = page(admin_client.get("/admin/audit"))
    assert "镇平的事" in admin_view and "瑞丽的事" not in admin_view
    ops_view = page(ops_client.get("/admin/audit"))
    assert "镇平的事" in ops_view and "瑞丽的事" in ops_view
    assert buyer_client.get("/admin/audit").status_code == 403


def test_notifications_are_listed_translated_and_marked_read(client, ctx):
    user = make.user()
    services.notify(user.id, "你已被任命为 %(belt)s 基地管理员。", link="/belts/zhenping-jade",
                    belt="<b>河南镇平</b>")
    db.session.commit()
    make.sign_in(client, user)
    text = page(client.get("/notifications"))
    assert "你已被任命为 &lt;b&gt;河南镇平&lt;/b&gt; 基地管理员" in text
    client.post("/lang", data={"lang": "en"})
    assert "You have been appointed admin" in page(client.get("/notifications"))
    assert client.post("/notifications/read").status_code == 303
    assert services.unread_count(user.id) == 0
