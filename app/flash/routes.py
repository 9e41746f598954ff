"""Flash sales (直播秒杀): the buyer's page and its polled panel, 立即抢购, and the merchant /
operator pages that schedule, edit and cancel sales. Thin: parse, call a service, render."""
from __future__ import annotations

import time
from functools import lru_cache

from flask import (
    Blueprint,
    abort,
    after_this_request,
    current_app,
    flash,
    make_response,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.catalog.models import Product
from app.catalog.services import listable_products
from app.exceptions import DomainError
from app.extensions import csrf, db, limiter
from app.flash import buy as flash_buy
from app.flash import door
from app.flash import services as flash_sales
from app.flash.forms import FlashSaleForm
from app.flash.views import view_of
from app.forms import attach_error, form_posts_only
from app.i18n import html_lang, locale_code
from app.inputs import parse_int
from app.rendering import is_htmx, polled, render_page

bp = Blueprint("flash", __name__)
form_posts_only(bp)


def session_buyer_id() -> int | None:
    """The signed-in buyer's id from the signed session cookie, without loading the account
    (Flask-Login keeps "id:version" there): 立即抢购's refusals need nothing more."""
    raw = str(session.get("_user_id") or "")
    user_id = raw.partition(":")[0]
    return int(user_id) if user_id.isdigit() else None


def buyer_key() -> str:
    """Rate limits per signed-in buyer (many buyers share a mobile carrier's address)."""
    buyer_id = session_buyer_id()
    if buyer_id is not None:
        return f"flash-buyer:{buyer_id}"
    return f"ip:{request.remote_addr}"


def buy_limit() -> str:
    return current_app.config["RATELIMIT_FLASH"]


# --- buyers -------------------------------------------------------------------------------

def _visible_sale(sale_id: int):
    try:
        sale = flash_sales.get_sale(sale_id)
    except DomainError:
        abort(404)
    if not (flash_sales.is_visible(sale) or flash_sales.may_manage(current_user, sale)):
        abort(404)
    return sale


def _page(sale, status: int = 200, error: str | None = None):
    view = view_of(sale)
    return render_page("flash/page.html", status=status, view=view, error=error,
                       etag=view.etag(locale_code()))


@bp.get("/flash/<id:sale_id>")
def sale_page(sale_id: int):
    """The sale's page. htmx polls its panel (and asks again when the countdown reaches zero);
    the ETag comes from the server's state, so nothing changed answers 304."""
    sale = _visible_sale(sale_id)
    view = view_of(sale, with_key=False)
    tag = view.etag(locale_code())
    if is_htmx():
        return polled(tag, lambda: render_page("flash/page.html", "flash_panel",
                                               view=view_of(sale), etag=tag))
    return _page(sale)


@bp.post("/flash/<id:sale_id>/buy")
@csrf.exempt  # checked below, once the press is known to matter
@limiter.exempt  # limited below (RATELIMIT_FLASH), in one round trip
def buy(sale_id: int):
    """立即抢购. In a rush most presses come after the units are gone: they are refused from
    the sale's ticket (a small cached page: no database, no account, no CSRF check — the
    refusal changes nothing — no rate-limit counter). The rest pass the CSRF check, are rate
    limited per buyer, pass the Redis gate, and the admitted ones place a real order."""
    buyer_id = session_buyer_id()
    if buyer_id is None:
        return current_app.login_manager.unauthorized()
    try:
        flash_buy.refuse_closed(sale_id)
    except flash_buy.Closed as error:
        door.remember(request.environ, error)  # the next presses are answered at the door
        return _refused(sale_id, error)
    except DomainError as error:
        return _refused(sale_id, error)
    _check_csrf()
    _rate_limit()
    return _buy(sale_id, buyer_id)


def _check_csrf() -> None:
    """What CSRFProtect's before_request does for every other form post (400 when wrong)."""
    config = current_app.config
    if config.get("WTF_CSRF_ENABLED", True) and config.get("WTF_CSRF_CHECK_DEFAULT", True):
        csrf.protect()


@lru_cache(maxsize=16)
def _parsed_limits(text: str):
    from limits import parse_many

    return tuple(parse_many(text))


def _rate_limit() -> None:
    """RATELIMIT_FLASH per buyer, counted by the limiter's own storage and strategy in one
    round trip per limit (Flask-Limiter's decorator adds two more for X-RateLimit headers,
    which nothing reads on a form post answered by a redirect). Over the limit: 429."""
    from werkzeug.exceptions import TooManyRequests

    if not limiter.enabled:
        return
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX", "")
    key = buyer_key()
    for item in _parsed_limits(buy_limit()):
        if not limiter.limiter.hit(item, prefix, "flash.buy", key):
            reset_at, _left = limiter.limiter.get_window_stats(item, prefix, "flash.buy", key)
            raise TooManyRequests(retry_after=max(int(reset_at - time.time()), 1))


def _buy(sale_id: int, buyer_id: int):
    form = request.form
    quantity = parse_int(form.get("quantity"), minimum=-1000, maximum=1000)
    price_fen = parse_int(form.get("price_fen"), minimum=0)
    try:
        admission = flash_buy.admit(sale_id, buyer_id, quantity, price_fen)
    except DomainError as error:
        return _refused(sale_id, error)
    try:
        placed, _created = flash_buy.buy_flash(current_user, sale_id, flash_buy.FlashBuy(
            quantity=quantity, price_fen=price_fen, idempotency_key=form.get("key", ""),
            address_id=parse_int(form.get("address_id"), minimum=1),
            payment_method=form.get("payment_method") or None), admission,
            later=_after_the_answer)
    except DomainError as error:
        db.session.rollback()
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        return _page(_visible_sale(sale_id), status=error.status, error=error.message)
    order = placed.orders[0]
    if order.status == "pending_payment":
        flash(_("抢到了！请在订单取消前完成付款。"), "success")
        return redirect(url_for("orders.pay", checkout_id=placed.id), code=303)
    flash(_("抢到了！商家会尽快发货。"), "success")
    return redirect(url_for("orders.order_detail", order_id=order.id), code=303)


def _after_the_answer(step) -> None:
    """Run `step` once the response has been sent (the buyer's latency does not wait for
    it), in an application context of its own."""
    app = current_app._get_current_object()

    def run() -> None:
        with app.app_context():
            step()

    @after_this_request
    def schedule(response):
        response.call_on_close(run)
        return response


@lru_cache(maxsize=512)
def _refusal_page(sale_id: int, message: str, lang: str) -> str:
    """In a rush thousands of presses get the same few words: render each once per process.
    The page holds nothing of the buyer's (the message is already in `lang`)."""
    template = current_app.jinja_env.get_template("flash/refused.html")
    return template.render(message=message, sale_id=sale_id, lang=lang,
                           back=url_for("flash.sale_page", sale_id=sale_id))


def _refused(sale_id: int, error: DomainError):
    """A refusal before the database: a small page (no account, no query), the reason and
    the way back to the sale's page, which shows the true state."""
    if error.status == 404:
        abort(404)
    response = make_response(_refusal_page(sale_id, str(error.message), html_lang()),
                             error.status)
    response.headers["Cache-Control"] = "no-store"
    return response


# --- merchants and operators --------------------------------------------------------------

def _product_choices() -> list[Product]:
    """A merchant picks among its own listed goods; operators type a product number."""
    from app.merchants.services import shop_of

    if current_user.is_operator:
        return []
    shop = shop_of(current_user.id)
    if shop is None:
        return []
    return list(db.session.scalars(listable_products().where(Product.merchant_id == shop.id)
                                   .order_by(Product.created_at.desc()).limit(200)))


@bp.get("/sell/flash")
@login_required
def manage():
    sales = flash_sales.managed_sales(current_user)
    from app import clock

    now = clock.now()
    return render_page("flash/manage.html", sales=sales, now=now,
                       states={s.id: flash_sales.sale_state(s, now) for s in sales})


def _form_page(form: FlashSaleForm, sale=None, status: int = 200):
    return render_page("flash/form.html", status=status, form=form, sale=sale,
                       goods=_product_choices(), is_operator=current_user.is_operator)


@bp.route("/sell/flash/new", methods=["GET", "POST"])
@login_required
def new():
    if request.method == "GET":
        form = FlashSaleForm(formdata=None, product_id=request.args.get("product_id", ""))
        flash_sales.managed_sales(current_user, limit=1)  # 403 for someone without a shop
        return _form_page(form)
    form = FlashSaleForm()
    if not form.validate_on_submit():
        return _form_page(form, status=400)
    try:
        sale = flash_sales.schedule_flash_sale(current_user, form.draft())
    except DomainError as error:
        attach_error(form, error)
        return _form_page(form, status=error.status)
    flash(_("秒杀已设置，到点自动开抢。"), "success")
    return redirect(url_for("flash.sale_page", sale_id=sale.id), code=303)


@bp.route("/sell/flash/<id:sale_id>/edit", methods=["GET", "POST"])
@login_required
def edit(sale_id: int):
    sale = flash_sales.get_sale(sale_id)
    flash_sales.require_manager(current_user, sale)
    if request.method == "GET":
        return _form_page(FlashSaleForm.of(sale), sale)
    form = FlashSaleForm()
    form.product_id.data = str(sale.product_id)  # a sale stays on its product
    if not form.validate_on_submit():
        return _form_page(form, sale, status=400)
    try:
        flash_sales.update_flash_sale(current_user, sale.id, form.draft())
    except DomainError as error:
        attach_error(form, error)
        return _form_page(form, sale, status=error.status)
    flash(_("秒杀已修改。"), "success")
    return redirect(url_for("flash.sale_page", sale_id=sale.id), code=303)


@bp.post("/sell/flash/<id:sale_id>/cancel")
@login_required
def cancel(sale_id: int):
    flash_sales.cancel_flash_sale(current_user, sale_id)
    flash(_("秒杀已取消。"), "success")
    return redirect(url_for("flash.manage"), code=303)
