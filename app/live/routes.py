"""Live rooms: the buyer's room page (with its polled live part), the anchor's console and
闪电购. Routes parse and render; app.live.services / console / lightning hold the rules."""
from __future__ import annotations

import secrets

from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from limits import parse_many
from sqlalchemy import select

from app.catalog.listing import MAX_STOCK, ProductDraft
from app.catalog.models import Category, Product
from app.exceptions import DomainError, InvalidInput
from app.extensions import db, limiter
from app.forms import attach_error
from app.i18n import locale_code
from app.inputs import parse_int
from app.live import chat_feed, console, ingest, lightning, presence, replays, services
from app.live.forms import QuickListForm, RoomForm, local_input, parse_price, parse_stock
from app.live.models import LiveRoom
from app.media import ImageRejected, read_upload
from app.pagedata import Parts, gather
from app.rendering import polled, render_page, requested_fragment
from app.security import player_csp

bp = Blueprint("live", __name__)

LIVE_FRAGMENTS = {"live-state": "live_state"}


# --- buyers -------------------------------------------------------------------------------

@bp.get("/live")
def directory():
    return render_page("live/index.html",
                       all_cards=services.room_cards(include_ended=True, limit=60))


VIEWER_SESSION_KEY = "live_viewer"


def viewer_key() -> str | None:
    """Who is watching, for live.presence: 'u42' for a signed-in user (from the signed
    session, without loading the account); 'b<random>' for a browser that came back with the
    id it was given; None for a first request (it gets an id, but a client that drops cookies
    would be a new viewer each time)."""
    user_id = str(session.get("_user_id") or "").partition(":")[0]
    if user_id.isdigit():
        return f"u{user_id}"
    if current_user.is_authenticated:  # signed in by a remember-me cookie
        return f"u{current_user.id}"
    token = session.get(VIEWER_SESSION_KEY)
    if isinstance(token, str) and 0 < len(token) <= 30:
        return f"b{token}"
    session[VIEWER_SESSION_KEY] = secrets.token_urlsafe(12)
    return None


def _is_owner(room: LiveRoom) -> bool:
    return services.is_room_owner(current_user, room)


@bp.get("/live/<id:room_id>")
def room(room_id: int):
    """The live room. Its live part (status, 讲解中, 小黄车) is polled by htmx: the ETag comes
    from the room's state, so an unchanged room answers 304 without rendering anything."""
    found = services.room_page(current_user, room_id)
    if found is None:
        abort(404)
    room, stored_chat = found
    if room.is_live and presence.touch(room.id, viewer_key()):
        db.session.commit()  # end the read snapshot so the count includes this viewer
    goods = services.room_goods_state(room.id)  # the 小黄车 and the ETag's rows: one query
    tag = services.state_tag(room, locale_code(), goods)
    if requested_fragment(LIVE_FRAGMENTS) == "live_state":
        return polled(tag, lambda: render_room(room, etag=tag, fragment=True, goods=goods))
    return render_room(room, etag=tag, goods=goods, stored_chat=stored_chat)


def render_room(room: LiveRoom, *, status: int = 200, etag: str | None = None,
                chat: chat_feed.ChatView | None = None, fragment: bool = False,
                goods: services.RoomGoods | None = None,
                stored_chat: chat_feed.StoredState | None = None):
    """The room page, or (polled) its live part; `chat` when a comment or like came back
    refused (the panel says why). `goods` and `stored_chat`: what the route has read already."""
    goods = goods or services.room_goods_state(room.id)
    broadcasts = replays.room_broadcasts(room.id)  # on air, and the replays listed below
    view = services.room_view(room, broadcasts, goods)
    # Other domains' parts (flash sales, coupons, tasks, vouchers, titles, the hotline) are
    # laid out outside the polled fragment: gathered for the whole page only.
    parts = Parts() if fragment else gather("live_room", room=room, viewer=current_user)
    response = render_page(
        "live/room.html", LIVE_FRAGMENTS if fragment else None, status=status, room=room,
        parts=parts,
        view=view, stage=view.stage, etag=etag or services.state_tag(room, locale_code(), goods),
        is_owner=_is_owner(room), poll_seconds=_poll_seconds(room),
        replays=broadcasts[1],
        chat=None if fragment else chat or chat_feed.chat_view(room, stored=stored_chat))
    response.headers["Content-Security-Policy"] = player_csp(view.stage.src)
    return response


def _poll_seconds(room: LiveRoom) -> int:
    seconds = current_app.config["LIVE_POLL_SECONDS"]
    return seconds if room.status != "ended" else max(seconds, 30)


# --- the anchor's console -----------------------------------------------------------------

def _room_form(room: LiveRoom | None = None, **kwargs) -> RoomForm:
    if room is None:
        return RoomForm(**kwargs)
    return RoomForm(formdata=None, title=room.title, stream_url=room.stream_url,
                    scheduled_start=local_input(room.scheduled_start))


def render_console(room: LiveRoom, *, status: int = 200, notice: str | None = None,
                   error: DomainError | None = None, typed: dict | None = None,
                   settings: RoomForm | None = None, new_key: str | None = None):
    if settings is None:
        settings = _room_form(room)
        if error is not None and error.field in ("title", "scheduled_start", "stream_url"):
            attach_error(settings, error)
    broadcast = ingest.on_air(room.id)
    return render_page(
        "live/console.html", "console", status=status, room=room,
        goods=console.console_goods(room), addable=console.shop_goods_not_in_room(room),
        viewers=presence.count(room.id) if room.is_live else 0, settings=settings,
        notice=notice, error=error, typed=typed or {}, max_stock=MAX_STOCK,
        ingest=ingest.settings(), broadcast=broadcast, new_key=new_key,
        push_alive=broadcast is not None and not ingest.is_dead(broadcast),
        replays=replays.replays_of_room(room.id, limit=10))


@bp.route("/live/console", methods=["GET", "POST"])
@login_required
def console_page():
    shop = services.own_shop(current_user)
    room = services.room_of_shop(shop.id)
    if room is not None:
        if request.method == "POST":
            return redirect(url_for("live.console_page"), code=303)
        return render_console(room)
    form = RoomForm()
    status = 200
    if form.validate_on_submit():
        try:
            console.open_room(current_user, form.title.data, form.start_at,
                              form.stream_url.data or "")
        except DomainError as error:
            attach_error(form, error)
            status = error.status
        else:
            flash(_("直播间已开通。"), "success")
            return redirect(url_for("live.console_page"), code=303)
    elif request.method == "POST":
        status = 400
    return render_page("live/open.html", form=form, shop=shop, status=status)


def _done(room_id: int, message: str):
    if requested_fragment("console"):
        db.session.expire_all()
        return render_console(services.get_room(room_id), notice=message)
    flash(message, "success")
    return redirect(url_for("live.console_page"), code=303)


def _failed(room_id: int, error: DomainError, typed: dict | None = None,
            settings: RoomForm | None = None):
    """The owner's own mistake comes back in the console; anyone else gets the error page."""
    db.session.rollback()
    room = services.get_room(room_id)
    if room is None or not _is_owner(room):
        raise error
    if error.field not in ("stock", "price"):
        typed = None  # not about what was typed in an item's field: say it above the list
    return render_console(room, status=error.status, error=error, typed=typed,
                          settings=settings)


def _product_id() -> int:
    product_id = parse_int(request.form.get("product_id"), minimum=1)
    if product_id is None:
        raise InvalidInput(_("请选择商品。"), field="product")
    return product_id


@bp.post("/live/<id:room_id>/settings")
@login_required
def settings(room_id: int):
    form = RoomForm()
    if not form.validate():
        name, messages = next(iter(form.errors.items()))
        return _failed(room_id, InvalidInput(messages[0], field=name), settings=form)
    try:
        console.update_room(current_user, room_id, form.title.data, form.start_at,
                            form.stream_url.data or "")
    except DomainError as error:
        attach_error(form, error)
        return _failed(room_id, error, settings=form)
    return _done(room_id, _("直播间设置已保存。"))


@bp.post("/live/<id:room_id>/start")
@login_required
def start(room_id: int):
    try:
        console.go_live(current_user, room_id)
    except DomainError as error:
        return _failed(room_id, error)
    return _done(room_id, _("已开播，买家现在能看到你的直播间。"))


@bp.post("/live/<id:room_id>/end")
@login_required
def end(room_id: int):
    try:
        console.end_live(current_user, room_id)
    except DomainError as error:
        return _failed(room_id, error)
    return _done(room_id, _("已下播。"))


@bp.post("/live/<id:room_id>/pin")
@login_required
def pin(room_id: int):
    try:
        console.pin(current_user, room_id, _product_id())
    except DomainError as error:
        return _failed(room_id, error)
    return _done(room_id, _("已置顶讲解。"))


@bp.post("/live/<id:room_id>/unpin")
@login_required
def unpin(room_id: int):
    try:
        console.unpin(current_user, room_id)
    except DomainError as error:
        return _failed(room_id, error)
    return _done(room_id, _("已取消讲解。"))


@bp.post("/live/<id:room_id>/goods")
@login_required
def add_goods(room_id: int):
    try:
        console.add_goods(current_user, room_id, _product_id())
    except DomainError as error:
        return _failed(room_id, error)
    return _done(room_id, _("已加入小黄车。"))


@bp.post("/live/<id:room_id>/goods/<id:product_id>/remove")
@login_required
def remove_goods(room_id: int, product_id: int):
    try:
        console.remove_goods(current_user, room_id, product_id)
    except DomainError as error:
        return _failed(room_id, error)
    return _done(room_id, _("已移出小黄车。"))


@bp.post("/live/<id:room_id>/goods/<id:product_id>/move")
@login_required
def move_goods(room_id: int, product_id: int):
    try:
        console.move_goods(current_user, room_id, product_id,
                           (request.form.get("direction") or "")[:10])
    except DomainError as error:
        return _failed(room_id, error)
    return _done(room_id, _("顺序已调整。"))


@bp.post("/live/<id:room_id>/goods/<id:product_id>/stock")
@login_required
def stock(room_id: int, product_id: int):
    """Quick buttons send `delta` (+1, +10, −1); the field sends a counted `stock`."""
    raw_delta = request.form.get("delta")
    raw = request.form.get("stock", "")
    typed = {"product_id": product_id, "field": "delta" if raw_delta is not None else "stock",
             "value": raw[:20]}
    try:
        if raw_delta is not None:
            delta = parse_int(raw_delta, minimum=-MAX_STOCK, maximum=MAX_STOCK)
            if delta is None or delta == 0:
                raise InvalidInput(_("库存调整数量无效。"), field="stock")
            product = console.adjust_goods_stock(current_user, room_id, product_id, delta)
        else:
            try:
                count = parse_stock(raw)
            except ValueError as problem:
                raise InvalidInput(str(problem), field="stock") from None
            product = console.set_goods_stock(current_user, room_id, product_id, count)
    except DomainError as error:
        return _failed(room_id, error, typed=typed)
    return _done(room_id, _("%(title)s 库存现为 %(n)d 件。", title=product.title, n=product.stock))


@bp.post("/live/<id:room_id>/goods/<id:product_id>/price")
@login_required
def price(room_id: int, product_id: int):
    raw = request.form.get("price", "")
    typed = {"product_id": product_id, "field": "price", "value": raw[:20]}
    try:
        try:
            price_fen = parse_price(raw)
        except ValueError as problem:
            raise InvalidInput(str(problem), field="price") from None
        product = console.set_goods_price(current_user, room_id, product_id, price_fen)
    except DomainError as error:
        return _failed(room_id, error, typed=typed)
    return _done(room_id, _("%(title)s 已改价。", title=product.title))


# --- 闪电购 --------------------------------------------------------------------------------

@bp.url_value_preprocessor
def _allow_large_photos(endpoint, values):
    """闪电购 reads up to LIVE_UPLOAD_MAX_BODY so that a photo over 15 MB gets the form back
    with a clear message and everything typed, instead of a bare 413. This runs before the
    CSRF check parses the form, which is why it is not in the view."""
    if endpoint == "live.quick" and request.method == "POST":
        request.max_content_length = current_app.config["LIVE_UPLOAD_MAX_BODY"]


def _within_rate_limit() -> bool:
    if not limiter.enabled:
        return True
    key = f"user:{current_user.id}"
    return all(limiter.limiter.hit(item, "live.quick", key)
               for item in parse_many(current_app.config["RATELIMIT_LIGHTNING"]))


def _quick_form(shop, data=None) -> QuickListForm:
    """The form; `data` gives a fresh one (after a listing) instead of what was posted."""
    form = QuickListForm(formdata=None, data=data) if data is not None else QuickListForm()
    categories = db.session.scalars(
        select(Category).where(Category.industry_id == shop.industry_id)
        .order_by(Category.position, Category.id))
    form.category.choices = [("", _("不选类目"))] + [(str(c.id), _(c.name)) for c in categories]
    return form


def _listed(shop, room: LiveRoom | None, product_id: int | None) -> dict | None:
    """What to show about a just-listed product (only the shop's own)."""
    if product_id is None:
        return None
    product = db.session.get(Product, product_id)
    if product is None or product.merchant_id != shop.id:
        return None
    number, pinned = (services.cart_number(room, product.id) if room is not None
                      else (None, False))
    return {"product": product, "number": number, "pinned": pinned}


def _take_photo(form: QuickListForm) -> int:
    """Stage the uploaded photo, or keep the one staged by an earlier try (its signed token
    rides in the form). 200, or the status of what was wrong with the photo."""
    upload = request.files.get("photo")
    if upload is None or not upload.filename:
        if lightning.staged_photo(form.photo_token.data) is None:
            attach_error(form, InvalidInput(_("请拍一张商品照片。"), field="photo"))
            return 400
        return 200
    try:
        staged = lightning.stage_photo(current_user, read_upload(
            upload.stream, current_app.config["MAX_IMAGE_BYTES"]))
    except ImageRejected as rejected:
        error: DomainError = lightning.photo_error(rejected)
    except DomainError as refused:
        error = refused
    else:
        form.photo_token.data = staged.token
        return 200
    form.photo_token.data = ""
    attach_error(form, error)
    return error.status


@bp.route("/sell/quick", methods=["GET", "POST"])
@login_required
def quick():
    shop = services.own_shop(current_user)
    room = services.room_of_shop(shop.id)
    form = _quick_form(shop)
    if request.method == "GET":
        listed = _listed(shop, room, parse_int(request.args.get("listed"), minimum=1))
        return render_page("live/quick.html", "quick", form=form, shop=shop, room=room,
                           listed=listed)
    if not _within_rate_limit():
        form.form_errors.append(_("上架太频繁了，请稍等一分钟再试。"))
        return render_page("live/quick.html", "quick", form=form, shop=shop, room=room,
                           listed=None, status=429)
    fields_ok = form.validate()
    status = _take_photo(form)
    if fields_ok and status == 200:
        draft = ProductDraft(title=form.title.data or "", price_fen=form.price_fen or 0,
                             stock=form.stock_count if form.stock_count is not None else -1,
                             category_id=form.category_id)
        try:
            result = lightning.list_lightning(current_user, draft, form.photo_token.data,
                                              pin=form.pin.data)
        except DomainError as error:
            attach_error(form, error)
            status = error.status
        else:
            if not requested_fragment("quick"):
                flash(_("已上架：%(title)s", title=result.product.title), "success")
                return redirect(url_for("live.quick", listed=result.product.id), code=303)
            db.session.expire_all()
            room = services.room_of_shop(shop.id)
            fresh = _quick_form(shop, data={  # ready for the next one, same choices
                "pin": form.pin.data or not (room and room.is_live), "category": form.category.data or ""})
            return render_page("live/quick.html", "quick", form=fresh, shop=shop, room=room,
                               listed=_listed(shop, room, result.product.id))
    if status == 200:
        status = 400
    return render_page("live/quick.html", "quick", form=form, shop=shop, room=room,
                       listed=None, status=status, photo_kept=lightning.staged_photo(
                           form.photo_token.data))

