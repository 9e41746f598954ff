"""Admission in front of the database for coupon grabs (热点行保护).

A grab rush is hundreds of buyers on one coupon row; the conditional UPDATE keeps the count
right, but every contender queues on that row's lock. With `REDIS_URL` set, a Lua script keeps a
shared count of copies still to hand out (`<prefix>coupon-left:<id>`), seeded from the database's
`remaining` and expiring after `COUPON_GATE_TTL` seconds (then seeded again, so a lost token
heals itself). A grab first takes a token there: no token, and the buyer hears 已抢光 without
the database's hot row being touched. A token lets the grab reach the database, which still
decides (the conditional UPDATE and the unique wallet row); a grab the database refuses gives
its token back, and a database that says the coupon is gone sets the count to 0.

Without Redis (SQLite, one host) there is no gate: `admit` always says yes. A Redis error also
says yes — the gate only sheds load, it never decides."""
from __future__ import annotations

import contextlib
import logging

from flask import current_app

log = logging.getLogger(__name__)

# KEYS[1] the count; ARGV[1] the seed ('' = unknown), ARGV[2] the TTL.
# Returns 1 (token taken), 0 (gone) or -1 (no count yet and no seed given).
ADMIT = """
local left = redis.call('GET', KEYS[1])
if not left then
  if ARGV[1] == '' then return -1 end
  redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
  left = ARGV[1]
end
if tonumber(left) <= 0 then return 0 end
redis.call('DECR', KEYS[1])
return 1
"""
GIVE_BACK = """
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCR', KEYS[1]) end
return 0
"""


def _client():
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    client = current_app.extensions.get("yt_coupon_gate")
    if client is None:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        current_app.extensions["yt_coupon_gate"] = client
    return client


def _key(coupon_id: int) -> str:
    prefix = current_app.config.get("COUPON_GATE_PREFIX") \
        or current_app.config.get("CACHE_KEY_PREFIX", "yt:")
    return f"{prefix}coupon-left:{coupon_id}"


def enabled() -> bool:
    return _client() is not None


def admit(coupon_id: int, remaining_now) -> bool:
    """Take a token for one grab. `remaining_now()` reads the database's count; it is called
    only when the shared count must be seeded."""
    client = _client()
    if client is None:
        return True
    import redis

    ttl = str(current_app.config.get("COUPON_GATE_TTL", 30))
    try:
        answer = client.eval(ADMIT, 1, _key(coupon_id), "", ttl)
        if answer == -1:
            answer = client.eval(ADMIT, 1, _key(coupon_id), str(max(0, remaining_now())), ttl)
    except redis.RedisError:
        log.warning("coupon gate: Redis unavailable, the database decides alone")
        return True
    return answer == 1


def give_back(coupon_id: int) -> None:
    """The database refused an admitted grab (limit reached, expired …): return its token."""
    client = _client()
    if client is None:
        return
    import redis

    with contextlib.suppress(redis.RedisError):
        client.eval(GIVE_BACK, 1, _key(coupon_id))  # an expired count is seeded afresh


def mark_gone(coupon_id: int) -> None:
    """The database says no copies are left: every later grab is refused at the gate."""
    client = _client()
    if client is None:
        return
    import redis

    with contextlib.suppress(redis.RedisError):
        client.set(_key(coupon_id), 0, ex=int(current_app.config.get("COUPON_GATE_TTL", 30)))
