"""For the tests that hold a page made from plain copies (app.db.plain_copy) equal to the
same page made from ORM entities: the page as served, compared without its CSRF tokens."""
from __future__ import annotations

import re

_TOKENS = re.compile(r'm\.[\w\-=.]{40,}')  # a masked CSRF token (app.csrf_mask), new per render


def without_tokens(html: str) -> str:
    return _TOKENS.sub("TOKEN", html)


def served(client, url: str, lang: str = "zh") -> str:
    response = client.get(url, headers={"Accept-Language": lang})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def assert_served_as(client, url: str, lang: str, from_entities: str) -> None:
    """`url` served (from copies) is the page `from_entities`, tokens aside."""
    assert without_tokens(served(client, url, lang)) == without_tokens(from_entities)


def entity_flash_sales(by: str, subject_id: int, limit: int) -> list:
    """A live room's (`by` "room") or a good's ("product") flash sales that have not ended,
    as ORM entities: what the flash providers read before their plain copies."""
    from sqlalchemy import select

    from app import clock
    from app.extensions import db
    from app.flash.models import FlashSale

    subject = FlashSale.live_room_id if by == "room" else FlashSale.product_id
    return db.session.scalars(
        select(FlashSale).where(subject == subject_id, FlashSale.status == "scheduled",
                                FlashSale.ends_at > clock.now())
        .order_by(FlashSale.starts_at, FlashSale.id).limit(limit)).all()
