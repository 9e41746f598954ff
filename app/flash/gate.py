"""Admission to a flash sale before the database (DESIGN.md, "a single hot row").

With REDIS_URL set, one Lua script per buy attempt pre-decrements the sale's remaining units
and checks the buyer's units, atomically in Redis: once the units are gone, buyers are told
"sold out" without a database transaction queueing on the sale's row. The database stays the
source of truth: a buyer the gate admits still goes through the conditional UPDATE.

Each admission is a lease (app.leases): the order that commits keeps its units (`commit`),
one the database refuses gives them back (`release`), and a worker killed in between leaves a
lease that lapses within GATE_LEASE_SECONDS (5 s): the next press on the sale gives its units
back. `reconcile` (the `flask tick` job) also tops the counter up to what the database says
is left beyond the live leases (units sold through the cart, outside the gate). Without Redis
(SQLite, one machine) the gate admits everyone and the database alone decides."""
from __future__ import annotations

import logging
from datetime import datetime

from flask import current_app

from app import clock, leases

log = logging.getLogger(__name__)

ADMITTED, SOLD_OUT, OVER_LIMIT = "admitted", "sold_out", "over_limit"

# KEYS[1] units left, KEYS[2] hash of units per buyer, KEYS[3] leases.
# ARGV: quantity, buyer id, per-user limit, initial units left (from the database), ttl (s),
# lease (ms), lease member.
ADMIT = leases.RECLAIM + """
local now = reclaim(KEYS[1], KEYS[3], KEYS[2])
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
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[6]), ARGV[7])
redis.call('EXPIRE', KEYS[3], ARGV[5])
return 1
"""

# Units of a cancelled order go back (KEYS as above; ARGV: quantity, buyer id).
GIVE_BACK = """
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('INCRBY', KEYS[1], ARGV[1]) end
local mine = redis.call('HINCRBY', KEYS[2], ARGV[2], -tonumber(ARGV[1]))
if mine <= 0 then redis.call('HDEL', KEYS[2], ARGV[2]) end
return 1
"""

# Raise the counter to the database's units left less the live leases (never lower it:
# an order that committed a moment ago may still hold its lease). ARGV: units left in the
# database, ttl.
RECONCILE = leases.RECLAIM + """
reclaim(KEYS[1], KEYS[3], KEYS[2])
local leased = 0
for _, member in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
  local units = parse(member)
  leased = leased + units
end
local target = tonumber(ARGV[1]) - leased
local left = tonumber(redis.call('GET', KEYS[1]) or '-1')
if left < target then
  redis.call('SET', KEYS[1], target, 'EX', ARGV[2])
  return 1
end
return 0
"""


class _Gate:
    def __init__(self, url: str):
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.admit = self.client.register_script(ADMIT)
        self.commit = self.client.register_script(leases.COMMIT)
        self.release = self.client.register_script(leases.RELEASE)
        self.give_back = self.client.register_script(GIVE_BACK)
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
    base = f"{prefix}flash:{sale_id}:{version}"
    return [f"{base}:left", f"{base}:buyers", f"{base}:leases"]


def _ttl(ends_at: datetime) -> int:
    return max(int((ends_at - clock.now()).total_seconds()) + 3600, 60)


def admit(sale, buyer_id: int, quantity: int) -> tuple[str, str | None]:
    """(ADMITTED, lease), (SOLD_OUT, None) or (OVER_LIMIT, None). Redis trouble admits without
    a lease (the database still decides)."""
    gate = _gate()
    if gate is None:
        return ADMITTED, None
    lease = leases.new_member(quantity, buyer_id)
    try:
        answer = gate.admit(keys=_keys(sale.id, sale.version),
                            args=[quantity, buyer_id, sale.per_user_limit, sale.left,
                                  _ttl(sale.ends_at), leases.lease_ms(), lease])
    except Exception:  # noqa: BLE001 (the gate is an optimisation; the database decides)
        log.warning("flash gate unavailable; admitting to the database", exc_info=True)
        return ADMITTED, None
    outcome = {1: ADMITTED, 0: SOLD_OUT, -1: OVER_LIMIT}.get(int(answer), ADMITTED)
    return outcome, lease if outcome == ADMITTED and int(answer) == 1 else None


def commit(sale, lease: str) -> None:
    """The order committed: its units stay taken (taken again if the lease had lapsed)."""
    _run("commit", sale, lease)


def release(sale, lease: str) -> None:
    """The database refused an admitted press: its units go back (once)."""
    _run("release", sale, lease)


def _run(step: str, sale, lease: str) -> None:
    gate = _gate()
    if gate is None:
        return
    try:
        getattr(gate, step)(keys=_keys(sale.id, sale.version), args=[lease, 1])
    except Exception:  # noqa: BLE001 (the lease lapses by itself)
        log.warning("flash gate: %s of a lease on sale %s failed", step, sale.id,
                    exc_info=True)


def give_back(sale, buyer_id: int, quantity: int) -> None:
    """Units of a cancelled, unpaid order go back to the sale and the buyer's allowance."""
    gate = _gate()
    if gate is None:
        return
    try:
        gate.give_back(keys=_keys(sale.id, sale.version)[:2], args=[quantity, buyer_id])
    except Exception:  # noqa: BLE001
        log.warning("flash gate: could not give back %s units of sale %s", quantity, sale.id,
                    exc_info=True)


def reconcile(sale) -> bool:
    """Top the gate's counter up to the database's units left (less live leases). True when
    it was low."""
    gate = _gate()
    if gate is None:
        return False
    try:
        return bool(gate.reconcile(keys=_keys(sale.id, sale.version),
                                   args=[sale.left, _ttl(sale.ends_at)]))
    except Exception:  # noqa: BLE001
        log.warning("flash gate: reconcile failed for sale %s", sale.id, exc_info=True)
        return False
