"""gunicorn settings. Production: YUANTOU_ENV=production, DATABASE_URL (PostgreSQL),
REDIS_URL (shared rate limits and caches), SECRET_KEY; run `gunicorn -c gunicorn.conf.py wsgi:app`."""
import multiprocessing
import os

# BIND wins; else PORT (make run PORT=5001), else 5000.
bind = os.environ.get("BIND") or f"127.0.0.1:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", min(4, multiprocessing.cpu_count() * 2)))
# Threaded workers keep connections alive and serve many slow phones at once; sync workers
# would queue every client behind one request each (p99 in seconds at 16 clients).
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
worker_class = "gthread" if threads > 1 else "sync"
timeout = 30
graceful_timeout = 20
keepalive = 5
# Recycling workers is a guard against leaks we have not seen; each recycle costs a cold start
# (~1 s of queued requests), which at 5,000 requests was every few seconds under load.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("ACCESS_LOG", "-")
# The live ingest's callback URLs carry a secret: the access log shows "[secret]" instead.
logger_class = "app.access_log.RedactingLogger"
errorlog = "-"
# Behind a reverse proxy: trust its X-Forwarded-* headers (set FORWARDED_ALLOW_IPS).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker):
    """Once the app is loaded, move everything alive (app, templates, mappers) out of the
    collector's way: full collections then scan only what requests allocate, instead of
    pausing every thread of the worker to walk the whole app again and again."""
    import gc

    gc.collect()
    gc.freeze()
