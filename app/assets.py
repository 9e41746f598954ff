"""Static files: WhiteNoise serves them with a one-year cache; URLs carry a content hash."""
from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask
from whitenoise import WhiteNoise

from app.config import PROJECT_ROOT

STATIC_DIR = PROJECT_ROOT / "static"


def _hash_static_files(root: Path) -> dict[str, str]:
    versions = {}
    for path in root.rglob("*"):
        if path.is_file() and path.suffix not in {".gz", ".br"}:
            rel = path.relative_to(root).as_posix()
            versions[rel] = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
    return versions


def init_assets(app: Flask) -> None:
    versions = _hash_static_files(STATIC_DIR)

    def asset(filename: str) -> str:
        version = versions.get(filename)
        if version is None:
            raise KeyError(f"no static file {filename!r}")
        return f"/static/{filename}?v={version}"

    app.jinja_env.globals["asset"] = asset
    # Every URL we emit is versioned, so the files can be cached for a year.
    from app.security import static_headers

    app.wsgi_app = WhiteNoise(
        app.wsgi_app, root=str(STATIC_DIR), prefix="static/", max_age=31536000,
        add_headers_function=static_headers,
    )
