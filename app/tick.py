"""`flask tick`: the background work that must also happen without a visitor.

Each domain registers idempotent jobs here. Any number of hosts may run `flask tick` every
minute: jobs claim rows with FOR UPDATE SKIP LOCKED on PostgreSQL, so two never do the same."""
from __future__ import annotations

from collections.abc import Callable

JOBS: list[tuple[str, Callable[[], int]]] = []


def job(name: str):
    """Register `fn() -> number of things done` as a tick job."""
    def register(fn: Callable[[], int]) -> Callable[[], int]:
        JOBS.append((name, fn))
        return fn
    return register


def run_all() -> dict[str, int]:
    from app.extensions import db

    done = {}
    for name, fn in JOBS:
        try:
            done[name] = fn()
        except Exception:
            db.session.rollback()
            raise
    return done
