"""Settings, read from the environment once at start-up."""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key(production: bool) -> str:
    """SECRET_KEY from the environment; in development a key kept under instance/."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if production:
        raise RuntimeError("SECRET_KEY must be set when YUANTOU_ENV=production")
    INSTANCE_DIR.mkdir(exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        # Heroku-style URLs name the driver loosely; we use psycopg 3.
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://"):]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return url
    INSTANCE_DIR.mkdir(exist_ok=True)
    return f"sqlite:///{INSTANCE_DIR / 'yuantou.db'}"


def _engine_options(url: str) -> dict:
    """A server connection per gunicorn thread that may need one (DB_POOL_SIZE, default the
    thread count): with fewer, a rush of buyers queues for connections while holding threads."""
    options: dict = {"pool_pre_ping": True}
    if url.startswith("postgresql"):
        options["pool_pre_ping"] = False  # idle connections are pinged instead (app.db.ping_after_idle)
        threads = int(os.environ.get("GUNICORN_THREADS", "8"))
        options["pool_size"] = int(os.environ.get("DB_POOL_SIZE", str(max(5, threads))))
        options["max_overflow"] = int(os.environ.get("DB_MAX_OVERFLOW", "5"))
    return options


def load_config() -> dict:
    production = os.environ.get("YUANTOU_ENV", "development") == "production"
    redis_url = os.environ.get("REDIS_URL") or None
    media_root = Path(os.environ.get("MEDIA_ROOT", PROJECT_ROOT / "media")).resolve()
    database_url = _database_url()
    remember_days = int(os.environ.get("REMEMBER_DAYS", "30"))
    return {
        "YUANTOU_ENV": "production" if production else "development",
        "SECRET_KEY": _secret_key(production),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(database_url),
        "REDIS_URL": redis_url,
        "MEDIA_ROOT": str(media_root),
        # Certification and complaint photos: outside MEDIA_ROOT (unset: beside it, in
        # `private-media`), served only through authorized routes (app.media).
        "PRIVATE_MEDIA_ROOT": os.environ.get("PRIVATE_MEDIA_ROOT") or None,
        # The proxy's internal location for PRIVATE_MEDIA_ROOT (e.g. /_private/): the app then
        # answers with X-Accel-Redirect and the proxy sends the bytes (docs/DEPLOYING.md).
        "PRIVATE_MEDIA_ACCEL": os.environ.get("PRIVATE_MEDIA_ACCEL") or None,
        # Uploads: one 15 MB photo plus form fields; anything larger is refused with 413.
        "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
        # Werkzeug applies this to its multipart parse buffer too (64 KB reads), so it must be
        # well above that or every photo upload is refused; it bounds text fields at 1 MB.
        "MAX_FORM_MEMORY_SIZE": 1024 * 1024,
        "MAX_FORM_PARTS": 200,
        # A body over its limit but under this is still read to its end, so the sender gets
        # the form back with a 413 instead of a reset connection (app.upload_limit).
        "UPLOAD_DRAIN_MAX": int(os.environ.get("UPLOAD_DRAIN_MAX_MB", "200")) * 1024 * 1024,
        "MAX_IMAGE_BYTES": 15 * 1024 * 1024,
        "MAX_IMAGE_PIXELS": 50_000_000,
        # Sessions are signed cookies (any number of workers and hosts share them) naming a
        # session row that sign-out ends on the server (app.accounts.sessions).
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", production),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", production),
        # A sign-in lasts at most this many days (remember-me cookie and server session alike).
        "REMEMBER_DAYS": remember_days,
        "REMEMBER_COOKIE_DURATION": timedelta(days=remember_days),
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "BABEL_DEFAULT_LOCALE": "zh_Hans_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "LANGUAGES": {"zh_Hans_CN": "简体中文", "en": "English"},
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        # Everything the app keeps in Redis lives under one prefix (a shared Redis can hold
        # several apps, or a benchmark beside a server).
        "RATELIMIT_KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "yt:"),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Failed sign-ins: per (account, address) — an attacker elsewhere never locks the owner
        # out of their own phone — then slower per account from anywhere, and per address.
        "RATELIMIT_SIGNIN": os.environ.get("RATELIMIT_SIGNIN", "5 per minute;20 per hour"),
        "RATELIMIT_SIGNIN_ACCOUNT": os.environ.get("RATELIMIT_SIGNIN_ACCOUNT",
                                                   "30 per hour;100 per day"),
        "RATELIMIT_SIGNIN_ADDRESS": os.environ.get("RATELIMIT_SIGNIN_ADDRESS",
                                                   "30 per minute;300 per hour"),
        "RATELIMIT_SIGNUP": os.environ.get("RATELIMIT_SIGNUP", "10 per minute;60 per hour"),
        "RATELIMIT_GRAB": os.environ.get("RATELIMIT_GRAB", "30 per minute"),
        "CACHE_TYPE": "RedisCache" if redis_url else "SimpleCache",
        "CACHE_REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "yt:"),
        # A Redis gate's admission (flash units, coupon tokens) is a lease: a worker killed
        # before the database decided strands it this long at most (app/leases.py).
        "GATE_LEASE_SECONDS": float(os.environ.get("GATE_LEASE_SECONDS", "5")),
        "CACHE_DEFAULT_TIMEOUT": 30,
        # Anonymous pages are renewed this often (re-rendered, or for listings re-checked):
        # stock and prices on a served page are never older than 1.9 s (app/pagecache.py).
        "PUBLIC_PAGE_TTL": float(os.environ.get("PUBLIC_PAGE_TTL", "1")),
        # Listing pages whose goods show the same price/stock/status are kept this long
        # without re-rendering (app/pagecache.py); 0 re-renders them every PUBLIC_PAGE_TTL.
        "PUBLIC_PAGE_HOLD": float(os.environ.get("PUBLIC_PAGE_HOLD", "10")),
        "CACHE_THRESHOLD": 2000,
        # HTML and fragments leave the app compressed when the browser accepts it (Flask-Compress:
        # brotli, else gzip; Vary: Accept-Encoding). Small bodies are not worth it; streamed
        # files (downloads, media) and empty X-Accel-Redirect answers are left alone. Static
        # files are WhiteNoise's pre-compressed copies and never reach Flask.
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        "COMPRESS_BR_LEVEL": 4,
        "COMPRESS_LEVEL": 6,
        "COMPRESS_MIN_SIZE": 512,
        "COMPRESS_STREAMS": False,
        "COMPRESS_MIMETYPES": ["text/html", "text/plain", "text/csv", "application/json",
                               "image/svg+xml"],
        # Belts, counts and facets (not stock or prices) may be this many seconds old.
        "REFERENCE_CACHE_TTL": int(os.environ.get("REFERENCE_CACHE_TTL", "60")),
        # Facet counts are kept this long under the goods' version (renewed when goods come,
        # go or change what is counted: app.catalog.services.goods_version); 0 keeps them
        # REFERENCE_CACHE_TTL, and REFERENCE_CACHE_TTL = 0 keeps nothing.
        "FACET_CACHE_TTL": int(os.environ.get("FACET_CACHE_TTL", "600")),
        "PASSWORD_HASH_METHOD": "scrypt",
        "PAGE_SIZE": 20,
        # Behind a reverse proxy: how many proxies set X-Forwarded-For/-Proto (rate limits
        # must see the buyer's address, not the proxy's). 0 when serving directly.
        "TRUSTED_PROXY_HOPS": int(os.environ.get("TRUSTED_PROXY_HOPS", "0")),
    }
