"""Sessions the server can end: a copied cookie is worth nothing after sign-out, a password
change or "sign out everywhere"; remember-me lasts 30 days, not a year."""
from __future__ import annotations

import re
from datetime import timedelta

from app import clock
from tests import factories as make

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def signed_in(client) -> bool:
    return client.get("/orders").status_code == 200


def stolen_cookies(client) -> dict[str, str]:
    """What a thief copies off the device: the session and remember-me cookies."""
    return {name: client.get_cookie(name).value
            for name in ("session", "remember_token") if client.get_cookie(name)}


def replay(make_client, cookies: dict[str, str]):
    thief = make_client()
    for name, value in cookies.items():
        thief.set_cookie(name, value)
    return thief


def remember_me(client, user) -> None:
    response = client.post("/signin", data={"account": user.email, "password": make.PASSWORD,
                                            "remember": "y"})
    assert response.status_code == 303


def test_a_copied_session_cookie_stops_working_after_sign_out(client, make_client, ctx):
    buyer = make.user(email="buyer@example.cn")
    make.sign_in(client, buyer)
    copy = stolen_cookies(client)
    assert signed_in(replay(make_client, copy))
    client.post("/signout")
    assert not signed_in(client)
    assert not signed_in(replay(make_client, copy))


def test_a_copied_remember_token_stops_working_after_sign_out(client, make_client, ctx):
    buyer = make.user(email="buyer@example.cn")
    remember_me(client, buyer)
    token = stolen_cookies(client)["remember_token"]
    assert signed_in(replay(make_client, {"remember_token": token}))
    client.post("/signout")
    assert not signed_in(replay(make_client, {"remember_token": token}))


def test_a_password_change_ends_copied_cookies_but_keeps_this_device(client, make_client, ctx):
    buyer = make.user(email="buyer@example.cn")
    remember_me(client, buyer)
    copy = stolen_cookies(client)
    response = client.post("/account", data={"current": make.PASSWORD,
                                             "password": "new password1",
                                             "confirm": "new password1"})
    assert response.status_code == 303
    assert signed_in(client)
    assert not signed_in(replay(make_client, copy))
    assert not signed_in(replay(make_client, {"remember_token": copy["remember_token"]}))
    # This device was remembered before the change and still is: its new token works alone.
    assert signed_in(replay(make_client, {"remember_token":
                                          stolen_cookies(client)["remember_token"]}))


def test_sign_out_everywhere_ends_every_device(client, make_client, ctx):
    buyer = make.user(email="buyer@example.cn")
    laptop = make_client()
    remember_me(client, buyer)
    remember_me(laptop, buyer)
    phone_copy, laptop_copy = stolen_cookies(client), stolen_cookies(laptop)
    page = client.get("/account").get_data(as_text=True)
    assert "退出所有设备" in page
    response = client.post("/account/signout-everywhere")
    assert response.status_code == 303 and "/signin" in response.headers["Location"]
    assert not signed_in(client)
    assert not signed_in(laptop)
    for copy in (phone_copy, laptop_copy):
        assert not signed_in(replay(make_client, copy))
        assert not signed_in(replay(make_client, {"remember_token": copy["remember_token"]}))
    # Signing in again works, with a new session.
    make.sign_in(laptop, buyer)
    assert signed_in(laptop)


def test_signing_out_on_one_device_leaves_the_others_signed_in(client, make_client, ctx):
    buyer = make.user(email="buyer@example.cn")
    laptop = make_client()
    make.sign_in(client, buyer)
    remember_me(laptop, buyer)
    client.post("/signout")
    assert not signed_in(client)
    assert signed_in(laptop)
    assert signed_in(replay(make_client, {"remember_token":
                                          stolen_cookies(laptop)["remember_token"]}))


def test_sign_out_everywhere_needs_a_signed_in_post_with_csrf(client, make_client, ctx):
    buyer = make.user(email="buyer@example.cn")
    make.sign_in(client, buyer)
    assert client.get("/account/signout-everywhere").status_code == 405
    assert client.post("/account/signout-everywhere", csrf=False).status_code == 400
    assert signed_in(client)
    anonymous = make_client()
    response = anonymous.post("/account/signout-everywhere")
    assert response.status_code == 302 and "/signin" in response.headers["Location"]


def test_remember_me_lasts_thirty_days_not_a_year(client, make_client, ctx):
    buyer = make.user(email="buyer@example.cn")
    remember_me(client, buyer)
    cookie = client.get_cookie("remember_token")
    lasts = cookie.expires - clock.now()
    assert timedelta(days=29, hours=23) < lasts <= timedelta(days=30, minutes=1)
    token = cookie.value
    clock.travel(timedelta(days=29))
    assert signed_in(replay(make_client, {"remember_token": token}))
    clock.travel(timedelta(days=2))
    # A cookie kept past its date (or a copy of it) is refused by the server too.
    assert not signed_in(replay(make_client, {"remember_token": token}))
    assert not signed_in(client)


def test_remember_days_is_configurable(monkeypatch):
    from app.config import load_config

    monkeypatch.setenv("REMEMBER_DAYS", "7")
    config = load_config()
    assert config["REMEMBER_DAYS"] == 7
    assert config["REMEMBER_COOKIE_DURATION"] == timedelta(days=7)
    monkeypatch.delenv("REMEMBER_DAYS")
    assert load_config()["REMEMBER_COOKIE_DURATION"] == timedelta(days=30)


def test_the_csrf_secret_changes_at_sign_in(client, ctx):
    buyer = make.user(email="buyer@example.cn")
    before = CSRF_RE.search(client.get("/signin").get_data(as_text=True)).group(1)
    response = client.post("/signin", data={"account": buyer.email, "password": make.PASSWORD,
                                            "csrf_token": before})
    assert response.status_code == 303
    # A token from before sign-in (one an attacker could have planted or read) is refused.
    stale = client.post("/notifications/read", data={"csrf_token": before})
    assert stale.status_code == 400
    after = CSRF_RE.search(client.get("/account").get_data(as_text=True)).group(1)
    assert after != before
    assert client.post("/notifications/read", data={"csrf_token": after}).status_code == 303


def test_old_sessions_are_purged_by_the_tick(client, ctx):
    from sqlalchemy import func, select

    from app.accounts import sessions
    from app.accounts.models import UserSession
    from app.extensions import db

    buyer = make.user(email="buyer@example.cn")
    make.sign_in(client, buyer)
    client.post("/signout")
    make.sign_in(client, buyer)
    assert sessions.purge_expired() == 0
    clock.travel(timedelta(days=2))
    assert sessions.purge_expired() == 1  # the ended one; the live one stays
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 1


def test_a_sign_out_on_one_worker_ends_the_session_on_every_worker(app, client, ctx):
    """Two workers (two app instances, one database): no worker keeps a session alive."""
    from app import create_app

    overrides = {key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "MEDIA_ROOT",
                                                  "SECRET_KEY", "PASSWORD_HASH_METHOD")}
    other_worker = create_app({**overrides, "TESTING": True}).test_client()
    buyer = make.user(email="buyer@example.cn")
    remember_me(client, buyer)
    for name, value in stolen_cookies(client).items():
        other_worker.set_cookie(name, value)
    assert other_worker.get("/orders").status_code == 200
    client.post("/signout")
    assert other_worker.get("/orders").status_code == 302


def test_the_session_names_its_user_in_front_of_its_token(client, app, ctx):
    """Hot paths (the flash-sale button's rate-limit key) read the buyer's id from the signed
    cookie without loading the account; the token after it is what the server checks."""
    buyer = make.user(email="buyer@example.cn")
    make.sign_in(client, buyer)
    cookie = client.get_cookie("session").value
    data = app.session_interface.get_signing_serializer(app).loads(cookie)
    user_id, _, token = data["_user_id"].partition(":")
    assert user_id == str(buyer.id) and len(token) >= 40
    from app.accounts.sessions import load_user

    assert load_user(f"{buyer.id + 1}:{token}") is None  # the token belongs to this user only
    assert load_user(data["_user_id"]).id == buyer.id
