"""The only source of time. Tests and the demo move it; nothing else calls datetime.now()."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

_frozen: datetime | None = None
_offset = timedelta(0)


def now() -> datetime:
    """Timezone-aware UTC now, as the app sees it."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC) + _offset


def freeze(at: datetime) -> None:
    if at.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    global _frozen
    _frozen = at.astimezone(UTC)


def travel(by: timedelta) -> None:
    """Move the clock forward (or back); works frozen or running."""
    global _frozen, _offset
    if _frozen is not None:
        _frozen = _frozen + by
    else:
        _offset = _offset + by


def reset() -> None:
    global _frozen, _offset
    _frozen = None
    _offset = timedelta(0)


def local_today():
    """Today's date in Asia/Shanghai: campaign days and daily limits follow it."""
    return now().astimezone(SHANGHAI).date()


def shanghai_midnight(day) -> datetime:
    """The UTC instant at which the Shanghai calendar day `day` begins."""
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI).astimezone(UTC)


DATETIME_LOCAL = "%Y-%m-%dT%H:%M"  # what an <input type="datetime-local"> sends


def parse_local(raw: str | None) -> datetime | None:
    """A datetime-local form value, read as Asia/Shanghai time → aware UTC. None when empty,
    malformed or outside 2000–2099 (year 1 would overflow converting to UTC)."""
    raw = (raw or "").strip()
    try:
        local = datetime.strptime(raw[:16], DATETIME_LOCAL)
    except ValueError:
        return None
    if not 2000 <= local.year <= 2099:
        return None
    return local.replace(tzinfo=SHANGHAI).astimezone(UTC)
