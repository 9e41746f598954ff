"""The campaign's sale phase: leaderboards (巅峰榜 / 潜力榜 / 行业分榜), live vouchers
(直播购物券) and the sales kings (卖货王) crowned at the end (see docs/FLASH.md)."""
from __future__ import annotations

from flask import Flask


def init_sale(app: Flask) -> None:
    from app.accounts.services import register_audit_action
    from app.campaigns.services import register_venue_data
    from app.catalog.reference import VENUE_GROUPS
    from app.i18n import N_
    from app.pagedata import register_page_data
    from app.sale import leaderboards, results, vouchers
    from app.sale.routes import bp
    from app.slots import register_slot

    app.config.setdefault("LEADERBOARD_CACHE_SECONDS", 0 if app.testing else 20)
    app.config.setdefault("LEADERBOARD_POTENTIAL_MAX_BEFORE_FEN", 5_000_000)  # ¥50,000
    app.config.setdefault("LEADERBOARD_POTENTIAL_MIN_BASE_FEN", 50_000)  # ¥500: the rate's floor
    app.register_blueprint(bp)
    for slot, template in (("shop_header", "sale/_shop_kings.html"),
                           ("live_room_top", "sale/_room_kings.html"),
                           ("live_room_top", "sale/_room_voucher.html"),
                           ("venue_sections", "sale/_venue_boards.html"),
                           ("account_menu", "sale/_account_menu.html")):
        register_slot(app, slot, template)

    def industry_label(slug: str) -> str:
        """The industry's name in the page's language, from the cached reference data (a 卖货王
        title on a shop page or live room costs no query)."""
        from flask import g

        from app.catalog.names import industry_name
        from app.catalog.services import industry_tiles

        tiles = g.get("yt_industry_tiles")
        if tiles is None:
            tiles = g.yt_industry_tiles = {tile.slug: tile for tile in industry_tiles()}
        industry = tiles.get(slug)
        return industry_name(industry) if industry is not None else slug

    app.jinja_env.globals.update(
        industry_label=industry_label,
        board_names=leaderboards.BOARD_NAMES,
        board_hint=leaderboards.hint_of, groups_of_venue=VENUE_GROUPS)
    register_venue_data("sale", results.venue_results)  # an ended venue's results and winners
    register_page_data(app, "shop", "kings", lambda merchant, **_: leaderboards.shown_titles(
        merchant.id))
    register_page_data(app, "live_room", "kings",
                       lambda room, **_: leaderboards.shown_titles(room.merchant_id))
    register_page_data(app, "live_room", "voucher",
                       lambda room, viewer, **_: vouchers.room_offer(room, viewer))
    for action, label, sentence in (
            ("campaign.vouchers", N_("设置直播购物券"), N_("%(actor)s 设置了 %(subject)s 的直播购物券")),
            ("campaign.finalize", N_("评选卖货王"), N_("%(actor)s 评出了 %(subject)s 的卖货王"))):
        register_audit_action(action, label, sentence)
