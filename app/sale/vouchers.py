"""直播购物券 live vouchers: platform-funded vouchers a buyer claims in an approved live room
during the campaign's sale phase.

- An operator sets the campaign's plan (`set_voucher_plan`): what a voucher takes off (立减, or
  满 threshold 减), how many a buyer may claim a day (across rooms, one per room a day) and the
  platform's budget.
- A voucher is a wallet copy (`CouponClaim`) of the room's platform coupon (`Coupon`,
  funded_by='platform', live_room_id = the room, campaign_id + phase='sale', valid for the sale
  window), so the coupon domain's eligibility (that room's goods, during the sale) and checkout
  stacking (the platform coupon beside a shop coupon) apply unchanged.
- `claim_live_voucher` writes, in one transaction: the per-day slot (`live_voucher_claims`,
  unique per user, day and slot ≤ the daily limit, and per user, day and room), the wallet copy
  (unique per coupon, user and day), then the budget — the hot row last: `UPDATE
  live_voucher_plans SET committed_fen = committed_fen + :face WHERE … AND committed_fen + :face
  <= budget_fen`. Any refusal rolls all three back. Once the budget reads spent, claims are
  answered without writing."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app import clock
from app.accounts.models import User
from app.accounts.services import is_signed_in, record_audit, require_operator, require_signed_in
from app.campaigns.campaigns import current_campaign, phase_of
from app.campaigns.models import Campaign, Coupon, CouponClaim, Phase
from app.campaigns.registration import is_approved
from app.exceptions import Conflict, InvalidInput, NotFound
from app.extensions import db
from app.i18n import N_
from app.inputs import PG_INT_MAX
from app.live.models import LiveRoom
from app.sale.models import VoucherClaim, VoucherPlan, VoucherRoom

MAX_AMOUNT_FEN = 100_000          # ¥1,000 off at most
MAX_BUDGET_FEN = PG_INT_MAX       # ¥21,474,836.47: what the budget column holds
MAX_DAILY = 10


@dataclass
class PlanDraft:
    amount_fen: int | None
    threshold_fen: int | None
    daily_limit: int | None
    budget_fen: int | None


def plan_of(campaign: Campaign) -> VoucherPlan | None:
    return db.session.get(VoucherPlan, campaign.id)


def set_voucher_plan(actor: User | None, campaign: Campaign, draft: PlanDraft) -> VoucherPlan:
    """平台运营 sets (or changes) the campaign's voucher plan. The budget can't go below what
    has been claimed, and once vouchers are claimed their amount and threshold stay."""
    operator = require_operator(actor)
    if not isinstance(draft.amount_fen, int) or not 0 < draft.amount_fen <= MAX_AMOUNT_FEN:
        raise InvalidInput(_("每张券的金额需在 ¥0.01–¥1,000 之间。"), field="amount")
    if not isinstance(draft.threshold_fen, int) or draft.threshold_fen < 0 \
            or (draft.threshold_fen and draft.threshold_fen <= draft.amount_fen):
        raise InvalidInput(_("使用门槛要高于券的金额（不设门槛填 0）。"), field="threshold")
    if not isinstance(draft.daily_limit, int) or not 1 <= draft.daily_limit <= MAX_DAILY:
        raise InvalidInput(_("每人每天限领 1–%(n)d 张。", n=MAX_DAILY), field="daily_limit")
    if not isinstance(draft.budget_fen, int) or not draft.amount_fen <= draft.budget_fen \
            <= MAX_BUDGET_FEN:
        raise InvalidInput(_("预算至少够发一张券。"), field="budget")
    plan = plan_of(campaign)
    now = clock.now()
    if plan is None:
        plan = VoucherPlan(campaign_id=campaign.id, committed_fen=0)
        db.session.add(plan)
    elif draft.budget_fen < plan.committed_fen:
        raise InvalidInput(_("已发出 %(n)s，预算不能低于这个数。", n=_yuan(plan.committed_fen)),
                           field="budget")
    elif plan.committed_fen and (draft.amount_fen, draft.threshold_fen) \
            != (plan.amount_fen, plan.threshold_fen):
        # Vouchers in wallets read their room coupon's amount: changing it would change them
        # (and spend beyond the budget counted at the old amount).
        raise InvalidInput(_("已有用户领券，券的金额和门槛不能再改；可以调整预算和每日限领。"),
                           field="amount")
    plan.amount_fen, plan.threshold_fen = draft.amount_fen, draft.threshold_fen
    plan.daily_limit, plan.budget_fen, plan.updated_at = draft.daily_limit, draft.budget_fen, now
    # Nothing claimed yet (else amount and threshold are unchanged): rooms' coupons follow.
    for room_coupon in db.session.scalars(select(Coupon).join(
            VoucherRoom, VoucherRoom.coupon_id == Coupon.id).where(
            VoucherRoom.campaign_id == campaign.id)):
        _shape(room_coupon, plan)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(_("预算刚被领用，请刷新后再改。"), field="budget") from None
    record_audit(operator, "campaign.vouchers", "campaign", campaign.id,
                 amount_fen=draft.amount_fen, budget_fen=draft.budget_fen)
    db.session.commit()
    return plan


def _yuan(fen: int) -> str:
    from app.money import format_fen

    return format_fen(fen)


def _shape(coupon: Coupon, plan: VoucherPlan) -> None:
    coupon.kind = "threshold" if plan.threshold_fen else "reduce"
    coupon.amount_fen, coupon.threshold_fen = plan.amount_fen, plan.threshold_fen


# --- in the live room ---------------------------------------------------------------------

def sale_campaign_of_room(room: LiveRoom, now: datetime) -> Campaign | None:
    """The campaign in its sale phase whose approved shops include this room's."""
    campaign = current_campaign(now)
    if campaign is None or phase_of(campaign, now) != Phase.sale:
        return None
    if not is_approved(campaign, room.merchant_id):
        return None
    return campaign


@dataclass
class VoucherOffer:
    campaign: Campaign
    plan: VoucherPlan
    claimed_here_today: bool = False
    claimed_today: int = 0

    @property
    def budget_left(self) -> bool:
        return self.plan.committed_fen + self.plan.amount_fen <= self.plan.budget_fen

    @property
    def can_claim(self) -> bool:
        return (self.budget_left and not self.claimed_here_today
                and self.claimed_today < self.plan.daily_limit)


def room_offer(room: LiveRoom, viewer: User | None) -> VoucherOffer | None:
    """What the room's voucher card shows this viewer (None: no voucher in this room now)."""
    now = clock.now()
    campaign = sale_campaign_of_room(room, now)
    plan = plan_of(campaign) if campaign is not None else None
    if plan is None:
        return None
    offer = VoucherOffer(campaign, plan)
    if is_signed_in(viewer):
        today = clock.local_today()
        rows = db.session.execute(select(VoucherClaim.live_room_id).where(
            VoucherClaim.campaign_id == campaign.id, VoucherClaim.user_id == viewer.id,
            VoucherClaim.day == today)).scalars().all()
        offer.claimed_today = len(rows)
        offer.claimed_here_today = room.id in rows
    return offer


def _room_coupon(campaign: Campaign, room: LiveRoom, plan: VoucherPlan) -> Coupon:
    """The room's voucher coupon, made on first use (a concurrent twin loses at the primary
    key of live_voucher_rooms, inside a savepoint, and reads the winner's)."""
    link = db.session.get(VoucherRoom, (campaign.id, room.id))
    if link is not None:
        return db.session.get(Coupon, link.coupon_id)
    coupon = Coupon(funded_by="platform", source="grant", title=N_("直播购物券"),
                    quantity=0, remaining=0, per_user_limit=1, valid_from=campaign.sale_start,
                    valid_until=campaign.sale_end, status="active", live_room_id=room.id,
                    campaign_id=campaign.id, phase=Phase.sale, kind="reduce", amount_fen=0)
    _shape(coupon, plan)
    try:
        with db.session.begin_nested():
            db.session.add(coupon)
            db.session.flush()
            db.session.add(VoucherRoom(campaign_id=campaign.id, live_room_id=room.id,
                                       coupon_id=coupon.id))
            db.session.flush()
    except IntegrityError:
        link = db.session.get(VoucherRoom, (campaign.id, room.id))
        return db.session.get(Coupon, link.coupon_id)
    return coupon


def claim_live_voucher(actor: User | None, room_id: int) -> CouponClaim:
    """领取直播购物券 in a live room."""
    require_signed_in(actor)
    from app.live.services import get_room, is_visible

    room = get_room(room_id) if isinstance(room_id, int) else None
    if room is None or not is_visible(room):  # a suspended shop's room hands out nothing
        raise NotFound(_("直播间不存在。"))
    now = clock.now()
    campaign = sale_campaign_of_room(room, now)
    if campaign is None:
        raise Conflict(_("这个直播间现在没有直播购物券：只有活动正式售卖期间的参与直播间才能领取。"))
    plan = plan_of(campaign)
    if plan is None:
        raise Conflict(_("这个活动没有直播购物券。"))
    if room.merchant.owner_id == actor.id:
        raise Conflict(_("主播不能领取自己直播间的购物券。"))
    if plan.committed_fen + plan.amount_fen > plan.budget_fen:
        raise Conflict(_("直播购物券已发完。"))  # answered from a read: no write once spent
    today = clock.local_today()
    amount = plan.amount_fen
    coupon = _room_coupon(campaign, room, plan)
    for _attempt in range(plan.daily_limit + 1):
        claimed = db.session.scalars(select(VoucherClaim.live_room_id).where(
            VoucherClaim.campaign_id == campaign.id, VoucherClaim.user_id == actor.id,
            VoucherClaim.day == today)).all()
        if room.id in claimed:
            db.session.rollback()
            raise Conflict(_("今天已经在这个直播间领过了，明天再来。"))
        if len(claimed) >= plan.daily_limit:
            db.session.rollback()
            raise Conflict(_("每人每天限领 %(n)d 张，明天再来。", n=plan.daily_limit))
        try:
            with db.session.begin_nested():
                wallet = CouponClaim(coupon_id=coupon.id, user_id=actor.id,
                                     n=today.toordinal(), claimed_at=now)
                db.session.add(wallet)
                db.session.flush()  # unique (coupon, user, n): once per room per day
                db.session.add(VoucherClaim(
                    campaign_id=campaign.id, user_id=actor.id, live_room_id=room.id, day=today,
                    slot=len(claimed) + 1, coupon_claim_id=wallet.id, created_at=now))
                db.session.flush()  # unique (campaign, user, day, slot): the daily limit
            break
        except IntegrityError:
            continue  # a concurrent claim took that slot (or this room): look again
    else:
        db.session.rollback()
        raise Conflict(_("刚刚已经领过了，请到券包查看。"))
    spent = db.session.execute(
        update(VoucherPlan)
        .where(VoucherPlan.campaign_id == campaign.id,
               VoucherPlan.committed_fen + amount <= VoucherPlan.budget_fen)
        .values(committed_fen=VoucherPlan.committed_fen + amount)
        .execution_options(synchronize_session=False))
    if spent.rowcount != 1:
        db.session.rollback()
        raise Conflict(_("直播购物券已发完。"))
    db.session.commit()
    return wallet


def claims_today(campaign: Campaign) -> int:
    return db.session.scalar(select(func.count()).select_from(VoucherClaim).where(
        VoucherClaim.campaign_id == campaign.id, VoucherClaim.day == clock.local_today())) or 0
