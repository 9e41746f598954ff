"""Small helpers so the campaign stories read like what people do."""
from __future__ import annotations

from tests.orders.helpers import checkout_form, count, hidden, page, refreshed  # noqa: F401

HX = {"HX-Request": "true"}
