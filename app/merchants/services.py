"""Shops: opening one, its settings, and the lookups other domains use."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import ScalarSelect, and_, bindparam, case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app import clock
from app.accounts.models import User
from app.accounts.services import is_signed_in, require_signed_in
from app.catalog.listing import require_shop_owner
from app.catalog.models import Belt, Industry
from app.catalog.reference import SOURCE_TYPES_NEEDING_BELT, SourceType
from app.catalog.services import now_param
from app.db import given, plain_rows, where_given
from app.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from app.extensions import db
from app.merchants.checks import normalise_hotline, plain_text, store_photo
from app.merchants.models import Certificate, Merchant

MAX_NAME = 20
MIN_NAME = 2
MAX_ADDRESS = 200
MAX_INTRO = 500


@dataclass
class ShopDraft:
    """What the open-shop and settings forms carry. Source type and belt are fixed at opening."""

    name: str
    address: str
    hotline: str
    intro: str = ""
    source_type: str = ""
    belt_id: int | None = None
    industry_id: int | None = None


def get_shop(merchant_id: int) -> Merchant | None:
    return db.session.scalar(
        select(Merchant).options(selectinload(Merchant.belt), selectinload(Merchant.industry))
        .where(Merchant.id == merchant_id))


def shops_of(user_id) -> ScalarSelect:
    """The shops the user owns, counted as a scalar subquery (`user_id` a value or a column)."""
    return (select(func.count()).select_from(Merchant).where(Merchant.owner_id == user_id)
            .scalar_subquery())


def shop_of(user_id: int) -> Merchant | None:
    return db.session.scalar(select(Merchant).where(Merchant.owner_id == user_id))


def is_shop_owner(user: User | None, merchant: Merchant) -> bool:
    return is_signed_in(user) and merchant.owner_id == user.id


def visible_to(viewer: User | None, merchant: Merchant, *, public: bool) -> bool:
    """What buyers see only when `public` (an open shop's room, a listed product), the shop's
    owner sees anyway: the one rule for "visible, or the owner may see it"."""
    return public or is_shop_owner(viewer, merchant)


def shop_is_open(merchant: Merchant, now: datetime | None = None) -> bool:
    """A shop buyers can see and buy from (active, no suspension in force). The goods carry a
    copy of this state (app.merchants.sync) for the catalogue's listing rule."""
    return merchant.is_open(clock.now() if now is None else now)


def open_shops_clause(now=None):
    """`shop_is_open` as a SQL condition on Merchant, for queries of shops and live rooms
    (`now` may be a bound parameter: catalog.services.now_param)."""
    now = clock.now() if now is None else now
    return and_(Merchant.status == "active",
                or_(Merchant.suspended_until.is_(None), Merchant.suspended_until <= now))


def own_shop(actor: User | None, refusal: str | None = None) -> Merchant:
    """The acting user's own shop: the one check behind everything a merchant does to their
    shop. 403 when not signed in, or with `refusal` (what a shop is needed for; 你还没有开店。
    by default) when they have none."""
    actor = require_signed_in(actor)
    shop = shop_of(actor.id)
    if shop is None:
        raise PermissionDenied(refusal or _("你还没有开店。"))
    return shop


@functools.cache
def _certificates_statement():
    # Built once (see catalog.services.now_param): the product page runs it for every product.
    return (select(Certificate).where(Certificate.product_id == bindparam("product_id"))
            .order_by(Certificate.id))


def product_certificates(product_id: int) -> list[Certificate]:
    return list(db.session.scalars(_certificates_statement(), {"product_id": product_id}))


@dataclass(frozen=True, slots=True)
class ShopCard:
    """What a shop card shows (app.merchants.cards), read as plain columns; its belt is the
    catalog's plain copy (services.page_belts_by_id). The attribute names are the Merchant's,
    so the card reads either."""

    id: int
    name: str
    certified: bool
    source_type: str
    sales_count: int
    belt_id: int | None
    belt: object | None


SHOP_CARD_COLUMNS = (Merchant.id, Merchant.name, Merchant.certified, Merchant.source_type,
                      Merchant.sales_count, Merchant.belt_id)


def shop_cards_of(rows, extra: int = 0) -> list:
    """`rows` (`SHOP_CARD_COLUMNS` first, then `extra` columns) as shop cards; with `extra`,
    each as a tuple of its card and its extra columns."""
    from app.catalog.services import page_belts_by_id

    belts = page_belts_by_id()
    cards = [ShopCard(*row[:6], belts.get(row[5])) for row in rows]
    if not extra:
        return cards
    return [(card, *row[6:]) for card, row in zip(cards, rows, strict=True)]


def ranked_shops(*, belt_id: int | None = None, industry_id: int | None = None,
                 certified_only: bool = False, limit: int = 12) -> list[ShopCard]:
    """Open shops of a belt or industry as cards (one query): certified first (the seed's
    traffic support for certified merchants), then by sales."""
    subjects = given(belt_id=belt_id, industry_id=industry_id)
    return shop_cards_of(plain_rows(_ranked_shops_statement(tuple(subjects), certified_only),
                                  {**subjects, "limit": limit, "now": clock.now()}))


@functools.cache
def _ranked_shops_statement(shape: tuple[str, ...], certified_only: bool):
    """`ranked_shops` for the subjects named in `shape`, built once per shape and run with
    parameters (the portal page runs it for every render)."""
    query = where_given(select(*SHOP_CARD_COLUMNS).where(open_shops_clause(now_param())),
                        shape, {"belt_id": Merchant.belt_id, "industry_id": Merchant.industry_id})
    if certified_only:
        query = query.where(Merchant.certified.is_(True))
    return (query.order_by(Merchant.certified.desc(), Merchant.sales_count.desc(), Merchant.id)
            .limit(bindparam("limit")))


def belt_shop_counts() -> dict[str, tuple[int, int]]:
    """Open shops and certified open shops of each belt, by the belt's slug (cached like the
    catalogue's reference data: REFERENCE_CACHE_TTL)."""
    from flask import current_app

    from app.extensions import cache

    ttl = current_app.config["REFERENCE_CACHE_TTL"]
    found = cache.get("merchants:belt-shop-counts") if ttl else None
    if found is None:
        found = {slug: (total, int(certified or 0)) for slug, total, certified in db.session.execute(
            select(Belt.slug, func.count(),
                   func.sum(case((Merchant.certified.is_(True), 1), else_=0)))
            .join(Belt, Belt.id == Merchant.belt_id).where(open_shops_clause())
            .group_by(Belt.slug))}
        if ttl:
            cache.set("merchants:belt-shop-counts", found, timeout=ttl)
    return found


@dataclass
class BeltShops:
    ranked: list[ShopCard]    # certified first, then by sales
    featured: list[ShopCard]  # the base's picks (belt_pages), in its order


@functools.cache
def _belt_shops_statement():
    """Built once, run with parameters (building a select costs more Python than running it)."""
    from app.merchants.models import BeltFeaturedShop

    belt_id = bindparam("belt_id")
    top = (select(Merchant.id).where(open_shops_clause(now_param()), Merchant.belt_id == belt_id)
           .order_by(Merchant.certified.desc(), Merchant.sales_count.desc(), Merchant.id)
           .limit(bindparam("limit")))
    picked = select(BeltFeaturedShop.merchant_id).where(BeltFeaturedShop.belt_id == belt_id)
    return (select(*SHOP_CARD_COLUMNS, BeltFeaturedShop.position)
            .outerjoin(BeltFeaturedShop, and_(BeltFeaturedShop.merchant_id == Merchant.id,
                                              BeltFeaturedShop.belt_id == belt_id))
            .where(or_(Merchant.id.in_(top), Merchant.id.in_(picked)),
                   open_shops_clause(now_param())))


def belt_shops(belt_id: int, limit: int = 12) -> BeltShops:
    """The belt page's shops and the base's featured ones as cards, in one query: the top
    `limit` open shops united with the featured ones, sorted apart in Python."""
    rows = shop_cards_of(plain_rows(_belt_shops_statement(), {
        "belt_id": belt_id, "limit": limit, "now": clock.now()}), extra=1)
    ranked = sorted((m for m, _position in rows if m.belt_id == belt_id),
                    key=lambda m: (not m.certified, -m.sales_count, m.id))[:limit]
    featured = [m for m, position in sorted(
        ((m, p) for m, p in rows if p is not None and m.certified), key=lambda row: row[1])]
    return BeltShops(ranked, featured)


def shop_hotline(merchant: Merchant) -> str:
    """The shop's own 400 line, else its belt base's hotline."""
    if merchant.hotline:
        return merchant.hotline
    return merchant.belt.hotline if merchant.belt is not None else ""


def _common_fields(draft: ShopDraft) -> dict:
    name = plain_text(draft.name, field="name", label=_("店铺名称"), max_len=MAX_NAME,
                      min_len=MIN_NAME)
    address = plain_text(draft.address, field="address", label=_("地址"), max_len=MAX_ADDRESS,
                         min_len=4)
    hotline = normalise_hotline(draft.hotline, field="hotline")
    intro = plain_text(draft.intro, field="intro", label=_("店铺简介"), max_len=MAX_INTRO,
                       multiline=True)
    return {"name": name, "address": address, "hotline": hotline, "intro": intro}


def _name_taken(name: str, except_id: int | None = None) -> bool:
    """Shop names are unique (case-insensitively), so nobody opens a second '玉匠人'."""
    query = select(func.count()).select_from(Merchant).where(func.lower(Merchant.name) == name.lower())
    if except_id is not None:
        query = query.where(Merchant.id != except_id)
    return bool(db.session.scalar(query))


def open_shop(actor: User | None, draft: ShopDraft, logo: bytes | None = None) -> Merchant:
    """开店: any signed-in user opens one shop. Industry and belt decide where its goods list."""
    require_signed_in(actor)
    if shop_of(actor.id) is not None:
        raise Conflict(_("你已经开过店了，一个账号只能开一家店。"))
    fields = _common_fields(draft)
    try:
        source = SourceType(draft.source_type)
    except ValueError:
        raise InvalidInput(_("请选择源头类型。"), field="source_type") from None
    belt = None
    if draft.belt_id is not None:
        belt = db.session.get(Belt, draft.belt_id)
        if belt is None:
            raise InvalidInput(_("请选择列表中的产业带。"), field="belt_id")
    if source in SOURCE_TYPES_NEEDING_BELT and belt is None:
        raise InvalidInput(_("产业带和原产地商家需要选择所在的产业带。"), field="belt_id")
    if belt is not None:
        industry_id = belt.industry_id
    else:
        industry = db.session.get(Industry, draft.industry_id) if draft.industry_id else None
        if industry is None:
            raise InvalidInput(_("没有产业带时，请选择经营的行业。"), field="industry_id")
        industry_id = industry.id
    if _name_taken(fields["name"]):
        raise Conflict(_("已有同名店铺，请换一个名称。"), field="name")
    logo_key = store_photo(logo, field="logo").key if logo else None
    shop = Merchant(owner_id=actor.id, source_type=source.value, industry_id=industry_id,
                    belt_id=belt.id if belt else None, logo_key=logo_key, **fields)
    db.session.add(shop)
    try:
        db.session.commit()
    except IntegrityError:
        # Two submissions of the form at once: the unique owner decides.
        db.session.rollback()
        raise Conflict(_("你已经开过店了，一个账号只能开一家店。")) from None
    return shop


def update_shop(actor: User | None, merchant_id: int, draft: ShopDraft,
                logo: bytes | None = None) -> Merchant:
    """店铺设置: name, address, hotline, intro and logo. Source type and belt stay as opened
    (a certified shop's belt is what its base vouched for)."""
    shop = get_shop(merchant_id)
    if shop is None:
        raise NotFound(_("店铺不存在。"))
    require_shop_owner(actor, shop)
    fields = _common_fields(draft)
    if _name_taken(fields["name"], except_id=shop.id):
        raise Conflict(_("已有同名店铺，请换一个名称。"), field="name")
    logo_key = store_photo(logo, field="logo").key if logo else None
    for key, value in fields.items():
        setattr(shop, key, value)
    if logo_key:
        shop.logo_key = logo_key
    db.session.commit()
    return shop
