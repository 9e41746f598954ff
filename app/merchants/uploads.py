"""Photo uploads in a view (merchants' and governance's forms): reading the files of a field,
checked by content, and a per-account rate limit on the forms that take them."""
from __future__ import annotations

from flask import current_app, request
from flask_login import current_user

from app.extensions import limiter
from app.merchants.checks import has_file, read_photo


def _upload_limit() -> str:
    return current_app.config["RATELIMIT_UPLOADS"]


def _per_user() -> str:
    """Uploads are limited per account (per address for the anonymous)."""
    if current_user.is_authenticated:
        return f"uploads:user:{current_user.id}"
    return "uploads:ip:" + (request.remote_addr or "")


limit_uploads = limiter.limit(_upload_limit, methods=["POST"], key_func=_per_user)


def photo(field: str) -> bytes | None:
    upload = request.files.get(field)
    return read_photo(upload, field=field) if has_file(upload) else None


def photos(field: str) -> list[bytes]:
    return [read_photo(upload, field=field) for upload in request.files.getlist(field)
            if has_file(upload)]
