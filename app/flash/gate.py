"""Admission to a flash sale before the database (DESIGN.md, "a single hot row").

With REDIS_URL set, one Lua script per buy attempt pre-decrements the sale's remaining units
and checks the buyer's units, atomically in Redis: once the units are gone, buyers are told
"sold out" without a database transaction queueing on the sale's row. The database stays the
source of truth: a buyer the gate admits still goes through the conditional UPDATE; a buyer it
admits whom the database refuses gives the tokens back (`release`), and `reconcile` (the
`flask tick` job) tops the counter up to what the database says is left, so a worker that died
between the two can't strand units. Without Redis (SQLite, one machine) the gate admits
everyone and the database alone decides."""
from __future__ import annotations

import logging
from datetime import datetime

from flask import current_app

from app import clock

log = logging.getLogger(__name__)

ADMITTED, SOLD_OUT, OVER_LIMIT = "admitted", "sold_out", "over_limit"

# KEYS[1] units left, KEYS[2] hash of units per buyer.
# ARGV: quantity, buyer id, per-user limit, initial units left (from the database), ttl (s).
ADMIT = """
local left = redis.call('GET', KEYS[1])
if not left then
  redis.call('SET', KEYS[1], ARGV[4], 'EX', ARGV[5], 'NX')
  left = redis.call('GET', KEYS[1])
end
local q = tonumber(ARGV[1])
if tonumber(left) < q then return 0 end
local mine = tonumber(redis.call('HGET', KEYS[2], ARGV[2]) or '0')
if mine + q > tonumber(ARGV[3]) then return -1 end
redis.call('DECRBY', KEYS[1], q)
redis.call('HINCRBY', KEYS[2], ARGV[2], q)
redis.call('EXPIRE', KEYS[2], ARGV[5])
return 1
"""

# Give back what the database refused (KEYS as above; ARGV: quantity, buyer id).
RELEASE = """
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('INCRBY', KEYS[1], ARGV[1]) end
local mine = redis.call('HINCRBY', KEYS[2], ARGV[2], -tonumber(ARGV[1]))
if mine <= 0 then redis.call('HDEL', KEYS[2], ARGV[2]) end
return 1
"""

# Raise the counter to the database's units left (never lower it: admissions in flight
# would be counted twice). ARGV: units left in the database, ttl.
RECONCILE = """
local left = tonumber(redis.call('GET', KEYS[1]) or '-1')
if left < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return 1
end
return 0
"""


class _Gate:
    def __init__(self, url: str):
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.admit = self.client.register_script(ADMIT)
        self.release = self.client.register_script(RELEASE)
        self.reconcile = self.client.register_script(RECONCILE)


def enabled() -> bool:
    return bool(current_app.config.get("REDIS_URL")) and current_app.config.get(
        "FLASH_REDIS_GATE", True)


def _gate() -> _Gate | None:
    url = current_app.config.get("REDIS_URL")
    if not url or not current_app.config.get("FLASH_REDIS_GATE", True):
        return None
    gate = current_app.extensions.get("flash_gate")
    if gate is None:
        gate = current_app.extensions["flash_gate"] = _Gate(url)
    return gate


def _keys(sale_id: int, version: int) -> list[str]:
    prefix = current_app.config.get("CACHE_KEY_PREFIX", "yt:")
    return [f"{prefix}flash:{sale_id}:{version}:left", f"{prefix}flash:{sale_id}:{version}:buyers"]


def _ttl(ends_at: datetime) -> int:
    return max(int((ends_at - clock.now()).total_seconds()) + 3600, 60)


def admit(sale, buyer_id: int, quantity: int) -> str:
    """ADMITTED, SOLD_OUT or OVER_LIMIT. Redis trouble admits (the database still decides)."""
    gate = _gate()
    if gate is None:
        return ADMITTED
    try:
        answer = gate.admit(keys=_keys(sale.id, sale.version),
                            args=[quantity, buyer_id, sale.per_user_limit, sale.left,
                                  _ttl(sale.ends_at)])
    except Exception:  # noqa: BLE001 (the gate is an optimisation; the database decides)
        log.warning("flash gate unavailable; admitting to the database", exc_info=True)
        return ADMITTED
    return {1: ADMITTED, 0: SOLD_OUT, -1: OVER_LIMIT}.get(int(answer), ADMITTED)


def release(sale, buyer_id: int, quantity: int) -> None:
    gate = _gate()
    if gate is None:
        return
    try:
        gate.release(keys=_keys(sale.id, sale.version), args=[quantity, buyer_id])
    except Exception:  # noqa: BLE001
        log.warning("flash gate: could not give back %s units of sale %s", quantity, sale.id,
                    exc_info=True)


def reconcile(sale) -> bool:
    """Top the gate's counter up to the database's units left. True when it was low."""
    gate = _gate()
    if gate is None:
        return False
    try:
        return bool(gate.reconcile(keys=_keys(sale.id, sale.version)[:1],
                                   args=[sale.left, _ttl(sale.ends_at)]))
    except Exception:  # noqa: BLE001
        log.warning("flash gate: reconcile failed for sale %s", sale.id, exc_info=True)
        return False
