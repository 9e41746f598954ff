"""Admission in front of the database for coupon grabs (热点行保护).

A grab rush is hundreds of buyers on one coupon row; the conditional UPDATE keeps the count
right, but every contender queues on that row's lock. With `REDIS_URL` set, a Lua script keeps a
shared count of copies still to hand out (`<prefix>coupon-left:<id>`), seeded from the database's
`remaining` and expiring after `COUPON_GATE_TTL` seconds (then seeded again, so a lost token
heals itself). A grab first takes a token there: no token, and the buyer hears 已抢光 without
the database's hot row being touched. A token lets the grab reach the database, which still
decides (the conditional UPDATE and the unique wallet row); a grab the database refuses gives
its token back, and a database that says the coupon is gone sets the count to 0.

Each token is a lease (app.leases): a grab that commits keeps it (`commit`), one the database
refuses gives it back (`give_back`), and one whose worker was killed in between lapses within
GATE_LEASE_SECONDS (5 s): the next grab gives it back. The count's TTL re-seeds it from the
database now and then besides.

Without Redis (SQLite, one host) there is no gate: `admit` always says yes. A Redis error also
says yes — the gate only sheds load, it never decides."""
from __future__ import annotations

import contextlib
import logging

from flask import current_app

from app import leases

log = logging.getLogger(__name__)

# KEYS[1] the count, KEYS[2] unused (no per-buyer tally), KEYS[3] the leases;
# ARGV[1] the seed ('' = unknown), ARGV[2] the TTL, ARGV[3] the lease (ms), ARGV[4] its member.
# Returns 1 (token taken), 0 (gone) or -1 (no count yet and no seed given).
ADMIT = leases.RECLAIM + """
local now = reclaim(KEYS[1], KEYS[3], nil)
local left = redis.call('GET', KEYS[1])
if not left then
  if ARGV[1] == '' then return -1 end
  redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
  left = ARGV[1]
end
if tonumber(left) <= 0 then return 0 end
redis.call('DECR', KEYS[1])
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[3]), ARGV[4])
redis.call('EXPIRE', KEYS[3], 3600)
return 1
"""
MARK_GONE = """
redis.call('SET', KEYS[1], 0, 'EX', tonumber(ARGV[1]))
redis.call('DEL', KEYS[3])
return 1
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


def _keys(coupon_id: int) -> list[str]:
    prefix = current_app.config.get("COUPON_GATE_PREFIX") \
        or current_app.config.get("CACHE_KEY_PREFIX", "yt:")
    base = f"{prefix}coupon-left:{coupon_id}"
    return [base, f"{base}:none", f"{base}:leases"]


def enabled() -> bool:
    return _client() is not None


def admit(coupon_id: int, remaining_now) -> tuple[bool, str | None]:
    """Take a token for one grab: (admitted, lease). `remaining_now()` reads the database's
    count; it is called only when the shared count must be seeded. No Redis, or Redis
    trouble, admits without a lease."""
    client = _client()
    if client is None:
        return True, None
    import redis

    ttl = str(current_app.config.get("COUPON_GATE_TTL", 30))
    lease = leases.new_member(1, None)
    keys = _keys(coupon_id)
    try:
        answer = client.eval(ADMIT, 3, *keys, "", ttl, leases.lease_ms(), lease)
        if answer == -1:
            answer = client.eval(ADMIT, 3, *keys, str(max(0, remaining_now())), ttl,
                                 leases.lease_ms(), lease)
    except redis.RedisError:
        log.warning("coupon gate: Redis unavailable, the database decides alone")
        return True, None
    return answer == 1, lease if answer == 1 else None


def commit(coupon_id: int, lease: str | None) -> None:
    """The grab committed: its token stays taken (taken again if the lease had lapsed)."""
    _run(leases.COMMIT, coupon_id, lease)


def give_back(coupon_id: int, lease: str | None) -> None:
    """The database refused an admitted grab (limit reached, expired …): return its token,
    once."""
    _run(leases.RELEASE, coupon_id, lease)


def _run(script: str, coupon_id: int, lease: str | None) -> None:
    client = _client()
    if client is None or lease is None:
        return
    import redis

    with contextlib.suppress(redis.RedisError):  # the lease lapses by itself
        client.eval(script, 3, *_keys(coupon_id), lease, "0")


def mark_gone(coupon_id: int) -> None:
    """The database says no copies are left: every later grab is refused at the gate (and
    no lease in flight gives a token back)."""
    client = _client()
    if client is None:
        return
    import redis

    with contextlib.suppress(redis.RedisError):
        client.eval(MARK_GONE, 3, *_keys(coupon_id),
                    int(current_app.config.get("COUPON_GATE_TTL", 30)))
