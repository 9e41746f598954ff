"""Rate-limit keys and limits that several blueprints share (Flask-Limiter's `key_func` and
limit callables). Flask-Limiter keeps a separate counter per route, so one key serves all."""
from __future__ import annotations

from flask import current_app, request
from flask_login import current_user


def buyer_key() -> str:
    """Per signed-in buyer (many buyers share a mobile carrier's address), per address before
    signing in."""
    if current_user.is_authenticated:
        return f"buyer:{current_user.id}"
    return f"ip:{request.remote_addr}"


def grab_limit() -> str:
    """Grabbing and buying (coupons, vouchers, tasks, the cart, checkout): RATELIMIT_GRAB."""
    return current_app.config["RATELIMIT_GRAB"]
