from __future__ import annotations

import hashlib

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from itsdangerous import BadSignature, URLSafeSerializer

from app.accounts import services, sessions
from app.accounts.forms import (
    ChangePasswordForm,
    EmptyForm,
    SignInForm,
    SignUpForm,
)
from app.core import safe_next
from app.exceptions import DomainError
from app.extensions import limiter
from app.forms import attach_error
from app.rendering import render_page

bp = Blueprint("accounts", __name__)


def _typed_account() -> str:
    """The account as stored ('+86 138 0013 8000' and '13800138000' are one account)."""
    raw = (request.form.get("account") or "").strip()[:254]
    try:
        kind, value = services.normalise_account(raw)
    except DomainError:
        return raw.lower()
    return f"{kind}:{value}"


# A browser that has signed in to an account before is not held by that account's
# account-wide limit (only by its own per-address one): a guessing attack from elsewhere
# can't lock the owner out of the phone they always use. The cookie names accounts by a
# digest and is signed, so it can't be made up for an account never signed in to there.
KNOWN_DEVICE_COOKIE = "known_device"
KNOWN_DEVICE_ACCOUNTS = 5


def _device_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="signin-known-device")


def _account_digest(account: str) -> str:
    return hashlib.sha256(account.encode()).hexdigest()[:16]


def _known_accounts() -> list[str]:
    raw = request.cookies.get(KNOWN_DEVICE_COOKIE)
    if not raw:
        return []
    try:
        known = _device_serializer().loads(raw)
    except BadSignature:
        return []
    return [d for d in known if isinstance(d, str)] if isinstance(known, list) else []


def _known_device() -> bool:
    return _account_digest(_typed_account()) in _known_accounts()


def _remember_device(response) -> None:
    digest = _account_digest(_typed_account())
    known = [digest] + [d for d in _known_accounts() if d != digest]
    response.set_cookie(KNOWN_DEVICE_COOKIE,
                        _device_serializer().dumps(known[:KNOWN_DEVICE_ACCOUNTS]),
                        max_age=365 * 24 * 3600, httponly=True, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"])


def _signin_pair_key() -> str:
    """One account tried from one address: the tight limit. An attacker elsewhere uses up
    their own count, never the owner's."""
    return f"signin:{_typed_account()}|{get_remote_address()}"


def _signin_account_key() -> str:
    """One account tried from anywhere: a slower limit against guessing from many addresses."""
    return "signin-account:" + _typed_account()


def _signin_address_key() -> str:
    """Any account from one address: stops spraying many accounts (generous: phones share
    carrier addresses)."""
    return "signin-address:" + get_remote_address()


def _failed(response) -> bool:
    """Only failed sign-ins count: the owner signing in uses up nothing."""
    return response.status_code != 303


def _limit(name: str):
    return lambda: current_app.config[name]


@bp.route("/signin", methods=["GET", "POST"])
@limiter.limit(_limit("RATELIMIT_SIGNIN"), methods=["POST"], key_func=_signin_pair_key,
               deduct_when=_failed)
@limiter.limit(_limit("RATELIMIT_SIGNIN_ACCOUNT"), methods=["POST"],
               key_func=_signin_account_key, deduct_when=_failed, exempt_when=_known_device)
@limiter.limit(_limit("RATELIMIT_SIGNIN_ADDRESS"), methods=["POST"],
               key_func=_signin_address_key, deduct_when=_failed)
def signin():
    form = SignInForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = services.authenticate(form.account.data, form.password.data)
        if user is not None:
            sessions.start(user, remember=form.remember.data)
            response = redirect(safe_next(form.next.data, url_for("catalog.home")), code=303)
            _remember_device(response)
            return response
        form.form_errors.append(_("账号或密码不正确。"))
    status = 400 if request.method == "POST" else 200
    return render_page("accounts/signin.html", form=form, status=status)


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_limit("RATELIMIT_SIGNUP"), methods=["POST"])
def signup():
    form = SignUpForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = services.sign_up(form.account.data, form.password.data,
                                    form.display_name.data)
        except DomainError as error:
            attach_error(form, error)
        else:
            sessions.start(user)
            flash(_("注册成功，欢迎来到源头好货！"), "success")
            return redirect(safe_next(form.next.data, url_for("catalog.home")), code=303)
    status = 400 if request.method == "POST" else 200
    return render_page("accounts/signup.html", form=form, status=status)


@bp.post("/signout")
def signout():
    """Ends this device's session on the server (other devices stay signed in)."""
    sessions.end(current_user)
    return redirect(url_for("catalog.home"), code=303)


@bp.post("/account/signout-everywhere")
@login_required
def signout_everywhere():
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("accounts.account"), code=303)
    sessions.end_everywhere(current_user)
    flash(_("已退出所有设备上的登录，请重新登录。"), "success")
    return redirect(url_for("accounts.signin"), code=303)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        remembered = sessions.current_is_remembered(current_user)
        try:
            services.change_password(current_user, form.current.data, form.password.data)
        except DomainError as error:
            attach_error(form, error)
            status = 400
        else:
            sessions.start(current_user, remember=remembered)  # this device stays signed in
            flash(_("密码已修改，其他设备上的登录已失效。"), "success")
            return redirect(url_for("accounts.account"), code=303)
    elif request.method == "POST":
        status = 400
    return render_page("accounts/account.html", form=form, signout_form=EmptyForm(),
                       status=status)


@bp.get("/notifications")
@login_required
def notifications():
    items = services.recent_notifications(current_user.id)
    return render_page("accounts/notifications.html", items=items, form=EmptyForm())


@bp.post("/notifications/read")
@login_required
def notifications_read():
    services.mark_all_read(current_user.id)
    return redirect(url_for("accounts.notifications"), code=303)


AUDIT_PAGE = 200


@bp.get("/admin/audit")
@login_required
def audit():
    from app.inputs import parse_int

    before = parse_int(request.args.get("before"), minimum=1)
    rows = services.audit_rows(current_user, before_id=before, limit=AUDIT_PAGE)
    return render_page("accounts/audit.html", rows=rows,
                       older=rows[-1].id if len(rows) >= AUDIT_PAGE else None)
