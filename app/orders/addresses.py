"""The buyer's address book (收货地址). Orders copy the address they ship to."""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from app.accounts.models import User
from app.accounts.services import require_signed_in
from app.exceptions import Conflict, InvalidInput, NotFound
from app.extensions import db
from app.inputs import clean_text
from app.orders.models import Address

MAX_ADDRESSES = 20
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


@dataclass
class AddressDraft:
    recipient: str
    phone: str
    region: str
    detail: str
    is_default: bool = False



def check_draft(draft: AddressDraft) -> AddressDraft:
    recipient = clean_text(draft.recipient, max_len=30)
    if not recipient or len(recipient) > 30:
        raise InvalidInput(_("请填写收货人姓名（最多 30 个字）。"), field="recipient")
    phone = re.sub(r"[\s]", "", draft.phone or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if not (MOBILE_RE.match(phone) or LANDLINE_RE.match(phone)):
        raise InvalidInput(_("请填写正确的手机号（11 位）或固定电话。"), field="phone")
    region = clean_text(draft.region, max_len=60)
    if not region or len(region) > 60:
        raise InvalidInput(_("请填写所在地区，例如：河南省 南阳市 镇平县。"), field="region")
    detail = clean_text(draft.detail, max_len=120)
    if len(detail) < 4 or len(detail) > 120:
        raise InvalidInput(_("请填写详细地址（4–120 个字），写到门牌号。"), field="detail")
    return AddressDraft(recipient, phone, region, detail, bool(draft.is_default))


def _own(actor: User):
    """The actor's addresses, the default first, then the newest."""
    return (select(Address).where(Address.user_id == actor.id)
            .order_by(Address.is_default.desc(), Address.id.desc()))


def addresses_of(actor: User | None) -> list[Address]:
    return list(db.session.scalars(_own(require_signed_in(actor))))


def default_address(actor: User | None) -> Address | None:
    """The address an order goes to unless the buyer picks another (one row), or None."""
    return db.session.scalars(_own(require_signed_in(actor)).limit(1)).first()


def get_address(actor: User | None, address_id: int | None) -> Address:
    """The actor's own address; another user's is simply not found."""
    actor = require_signed_in(actor)
    address = db.session.get(Address, address_id) if isinstance(address_id, int) else None
    if address is None or address.user_id != actor.id:
        raise NotFound(_("收货地址不存在，请重新选择。"), field="address_id")
    return address


def _make_default(actor: User, address: Address) -> None:
    db.session.execute(update(Address).where(Address.user_id == actor.id, Address.id != address.id)
                       .values(is_default=False).execution_options(synchronize_session=False))
    address.is_default = True


def add_address(actor: User | None, draft: AddressDraft) -> Address:
    actor = require_signed_in(actor)
    draft = check_draft(draft)
    count = db.session.scalar(select(func.count()).select_from(Address)
                              .where(Address.user_id == actor.id)) or 0
    if count >= MAX_ADDRESSES:
        raise Conflict(_("最多保存 %(n)d 个收货地址。", n=MAX_ADDRESSES))
    address = Address(user_id=actor.id, recipient=draft.recipient, phone=draft.phone,
                      region=draft.region, detail=draft.detail)
    db.session.add(address)
    db.session.flush()
    if draft.is_default or count == 0:
        _make_default(actor, address)
    db.session.commit()
    return address


def update_address(actor: User | None, address_id: int, draft: AddressDraft) -> Address:
    address = get_address(actor, address_id)
    draft = check_draft(draft)
    address.recipient, address.phone = draft.recipient, draft.phone
    address.region, address.detail = draft.region, draft.detail
    if draft.is_default:
        _make_default(actor, address)
    db.session.commit()
    return address


def set_default(actor: User | None, address_id: int) -> Address:
    address = get_address(actor, address_id)
    _make_default(actor, address)
    db.session.commit()
    return address


def delete_address(actor: User | None, address_id: int) -> None:
    address = get_address(actor, address_id)
    was_default = address.is_default
    db.session.delete(address)
    db.session.flush()
    if was_default:
        successor = db.session.scalar(select(Address).where(Address.user_id == actor.id)
                                      .order_by(Address.id.desc()).limit(1))
        if successor is not None:
            successor.is_default = True
    db.session.commit()
