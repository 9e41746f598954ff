from flask import Flask


def init_catalog(app: Flask) -> None:
    from app.catalog import routes
    from app.catalog.reference import SOURCE_TYPE_NAMES

    app.register_blueprint(routes.bp)
    app.jinja_env.globals["SOURCE_TYPE_NAMES"] = SOURCE_TYPE_NAMES
