"""Small helpers so the order stories read like what people do."""
from __future__ import annotations

import html
import re

from sqlalchemy import func, select

from app.extensions import db


def page(response) -> str:
    return response.get_data(as_text=True)


def hidden(text: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', text)
    assert match, f"no field {name!r} in the page"
    return html.unescape(match.group(1))


def checkout_form(client, query: str = "") -> dict:
    """Open /checkout (?product_id=…&quantity=… for buy now) and return the form a browser
    would submit: the hidden fields as rendered, the default address, cash on delivery."""
    response = client.get("/checkout" + query)
    assert response.status_code == 200, page(response)[:800]
    text = page(response)
    form = {name: hidden(text, name) for name in ("lines", "key", "expected_total", "from_cart")}
    chosen = re.search(r'name="address_id" value="(\d+)" checked', text)
    if chosen:
        form["address_id"] = chosen.group(1)
    form["payment_method"] = "cod"
    return form


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def refreshed(model, row_id):
    db.session.expire_all()
    return db.session.get(model, row_id)
