"""Live rooms (直播间) and 闪电购 lightning listing."""
from __future__ import annotations

import os

from flask import Flask

SLOT_PARTIALS = {
    "home_sections": "live/_slot_home.html",
    "portal_sections": "live/_slot_portal.html",
    "belt_sections": "live/_slot_belt.html",
    "shop_sections": "live/_slot_shop.html",
    "product_extras": "live/_slot_product.html",
    "account_menu": "live/_slot_account.html",
}


def clock_time(seconds: int | float | None) -> str:
    """Seconds as a player shows them: 42:07, 1:02:03."""
    total = max(0, int(seconds or 0))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def _shop_live(merchant_id: int) -> dict:
    """The shop page's room card and, when it has a room, its replays."""
    from app.live import replays, services

    cards = services.room_cards(merchant_id=merchant_id, include_ended=True, limit=1)
    return {"cards": cards, "replays": replays.replays_of_shop(merchant_id) if cards else []}


def init_live(app: Flask) -> None:
    from app import money, tick
    from app.live import (
        broadcast_routes,  # noqa: F401 (its routes are on the live blueprint)
        ingest,
        presence,
        replays,
        routes,
        services,
    )
    from app.live.cards import room_card
    from app.pagedata import register_page_data
    from app.slots import register_slot

    # How often buyers' rooms poll (seconds); the answer is 304 when nothing changed.
    app.config.setdefault("LIVE_POLL_SECONDS", int(os.environ.get("LIVE_POLL_SECONDS", "3")))
    # 闪电购 reads bodies up to this size so an oversized photo gets a clear message with the
    # typed fields kept; the photo itself is still limited to MAX_IMAGE_BYTES (15 MB).
    app.config.setdefault("LIVE_UPLOAD_MAX_BODY", 50 * 1024 * 1024)
    # Per merchant: a busy anchor lists one item every few seconds at most.
    app.config.setdefault("RATELIMIT_LIGHTNING",
                          os.environ.get("RATELIMIT_LIGHTNING", "30 per minute;600 per hour"))

    # Comments and likes add their routes to the live blueprint (before it is registered).
    from app.live import comment_routes

    comment_routes.init_chat(app)
    # Broadcasting through the ingest (docs/DEPLOYING.md, "Live video"). Without a secret and
    # an RTMP URL broadcasting is off and rooms play a pasted stream URL.
    for name, default in (("LIVE_INGEST_SECRET", ""), ("LIVE_RTMP_URL", ""),
                          ("LIVE_HLS_URL", "/hls"), ("LIVE_HLS_DIR", ""),
                          ("LIVE_REPLAY_URL", "/media/replays")):
        app.config.setdefault(name, os.environ.get(name, default))
    # A playlist not rewritten for this long means its stream died (the watchdog ends it).
    app.config.setdefault("LIVE_STALE_SECONDS", int(os.environ.get("LIVE_STALE_SECONDS", "20")))
    # Replays' files are removed after this many days (0 keeps them).
    app.config.setdefault("LIVE_REPLAY_DAYS", int(os.environ.get("LIVE_REPLAY_DAYS", "30")))
    app.register_blueprint(routes.bp)
    _register_audit_names()
    for slot, template in SLOT_PARTIALS.items():
        register_slot(app, slot, template)
    from app.catalog.extras import attached_to_goods
    from app.live.models import LiveRoomItem

    attached_to_goods(LiveRoomItem)
    register_page_data(app, "product", "live", lambda product, **_: (
        services.live_room_presenting(product.id) if product.has_extras else None))
    register_page_data(app, "belt", "live_rooms",
                       lambda belt, **_: services.room_cards(belt_id=belt.id, limit=8))
    register_page_data(app, "portal", "live_rooms",
                       lambda industry, **_: services.room_cards(industry_id=industry.id, limit=8))
    register_page_data(app, "home", "live_rooms", lambda **_: services.room_cards(limit=8))
    register_page_data(app, "shop", "live", lambda merchant, **_: _shop_live(merchant.id))
    app.jinja_env.filters["clocktime"] = clock_time
    app.jinja_env.globals.update(
        room_card=room_card,
        live_shop_of=services.shop_of_user,
        live_stream_kind=services.stream_kind,
        yuan_input=money.input_value,
    )
    for name, job in (("live.prune_viewers", presence.prune),
                      ("live.end_dead_broadcasts", ingest.end_dead_broadcasts),
                      ("live.finalize_replays", replays.finalize_waiting),
                      ("live.expire_replays", replays.expire_old)):
        if name not in dict(tick.JOBS):
            tick.job(name)(job)

    _register_cli(app)


def _register_cli(app: Flask) -> None:
    import click

    @app.cli.command("live-nginx-config")
    @click.option("--app-upstream", default="127.0.0.1:8000", show_default=True,
                  help="host:port of an app server (nginx's callbacks and its proxy).")
    @click.option("--rtmp-port", default=1935, show_default=True)
    @click.option("--http-port", default=8080, show_default=True)
    @click.option("--internal-port", default=19350, show_default=True,
                  help="loopback port of the internal HLS / replay applications")
    @click.option("--workdir", default="/var/lib/yuantou/ingest", show_default=True)
    @click.option("--hls-dir", default="/var/lib/yuantou/hls", show_default=True)
    @click.option("--http-host", default="127.0.0.1", show_default=True,
                  help="interface the HLS / replay HTTP side listens on (for a proxy or CDN)")
    @click.option("--user", default="www-data", show_default=True,
                  help="nginx workers' user (must write the HLS folder and MEDIA_ROOT/replays)")
    def live_nginx_config(app_upstream: str, rtmp_port: int, http_port: int,
                          internal_port: int, workdir: str, hls_dir: str, http_host: str,
                          user: str) -> None:
        """Print the ingest's nginx.conf for this deployment (docs/DEPLOYING.md)."""
        from pathlib import Path

        from flask import current_app

        from app.live.ingest_server import IngestLayout, find_nginx, render_config

        secret = current_app.config.get("LIVE_INGEST_SECRET") or ""
        if not secret:
            raise click.ClickException("set LIVE_INGEST_SECRET first (the app hosts need it too)")
        try:
            module = find_nginx()[1]
        except Exception:  # noqa: BLE001 (printing a config on a machine without nginx)
            module = "/usr/lib/nginx/modules/ngx_rtmp_module.so"
        layout = IngestLayout(
            workdir=Path(workdir), hls_dir=Path(hls_dir),
            replay_dir=Path(current_app.config["MEDIA_ROOT"]) / "replays",
            app_upstream=app_upstream, secret=secret, http_port=http_port,
            rtmp_port=rtmp_port, internal_port=internal_port, http_host=http_host, user=user)
        click.echo(render_config(layout, module))


def _register_audit_names() -> None:
    """How the audit page names live-room moderation (the subject of a mute is a user)."""
    from sqlalchemy import select

    from app.accounts.services import register_audit_action, register_audit_subject
    from app.i18n import N_
    from app.live.comment_models import LiveComment

    for action, label, sentence in (
            ("live.comment_remove", N_("删除弹幕"), N_("%(actor)s 删除了一条弹幕：%(subject)s")),
            ("live.mute", N_("直播间禁言"), N_("%(actor)s 在直播间禁言了 %(subject)s")),
            ("live.unmute", N_("解除直播间禁言"), N_("%(actor)s 解除了 %(subject)s 的禁言"))):
        register_audit_action(action, label, sentence)
    register_audit_subject("live_comment", lambda ids: select(
        LiveComment.id, LiveComment.body).where(LiveComment.id.in_(ids)))
