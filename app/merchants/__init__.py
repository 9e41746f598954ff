from flask import Flask


def init_merchants(app: Flask) -> None:
    from app.merchants import routes, services

    app.register_blueprint(routes.bp)
    app.jinja_env.globals["shop_hotline"] = services.shop_hotline
