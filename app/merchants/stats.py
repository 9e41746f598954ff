"""The merchant's numbers: product-page views → orders, before and after certification.

Views are counted without a database query or write on the request path (a page served
from a cache counts too). Each view adds one to a buffer keyed by (product, hour); the shop
is looked up when the buffer is written:
  * with REDIS_URL, a Redis hash shared by every worker and host (one HINCRBY per view);
    `flask tick` claims the hash with an atomic RENAME, so two hosts never flush the same
    views, and merges it into the database;
  * without Redis (one machine), a buffer in each worker process, flushed by that process
    after a response has been sent, at most every VIEW_FLUSH_SECONDS, and at exit.
The database write is one upsert per (product, hour) that adds to the stored count, so
several workers flushing at once add up correctly. Views are analytics: a crash may lose the
last few seconds of counts, and that is all it can do.

Orders belong to the orders domain. It registers a counter with `register_order_counter`;
until one is registered the dashboard says orders are not tracked yet. The conversion report
(before and after certification, the belt's certified vs uncertified shops) is
app.merchants.lift."""
from __future__ import annotations

import atexit
import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

from flask import Flask, current_app, g, request, template_rendered
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from app import clock
from app.catalog.models import Product
from app.extensions import db
from app.merchants.models import ProductViewCount

log = logging.getLogger(__name__)

OrderCounter = Callable[[int, datetime, datetime], int]
_order_counter: OrderCounter | None = None

# Redis keys, under the deployment's CACHE_KEY_PREFIX ("yt:"): views:pending, views:flushing:*
UPSERT_CHUNK = 500
BOT_MARKERS = ("bot", "spider", "crawl", "slurp", "headless")

ViewKey = tuple[int, int]  # product id, hour (unix seconds, UTC); the shop is looked up at flush


def register_order_counter(counter: OrderCounter | None) -> None:
    """The orders domain tells us how to count a shop's orders placed in [start, end):
    `counter(merchant_id, start, end) -> int`; it may also offer
    `counter.by_shop(merchant_ids, start, end) -> {merchant_id: n}` (many shops, one query).
    None unregisters (tests)."""
    global _order_counter
    _order_counter = counter


def current_order_counter() -> OrderCounter | None:
    return _order_counter


def orders_tracked() -> bool:
    return _order_counter is not None


# --- counting views ----------------------------------------------------------------------

class ViewBuffer:
    """Per-process counts waiting to be written. Thread-safe; drained atomically."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[ViewKey] = Counter()
        self._since: float | None = None

    def add(self, key: ViewKey, n: int = 1) -> None:
        with self._lock:
            self._counts[key] += n
            if self._since is None:
                self._since = time.monotonic()

    def due(self, max_age: float | None, max_keys: int) -> bool:
        with self._lock:
            if self._since is None or max_age is None:
                return False
            return len(self._counts) >= max_keys or time.monotonic() - self._since >= max_age

    def drain(self) -> Counter[ViewKey]:
        with self._lock:
            counts, self._counts, self._since = self._counts, Counter(), None
            return counts

    def __len__(self) -> int:
        with self._lock:
            return len(self._counts)


def _buffer(app: Flask | None = None) -> ViewBuffer:
    app = app or current_app
    return app.extensions["yt_view_buffer"]


def _redis(app: Flask | None = None):
    app = app or current_app
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    client = app.extensions.get("yt_view_redis")
    if client is None:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        app.extensions["yt_view_redis"] = client
    return client


def _pending_key() -> str:
    return current_app.config.get("CACHE_KEY_PREFIX", "yt:") + "views:pending"


def hour_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def record_view(product_id: int, when: datetime | None = None) -> None:
    """Count one product-page view. Never touches the database."""
    hour = int(hour_of(when or clock.now()).timestamp())
    client = _redis()
    if client is not None:
        try:
            client.hincrby(_pending_key(), f"{product_id}:{hour}", 1)
            return
        except Exception:  # noqa: BLE001 (analytics must never break a page)
            log.warning("view counter: Redis unavailable, buffering in this process")
    _buffer().add((product_id, hour))


def _write(counts: Counter[ViewKey]) -> int:
    """Add counts to the database in one transaction; returns the views written."""
    if not counts:
        return 0
    product_ids = {key[0] for key in counts}
    shop_of = dict(db.session.execute(select(Product.id, Product.merchant_id)
                                      .where(Product.id.in_(product_ids))).all())
    # Sorted, so concurrent flushers lock rows in the same order and cannot deadlock.
    rows = [{"product_id": p, "merchant_id": shop_of[p], "hour": datetime.fromtimestamp(h, UTC),
             "views": n} for (p, h), n in sorted(counts.items()) if p in shop_of and n > 0]
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    for start in range(0, len(rows), UPSERT_CHUNK):
        statement = dialect.insert(ProductViewCount).values(rows[start:start + UPSERT_CHUNK])
        statement = statement.on_conflict_do_update(
            index_elements=["product_id", "hour"],
            set_={"views": ProductViewCount.views + statement.excluded.views})
        db.session.execute(statement)
    db.session.commit()
    return sum(row["views"] for row in rows)


def _parse_redis(raw: dict) -> Counter[ViewKey]:
    counts: Counter[ViewKey] = Counter()
    for field, value in raw.items():
        try:
            p, h = (int(part) for part in field.decode().split(":"))
            counts[(p, h)] += int(value)
        except ValueError:
            continue
    return counts


def flush_views() -> int:
    """Write buffered views to the database (this process's buffer, and Redis' if any)."""
    written = 0
    buffer = _buffer()
    counts = buffer.drain()
    try:
        written += _write(counts)
    except Exception:
        db.session.rollback()
        for key, n in counts.items():  # keep them for the next flush
            buffer.add(key, n)
        raise
    client = _redis()
    if client is None:
        return written
    import redis

    pending = _pending_key()
    claim = f"{pending.removesuffix('pending')}flushing:{uuid.uuid4().hex}"
    try:
        client.rename(pending, claim)  # atomic: each snapshot goes to one flusher
    except redis.ResponseError:
        return written  # nothing pending
    except redis.RedisError:
        log.warning("view counter: Redis unavailable, its views wait for the next flush")
        return written
    client.expire(claim, 86400)  # if this host dies mid-flush, the claim does not linger
    counts = _parse_redis(client.hgetall(claim))
    try:
        written += _write(counts)
    except Exception:
        db.session.rollback()
        pipe = client.pipeline()
        for (p, h), n in counts.items():
            pipe.hincrby(pending, f"{p}:{h}", n)
        pipe.delete(claim)
        pipe.execute()
        raise
    client.delete(claim)
    return written


def _is_bot() -> bool:
    agent = (request.user_agent.string or "").lower()
    return any(marker in agent for marker in BOT_MARKERS)


def init_view_counting(app: Flask) -> None:
    """Count views of /products/<id> after the page rendered, without a database write."""
    app.config.setdefault("VIEW_COUNTING", True)
    # A worker flushes its own buffer after a response once this old (None: only when asked,
    # by `flask tick` or flush_views(); the test suite's default, so no test writes another's).
    app.config.setdefault("VIEW_FLUSH_SECONDS", None if app.config.get("TESTING") else 30)
    app.config.setdefault("VIEW_FLUSH_MAX_KEYS", 5000)
    app.extensions["yt_view_buffer"] = ViewBuffer()

    def remember_owner(sender, template, context, **extra) -> None:
        """Whose goods the rendered product page shows, noted while it renders (no query).
        A page served from a cache is not rendered: its visitor is anonymous, not the owner."""
        product = context.get("product")
        if template.name == "catalog/product.html" and product is not None:
            g.yt_product_owner = product.merchant.owner_id

    template_rendered.connect(remember_owner, app, weak=False)

    @app.after_request
    def count_product_view(response):
        owner_id = g.pop("yt_product_owner", None)
        if (not app.config["VIEW_COUNTING"] or request.method != "GET"
                or request.endpoint != "catalog.product" or response.status_code != 200):
            return response
        from app.rendering import is_htmx

        purpose = request.headers.get("Sec-Purpose", "") + request.headers.get("Purpose", "")
        if is_htmx() or "prefetch" in purpose or _is_bot():
            return response
        from flask_login import current_user

        if current_user.is_authenticated and current_user.id == owner_id:
            return response  # the owner looking at their own goods is not a buyer's view
        record_view(request.view_args["product_id"])
        if _redis(app) is None and _buffer(app).due(app.config["VIEW_FLUSH_SECONDS"],
                                                    app.config["VIEW_FLUSH_MAX_KEYS"]):
            response.call_on_close(lambda: _flush_quietly(app))
        return response

    def _flush_at_exit() -> None:
        if len(_buffer(app)):
            _flush_quietly(app)

    if not app.config.get("TESTING"):
        atexit.register(_flush_at_exit)


def _flush_quietly(app: Flask) -> None:
    """After the response went out (or at exit): flush; log failures, never raise."""
    try:
        with app.app_context():
            flush_views()
    except Exception:  # noqa: BLE001 (analytics; the counts stay buffered for next time)
        log.exception("view counter: flush failed")


def views_by_product(merchant_id: int) -> dict[int, int]:
    """Counted (flushed) product-page views per product of a shop."""
    return dict(db.session.execute(
        select(ProductViewCount.product_id, func.sum(ProductViewCount.views))
        .where(ProductViewCount.merchant_id == merchant_id)
        .group_by(ProductViewCount.product_id)).all())
