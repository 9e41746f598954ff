"""Yuantou 源头好货: the application factory."""
from __future__ import annotations

from flask import Flask

from app.config import PROJECT_ROOT, load_config


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=None,  # WhiteNoise serves static/ (see app.assets)
        instance_path=str(PROJECT_ROOT / "instance"),
    )
    app.config.update(load_config())
    if overrides:
        app.config.update(overrides)

    from app.routing import IdConverter, SlugConverter

    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["slug"] = SlugConverter
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    from app.rendering import TemplateModule

    app.jinja_env.globals["ui"] = TemplateModule(app.jinja_env, "macros.html")

    from app import models  # noqa: F401  (register every table)
    from app.extensions import cache, compress, csrf, db, limiter, login_manager, migrate

    # First registered, so its after_request runs last: it compresses the finished body
    # (the page cache's per-visitor CSRF token already in, every header already set).
    compress.init_app(app)
    db.init_app(app)
    from app.db import begin_at_first_write, end_reads_with_commit, ping_after_idle

    end_reads_with_commit(app)  # after init_app: runs before the session is removed
    with app.app_context():
        begin_at_first_write(db.engine)
        ping_after_idle(db.engine)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    cache.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)

    from app.cards import init_cards
    from app.pagecache import init_pagecache
    from app.slots import init_slots

    init_slots(app)
    init_pagecache(app)
    init_cards(app)
    from app.assets import init_assets
    from app.errors import init_errors
    from app.i18n import init_i18n
    from app.security import init_security

    init_i18n(app)
    init_security(app)
    from app.upload_limit import init_upload_limit

    init_upload_limit(app)
    init_errors(app)
    init_assets(app)

    from app.accounts import init_accounts
    from app.campaigns import init_campaigns
    from app.catalog import init_catalog
    from app.core import init_core
    from app.flash import init_flash
    from app.governance import init_governance
    from app.live import init_live
    from app.merchants import init_merchants
    from app.orders import init_orders
    from app.sale import init_sale

    init_core(app)
    init_accounts(app)
    init_catalog(app)
    init_merchants(app)
    init_live(app)
    init_orders(app)
    init_governance(app)
    init_campaigns(app)
    init_flash(app)
    init_sale(app)

    from app.cli import init_cli

    init_cli(app)
    hops = app.config["TRUSTED_PROXY_HOPS"]
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    return app
