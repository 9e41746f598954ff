"""Admission leases: how the Redis gates in front of hot rows (flash-sale units, coupon copies)
keep a worker's crash from stranding what it was admitted to.

A gate hands out units from a shared count before the database is touched. Each admission
is a *lease*: a member `"<units>|<buyer>|<token>"` of a sorted set scored by when it lapses
(Redis's own clock, `GATE_LEASE_SECONDS`, 5 s by default). The admitted request then either
- commits (`COMMIT`): the database sold the units, the lease is dropped and the units stay
  taken — if the lease had already lapsed (a placement slower than the lease), they are taken
  again, so the count stays exact;
- or gives them back (`RELEASE`): the database refused; the lease is dropped and the units go
  back, once (a lease that already lapsed was given back then).
A worker killed between admission and either call leaves its lease behind; the next admission
on that count (every gate script starts with `reclaim`) finds it lapsed and gives its units
back. So a crash strands units for at most the lease's length, not until `flask tick`.

These are Lua snippets shared by app.flash.gate and app.campaigns.gate; each script is
atomic in Redis, so no two workers see a half-done step."""
from __future__ import annotations

import secrets

from flask import current_app

# reclaim(count key, leases key, per-buyer tally key or nil) -> now in ms (Redis's clock).
RECLAIM = """
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function parse(member)
  local units, who = string.match(member, '^(%d+)|([^|]*)|')
  return tonumber(units), who
end
local function give_back(count_key, tally_key, units, who)
  if redis.call('EXISTS', count_key) == 1 then redis.call('INCRBY', count_key, units) end
  if tally_key and who ~= '' then
    if redis.call('HINCRBY', tally_key, who, -units) <= 0 then
      redis.call('HDEL', tally_key, who)
    end
  end
end
local function reclaim(count_key, leases_key, tally_key)
  local now = now_ms()
  local lapsed = redis.call('ZRANGEBYSCORE', leases_key, '-inf', now)
  for _, member in ipairs(lapsed) do
    local units, who = parse(member)
    give_back(count_key, tally_key, units, who)
  end
  if #lapsed > 0 then redis.call('ZREMRANGEBYSCORE', leases_key, '-inf', now) end
  return now
end
"""

# KEYS: count, per-buyer tally (any unused key name when there is none), leases;
# ARGV: the lease member, '1' when there is a tally.
COMMIT = RECLAIM + """
if redis.call('ZREM', KEYS[3], ARGV[1]) == 1 then return 1 end
local units, who = parse(ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('DECRBY', KEYS[1], units) end
if ARGV[2] == '1' and who ~= '' then redis.call('HINCRBY', KEYS[2], who, units) end
return 0
"""

RELEASE = RECLAIM + """
if redis.call('ZREM', KEYS[3], ARGV[1]) == 0 then return 0 end
local units, who = parse(ARGV[1])
local tally = nil
if ARGV[2] == '1' then tally = KEYS[2] end
give_back(KEYS[1], tally, units, who)
return 1
"""


def lease_ms() -> int:
    return int(float(current_app.config.get("GATE_LEASE_SECONDS", 5)) * 1000)


def new_member(units: int, buyer_id: int | None) -> str:
    return f"{units}|{buyer_id if buyer_id is not None else ''}|{secrets.token_hex(8)}"
