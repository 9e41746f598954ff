"""The audit log: who did what to whom, when and why, read as sentences.

Domains name their actions and their subjects in their init:

    register_audit_action("governance.suspend", N_("暂停店铺营业"),
                          N_("%(actor)s 暂停了 %(subject)s 的营业"))
    register_audit_subject("merchant", lambda ids: select(Merchant.id, Merchant.name, Merchant.id)
                           .where(Merchant.id.in_(ids)), url="/shops/{}")

A sentence is a msgid with `%(actor)s` and `%(subject)s` (and any key of the entry's details,
e.g. `%(product)s`). The page resolves names with one query per subject type on the page (and
one for the actors), never one per row; a subject that is gone keeps the name stored in the
entry's details, or reads as "#id"."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from app.accounts.models import AuditEntry, User
from app.exceptions import PermissionDenied
from app.extensions import db
from app.i18n import N_


@dataclass(frozen=True)
class AuditAction:
    label: str     # msgid naming the action (通过认证)
    sentence: str  # msgid with %(actor)s and %(subject)s


# A subject type's names: ids → rows (id, name[, url key]), one query.
SubjectRows = Callable[[list[int]], Select]


@dataclass(frozen=True)
class SubjectType:
    rows: SubjectRows
    url: str | None  # "/shops/{}", filled with the row's url key


AUDIT_ACTIONS: dict[str, AuditAction] = {
    "belt_admin.assign": AuditAction(N_("任命基地管理员"), N_("%(actor)s 任命 %(subject)s 为基地管理员")),
    "belt_admin.remove": AuditAction(N_("撤销基地管理员"),
                                     N_("%(actor)s 撤销了 %(subject)s 的基地管理员职务")),
}
AUDIT_SUBJECTS: dict[str, SubjectType] = {
    "user": SubjectType(lambda ids: select(User.id, User.display_name, User.id)
                        .where(User.id.in_(ids)), None),
}

GENERIC_SENTENCE = N_("%(actor)s：%(action)s · %(subject)s")


def register_audit_action(action: str, label: str, sentence: str | None = None) -> None:
    """Name an audit action for people: a label (N_("中文")) and the sentence a row reads as."""
    AUDIT_ACTIONS[action] = AuditAction(label, sentence or GENERIC_SENTENCE)


def register_audit_subject(subject_type: str, rows: SubjectRows, url: str | None = None) -> None:
    """How to name a subject type: `rows(ids)` selects (id, name[, url key]) in one query."""
    AUDIT_SUBJECTS[subject_type] = SubjectType(rows, url)


def audit_action_label(action: str) -> str | None:
    known = AUDIT_ACTIONS.get(action)
    return known.label if known else None


def record_audit(actor: User | None, action: str, subject_type: str, subject_id: int, *,
                 belt_id: int | None = None, reason: str = "", **details) -> AuditEntry:
    """Append to the audit log in the caller's transaction (it commits with the decision)."""
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None, action=action,
        subject_type=subject_type, subject_id=subject_id, belt_id=belt_id, reason=reason,
        details=details,
    )
    db.session.add(entry)
    return entry


def audit_log(viewer: User, *, belt_ids: Iterable[int] | None = None, limit: int = 200,
              before_id: int | None = None) -> list[AuditEntry]:
    """Operators see everything; a belt admin sees entries of their own belts."""
    if not viewer.is_operator:
        if not viewer.is_belt_admin:
            raise PermissionDenied(_("只有平台运营和基地管理员可以查看审计日志。"))
        allowed = viewer.admin_belt_ids
        belt_ids = allowed if belt_ids is None else set(belt_ids) & allowed
    query = (select(AuditEntry).options(selectinload(AuditEntry.actor))
             .order_by(AuditEntry.id.desc()).limit(limit))
    if belt_ids is not None:
        query = query.where(AuditEntry.belt_id.in_(list(belt_ids)))
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class AuditRow:
    id: int
    created_at: datetime
    label: str        # translated action name
    sentence: Markup  # "平台运营 暂停了 镇平玉缘 的营业", names escaped, subjects linked
    reason: str


@dataclass(frozen=True)
class _Subject:
    name: str
    url: str | None


def _subjects(entries: list[AuditEntry]) -> dict[tuple[str, int], _Subject]:
    """Every subject on the page by (type, id): one query per subject type."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for entry in entries:
        if entry.subject_type in AUDIT_SUBJECTS:
            wanted[entry.subject_type].add(entry.subject_id)
    found = {}
    for subject_type, ids in wanted.items():
        kind = AUDIT_SUBJECTS[subject_type]
        for row_id, name, *key in db.session.execute(kind.rows(sorted(ids))):
            key = key[0] if key else None
            found[subject_type, row_id] = _Subject(
                str(name), kind.url.format(key) if kind.url and key is not None else None)
    return found


def _fallback_name(entry: AuditEntry) -> str:
    details = entry.details or {}
    for key in ("shop", "name", "title", "product", "slug"):
        if isinstance(details.get(key), str) and details[key]:
            return details[key]
    return f"#{entry.subject_id}"


def _subject_markup(subject: _Subject) -> Markup:
    if subject.url:
        return Markup('<a href="{}">{}</a>').format(subject.url, subject.name)
    return Markup("<strong>{}</strong>").format(subject.name)


def audit_rows(viewer: User, *, before_id: int | None = None, limit: int = 200) -> list[AuditRow]:
    """The audit page: the entries the viewer may see, each as a sentence (a fixed number of
    queries: the entries, their actors, one per subject type)."""
    entries = audit_log(viewer, before_id=before_id, limit=limit)
    subjects = _subjects(entries)
    rows = []
    for entry in entries:
        action = AUDIT_ACTIONS.get(entry.action)
        label = _(action.label) if action else _("其他操作（%(code)s）", code=entry.action)
        subject = subjects.get((entry.subject_type, entry.subject_id)) or _Subject(
            _fallback_name(entry), None)
        params = defaultdict(str, {k: v for k, v in (entry.details or {}).items()
                                   if isinstance(v, str | int)})
        params.update(actor=Markup("<strong>{}</strong>").format(
                          entry.actor.display_name if entry.actor else _("系统")),
                      subject=_subject_markup(subject), action=label)
        sentence = escape(_(action.sentence if action else GENERIC_SENTENCE)) % params
        rows.append(AuditRow(entry.id, entry.created_at, label, sentence, entry.reason))
    return rows
