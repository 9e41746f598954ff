"""The platform operator's catalog: creating and editing industries (行业, each with its portal)
and belts (产业带), with their names in Chinese and English, and appointing a new belt's base
admin in the same step.

Operators only (`require_operator`, checked here for every change). A slug is chosen once, at
creation: it is the portal's or belt's URL, and links to it are printed and shared. Every
field is checked before anything is written, so a refused form saves nothing; a slug taken by
someone else a moment ago is refused by the unique constraint (409), not by a read first."""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import BeltAdmin, User
from app.accounts.services import find_by_account, notify, record_audit, require_operator
from app.catalog.models import Belt, Industry
from app.catalog.names import belt_name, both_languages
from app.catalog.services import renew_goods_version
from app.exceptions import Conflict, InvalidInput, NotFound
from app.extensions import cache, db
from app.i18n import N_
from app.inputs import clean_text

SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MARKUP_RE = re.compile(r"<\s*[a-zA-Z/!?]|javascript\s*:|&#", re.IGNORECASE)
CJK_RE = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
MAX_POSITION = 999

INDUSTRY_CREATE, INDUSTRY_UPDATE = "industry.create", "industry.update"
BELT_CREATE, BELT_UPDATE = "belt.create", "belt.update"
# action → (label, sentence) for the audit page
AUDIT_LABELS = {
    INDUSTRY_CREATE: (N_("新建行业"), N_("%(actor)s 新建了行业 %(subject)s")),
    INDUSTRY_UPDATE: (N_("修改行业"), N_("%(actor)s 修改了行业 %(subject)s")),
    BELT_CREATE: (N_("新建产业带"), N_("%(actor)s 新建了产业带 %(subject)s")),
    BELT_UPDATE: (N_("修改产业带"), N_("%(actor)s 修改了产业带 %(subject)s")),
}


@dataclass
class IndustryDraft:
    slug: str = ""
    name: str = ""
    name_en: str = ""
    portal_name: str = ""
    portal_name_en: str = ""
    position: str = "0"


@dataclass
class BeltDraft:
    slug: str = ""
    name: str = ""
    name_en: str = ""
    province: str = ""
    city: str = ""
    industry_id: int | None = None
    base_name: str = ""
    admin_account: str = ""


# --- checks ------------------------------------------------------------------------------

def _text(raw: str | None, *, field: str, label: str, max_len: int,
          english: bool = False) -> str:
    text = " ".join(clean_text(raw, max_len=max_len).split())
    if not text:
        raise InvalidInput(_("请填写%(label)s。", label=label), field=field)
    if MARKUP_RE.search(text):
        raise InvalidInput(_("%(label)s不能包含 < > 等网页代码。", label=label), field=field)
    if len(text) > max_len:
        raise InvalidInput(_("%(label)s不能超过 %(n)d 个字符（现在 %(len)d 个）。", label=label,
                             n=max_len, len=len(text)), field=field)
    if english and CJK_RE.search(text):
        raise InvalidInput(_("%(label)s请用英文填写。", label=label), field=field)
    return text


def _slug(raw: str | None, max_len: int) -> str:
    slug = (raw or "").strip().lower()
    if not slug:
        raise InvalidInput(_("请填写网址名。"), field="slug")
    if not (2 <= len(slug) <= max_len and SLUG_RE.fullmatch(slug)):
        raise InvalidInput(_("网址名需为 2–%(n)d 个小写英文字母、数字或连字符，如 zhenping-jade。",
                             n=max_len), field="slug")
    return slug


def _position(raw: str | None) -> int:
    text = (raw or "").strip() or "0"
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_POSITION:
        raise InvalidInput(_("排序需为 0–%(n)d 的整数。", n=MAX_POSITION), field="position")
    return int(text)


def _forget_cached_reference() -> None:
    """Reference data other pages cache (portal tiles, belt lists, filter vocabulary, names in
    search and facets): dropped so a new belt or name shows at once. Facet counts are kept
    under the goods' version, renewed here: a renamed category or industry matches other
    words."""
    keys = ["catalog:industry-tiles", "catalog:vocabulary", "catalog:name-index",
            "catalog:facet-labels", "catalog:belt-summaries:all", "catalog:belt-goods-counts"]
    keys += [f"catalog:belt-summaries:{i}" for i in db.session.scalars(select(Industry.id))]
    cache.delete_many(*keys)
    renew_goods_version()


def _unique(step, field: str, message: str) -> None:
    """Flush or commit; a unique constraint refusing it is a 409 on `field`."""
    try:
        step()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(message, field=field) from None


# --- industries --------------------------------------------------------------------------

def _industry_fields(draft: IndustryDraft) -> dict:
    return {
        "name": _text(draft.name, field="name", label=_("中文名称"), max_len=40),
        "name_en": _text(draft.name_en, field="name_en", label=_("英文名称"), max_len=40,
                         english=True),
        "portal_name": _text(draft.portal_name, field="portal_name", label=_("聚合页名称"),
                             max_len=40),
        "portal_name_en": _text(draft.portal_name_en, field="portal_name_en",
                                label=_("聚合页英文名称"), max_len=60, english=True),
        "position": _position(draft.position),
    }


def create_industry(actor: User | None, draft: IndustryDraft) -> Industry:
    require_operator(actor)
    slug = _slug(draft.slug, 40)
    industry = Industry(slug=slug, **_industry_fields(draft))
    db.session.add(industry)
    taken = _("网址名“%(slug)s”已被使用，请换一个。", slug=slug)
    _unique(db.session.flush, "slug", taken)
    record_audit(actor, INDUSTRY_CREATE, "industry", industry.id, slug=slug, name=industry.name)
    _unique(db.session.commit, "slug", taken)
    _forget_cached_reference()
    return industry


def get_industry(actor: User | None, slug: str) -> Industry:
    require_operator(actor)
    industry = db.session.scalar(select(Industry).where(Industry.slug == slug))
    if industry is None:
        raise NotFound(_("行业不存在。"))
    return industry


def update_industry(actor: User | None, slug: str, draft: IndustryDraft) -> Industry:
    industry = get_industry(actor, slug)
    for name, value in _industry_fields(draft).items():
        setattr(industry, name, value)
    record_audit(actor, INDUSTRY_UPDATE, "industry", industry.id, slug=slug, name=industry.name)
    db.session.commit()
    _forget_cached_reference()
    return industry


# --- belts -------------------------------------------------------------------------------

def _belt_fields(draft: BeltDraft) -> dict:
    industry = db.session.get(Industry, draft.industry_id) if draft.industry_id else None
    if industry is None:
        raise InvalidInput(_("请选择行业。"), field="industry_id")
    return {
        "name": _text(draft.name, field="name", label=_("中文名称"), max_len=40),
        "name_en": _text(draft.name_en, field="name_en", label=_("英文名称"), max_len=80,
                         english=True),
        "province": _text(draft.province, field="province", label=_("省份"), max_len=20),
        "city": _text(draft.city, field="city", label=_("城市"), max_len=20),
        "base_name": _text(draft.base_name, field="base_name", label=_("基地名称"), max_len=80),
        "industry_id": industry.id,
    }


def _admin_to_appoint(account: str) -> User | None:
    if not (account or "").strip():
        return None
    try:
        user = find_by_account(account)
    except InvalidInput as error:
        raise InvalidInput(error.message, field="admin_account") from None
    if user is None:
        raise InvalidInput(_("没有这个账号，请对方先注册。"), field="admin_account")
    return user


def add_belt_admin(operator: User, user: User, belt: Belt) -> BeltAdmin:
    """The appointment itself, audited and told to the new admin (the caller checks and
    commits): the one copy, for a new belt here and for merchants.bases.assign_belt_admin."""
    scope = BeltAdmin(user_id=user.id, belt_id=belt.id, assigned_by_id=operator.id)
    db.session.add(scope)
    record_audit(operator, "belt_admin.assign", "user", user.id, belt_id=belt.id)
    notify(user.id, N_("你已被任命为 %(belt)s 基地管理员。"), link=f"/belts/{belt.slug}",
           belt=both_languages(belt_name, belt))
    return scope


def create_belt(actor: User | None, draft: BeltDraft) -> Belt:
    """A new belt (and, when an account is given, its first base admin), in one transaction."""
    require_operator(actor)
    slug = _slug(draft.slug, 60)
    fields = _belt_fields(draft)
    admin = _admin_to_appoint(draft.admin_account)
    belt = Belt(slug=slug, **fields)
    db.session.add(belt)
    taken = _("网址名“%(slug)s”已被使用，请换一个。", slug=slug)
    _unique(db.session.flush, "slug", taken)
    record_audit(actor, BELT_CREATE, "belt", belt.id, belt_id=belt.id, slug=slug, name=belt.name)
    if admin is not None:
        add_belt_admin(actor, admin, belt)
    _unique(db.session.commit, "slug", taken)
    _forget_cached_reference()
    return belt


def get_belt(actor: User | None, slug: str) -> Belt:
    require_operator(actor)
    belt = db.session.scalar(select(Belt).where(Belt.slug == slug))
    if belt is None:
        raise NotFound(_("产业带不存在。"))
    return belt


def update_belt(actor: User | None, slug: str, draft: BeltDraft) -> Belt:
    """Names, place, industry and base name (the base edits its own page's intro, address,
    hotline, banner and featured shops). A belt keeps its slug."""
    belt = get_belt(actor, slug)
    fields = _belt_fields(draft)
    admin = _admin_to_appoint(draft.admin_account)
    if admin is not None and db.session.get(BeltAdmin, (admin.id, belt.id)) is not None:
        raise Conflict(_("%(name)s 已经是该基地管理员。", name=admin.display_name),
                       field="admin_account")
    for name, value in fields.items():
        setattr(belt, name, value)
    db.session.flush()
    db.session.refresh(belt, ["industry"])
    record_audit(actor, BELT_UPDATE, "belt", belt.id, belt_id=belt.id, slug=slug, name=belt.name)
    if admin is not None:
        add_belt_admin(actor, admin, belt)
    _unique(db.session.commit, "admin_account", _("这个账号已经是该基地管理员。"))
    _forget_cached_reference()
    return belt


@dataclass
class CatalogAdmin:
    industries: list[Industry]
    belts: list[Belt]
    admins: dict[int, list[str]]  # belt id → its admins' names


def catalog_overview(actor: User | None) -> CatalogAdmin:
    """The operator's list: industries, belts (with their industry), each belt's admins."""
    require_operator(actor)
    industries = list(db.session.scalars(select(Industry).order_by(Industry.position,
                                                                    Industry.id)))
    belts = list(db.session.scalars(select(Belt).order_by(Belt.industry_id, Belt.id)))
    admins: dict[int, list[str]] = {}
    for belt_id, name in db.session.execute(
            select(BeltAdmin.belt_id, User.display_name).join(User, User.id == BeltAdmin.user_id)
            .order_by(BeltAdmin.assigned_at)):
        admins.setdefault(belt_id, []).append(name)
    return CatalogAdmin(industries, belts, admins)
