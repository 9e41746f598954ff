"""Commission (佣金): a base rate per category that operators edit (basis points, integers),
reduced for source-goods shops — certified ones, whose goods carry 源头好货 — whose 180-day
DSR clears a tier's thresholds (佣金减免, tiers operators edit). Each order records the rate
applied to each line and why; the merchant's monthly statement adds them up."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from app import clock
from app.accounts.models import User
from app.accounts.services import record_audit, require_operator
from app.catalog.models import Category
from app.exceptions import Conflict, InvalidInput, NotFound
from app.extensions import db
from app.inputs import clean_text
from app.merchants.models import Merchant
from app.orders.models import CommissionRate, CommissionTier, Order
from app.orders.pricing import PricedOrder, allocate
from app.orders.reviews import DIMENSIONS, Dsr, dsr_of_row, dsr_since, shop_dsr_query

MAX_BP = 10_000


def default_rate_bp() -> int:
    return current_app.config["ORDER_DEFAULT_COMMISSION_BP"]


def base_rates() -> dict[int, int]:
    return dict(db.session.execute(select(CommissionRate.category_id, CommissionRate.rate_bp)).all())


def tiers() -> list[CommissionTier]:
    return list(db.session.scalars(select(CommissionTier)
                                   .order_by(CommissionTier.reduction_bp.desc(),
                                             CommissionTier.id)))


def best_tier(merchant: Merchant, dsr: Dsr) -> CommissionTier | None:
    """The largest reduction whose every threshold the shop's DSR clears (certified only)."""
    if not merchant.certified:
        return None
    for tier in tiers():
        if dsr.count >= max(tier.min_reviews, 1) and all(
                dsr.clears(d, getattr(tier, f"min_{d}")) for d, _label in DIMENSIONS):
            return tier
    return None


@lru_cache(maxsize=16)
def _dsr_and_rates(categories: int):
    """The shop's DSR and the base rates of `categories` categories (parameters
    `category_0`…), one query built once per number of categories: every order runs it."""
    return shop_dsr_query(*(
        select(CommissionRate.rate_bp)
        .where(CommissionRate.category_id == bindparam(f"category_{i}")).scalar_subquery()
        for i in range(categories)))


@dataclass
class CommissionQuote:
    line_rates_bp: list[int]
    line_commissions_fen: list[int]
    base_fen: int
    commission_fen: int
    reduction_bp: int
    basis: dict = field(default_factory=dict)


def quote(priced: PricedOrder, now: datetime | None = None) -> CommissionQuote:
    """Commission on what the shop takes in: each line's total less its share of the
    shop-funded discounts, at its category's base rate minus the shop's tier reduction."""
    merchant = priced.merchant
    # The shop's DSR and the base rates of the order's categories in one query.
    categories = sorted({ln.product.category_id for ln in priced.lines
                         if ln.product.category_id is not None})
    row = db.session.execute(_dsr_and_rates(len(categories)), {
        "merchant_id": merchant.id, "since": dsr_since(now or clock.now()),
        **{f"category_{i}": category_id for i, category_id in enumerate(categories)}}).one()
    dsr, found = dsr_of_row(row)
    rates = {c: rate for c, rate in zip(categories, found, strict=True) if rate is not None}
    tier = best_tier(merchant, dsr)
    reduction = tier.reduction_bp if tier else 0
    shares = allocate(priced.shop_discount_fen, [ln.line_total_fen for ln in priced.lines])
    line_rates, line_fees, base_total = [], [], 0
    per_category: dict[str, int] = {}
    for line, share in zip(priced.lines, shares, strict=True):
        base_rate = rates.get(line.product.category_id, default_rate_bp())
        rate = max(base_rate - reduction, 0)
        base = line.line_total_fen - share
        line_rates.append(rate)
        line_fees.append((base * rate + 5_000) // 10_000)  # round half up, in fen
        base_total += base
        per_category[str(line.product.category_id or 0)] = base_rate
    if not merchant.certified:
        reason = "not_source_goods"
    elif tier is None:
        reason = "dsr_below_tiers"
    else:
        reason = "tier"
    basis = {"reason": reason, "tier": tier.name if tier else "", "reduction_bp": reduction,
             "base_rates_bp": per_category, "certified": bool(merchant.certified),
             "dsr": dsr.as_dict()}
    return CommissionQuote(line_rates, line_fees, base_total, sum(line_fees), reduction, basis)


def category_names(category_ids: set[int]) -> dict[int, str]:
    if not category_ids:
        return {}
    return dict(db.session.execute(select(Category.id, Category.name)
                                   .where(Category.id.in_(category_ids))).all())


def explain(order: Order, names: dict[int, str] | None = None) -> str:
    """Why this rate, in the reader's language: each category's base rate, then whether and
    why the DSR reduction applied. Never empty (an order without a recorded reason is
    explained from its rates). `names`: category names by id (looked up when not given)."""
    basis = order.commission_basis or {}
    reduction = int(basis.get("reduction_bp", order.commission_reduction_bp) or 0)
    recorded = basis.get("base_rates_bp") or {}
    if names is None:
        names = category_names({ln.category_id for ln in order.lines if ln.category_id})
    rates: dict[int | None, int] = {}
    for line in order.lines:
        base = recorded.get(str(line.category_id or 0), line.commission_rate_bp + reduction)
        rates.setdefault(line.category_id, int(base))
    parts = [_("%(category)s类目基础费率 %(pct)s%%",
               category=names.get(cid, "") if cid else _("未分类"), pct=bp_percent(base))
             for cid, base in rates.items()]
    reason = basis.get("reason")
    if reason == "tier":
        why = _("源头好货商家，DSR 达到“%(tier)s”标准，佣金减免 %(pct)s 个百分点。",
                tier=basis.get("tier", ""), pct=bp_percent(reduction))
    elif reason == "dsr_below_tiers":
        why = _("源头好货商家，DSR 暂未达到减免标准，按类目基础费率。")
    elif reason == "not_source_goods":
        why = _("未认证为源头好货商家，按类目基础费率。")
    elif reduction:
        why = _("DSR 减免 %(pct)s 个百分点。", pct=bp_percent(reduction))
    else:
        why = _("未享受 DSR 减免，按类目基础费率。")
    return _("%(rates)s；%(why)s", rates=_("；").join(parts), why=why) if parts else why


def bp_percent(bp: int) -> str:
    """Basis points as a percentage for display: 450 → '4.5', 500 → '5'."""
    text = f"{bp / 100:.2f}".rstrip("0").rstrip(".")
    return text or "0"


# --- operators edit the table --------------------------------------------------------------

@dataclass
class RateRow:
    category: Category
    rate_bp: int | None  # None: the default applies


def rate_table(actor: User | None) -> list[RateRow]:
    require_operator(actor)
    rates = base_rates()
    categories = db.session.scalars(select(Category).order_by(Category.position, Category.id))
    return [RateRow(c, rates.get(c.id)) for c in categories]


def _bp(value: int | None, field: str, *, minimum: int = 0) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= MAX_BP:
        raise InvalidInput(_("费率以基点填写，需为 %(min)d–10000 的整数（500 即 5%%）。",
                             min=minimum), field=field)
    return value


def set_rates(actor: User | None, rates: dict[int, int | None]) -> int:
    """Set base rates by category id (None: back to the default). Returns rows changed."""
    require_operator(actor)
    known = set(db.session.scalars(select(Category.id)))
    current = {r.category_id: r for r in db.session.scalars(select(CommissionRate))}
    changed = 0
    for category_id, value in rates.items():
        if category_id not in known:
            raise NotFound(_("未知的类目。"), field="rates")
        row = current.get(category_id)
        if value is None:
            if row is not None:
                db.session.delete(row)
                changed += 1
            continue
        value = _bp(value, "rates")
        if row is None:
            db.session.add(CommissionRate(category_id=category_id, rate_bp=value))
        elif row.rate_bp == value:
            continue
        else:
            row.rate_bp = value
        changed += 1
        record_audit(actor, "commission.rate", "category", category_id, rate_bp=value)
    db.session.commit()
    return changed


def _threshold(text: str | None, field: str) -> int:
    """'4.8' → 480 (hundredths, 1.00–5.00)."""
    raw = (text or "").strip()
    if not re.fullmatch(r"[1-5](\.\d{1,2})?", raw):
        raise InvalidInput(_("DSR 门槛需为 1.00–5.00 之间的数，最多两位小数。"), field=field)
    whole, _dot, frac = raw.partition(".")
    value = int(whole) * 100 + int((frac + "00")[:2])
    if value > 500:
        raise InvalidInput(_("DSR 门槛需为 1.00–5.00 之间的数，最多两位小数。"), field=field)
    return value


def save_tier(actor: User | None, tier_id: int | None, name: str, min_description: str,
              min_service: str, min_logistics: str, min_reviews: int | None,
              reduction_bp: int | None) -> CommissionTier:
    require_operator(actor)
    clean_name = clean_text(name, max_len=40)
    if not clean_name or len(clean_name) > 40:
        raise InvalidInput(_("请填写档位名称（最多 40 个字）。"), field="name")
    values = dict(
        name=clean_name,
        min_description=_threshold(min_description, "min_description"),
        min_service=_threshold(min_service, "min_service"),
        min_logistics=_threshold(min_logistics, "min_logistics"),
        reduction_bp=_bp(reduction_bp, "reduction_bp", minimum=1),
    )
    if not isinstance(min_reviews, int) or not 0 <= min_reviews <= 1_000_000:
        raise InvalidInput(_("最少评价数需为 0–1000000 的整数。"), field="min_reviews")
    values["min_reviews"] = min_reviews
    if tier_id is None:
        tier = CommissionTier(**values)
        db.session.add(tier)
    else:
        tier = db.session.get(CommissionTier, tier_id)
        if tier is None:
            raise NotFound(_("减免档位不存在。"))
        for key, value in values.items():
            setattr(tier, key, value)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(_("已有同名的减免档位。"), field="name") from None
    record_audit(actor, "commission.tier", "commission_tier", tier.id, **values)
    db.session.commit()
    return tier


def delete_tier(actor: User | None, tier_id: int) -> None:
    require_operator(actor)
    tier = db.session.get(CommissionTier, tier_id)
    if tier is None:
        raise NotFound(_("减免档位不存在。"))
    record_audit(actor, "commission.tier_delete", "commission_tier", tier.id, name=tier.name)
    db.session.delete(tier)
    db.session.commit()
