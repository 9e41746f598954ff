import os

from flask import Flask


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw and raw.strip().isdigit() else default


def init_orders(app: Flask) -> None:
    """Cart, checkout, orders, reviews (DSR) and commission."""
    production = app.config.get("YUANTOU_ENV") == "production"
    sandbox = os.environ.get("ORDER_SANDBOX_PAYMENTS", "0" if production else "1") == "1"
    app.config.setdefault("ORDER_PAYMENT_MINUTES", _env_int("ORDER_PAYMENT_MINUTES", 15))
    # A checkout of goods ordered this recently asks "order them again?" (app.orders.repeats).
    app.config.setdefault("ORDER_REPEAT_MINUTES", _env_int("ORDER_REPEAT_MINUTES", 10))
    app.config.setdefault("ORDER_AUTO_CONFIRM_DAYS", _env_int("ORDER_AUTO_CONFIRM_DAYS", 10))
    app.config.setdefault("ORDER_MAX_QUANTITY", _env_int("ORDER_MAX_QUANTITY", 200))
    app.config.setdefault("CART_MAX_LINES", _env_int("CART_MAX_LINES", 50))
    app.config.setdefault("ORDER_DEFAULT_COMMISSION_BP",
                          _env_int("ORDER_DEFAULT_COMMISSION_BP", 500))
    app.config.setdefault("ORDER_PAYMENT_PROVIDERS", ["cod", "sandbox"] if sandbox else ["cod"])

    from flask_login import user_logged_in

    from app import tick
    from app.accounts.sessions import register_viewer_count, viewer_count
    from app.orders import cart, orders, routes
    from app.orders.reviews import dsr_summary
    from app.pagedata import register_page_data
    from app.slots import register_slot

    app.register_blueprint(routes.bp)
    register_viewer_count("cart", cart.cart_count_of)
    for slot, template in (
        ("header_icons", "orders/_header_cart.html"),
        ("tab_bar", "orders/_tab_cart.html"),
        ("product_actions", "orders/_product_actions.html"),
        ("product_extras", "orders/_product_dsr.html"),
        ("shop_header", "orders/_shop_dsr.html"),
        ("account_menu", "orders/_account_menu.html"),
        ("live_item_actions", "orders/_live_item_cart.html"),
    ):
        register_slot(app, slot, template)
    register_page_data(app, "product", "dsr", lambda product, **_: dsr_summary(product.merchant))
    register_page_data(app, "shop", "dsr", lambda merchant, **_: dsr_summary(merchant))

    def current_cart_count() -> int:
        """The cart icon's number, counted once per request (header and tab bar share it)."""
        from flask import g
        from flask_login import current_user

        if "orders_cart_count" not in g:
            count = None
            if current_user.is_authenticated:  # read with the user when it still holds
                count = viewer_count(current_user, "cart")
            g.orders_cart_count = (count if count is not None
                                   else cart.cart_count(current_user, routes.guest_cart()))
        return g.orders_cart_count

    def current_shop_id() -> int | None:
        from flask_login import current_user

        from app.merchants.services import shop_of

        if not current_user.is_authenticated:
            return None
        shop = shop_of(current_user.id)
        return shop.id if shop else None

    app.jinja_env.globals["cart_count"] = current_cart_count
    app.jinja_env.globals["current_shop_id"] = current_shop_id
    app.jinja_env.globals["ORDER_STATUS_NAMES"] = orders.STATUS_NAMES
    app.jinja_env.globals["order_text"] = orders.stored_text

    user_logged_in.connect(routes.merge_guest_cart_at_sign_in, app, weak=False)
    _register_audit_names()

    # The payment timeout and auto-confirm are already true at read time; these jobs give
    # the stock back and record the change (once per process: tests build several apps).
    for name, job in (("orders.expire_unpaid", orders.expire_unpaid_orders),
                      ("orders.auto_confirm", orders.auto_confirm_orders)):
        if not any(existing == name for existing, _fn in tick.JOBS):
            tick.job(name)(job)

    # The merchant dashboard's views → orders conversion counts our orders.
    from app.merchants.stats import register_order_counter

    register_order_counter(orders.count_orders_for_merchant)


def _register_audit_names() -> None:
    """How the audit page names the orders domain's actions and subjects."""
    from sqlalchemy import select

    from app.accounts.services import register_audit_action, register_audit_subject
    from app.i18n import N_
    from app.orders.models import CommissionTier, Order

    for action, label, sentence in (
            ("order.cancel", N_("订单取消"), N_("%(actor)s 取消了订单 %(subject)s")),
            ("order.refund", N_("订单退款"), N_("%(actor)s 为订单 %(subject)s 退了款")),
            ("commission.rate", N_("修改佣金率"), N_("%(actor)s 修改了类目 %(subject)s 的佣金率")),
            ("commission.tier", N_("设置佣金减免档位"),
             N_("%(actor)s 设置了佣金减免档位 %(subject)s")),
            ("commission.tier_delete", N_("删除佣金减免档位"),
             N_("%(actor)s 删除了佣金减免档位 %(subject)s"))):
        register_audit_action(action, label, sentence)
    register_audit_subject("order", lambda ids: select(Order.id, Order.number)
                           .where(Order.id.in_(ids)))
    register_audit_subject("commission_tier", lambda ids: select(
        CommissionTier.id, CommissionTier.name).where(CommissionTier.id.in_(ids)))
