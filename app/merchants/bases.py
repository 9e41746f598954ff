"""Belt bases (基地): who administers which belt. Operators appoint and remove belt admins; the
scope itself (accounts.models.BeltAdmin, checked by accounts.services.require_belt_admin)
knows only a belt id, so accounts stays below the catalogue and the shops."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.models import BeltAdmin, User
from app.accounts.services import find_by_account, record_audit, require_operator
from app.catalog.admin import add_belt_admin
from app.catalog.models import Belt
from app.exceptions import Conflict, NotFound
from app.extensions import db


def belt_admin_scopes() -> list[BeltAdmin]:
    """Every appointment, by belt, with the admin and the belt (for the operators' page)."""
    return list(db.session.scalars(
        select(BeltAdmin).options(selectinload(BeltAdmin.user), selectinload(BeltAdmin.belt))
        .order_by(BeltAdmin.belt_id)))


def assign_belt_admin(operator: User, account: str, belt_id: int) -> BeltAdmin:
    require_operator(operator)
    belt = db.session.get(Belt, belt_id)
    if belt is None:
        raise NotFound(_("产业带不存在。"), field="belt")
    user = find_by_account(account)
    if user is None:
        raise NotFound(_("没有这个账号，请对方先注册。"), field="account")
    if db.session.get(BeltAdmin, (user.id, belt.id)) is not None:
        raise Conflict(_("%(name)s 已经是该基地管理员。", name=user.display_name), field="account")
    scope = add_belt_admin(operator, user, belt)
    db.session.commit()
    return scope


def remove_belt_admin(operator: User, user_id: int, belt_id: int) -> None:
    require_operator(operator)
    scope = db.session.get(BeltAdmin, (user_id, belt_id))
    if scope is None:
        raise NotFound(_("该管理员任命不存在。"))
    db.session.delete(scope)
    record_audit(operator, "belt_admin.remove", "user", user_id, belt_id=belt_id)
    db.session.commit()
