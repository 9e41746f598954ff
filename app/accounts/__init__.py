from flask import Flask
from flask_babel import lazy_gettext as _l


def init_accounts(app: Flask) -> None:
    from app import tick
    from app.accounts import routes, services, sessions
    from app.extensions import login_manager
    from app.pagecache import register_distinct_viewer

    login_manager.login_view = "accounts.signin"
    login_manager.login_message = _l("请先登录。")
    login_manager.login_message_category = "info"
    # "basic": phones change IP all the time; a strong check would sign buyers out mid-checkout.
    # What ends a session is the server's session row (app.accounts.sessions), not the address.
    login_manager.session_protection = "basic"
    login_manager.user_loader(sessions.load_user)
    sessions.register_viewer_count("unread_notifications", services.unread_count_of)
    # Operators and belt admins see more on the public pages (review links): never a shared copy.
    sessions.register_viewer_count("belt_roles", services.belt_roles_of)
    register_distinct_viewer(app, lambda user: user.is_operator or sessions.viewer_count(
        user, "belt_roles") != 0)
    if not any(name == "accounts.purge_sessions" for name, _fn in tick.JOBS):
        tick.job("accounts.purge_sessions")(sessions.purge_expired)
    app.register_blueprint(routes.bp)
    app.jinja_env.globals["audit_action_label"] = services.audit_action_label

    @app.context_processor
    def account_context():
        from flask_login import current_user

        unread = 0
        if current_user.is_authenticated:
            unread = sessions.viewer_count(current_user, "unread_notifications")
            if unread is None:
                unread = services.unread_count(current_user.id)
        return {"unread_notifications": unread}
