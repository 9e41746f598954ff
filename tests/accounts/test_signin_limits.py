"""Sign-in limits: failed attempts are counted per (account, address), then more slowly per
account and per address. An attacker guessing from elsewhere can't lock the owner out."""
from __future__ import annotations

from tests import factories as make

OWNER_PHONE = "198.51.100.7"


def attempt(client, account: str, password: str, address: str) -> int:
    return client.post("/signin", data={"account": account, "password": password},
                       environ_base={"REMOTE_ADDR": address}).status_code


def test_an_attacker_elsewhere_does_not_lock_the_owner_out(client, make_client, ctx):
    owner = make.user(email="owner@example.cn")
    attacker = make_client()
    for n in range(3):
        statuses = [attempt(attacker, "owner@example.cn", f"guess {i}", f"203.0.113.{n}")
                    for i in range(6)]
        assert statuses == [400] * 5 + [429]  # each address is held after 5 failures
    # The same account written another way is the same account for the limits.
    assert attempt(attacker, " OWNER@example.cn ", "guess", "203.0.113.0") == 429
    assert attempt(client, owner.email, make.PASSWORD, OWNER_PHONE) == 303


def test_the_owner_keeps_signing_in_on_a_known_phone_while_guessing_goes_on(
        client, make_client, app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_SIGNIN_ACCOUNT", "8 per hour")
    owner = make.user(email="owner@example.cn")
    assert attempt(client, owner.email, make.PASSWORD, OWNER_PHONE) == 303
    client.post("/signout")
    attacker = make_client()
    guesses = [attempt(attacker, owner.email, "guess", f"203.0.113.{n}")
               for n in range(4) for _ in range(3)]
    # The slower per-account limit holds the guessing, wherever it comes from ...
    assert guesses.count(400) == 8 and guesses[-1] == 429
    assert attempt(make_client(), owner.email, make.PASSWORD, "192.0.2.50") == 429
    # ... but not the owner on the phone they signed in with before.
    assert attempt(client, owner.email, make.PASSWORD, OWNER_PHONE) == 303


def test_successful_sign_ins_use_up_nothing(client, ctx):
    owner = make.user(email="owner@example.cn")
    for _ in range(8):
        assert attempt(client, owner.email, make.PASSWORD, OWNER_PHONE) == 303
        client.post("/signout")


def test_one_address_trying_many_accounts_is_held(client, app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_SIGNIN_ADDRESS", "6 per minute")
    statuses = [attempt(client, f"user{i}@example.cn", "guess", "203.0.113.99")
                for i in range(7)]
    assert statuses == [400] * 6 + [429]
