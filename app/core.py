"""Routes every page relies on: health, language switch, media files, the bare route."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, redirect, request, send_from_directory
from sqlalchemy import text

from app.extensions import db
from app.i18n import LOCALE_COOKIE

bp = Blueprint("core", __name__)


def safe_next(target: str | None, fallback: str = "/") -> str:
    """Only same-site relative paths are followed after a form (no open redirects)."""
    if not target or len(target) > 500:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    if "\\" in target or any(ord(c) < 32 for c in target):
        return fallback
    return target


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 (any database failure means unhealthy)
        current_app.logger.exception("health check: database unreachable")
        return {"status": "error", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}


@bp.get("/ping")
def ping():
    """The bare route: the same app and middleware, no work. Benchmarks use it as a ceiling."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.post("/lang")
def switch_language():
    chosen = request.form.get("lang", "")
    if chosen not in current_app.config["LANGUAGES"]:
        abort(400)
    response = redirect(safe_next(request.form.get("next")), code=303)
    response.set_cookie(
        LOCALE_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response


@bp.get("/media/<path:filename>")
def media(filename: str):
    """Uploaded photos (content-hash names, so cached for a year). A proxy serves these in
    production; send_from_directory refuses paths that escape MEDIA_ROOT."""
    if not filename.endswith((".webp", ".jpg", ".png", ".mp4", ".webm")):
        abort(404)
    root = Path(current_app.config["MEDIA_ROOT"])
    response = send_from_directory(root, filename, max_age=31536000)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


def init_core(app: Flask) -> None:
    app.register_blueprint(bp)
    from app.extensions import limiter

    limiter.exempt(bp)

