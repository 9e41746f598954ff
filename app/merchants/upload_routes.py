"""The request-size limit for the merchants' forms that carry several photos (the photo
readers and the per-account upload limit are in app/merchants/uploads.py)."""
from __future__ import annotations

from flask import request

from app.merchants.routes import bp

# Uploads of several photos need more than the app-wide request limit (one photo).
MULTI_PHOTO_ENDPOINTS = {"merchants.certification_apply", "merchants.goods_new",
                         "merchants.goods_edit"}
MULTI_PHOTO_REQUEST_LIMIT = 64 * 1024 * 1024


@bp.url_value_preprocessor
def _raise_upload_limit(endpoint: str | None, values: dict | None) -> None:
    """Runs before any before_request (CSRF reads the body there), so the larger limit
    applies to the few endpoints that take several photos."""
    if request.method == "POST" and endpoint in MULTI_PHOTO_ENDPOINTS:
        request.max_content_length = MULTI_PHOTO_REQUEST_LIMIT
