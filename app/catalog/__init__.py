from flask import Flask


def init_catalog(app: Flask) -> None:
    from app.catalog import admin, admin_routes, routes  # noqa: F401 (admin_routes: on the blueprint)
    from app.catalog.names import NAMES
    from app.catalog.reference import SOURCE_TYPE_NAMES

    app.register_blueprint(routes.bp)
    app.jinja_env.globals["SOURCE_TYPE_NAMES"] = SOURCE_TYPE_NAMES
    # industry_name, portal_name, belt_name, belt_place, belt_region: names in the reader's
    # language (app.catalog.names).
    app.jinja_env.globals.update(NAMES)
    app.jinja_env.globals["facets_panel"] = facets_panel
    app.jinja_env.globals["home_directory"] = home_directory
    _register_audit_subjects()
    from app.accounts.services import register_audit_action

    for action, names in admin.AUDIT_LABELS.items():
        register_audit_action(action, *names)
    from app.slots import register_slot

    register_slot(app, "account_menu", "catalog/_account_menu.html")
    _forget_page_reference_on_change()
    _renew_goods_version_on_change()


def _after_commit_of_marked(mark: str, act) -> None:
    """`act()` after the commit of a session whose transaction set `session.info[mark]` (the
    mark is dropped when it rolls back): the one copy of the note-then-act-at-commit rule
    the reference copies and the goods' version share."""
    from flask import has_app_context
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    @event.listens_for(Session, "after_commit")
    def committed(session):
        if session.info.pop(mark, False) and has_app_context():
            act()

    @event.listens_for(Session, "after_soft_rollback")
    def rolled_back(session, _previous):
        session.info.pop(mark, None)


def _forget_page_reference_on_change() -> None:
    """Belt, portal and product pages read their belt, industry or category from a
    per-process copy (services.page_belt): dropped after any commit that changed one."""
    from flask import has_app_context
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from app.catalog.models import Belt, Category, Industry
    from app.catalog.services import forget_page_reference

    if getattr(Session, "_yt_page_reference_listening", False):
        return  # one listener for every app made in this process (tests make many)
    Session._yt_page_reference_listening = True

    @event.listens_for(Session, "after_flush")
    def note(session, _context):
        for row in (*session.new, *session.dirty, *session.deleted):
            if isinstance(row, (Belt, Category, Industry)):
                session.info["yt_page_reference_changed"] = True
                if has_app_context():
                    forget_page_reference()  # and again after the commit (below)
                return

    _after_commit_of_marked("yt_page_reference_changed", forget_page_reference)


def _renew_goods_version_on_change() -> None:
    """Facet counts are kept under the goods' version (services.goods_version): renewed after
    any commit that added or removed goods or changed a counted column (services.
    COUNTED_COLUMNS) through the ORM, row by row or in bulk. A sale (stock, sales) changes no
    count and keeps them. app.merchants.sync marks the session itself when a shop's state
    is copied onto its goods."""
    from sqlalchemy import event
    from sqlalchemy import inspect as sa_inspect
    from sqlalchemy.orm import Session

    from app.catalog.models import Product
    from app.catalog.services import COUNTED_COLUMNS, note_goods_changed, renew_goods_version

    if getattr(Session, "_yt_goods_version_listening", False):
        return  # one listener for every app made in this process (tests make many)
    Session._yt_goods_version_listening = True

    def counted_change(row: Product) -> bool:
        attrs = sa_inspect(row).attrs
        return any(attrs[name].history.has_changes() for name in COUNTED_COLUMNS)

    @event.listens_for(Session, "after_flush")
    def note(session, _context):
        if session.info.get("yt_goods_changed"):
            return
        if any(isinstance(row, Product) for row in (*session.new, *session.deleted)) or any(
                isinstance(row, Product) and counted_change(row) for row in session.dirty):
            note_goods_changed(session)

    @event.listens_for(Session, "do_orm_execute")
    def note_bulk(state):
        if not (state.is_update or state.is_delete or state.is_insert):
            return
        mapper = state.bind_mapper
        if mapper is None or not mapper.isa(sa_inspect(Product)):
            return
        values = getattr(state.statement, "_values", None) or {}
        names = {getattr(key, "key", key) for key in values}
        if not state.is_update or not names or names & COUNTED_COLUMNS:
            note_goods_changed(state.session)

    _after_commit_of_marked("yt_goods_changed", renew_goods_version)


def _register_audit_subjects() -> None:
    """How the audit page names the catalog's rows (in the reader's language)."""
    from sqlalchemy import func, select

    from app.accounts.services import register_audit_subject
    from app.catalog.models import Belt, Category, Industry, Product
    from app.i18n import in_english

    def local(chinese, english):
        return func.coalesce(func.nullif(english, ""), chinese) if in_english() else chinese

    register_audit_subject("category", lambda ids: select(Category.id, Category.name)
                           .where(Category.id.in_(ids)))
    register_audit_subject("product", lambda ids: select(Product.id, Product.title, Product.id)
                           .where(Product.id.in_(ids)), url="/products/{}")
    register_audit_subject("belt", lambda ids: select(Belt.id, local(Belt.name, Belt.name_en),
                                                      Belt.slug).where(Belt.id.in_(ids)),
                           url="/belts/{}")
    register_audit_subject("industry", lambda ids: select(
        Industry.id, local(Industry.name, Industry.name_en), Industry.slug)
        .where(Industry.id.in_(ids)), url="/portals/{}")


def home_directory(part: str, items: list):
    """The home page's portal tiles (`part` "portals": IndustryTile list) or belt chips
    ("belts": BeltSummary list), rendered once per language and data: every value the
    template prints or branches on is in the items (frozen dataclasses of cached reference
    data)."""
    from app.cards import render_partial_once

    return render_partial_once((part, tuple(items)), f"catalog/_home_{part}.html", items=items)


def facets_panel(filter, facets: dict, base_url: str, notes: list, fixed: tuple[str, ...],
                 show_query: bool):
    """A listing's filter form with its counts (catalog/_facets.html), rendered once per
    filter, counts, language and kind of request (a full page or htmx's swap): every value
    the template prints or branches on is in the key (the facets' choices are frozen
    dataclasses with their names)."""
    from flask import request

    from app.cards import render_partial_once

    hx_request = bool(request.headers.get("HX-Request"))
    key = (filter, filter.implied, base_url, tuple(notes), fixed, show_query, hx_request,
           tuple((kind, tuple(choices)) for kind, choices in facets.items()))
    return render_partial_once(key, "catalog/_facets.html", filter=filter, facets=facets,
                               base_url=base_url, notes=notes, fixed=fixed,
                               show_query=show_query, hx_request=hx_request)
