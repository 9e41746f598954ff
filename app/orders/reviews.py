"""Reviews and DSR (店铺动态评分): after completion a buyer rates 描述相符 / 服务态度 / 物流服务
1–5, once per order (unique constraint). A shop's DSR is the rolling 180-day average of each
dimension, compared with its peers' (the shops of its belt, or of its industry when it has
no belt): 高于 / 低于同行 x%."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError

from app import clock
from app.accounts.models import User
from app.accounts.services import notify
from app.db import plain_rows
from app.exceptions import Conflict, InvalidInput
from app.extensions import cache, db
from app.i18n import N_
from app.inputs import clean_text
from app.merchants.models import Merchant
from app.orders.models import OrderStatus, Review
from app.orders.orders import get_buyer_order, settle

DSR_WINDOW = timedelta(days=180)
DIMENSIONS = (("description", N_("描述相符")), ("service", N_("服务态度")),
              ("logistics", N_("物流服务")))
MAX_REVIEW_TEXT = 500
PEER_CACHE_SECONDS = 300
# The shop's own DSR on its pages: kept briefly (a new review drops it at once, see
# submit_review), so a product page costs no aggregate over the shop's reviews.
SHOP_CACHE_SECONDS = 60


@dataclass
class Dsr:
    """Sums and count over the window; averages on demand (integers until shown)."""

    count: int = 0
    description_sum: int = 0
    service_sum: int = 0
    logistics_sum: int = 0

    def average(self, dimension: str) -> float | None:
        if not self.count:
            return None
        return getattr(self, f"{dimension}_sum") / self.count

    def clears(self, dimension: str, threshold_hundredths: int) -> bool:
        """average ≥ threshold, in exact integer arithmetic (480 = 4.80)."""
        return self.count > 0 and \
            getattr(self, f"{dimension}_sum") * 100 >= threshold_hundredths * self.count

    def as_dict(self) -> dict:
        return {d: round(self.average(d) or 0, 2) for d, _label in DIMENSIONS} | {
            "count": self.count}


def _dsr_columns() -> list:
    return [func.count(Review.id), func.coalesce(func.sum(Review.description), 0),
            func.coalesce(func.sum(Review.service), 0),
            func.coalesce(func.sum(Review.logistics), 0)]


def dsr_of_row(row) -> tuple[Dsr, tuple]:
    """The Dsr of a `shop_dsr_query` row, and the values of its `also` columns."""
    return Dsr(int(row[0]), int(row[1]), int(row[2]), int(row[3])), tuple(row[4:])


def shop_dsr_query(*also):
    """The shop's DSR and the values of `also` (the caller's scalar subqueries) in one
    statement with parameters (`merchant_id`, `since`: now less DSR_WINDOW, see
    `dsr_since`), for a caller that builds it once and runs it often."""
    return select(*_dsr_columns(), *also).where(Review.created_at > bindparam("since"),
                                                Review.merchant_id == bindparam("merchant_id"))


def dsr_since(now: datetime) -> datetime:
    return now - DSR_WINDOW


@functools.cache
def _shop_dsr_statement():
    return shop_dsr_query()


def shop_dsr(merchant_id: int, now: datetime | None = None) -> Dsr:
    """The shop's DSR over DSR_WINDOW: one statement built once, plain rows."""
    row = plain_rows(_shop_dsr_statement(), {"merchant_id": merchant_id,
                                             "since": dsr_since(now or clock.now())})[0]
    return dsr_of_row(row)[0]


@functools.cache
def _peer_dsr_statement(scope: str):
    """Every review of the shops of a belt (`scope` "belt") or an industry, in the window:
    built once per scope, run with `scope_id` and `since`."""
    column = Merchant.belt_id if scope == "belt" else Merchant.industry_id
    peers = select(Merchant.id).where(column == bindparam("scope_id"))
    return select(*_dsr_columns()).where(Review.created_at > bindparam("since"),
                                         Review.merchant_id.in_(peers))


def peer_dsr(merchant: Merchant, now: datetime | None = None) -> tuple[Dsr, str]:
    """The average of every review of the shop's belt (or industry), and which it was.
    Cached briefly: it moves slowly and is shown on every product page."""
    now = now or clock.now()
    scope = "belt" if merchant.belt_id is not None else "industry"
    scope_id = merchant.belt_id if scope == "belt" else merchant.industry_id
    key = f"dsr-peer:{scope}:{scope_id}"
    cached = cache.get(key)
    if cached is not None:
        return Dsr(*cached), scope
    row = plain_rows(_peer_dsr_statement(scope), {"scope_id": scope_id,
                                                  "since": dsr_since(now)})[0]
    dsr = dsr_of_row(row)[0]
    cache.set(key, (dsr.count, dsr.description_sum, dsr.service_sum, dsr.logistics_sum),
              timeout=PEER_CACHE_SECONDS)
    return dsr, scope


def _shop_key(merchant_id: int, now: datetime) -> str:
    # The minute of clock.now() is in the key: reviews leaving the 180-day window are seen
    # within a minute of clock time (also when the clock is moved).
    return f"dsr-shop:{merchant_id}:{int(now.timestamp()) // SHOP_CACHE_SECONDS}"


def _shown_shop_dsr(merchant_id: int, now: datetime) -> Dsr:
    cached = cache.get(_shop_key(merchant_id, now))
    if cached is not None:
        return Dsr(*cached)
    dsr = shop_dsr(merchant_id, now)
    cache.set(_shop_key(merchant_id, now),
              (dsr.count, dsr.description_sum, dsr.service_sum, dsr.logistics_sum),
              timeout=SHOP_CACHE_SECONDS)
    return dsr


@dataclass
class DsrLine:
    key: str
    label: str
    value: float
    peer: float | None
    diff_pct: float | None  # + above peers, − below

    @property
    def comparison(self) -> str:
        if self.diff_pct is None:
            return ""
        if abs(self.diff_pct) < 0.05:
            return _("与同行持平")
        if self.diff_pct > 0:
            return _("高于同行 %(pct)s%%", pct=f"{self.diff_pct:.1f}")
        return _("低于同行 %(pct)s%%", pct=f"{-self.diff_pct:.1f}")

    @property
    def trend(self) -> str:
        if self.diff_pct is None or abs(self.diff_pct) < 0.05:
            return "flat"
        return "up" if self.diff_pct > 0 else "down"


@dataclass
class DsrSummary:
    count: int
    lines: list[DsrLine]
    peer_scope: str


def dsr_summary(merchant: Merchant) -> DsrSummary | None:
    """What the shop and product pages show; None while the shop has no review in 180 days."""
    now = clock.now()
    mine = _shown_shop_dsr(merchant.id, now)
    if not mine.count:
        return None
    peers, scope = peer_dsr(merchant, now)
    lines = []
    for key, label in DIMENSIONS:
        value = mine.average(key)
        peer = peers.average(key)
        diff = (value - peer) / peer * 100 if peer else None
        lines.append(DsrLine(key, label, value, peer, diff))
    return DsrSummary(mine.count, lines, scope)


def _rating(value: int | None, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
        raise InvalidInput(_("请为每一项打 1–5 分。"), field=field)
    return value


def submit_review(actor: User | None, order_id: int, description: int | None,
                  service: int | None, logistics: int | None, text: str = "") -> Review:
    """评价: the order's buyer, once, after the order is completed."""
    order = get_buyer_order(actor, order_id)
    scores = {d: _rating(v, d) for d, v in (("description", description), ("service", service),
                                            ("logistics", logistics))}
    body = clean_text(text, max_len=MAX_REVIEW_TEXT, keep_newlines=True)
    if len(body) > MAX_REVIEW_TEXT:
        raise InvalidInput(_("评价不能超过 %(n)d 个字。", n=MAX_REVIEW_TEXT), field="text")
    settle(order)
    if order.status != OrderStatus.completed:
        raise Conflict(_("确认收货后才能评价。"))
    review = Review(order_id=order.id, buyer_id=order.buyer_id, merchant_id=order.merchant_id,
                    text=body, created_at=clock.now(), **scores)
    db.session.add(review)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(_("这笔订单已经评价过了，每笔订单只能评价一次。")) from None
    notify(order.merchant.owner_id, N_("订单 %(number)s 收到了买家评价。"),
           link=f"/sell/orders/{order.id}", number=order.number)
    db.session.commit()
    cache.delete(_shop_key(order.merchant_id, clock.now()))
    return review


def shop_reviews(merchant_id: int, limit: int = 10) -> list[Review]:
    return list(db.session.scalars(
        select(Review).where(Review.merchant_id == merchant_id, Review.text != "")
        .order_by(Review.created_at.desc(), Review.id.desc()).limit(limit)))
