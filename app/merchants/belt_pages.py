"""A belt's page, run by its base (基地): the intro, the base's address and hotline, a banner
photo, and the shops it features — chosen among the belt's certified shops.

Only that belt's admins and operators may edit it (`require_belt_admin`, checked here for
every change). The banner goes through the shared photo pipeline (checked by content and
size, stored as WebP). Featured shops are rows (`BeltFeaturedShop`) in the base's order; a
shop that loses its certification or closes drops off the page by itself (the page reads
only certified, open shops)."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import delete, select

from app.accounts.models import User
from app.accounts.services import record_audit, require_belt_admin
from app.catalog.models import Belt
from app.exceptions import InvalidInput, NotFound
from app.extensions import db
from app.merchants.checks import normalise_hotline, plain_text, store_photo
from app.merchants.models import BeltFeaturedShop, Merchant
from app.merchants.services import open_shops_clause

MAX_INTRO = 500
MAX_ADDRESS = 200
MAX_FEATURED = 6
EDIT = "belt.page"


@dataclass
class BeltPageDraft:
    intro: str = ""
    address: str = ""
    hotline: str = ""
    featured_ids: list[int] = field(default_factory=list)
    remove_banner: bool = False


@dataclass
class BeltPageEdit:
    """What the edit form needs: the belt, the shops it may feature, the ones it does."""

    belt: Belt
    candidates: list[Merchant]
    featured_ids: list[int]


def _belt_for_admin(actor: User | None, slug: str) -> Belt:
    belt = db.session.scalar(select(Belt).where(Belt.slug == slug))
    if belt is None:
        raise NotFound(_("产业带不存在。"))
    require_belt_admin(actor, belt.id)
    return belt


def _certified_shops(belt_id: int) -> list[Merchant]:
    return list(db.session.scalars(
        select(Merchant).where(Merchant.belt_id == belt_id, Merchant.certified.is_(True))
        .order_by(Merchant.sales_count.desc(), Merchant.id)))


def _featured_ids(belt_id: int) -> list[int]:
    return list(db.session.scalars(
        select(BeltFeaturedShop.merchant_id).where(BeltFeaturedShop.belt_id == belt_id)
        .order_by(BeltFeaturedShop.position)))


def belt_page_for_admin(actor: User | None, slug: str) -> BeltPageEdit:
    belt = _belt_for_admin(actor, slug)
    return BeltPageEdit(belt, _certified_shops(belt.id), _featured_ids(belt.id))


def update_belt_page(actor: User | None, slug: str, draft: BeltPageDraft,
                     banner: bytes | None = None) -> Belt:
    """Save the belt page (all fields checked first: nothing is saved on bad input)."""
    belt = _belt_for_admin(actor, slug)
    intro = plain_text(draft.intro, field="intro", label=_("基地介绍"), max_len=MAX_INTRO,
                       multiline=True)
    address = plain_text(draft.address, field="address", label=_("基地地址"),
                         max_len=MAX_ADDRESS)
    hotline = normalise_hotline(draft.hotline) if (draft.hotline or "").strip() else ""
    chosen = list(dict.fromkeys(draft.featured_ids))  # in order, once each
    if len(chosen) > MAX_FEATURED:
        raise InvalidInput(_("最多推荐 %(n)d 家店铺。", n=MAX_FEATURED), field="featured")
    allowed = {m.id for m in _certified_shops(belt.id)}
    if any(shop_id not in allowed for shop_id in chosen):
        raise InvalidInput(_("只能推荐本产业带已官方认证的店铺。"), field="featured")
    banner_key = store_photo(banner, field="banner").key if banner else None

    belt.intro, belt.address, belt.hotline = intro, address, hotline
    if banner_key:
        belt.banner_key = banner_key
    elif draft.remove_banner:
        belt.banner_key = None
    db.session.execute(delete(BeltFeaturedShop).where(BeltFeaturedShop.belt_id == belt.id))
    db.session.add_all(BeltFeaturedShop(belt_id=belt.id, merchant_id=shop_id, position=i)
                       for i, shop_id in enumerate(chosen))
    record_audit(actor, EDIT, "belt", belt.id, belt_id=belt.id, featured=len(chosen))
    db.session.commit()
    return belt


def featured_shops(belt: Belt, **_ignored) -> list[Merchant]:
    """The belt page's featured shops, in the base's order: certified, open shops only (one
    query). A page-data provider (app.pagedata) for the belt page."""
    return list(db.session.scalars(
        select(Merchant).join(BeltFeaturedShop, BeltFeaturedShop.merchant_id == Merchant.id)
        .where(BeltFeaturedShop.belt_id == belt.id, Merchant.certified.is_(True),
               open_shops_clause())
        .order_by(BeltFeaturedShop.position)))
