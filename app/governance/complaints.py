"""Complaints (投诉): the buyer of an order files one about it; it goes to the queue of the
shop's belt base (the operators' queue when the shop has no belt). The merchant answers once,
the buyer adds once, both read the thread; the base decides once (upheld / rejected, with a
reason). Each "once" is one conditional UPDATE whose row count decides."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app import clock
from app.accounts.models import BeltAdmin, User
from app.accounts.services import is_signed_in, notify, record_audit, require_belt_admin, require_signed_in
from app.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from app.extensions import cache, db
from app.governance.models import Complaint, ComplaintKind, ComplaintPhoto, ComplaintStatus
from app.i18n import N_
from app.inputs import clean_text
from app.merchants.checks import plain_text, store_private_photo
from app.merchants.models import Merchant
from app.merchants.services import own_shop
from app.orders.models import Order, OrderStatus

MAX_PHOTOS = 5
MIN_TEXT = 10
MAX_TEXT = 1000
MIN_REASON = 4
MAX_REASON = 200
UPHELD_WINDOW_DAYS = 180

KIND_NAMES = {
    ComplaintKind.fake: N_("假货"),
    ComplaintKind.not_as_described: N_("描述不符"),
    ComplaintKind.certificate: N_("证书不符"),
    ComplaintKind.service: N_("服务"),
}
STATUS_NAMES = {
    ComplaintStatus.open: N_("待处理"),
    ComplaintStatus.upheld: N_("投诉成立"),
    ComplaintStatus.rejected: N_("投诉不成立"),
}
# Orders a buyer can complain about: anything placed and not cancelled (an unpaid order past
# its deadline counts as cancelled).
COMPLAINABLE = (OrderStatus.awaiting_shipment, OrderStatus.shipped, OrderStatus.completed,
                OrderStatus.refunded)

FILE = "complaint.file"
UPHOLD = "complaint.uphold"
REJECT = "complaint.reject"
# action → (label, sentence) for the audit page; the subject is the complained-about shop.
AUDIT_LABELS = {
    FILE: (N_("发起投诉"), N_("%(actor)s 投诉了 %(subject)s")),
    UPHOLD: (N_("投诉成立"), N_("%(actor)s 裁定对 %(subject)s 的投诉成立")),
    REJECT: (N_("投诉不成立"), N_("%(actor)s 裁定对 %(subject)s 的投诉不成立")),
}


@dataclass
class ComplaintDraft:
    kind: str
    text: str
    photos: list[bytes] = field(default_factory=list)



def _body(raw: str | None, *, field_name: str, label: str) -> str:
    """Free text shown escaped (markup is kept as text, never run)."""
    text = clean_text(raw, max_len=MAX_TEXT, keep_newlines=True)
    if len(text) < MIN_TEXT:
        if not text:
            raise InvalidInput(_("请填写%(label)s。", label=label), field=field_name)
        raise InvalidInput(_("%(label)s至少 %(n)d 个字，说清楚发生了什么。", label=label, n=MIN_TEXT),
                           field=field_name)
    if len(text) > MAX_TEXT:
        raise InvalidInput(_("%(label)s不能超过 %(n)d 个字（现在 %(len)d 个）。", label=label,
                             n=MAX_TEXT, len=len(text)), field=field_name)
    return text


def complainable_order(actor: User | None, order_id: int) -> Order:
    """The actor's own order, when it can be complained about (someone else's: 404)."""
    actor = require_signed_in(actor)
    order = db.session.get(Order, order_id)
    if order is None or order.buyer_id != actor.id:
        raise NotFound(_("订单不存在。"))
    if order.effective_status(clock.now()) not in COMPLAINABLE:
        raise Conflict(_("未付款或已取消的订单不能投诉。"))
    return order


def complaint_of_order(order_id: int) -> Complaint | None:
    return db.session.scalar(select(Complaint).where(Complaint.order_id == order_id))


def file_complaint(actor: User | None, order_id: int, draft: ComplaintDraft) -> Complaint:
    """投诉: the buyer of the order, once per order, with text and up to five photos."""
    order = complainable_order(actor, order_id)
    if complaint_of_order(order.id) is not None:
        raise Conflict(_("这个订单已经投诉过了，可以在投诉详情里补充说明。"))
    if draft.kind not in ComplaintKind.ALL:
        raise InvalidInput(_("请选择投诉类型。"), field="kind")
    text = _body(draft.text, field_name="text", label=_("投诉内容"))
    if len(draft.photos) > MAX_PHOTOS:
        raise InvalidInput(_("照片最多 %(n)d 张。", n=MAX_PHOTOS), field="photos")
    stored = [store_private_photo(data, field="photos") for data in draft.photos]
    merchant = db.session.get(Merchant, order.merchant_id)
    complaint = Complaint(order_id=order.id, buyer_id=order.buyer_id, merchant_id=merchant.id,
                          belt_id=merchant.belt_id, merchant_certified=bool(merchant.certified),
                          kind=draft.kind, text=text, created_at=clock.now())
    complaint.photos = [ComplaintPhoto(position=i, image_key=s.key, width=s.width, height=s.height)
                        for i, s in enumerate(stored)]
    db.session.add(complaint)
    try:
        db.session.flush()
    except IntegrityError:  # the same form sent twice at once: the unique order_id decides
        db.session.rollback()
        raise Conflict(_("这个订单已经投诉过了，可以在投诉详情里补充说明。")) from None
    record_audit(actor, FILE, "complaint", complaint.id, belt_id=merchant.belt_id,
                 shop=merchant.name, order=order.number, kind=draft.kind)
    link = f"/complaints/{complaint.id}"
    notify(merchant.owner_id, N_("买家投诉了订单 %(number)s，请在投诉详情中回复。"), link=link,
           number=order.number)
    if merchant.belt_id is not None:
        for admin_id in db.session.scalars(select(BeltAdmin.user_id)
                                           .where(BeltAdmin.belt_id == merchant.belt_id)):
            notify(admin_id, N_("%(shop)s 收到一条新投诉，等待基地处理。"), link=link,
                   shop=merchant.name)
    db.session.commit()
    return complaint


# --- reading --------------------------------------------------------------------------------

def _load(complaint_id: int) -> Complaint | None:
    return db.session.scalar(
        select(Complaint)
        .options(selectinload(Complaint.photos), selectinload(Complaint.order),
                 selectinload(Complaint.merchant).selectinload(Merchant.belt),
                 selectinload(Complaint.buyer), selectinload(Complaint.decided_by),
                 selectinload(Complaint.actions))
        .where(Complaint.id == complaint_id))


def can_decide(actor: User | None, complaint: Complaint) -> bool:
    """An admin of the complaint's belt (or an operator) who is neither side of it."""
    return (is_signed_in(actor) and actor.administers(complaint.belt_id)
            and actor.id not in (complaint.merchant.owner_id, complaint.buyer_id))


def _may_read(actor: User, *, buyer_id: int, owner_id: int, belt_id: int | None) -> bool:
    """A complaint (and its photos) is read by its buyer, the shop's owner and the deciding
    base (or an operator)."""
    return actor.id in (buyer_id, owner_id) or actor.administers(belt_id)


def get_complaint(actor: User | None, complaint_id: int) -> Complaint:
    """The thread, for those `_may_read` it. Anyone else gets 404: other shops' complaints
    are not even known to exist."""
    actor = require_signed_in(actor)
    complaint = _load(complaint_id)
    if complaint is None or not _may_read(actor, buyer_id=complaint.buyer_id,
                                          owner_id=complaint.merchant.owner_id,
                                          belt_id=complaint.belt_id):
        raise NotFound(_("投诉不存在。"))
    return complaint


def photo_for(actor: User | None, photo_id: int) -> ComplaintPhoto:
    """A complaint photo, for those `_may_read` its complaint; 404 for anyone else."""
    row = db.session.execute(
        select(ComplaintPhoto, Complaint.buyer_id, Complaint.belt_id, Merchant.owner_id)
        .join(Complaint, Complaint.id == ComplaintPhoto.complaint_id)
        .join(Merchant, Merchant.id == Complaint.merchant_id)
        .where(ComplaintPhoto.id == photo_id)).first()
    if row is None or not is_signed_in(actor):
        raise NotFound(_("照片不存在。"))
    photo, buyer_id, belt_id, owner_id = row
    if not _may_read(actor, buyer_id=buyer_id, owner_id=owner_id, belt_id=belt_id):
        raise NotFound(_("照片不存在。"))
    return photo


def buyer_complaints(actor: User | None, limit: int = 50) -> list[Complaint]:
    actor = require_signed_in(actor)
    return list(db.session.scalars(
        select(Complaint).options(selectinload(Complaint.merchant), selectinload(Complaint.order))
        .where(Complaint.buyer_id == actor.id)
        .order_by(Complaint.created_at.desc(), Complaint.id.desc()).limit(limit)))


def shop_complaints(actor: User | None, limit: int = 100) -> tuple[Merchant, list[Complaint]]:
    """The acting merchant's own shop's complaints (never another shop's)."""
    shop = own_shop(actor)
    rows = db.session.scalars(
        select(Complaint).options(selectinload(Complaint.order))
        .where(Complaint.merchant_id == shop.id)
        .order_by(Complaint.created_at.desc(), Complaint.id.desc()).limit(limit))
    return shop, list(rows)


def queue(belt_id: int | None, *, decided_limit: int = 20) -> tuple[list[Complaint], list[Complaint]]:
    """A base's queue (belt_id None: the operators' queue of shops without a belt): open
    complaints oldest first, and recent decisions. The caller checks the permission."""
    base = (select(Complaint)
            .options(selectinload(Complaint.merchant), selectinload(Complaint.order),
                     selectinload(Complaint.photos))
            .where(Complaint.belt_id.is_(None) if belt_id is None else Complaint.belt_id == belt_id))
    open_ = db.session.scalars(base.where(Complaint.status == ComplaintStatus.open)
                               .order_by(Complaint.created_at, Complaint.id)).all()
    decided = db.session.scalars(base.where(Complaint.status != ComplaintStatus.open)
                                 .order_by(Complaint.decided_at.desc(), Complaint.id.desc())
                                 .limit(decided_limit)).all()
    return list(open_), list(decided)


SHOWN_COUNT_SECONDS = 60


def _upheld_key(merchant_id: int, now: datetime) -> str:
    # The minute of clock.now() is in the key: a complaint leaving the window is seen within
    # a minute of clock time (also when the clock is moved).
    return f"gov:upheld:{merchant_id}:{int(now.timestamp()) // SHOWN_COUNT_SECONDS}"


def shown_upheld_count(merchant_id: int) -> int:
    """upheld_count as the shop page shows it: kept a minute (a decision drops it at once)."""
    now = clock.now()
    found = cache.get(_upheld_key(merchant_id, now))
    if found is None:
        found = upheld_count(merchant_id, now)
        cache.set(_upheld_key(merchant_id, now), found, timeout=SHOWN_COUNT_SECONDS)
    return found


def upheld_count(merchant_id: int, now: datetime | None = None) -> int:
    """Upheld complaints decided in the last 180 days (shown beside the shop's DSR)."""
    since = (now or clock.now()) - timedelta(days=UPHELD_WINDOW_DAYS)
    return db.session.scalar(
        select(func.count()).select_from(Complaint)
        .where(Complaint.merchant_id == merchant_id, Complaint.status == ComplaintStatus.upheld,
               Complaint.decided_at >= since)) or 0


# --- the thread -----------------------------------------------------------------------------

def answer(actor: User | None, complaint_id: int, text: str) -> Complaint:
    """商家回复: the shop's owner answers once, while the complaint is open."""
    complaint = get_complaint(actor, complaint_id)
    if complaint.merchant.owner_id != actor.id:
        raise PermissionDenied(_("只有被投诉的店铺可以回复。"))
    text = _body(text, field_name="answer", label=_("回复"))
    result = db.session.execute(
        update(Complaint).where(Complaint.id == complaint.id, Complaint.answer.is_(None),
                                Complaint.status == ComplaintStatus.open)
        .values(answer=text, answered_at=clock.now())
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict(_("店铺已经回复过，或投诉已处理，不能再回复。"), field="answer")
    notify(complaint.buyer_id, N_("%(shop)s 回复了你的投诉。"), link=f"/complaints/{complaint.id}",
           shop=complaint.merchant.name)
    db.session.commit()
    db.session.refresh(complaint)
    return complaint


def add(actor: User | None, complaint_id: int, text: str) -> Complaint:
    """买家补充: the buyer adds once, while the complaint is open."""
    complaint = get_complaint(actor, complaint_id)
    if complaint.buyer_id != actor.id:
        raise PermissionDenied(_("只有投诉的买家可以补充。"))
    text = _body(text, field_name="addition", label=_("补充说明"))
    result = db.session.execute(
        update(Complaint).where(Complaint.id == complaint.id, Complaint.addition.is_(None),
                                Complaint.status == ComplaintStatus.open)
        .values(addition=text, added_at=clock.now())
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict(_("你已经补充过，或投诉已处理，不能再补充。"), field="addition")
    notify(complaint.merchant.owner_id, N_("买家补充了对订单 %(number)s 的投诉。"),
           link=f"/complaints/{complaint.id}", number=complaint.order.number)
    db.session.commit()
    db.session.refresh(complaint)
    return complaint


def decide(actor: User | None, complaint_id: int, outcome: str, reason: str) -> Complaint:
    """基地裁定: an admin of the complaint's belt (or an operator) decides once, with a reason
    both sides read. Nobody decides about their own shop or their own complaint."""
    complaint = get_complaint(actor, complaint_id)
    require_belt_admin(actor, complaint.belt_id)
    if complaint.merchant.owner_id == actor.id:
        raise PermissionDenied(_("不能处理针对自己店铺的投诉。"))
    if not can_decide(actor, complaint):  # the complainant themself
        raise PermissionDenied(_("不能处理自己提交的投诉。"))
    if outcome not in (ComplaintStatus.upheld, ComplaintStatus.rejected):
        raise InvalidInput(_("请选择投诉成立或不成立。"), field="outcome")
    reason = plain_text(reason, field="reason", label=_("处理意见"), max_len=MAX_REASON,
                        min_len=MIN_REASON)
    result = db.session.execute(
        update(Complaint).where(Complaint.id == complaint.id,
                                Complaint.status == ComplaintStatus.open)
        .values(status=outcome, decided_at=clock.now(), decided_by_id=actor.id,
                decision_reason=reason)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict(_("这条投诉已经处理过了，请刷新查看结果。"))
    merchant = complaint.merchant
    record_audit(actor, UPHOLD if outcome == ComplaintStatus.upheld else REJECT, "complaint",
                 complaint.id, belt_id=complaint.belt_id, reason=reason, shop=merchant.name,
                 merchant_id=merchant.id, order=complaint.order.number)
    link = f"/complaints/{complaint.id}"
    if outcome == ComplaintStatus.upheld:
        notify(merchant.owner_id, N_("订单 %(number)s 的投诉经基地核实成立：%(reason)s"), link=link,
               number=complaint.order.number, reason=reason)
        notify(complaint.buyer_id, N_("你的投诉已核实成立：%(reason)s"), link=link, reason=reason)
    else:
        notify(merchant.owner_id, N_("订单 %(number)s 的投诉经基地核实不成立：%(reason)s"),
               link=link, number=complaint.order.number, reason=reason)
        notify(complaint.buyer_id, N_("你的投诉经核实不成立：%(reason)s"), link=link, reason=reason)
    db.session.commit()
    cache.delete(_upheld_key(merchant.id, clock.now()))
    db.session.refresh(complaint)
    return complaint
