"""Photo uploads on the merchant's forms: reading files, the request-size limit for forms
that carry several photos, and a per-account rate limit."""
from __future__ import annotations

from flask import current_app, request
from flask_login import current_user

from app.extensions import limiter
from app.merchants.checks import has_file, read_photo
from app.merchants.routes import bp

# Uploads of several photos need more than the app-wide request limit (one photo).
MULTI_PHOTO_ENDPOINTS = {"merchants.certification_apply", "merchants.goods_new",
                         "merchants.goods_edit"}
MULTI_PHOTO_REQUEST_LIMIT = 64 * 1024 * 1024


def _upload_limit() -> str:
    return current_app.config["RATELIMIT_UPLOADS"]


def _per_user() -> str:
    """Uploads are limited per account (per address for the anonymous)."""
    if current_user.is_authenticated:
        return f"uploads:user:{current_user.id}"
    return "uploads:ip:" + (request.remote_addr or "")


limit_uploads = limiter.limit(_upload_limit, methods=["POST"], key_func=_per_user)


@bp.url_value_preprocessor
def _raise_upload_limit(endpoint: str | None, values: dict | None) -> None:
    """Runs before any before_request (CSRF reads the body there), so the larger limit
    applies to the few endpoints that take several photos."""
    if request.method == "POST" and endpoint in MULTI_PHOTO_ENDPOINTS:
        request.max_content_length = MULTI_PHOTO_REQUEST_LIMIT


def photo(field: str) -> bytes | None:
    upload = request.files.get(field)
    return read_photo(upload, field=field) if has_file(upload) else None


def photos(field: str) -> list[bytes]:
    return [read_photo(upload, field=field) for upload in request.files.getlist(field)
            if has_file(upload)]
