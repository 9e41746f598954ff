"""What the shared pages' slots show a signed-in user: their shop, the queues they review."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_login import current_user

from app.catalog.models import Belt
from app.merchants.certification import pending_count
from app.merchants.models import Merchant
from app.merchants.services import shop_of


@dataclass
class Nav:
    shop: Merchant | None = None
    reviews: list[tuple[Belt, int]] = field(default_factory=list)  # (belt, pending) per belt


def nav_for_current_user() -> Nav:
    if not current_user.is_authenticated:
        return Nav()
    reviews = [(scope.belt, pending_count(scope.belt_id))
               for scope in sorted(current_user.belt_scopes, key=lambda s: s.belt_id)]
    return Nav(shop=shop_of(current_user.id), reviews=reviews)


def reviews_belt(belt_id: int) -> bool:
    """May the current user review this belt's applications (its admins and operators)?"""
    return current_user.is_authenticated and current_user.administers(belt_id)
