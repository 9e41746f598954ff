"""定向邀约报名 (invited registration): operators invite shops to a campaign's 源头好货 session;
an invited shop applies with the goods it will sell; operators approve or reject (with a
reason). Only approved shops (and their live rooms and goods) appear in the venue.

Each decision is one conditional UPDATE on `status` (invited/rejected → applied by the shop,
applied → approved/rejected by an operator), so two operators deciding at once, or a shop
re-applying while being reviewed, cannot both win.

Exposed for issue 7: `approved_merchants(campaign)`, `approved_live_rooms(campaign)` (live
first) and `approved_merchant_ids(campaign)`."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import case, select, update
from sqlalchemy.orm import selectinload

from app import clock
from app.accounts.models import User
from app.accounts.services import notify, record_audit, require_operator
from app.campaigns.campaigns import Campaign, require_campaign
from app.campaigns.models import Registration, RegistrationProduct, RegistrationStatus
from app.catalog.models import Product
from app.catalog.services import listable_products
from app.exceptions import Conflict, InvalidInput, NotFound
from app.extensions import db
from app.i18n import N_
from app.inputs import clean_text
from app.merchants.models import Merchant

MAX_GOODS = 50
MAX_REASON = 200

STATUS_NAMES = {
    RegistrationStatus.invited: N_("已邀约"),
    RegistrationStatus.applied: N_("待审核"),
    RegistrationStatus.approved: N_("已通过"),
    RegistrationStatus.rejected: N_("未通过"),
}


# --- what the venue (and issue 7) reads ------------------------------------------------------

def approved_clause(campaign_id, merchant_id):
    """"The shop is approved for the campaign" as an EXISTS (values or bound parameters)."""
    return select(Registration.id).where(
        Registration.campaign_id == campaign_id, Registration.merchant_id == merchant_id,
        Registration.status == RegistrationStatus.approved).exists()


def is_approved(campaign: Campaign, merchant_id: int) -> bool:
    """One indexed lookup."""
    return bool(db.session.scalar(select(approved_clause(campaign.id, merchant_id))))


def approved_merchant_ids(campaign: Campaign) -> list[int]:
    return list(db.session.scalars(
        select(Registration.merchant_id).where(Registration.campaign_id == campaign.id,
                                               Registration.status == RegistrationStatus.approved)
        .order_by(Registration.decided_at, Registration.id)))


def approved_merchants(campaign: Campaign) -> list[Merchant]:
    """Shops approved for the campaign's session (active shops only), in approval order."""
    return list(db.session.scalars(
        select(Merchant).join(Registration, Registration.merchant_id == Merchant.id)
        .options(selectinload(Merchant.belt))
        .where(Registration.campaign_id == campaign.id,
               Registration.status == RegistrationStatus.approved,
               Merchant.status == "active")
        .order_by(Registration.decided_at, Registration.id)))


def approved_live_rooms(campaign: Campaign) -> list:
    """The approved shops' live rooms: live now first, then scheduled by start, then ended."""
    from app.live.models import LiveRoom

    rank = case((LiveRoom.status == "live", 0), (LiveRoom.status == "scheduled", 1), else_=2)
    return list(db.session.scalars(
        select(LiveRoom).join(Registration, Registration.merchant_id == LiveRoom.merchant_id)
        .join(Merchant, Merchant.id == LiveRoom.merchant_id)
        .options(selectinload(LiveRoom.merchant))
        .where(Registration.campaign_id == campaign.id,
               Registration.status == RegistrationStatus.approved,
               Merchant.status == "active")
        .order_by(rank, LiveRoom.scheduled_start, LiveRoom.id)))


def approved_products(campaign: Campaign, limit: int = 400) -> list[Product]:
    """The goods approved shops registered for the session, still listable."""
    return list(db.session.scalars(
        listable_products()
        .join(RegistrationProduct, RegistrationProduct.product_id == Product.id)
        .join(Registration, Registration.id == RegistrationProduct.registration_id)
        .options(selectinload(Product.photos), selectinload(Product.merchant),
                 selectinload(Product.category), selectinload(Product.industry))
        .where(Registration.campaign_id == campaign.id,
               Registration.status == RegistrationStatus.approved,
               Registration.merchant_id == Product.merchant_id)
        .order_by(Product.merchant_certified.desc(), Product.sales_count.desc(), Product.id)
        .limit(limit)))


def registrations(actor: User | None, slug: str) -> tuple[Campaign, list[Registration]]:
    require_operator(actor)
    campaign = require_campaign(slug)
    rows = list(db.session.scalars(
        select(Registration).options(selectinload(Registration.merchant),
                                     selectinload(Registration.goods)
                                     .selectinload(RegistrationProduct.product))
        .where(Registration.campaign_id == campaign.id)
        .order_by(case((Registration.status == RegistrationStatus.applied, 0), else_=1),
                  Registration.id)))
    return campaign, rows


# --- operators invite and decide ---------------------------------------------------------------

def invite_candidates(campaign: Campaign, limit: int = 20) -> list[Merchant]:
    """Shops worth inviting: active, not yet on the list; certified shops with a live room first,
    then the best sellers."""
    from app.live.models import LiveRoom

    listed = select(Registration.merchant_id).where(Registration.campaign_id == campaign.id)
    has_room = select(LiveRoom.id).where(LiveRoom.merchant_id == Merchant.id).exists()
    return list(db.session.scalars(
        select(Merchant).options(selectinload(Merchant.belt))
        .where(Merchant.status == "active", Merchant.id.not_in(listed))
        .order_by(Merchant.certified.desc(), has_room.desc(), Merchant.sales_count.desc(),
                  Merchant.id).limit(limit)))


def invite_shop(actor: User | None, slug: str, merchant_id: int | None) -> Registration:
    operator = require_operator(actor)
    campaign = require_campaign(slug)
    shop = db.session.get(Merchant, merchant_id) if merchant_id else None
    if shop is None:
        raise InvalidInput(_("找不到这个店铺，请检查店铺编号。"), field="merchant_id")
    if shop.status != "active":
        raise Conflict(_("店铺暂停营业，不能邀约。"), field="merchant_id")
    existing = db.session.scalar(select(Registration).where(
        Registration.campaign_id == campaign.id, Registration.merchant_id == shop.id))
    if existing is not None:
        raise Conflict(_("%(shop)s 已经在邀约名单里了。", shop=shop.name), field="merchant_id")
    now = clock.now()
    registration = Registration(campaign_id=campaign.id, merchant_id=shop.id,
                                status=RegistrationStatus.invited, invited_by=operator.id,
                                invited_at=now)
    db.session.add(registration)
    db.session.flush()
    notify(shop.owner_id, N_("你的店铺受邀参加「%(name)s」源头好货专场，请报名并选择参加的商品。"),
           link="/sell/campaigns", name=campaign.name)
    record_audit(operator, "campaign.invite", "campaign_registration", registration.id,
                 campaign=campaign.slug, merchant_id=shop.id)
    db.session.commit()
    return registration


def _operator_registration(slug: str, registration_id: int) -> Registration:
    campaign = require_campaign(slug)
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.campaign_id != campaign.id:
        raise NotFound(_("报名记录不存在。"))
    return registration


def decide(actor: User | None, slug: str, registration_id: int, approve: bool,
           reason: str = "") -> Registration:
    """Approve or reject an application (a rejection needs a reason the shop will read)."""
    operator = require_operator(actor)
    registration = _operator_registration(slug, registration_id)
    reason = clean_text(reason, max_len=MAX_REASON)
    if not approve and not reason:
        raise InvalidInput(_("请填写未通过的原因，商家会看到。"), field="reason")
    if len(reason) > MAX_REASON:
        raise InvalidInput(_("原因不能超过 %(n)d 个字。", n=MAX_REASON), field="reason")
    now = clock.now()
    status = RegistrationStatus.approved if approve else RegistrationStatus.rejected
    result = db.session.execute(
        update(Registration).where(Registration.id == registration.id,
                                   Registration.status == RegistrationStatus.applied,
                                   Registration.version == registration.version)
        .values(status=status, decided_by=operator.id, decided_at=now, reason=reason,
                version=Registration.version + 1))
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict(_("这份报名已经处理过或刚被商家修改，请刷新后再看。"))
    shop = registration.merchant
    campaign = registration.campaign
    if approve:
        notify(shop.owner_id, N_("「%(name)s」报名已通过，你的直播间和商品会出现在会场。"),
               link=f"/campaigns/{campaign.slug}", name=campaign.name)
    else:
        notify(shop.owner_id, N_("「%(name)s」报名未通过：%(reason)s"), link="/sell/campaigns",
               name=campaign.name, reason=reason)
    record_audit(operator, "campaign.approve" if approve else "campaign.reject",
                 "campaign_registration", registration.id, reason=reason,
                 campaign=campaign.slug, merchant_id=shop.id)
    db.session.commit()
    db.session.refresh(registration)
    return registration


# --- shops apply ---------------------------------------------------------------------------

def my_registrations(actor: User | None) -> tuple[Merchant, list[Registration]]:
    from app.merchants.services import own_shop

    shop = own_shop(actor)
    rows = list(db.session.scalars(
        select(Registration).options(selectinload(Registration.campaign),
                                     selectinload(Registration.goods))
        .where(Registration.merchant_id == shop.id).order_by(Registration.id.desc())))
    return shop, rows


def apply(actor: User | None, registration_id: int, product_ids: list[int],
          pitch: str = "") -> Registration:
    """An invited shop applies (or re-applies after a rejection) with the goods it will sell."""
    from app.merchants.services import own_shop

    shop = own_shop(actor)
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.merchant_id != shop.id:
        raise NotFound(_("没有找到这份邀约。"))
    if registration.status not in (RegistrationStatus.invited, RegistrationStatus.rejected,
                                   RegistrationStatus.applied):
        raise Conflict(_("报名已通过，不能再修改。"))
    from app.campaigns.campaigns import phase_of

    if phase_of(registration.campaign, clock.now()) == "ended":
        raise Conflict(_("活动已结束，不能报名。"))
    wanted = sorted(set(product_ids))
    if not wanted:
        raise InvalidInput(_("请至少选择一件参加活动的商品。"), field="product_ids")
    if len(wanted) > MAX_GOODS:
        raise InvalidInput(_("最多选择 %(n)d 件商品。", n=MAX_GOODS), field="product_ids")
    found = set(db.session.scalars(listable_products().with_only_columns(Product.id).where(
        Product.id.in_(wanted), Product.merchant_id == shop.id)))
    if found != set(wanted):
        raise InvalidInput(_("只能选择自己店铺在售的商品。"), field="product_ids")
    pitch = clean_text(pitch, max_len=200)
    if len(pitch) > 200:
        raise InvalidInput(_("报名说明不能超过 200 个字。"), field="pitch")
    result = db.session.execute(
        update(Registration).where(Registration.id == registration.id,
                                   Registration.status.in_([RegistrationStatus.invited,
                                                            RegistrationStatus.rejected,
                                                            RegistrationStatus.applied]))
        .values(status=RegistrationStatus.applied, applied_at=clock.now(), pitch=pitch,
                reason="", version=Registration.version + 1))
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict(_("报名已通过，不能再修改。"))
    db.session.query(RegistrationProduct).filter_by(registration_id=registration.id).delete()
    for product_id in wanted:
        db.session.add(RegistrationProduct(registration_id=registration.id, product_id=product_id))
    db.session.commit()
    db.session.refresh(registration)
    return registration
