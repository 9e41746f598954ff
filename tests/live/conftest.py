"""The people and rooms of the live-room stories."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from app import create_app
from app.extensions import db
from tests import factories as make
from tests.conftest import BrowserLikeClient

HTMX = {"HX-Request": "true"}


def htmx(target: str) -> dict[str, str]:
    """Headers of an htmx request aimed at the element with this id."""
    return {**HTMX, "HX-Target": target}


@pytest.fixture(autouse=True)
def _no_leftover_likes(app):
    """Likes a test tapped but never wrote stay in the worker's buffer: drop them after it
    (room ids start again at 1 in the next test)."""
    yield
    app.extensions["yt_like_buffer"].drain()


@pytest.fixture
def studio(ctx):
    """玉匠人 (河南镇平, certified) live now, three goods in the 小黄车, the bangle pinned."""
    shop = make.merchant("玉匠人", certified=True)
    bangle = make.product(shop, "冰种飘花翡翠手镯", price_fen=128000, stock=5)
    pendant = make.product(shop, "独山玉平安扣吊坠", price_fen=16800, stock=12,
                           category_slug="jade-pendant")
    bracelet = make.product(shop, "和田玉手串", price_fen=9900, stock=0)
    room = make.live_room(shop, title="玉匠人 · 镇平玉雕源头直播",
                          goods=[bangle, pendant, bracelet], pinned=bangle)
    return SimpleNamespace(shop=shop, owner=shop.owner, room=room, bangle=bangle,
                           pendant=pendant, bracelet=bracelet)


@pytest.fixture
def outsiders(ctx, studio):
    """Everyone who is not the room's anchor: they may look, never act."""
    rival = make.merchant("镇平玉满堂")
    return {
        "anonymous": None,
        "buyer": make.user("老铁买家"),
        "another merchant": rival.owner,
        "belt admin": make.belt_admin("zhenping-jade"),
        "operator": make.user("平台运营", operator=True),
    }


def signed_in(make_client, user):
    client = make_client()
    if user is not None:
        make.sign_in(client, user)
    return client


def reload(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


@pytest.fixture
def second_worker(app):
    """Another app instance on the same database: a second gunicorn worker."""
    other = create_app({key: app.config[key] for key in (
        "TESTING", "SQLALCHEMY_DATABASE_URI", "MEDIA_ROOT", "PASSWORD_HASH_METHOD",
        "CACHE_TYPE", "PUBLIC_PAGE_TTL", "REFERENCE_CACHE_TTL", "RATELIMIT_STORAGE_URI",
        "SERVER_NAME", "SECRET_KEY", "REDIS_URL", "CACHE_KEY_PREFIX")})
    other.test_client_class = BrowserLikeClient
    yield other
    with other.app_context():
        db.engine.dispose()


@pytest.fixture
def chat_redis(app):
    """REDIS_URL on for live chat, with keys under a prefix of this test's own (nothing else in
    that Redis database is touched)."""
    import secrets

    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/15"
    try:
        client = redis.Redis.from_url(url)
        client.ping()
    except Exception:  # noqa: BLE001
        pytest.skip("no Redis server")
    saved = app.config["REDIS_URL"], app.config["CACHE_KEY_PREFIX"]
    prefix = f"yt-test-{secrets.token_hex(6)}:"
    app.config.update(REDIS_URL=url, CACHE_KEY_PREFIX=prefix)
    yield client
    app.config.update(REDIS_URL=saved[0], CACHE_KEY_PREFIX=saved[1])
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)


from tests.ingest import app_server, ingest  # noqa: E402, F401  (real nginx + ffmpeg fixtures)
