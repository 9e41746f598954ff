from flask import Flask


def init_catalog(app: Flask) -> None:
    from app.catalog import routes
    from app.catalog.names import NAMES
    from app.catalog.reference import SOURCE_TYPE_NAMES

    app.register_blueprint(routes.bp)
    app.jinja_env.globals["SOURCE_TYPE_NAMES"] = SOURCE_TYPE_NAMES
    # industry_name, portal_name, belt_name, belt_place, belt_region: names in the reader's
    # language (app.catalog.names).
    app.jinja_env.globals.update(NAMES)
