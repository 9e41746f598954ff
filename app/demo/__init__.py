"""The demo data behind `flask seed-demo`. Idempotent: every step looks before it writes.

The demo sits on top of the domains: it imports their models and services to lay out a
believable shop floor; no domain imports it. Steps run in the order of DEMO_STEPS, each
after the ones whose rows it needs (users, belts and shops first)."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import text

from app.demo.catalog import BELTS, _belts, seed_catalog
from app.demo.people import BUYER_EMAIL, DEMO_PASSWORD, OPERATOR_EMAIL, YUJIANGREN_EMAIL
from app.extensions import db

__all__ = ["BELTS", "BUYER_EMAIL", "DEMO_PASSWORD", "DEMO_STEPS", "OPERATOR_EMAIL",
           "YUJIANGREN_EMAIL", "_belts", "seed"]


def _steps() -> dict[str, Callable[[int], list[str]]]:
    from app.demo import (
        campaigns,
        flash,
        governance,
        live,
        live_comments,
        merchants,
        orders,
        sale,
    )

    return {
        "catalog": seed_catalog,
        "certification": merchants.seed_certification,
        "belt_pages": merchants.seed_belt_pages,
        "live": live.seed_live,
        "live_comments": live_comments.seed_comments,
        "orders": orders.seed_orders,
        "governance": governance.seed_governance,
        "campaigns": campaigns.seed_campaigns,
        "flash": flash.seed_flash,
        "sale": sale.seed_sale,
    }


# name → step(scale) returning the lines to print.
DEMO_STEPS: dict[str, Callable[[int], list[str]]] = _steps()


def seed(scale: int = 0) -> list[str]:
    from app.catalog.reference_data import ensure_reference_data

    ensure_reference_data()
    lines: list[str] = []
    for step in DEMO_STEPS.values():
        lines += step(scale)
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return lines
