"""Buyer pages: cart, checkout, payment, my orders, reviews and the address book.
Thin: parse, call one service, render (the order desk and admin pages are in desk_routes)."""
from __future__ import annotations

import hashlib
import re

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    request,
    session,
    url_for,
)
from flask import g as request_globals
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_block

from app import clock
from app.core import safe_next
from app.exceptions import DomainError
from app.extensions import limiter
from app.forms import attach_error, form_posts_only
from app.orders import addresses, cart, checkout, orders, payments, reviews
from app.orders.forms import AddressForm, CartForm, CheckoutForm, EmptyForm, ReasonForm, ReviewForm
from app.orders.repeats import RepeatOrder
from app.ratelimits import buyer_key, grab_limit
from app.rendering import is_htmx, polled, render_page

bp = Blueprint("orders", __name__)
INT_RE = re.compile(r"^\s*-?\d{1,12}\s*$")


def as_int(raw: str | None) -> int | None:
    """A whole number as typed (negative and huge ones included, so the service can say
    what is wrong with them); None for anything that is not a number."""
    if raw is None or not INT_RE.match(raw):
        return None
    return int(raw)




form_posts_only(bp)


# --- cart ---------------------------------------------------------------------------------

def guest_cart() -> cart.GuestCart:
    """The anonymous visitor's cart, from the signed session (read once per request; a
    signed-in buyer's cart is in the database)."""
    if "orders_guest_cart" not in request_globals:
        request_globals.orders_guest_cart = cart.GuestCart.load(session.get(cart.SESSION_KEY))
    return request_globals.orders_guest_cart


def keep_guest_cart() -> None:
    """After a change: the anonymous visitor's cart back into the session."""
    if not current_user.is_authenticated:
        session[cart.SESSION_KEY] = dict(guest_cart())
        session.modified = True


def merge_guest_cart_at_sign_in(sender, user, **extra) -> None:
    """Flask-Login's user_logged_in: the visitor's cart joins the account's."""
    guest = cart.GuestCart.load(session.get(cart.SESSION_KEY))
    if guest:
        session.pop(cart.SESSION_KEY, None)
        request_globals.pop("orders_guest_cart", None)
        cart.merge_guest_cart(user, guest)


def _cart_page(status: int = 200, error: str | None = None, fragment=None):
    view = cart.priced_cart(current_user, clock.now(), guest_cart())
    return render_page("orders/cart.html", fragment, status=status, groups=view.groups,
                       view=view, error=error, form=EmptyForm())


@bp.get("/cart")
def cart_page():
    return _cart_page(fragment="cart_body")


@bp.get("/cart/stock")
def cart_stock():
    """The cart's live stock notes (htmx polls them); 304 while nothing changed."""
    groups = cart.cart_groups(current_user, guest_cart())
    state = [(ln.product.id, ln.product.stock, ln.product.status, ln.product.merchant.status,
              ln.quantity) for g in groups for ln in g.lines]
    tag = hashlib.sha256(repr(state).encode()).hexdigest()[:20]
    return polled(tag, lambda: make_response(
        render_block("orders/cart.html", "stock_notes", groups=groups)))


@bp.post("/cart/add")
@limiter.limit(grab_limit, key_func=buyer_key)
def cart_add():
    form = CartForm()
    if not form.validate_on_submit():
        abort(400)
    quantity = as_int(form.quantity.data) if form.quantity.data else 1
    try:
        total = cart.add_to_cart(current_user, as_int(form.product_id.data), quantity,
                                 guest_cart())
    except DomainError as error:
        if is_htmx():
            raise
        return _cart_page(error.status, error.message)
    keep_guest_cart()
    message = ngettext("已加入购物车（共 %(num)d 件）", "已加入购物车（共 %(num)d 件）", total)
    if is_htmx():
        return render_page("orders/cart.html", "added", message=message,
                           count=cart.cart_count(current_user, guest_cart()))
    flash(message, "success")
    return redirect(safe_next(form.next.data, url_for("orders.cart_page")), code=303)


@bp.post("/cart/update")
def cart_update():
    form = CartForm()
    if not form.validate_on_submit():
        abort(400)
    product_id = as_int(form.product_id.data)
    try:
        if form.delta.data:
            delta = as_int(form.delta.data)
            current = next((ln.quantity for g in cart.cart_groups(current_user, guest_cart())
                            for ln in g.lines
                            if ln.product.id == product_id), None)
            if delta not in (-1, 1) or current is None:
                abort(400)
            cart.set_quantity(current_user, product_id, current + delta, guest_cart())
        else:
            cart.set_quantity(current_user, product_id, as_int(form.quantity.data), guest_cart())
    except DomainError as error:
        return _cart_page(error.status, error.message, fragment="cart_body")
    keep_guest_cart()
    if is_htmx():
        return _cart_page(fragment="cart_body")
    return redirect(url_for("orders.cart_page"), code=303)


@bp.post("/cart/remove")
def cart_remove():
    form = CartForm()
    if not form.validate_on_submit():
        abort(400)
    cart.remove_from_cart(current_user, [as_int(form.product_id.data)], guest_cart())
    keep_guest_cart()
    if is_htmx():
        return _cart_page(fragment="cart_body")
    return redirect(url_for("orders.cart_page"), code=303)


# --- checkout -----------------------------------------------------------------------------

def _requested_items() -> tuple[list[tuple[int, int]], bool]:
    """Buy now (?product_id=&quantity=) or the cart (all, or the ticked ?pick= lines)."""
    if "product_id" in request.args:
        quantity = as_int(request.args.get("quantity", "1"))
        return [(as_int(request.args.get("product_id")) or 0, quantity)], False
    picked = {as_int(p) for p in request.args.getlist("pick")}
    if request.args.get("from") == "cart" and not picked:
        return [], True  # every line unticked: nothing to check out
    items = [(ln.product.id, ln.quantity) for g in cart.cart_groups(current_user, guest_cart())
             for ln in g.lines if ln.available and (not picked or ln.product.id in picked)]
    return items, True


def _checkout_page(form: CheckoutForm, items, from_cart: bool, status: int = 200,
                   error: str | None = None, repeat: RepeatOrder | None = None):
    plan = None
    try:
        plan = checkout.preview_checkout(current_user, items)
    except DomainError as problem:
        error = error or problem.message
        status = status if status != 200 else problem.status
    book = addresses.addresses_of(current_user)
    if plan is not None:
        form.lines.data = checkout.format_lines(plan.items)
        form.expected_total.data = str(plan.total_fen)
    form.from_cart.data = "1" if from_cart else ""
    if not form.key.data:
        form.key.data = checkout.new_idempotency_key()
    chosen_address = as_int(form.address_id.data) or next(
        (a.id for a in book if a.is_default), None)
    return render_page(
        "orders/checkout.html", status=status, form=form, plan=plan, error=error,
        addresses=book, chosen_address=chosen_address, providers=payments.available_providers(),
        chosen_method=form.payment_method.data or "cod",
        minutes=current_app.config["ORDER_PAYMENT_MINUTES"], repeat=repeat,
        back_url=request.full_path if request.method == "GET" else url_for("orders.checkout_page"),
    )


@bp.get("/checkout")
@login_required
def checkout_page():
    items, from_cart = _requested_items()
    if not items:
        flash(_("购物车里没有可以结算的商品。"), "info")
        return redirect(url_for("orders.cart_page"), code=303)
    return _checkout_page(CheckoutForm(formdata=None), items, from_cart)


@bp.post("/checkout")
@login_required
@limiter.limit(grab_limit, key_func=buyer_key)
def checkout_submit():
    form = CheckoutForm()
    if not form.validate_on_submit():  # field errors (the CSRF check ran before the view)
        return _checkout_page(form, checkout.parse_lines(form.lines.data),
                              form.from_cart.data == "1", status=400)
    try:
        items = checkout.parse_lines(form.lines.data)
        placed, created = checkout.place_checkout(current_user, checkout.CheckoutRequest(
            items=items, address_id=as_int(form.address_id.data),
            payment_method=form.payment_method.data or "",
            idempotency_key=form.key.data or "", expected_total_fen=as_int(
                form.expected_total.data), note=form.note.data or "",
            from_cart=form.from_cart.data == "1",
            ask_if_repeat=form.repeat_confirmed.data != "1"))
    except RepeatOrder as repeat:
        form.repeat_confirmed.data = "1"  # the same page, now asking: submitting it confirms
        return _checkout_page(form, items, form.from_cart.data == "1", status=repeat.status,
                              repeat=repeat)
    except DomainError as error:
        try:
            items = checkout.parse_lines(form.lines.data)
        except DomainError:
            raise error from None  # nothing to show again: the error page says what was wrong
        attach_error(form, error)
        return _checkout_page(form, items, form.from_cart.data == "1", status=error.status,
                              error=error.message)
    provider = payments.PROVIDERS[placed.payment_method]
    if not provider.pays_on_delivery and orders.unpaid_orders(placed):
        return redirect(url_for("orders.pay", checkout_id=placed.id), code=303)
    if created:
        flash(_("下单成功，商家会尽快发货。"), "success")
    else:
        flash(_("这张订单已经提交过了，没有重复下单。"), "info")
    if len(placed.orders) == 1:
        return redirect(url_for("orders.order_detail", order_id=placed.orders[0].id), code=303)
    return redirect(url_for("orders.my_orders"), code=303)


@bp.get("/checkout/<id:checkout_id>/pay")
@login_required
def pay(checkout_id: int):
    placed = orders.get_payable_checkout(current_user, checkout_id)
    due = orders.unpaid_orders(placed)
    return render_page("orders/pay.html", checkout=placed, due=due, form=EmptyForm(),
                       provider=payments.PROVIDERS.get(placed.payment_method),
                       total=sum(o.pay_fen for o in due))


@bp.post("/checkout/<id:checkout_id>/pay")
@login_required
@limiter.limit(grab_limit, key_func=buyer_key)
def pay_submit(checkout_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    placed = orders.get_payable_checkout(current_user, checkout_id)
    paid = orders.pay_checkout(current_user, placed.id, placed.payment_method)
    flash(_("支付成功（沙箱），商家会尽快发货。"), "success")
    if len(paid) == 1:
        return redirect(url_for("orders.order_detail", order_id=paid[0].id), code=303)
    return redirect(url_for("orders.my_orders"), code=303)


# --- my orders ----------------------------------------------------------------------------

def _tab() -> str:
    tab = request.args.get("tab", "all")
    return tab if tab in orders.TABS else "all"


@bp.get("/orders")
@login_required
def my_orders():
    tab = _tab()
    page = as_int(request.args.get("page")) or 1
    listing = orders.buyer_orders(current_user, tab, max(1, min(page, 500)))
    return render_page("orders/orders.html", "listing", listing=listing, tab=tab,
                       counts=orders.tab_counts(buyer_id=current_user.id), now=clock.now())


def _order_page(order, status: int = 200, error: str | None = None, review_form=None):
    return render_page(
        "orders/order.html", status=status, order=order, now=clock.now(), error=error,
        steps=orders.timeline(order), form=EmptyForm(), cancel_form=ReasonForm(),
        review_form=review_form or ReviewForm(formdata=None),
        provider_label=payments.provider_label(order.payment_method),
    )


@bp.get("/orders/<id:order_id>")
@login_required
def order_detail(order_id: int):
    return _order_page(orders.get_buyer_order(current_user, order_id))


@bp.post("/orders/<id:order_id>/cancel")
@login_required
def order_cancel(order_id: int):
    form = ReasonForm()
    if not form.validate_on_submit():
        abort(400)
    orders.cancel_by_buyer(current_user, order_id, form.reason.data or "")
    flash(_("订单已取消。"), "success")
    return redirect(url_for("orders.order_detail", order_id=order_id), code=303)


@bp.post("/orders/<id:order_id>/confirm")
@login_required
def order_confirm(order_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    orders.confirm_receipt(current_user, order_id)
    flash(_("已确认收货，来评价一下这次购物吧。"), "success")
    return redirect(url_for("orders.order_review", order_id=order_id), code=303)


@bp.route("/orders/<id:order_id>/review", methods=["GET", "POST"])
@login_required
def order_review(order_id: int):
    order = orders.get_buyer_order(current_user, order_id)
    form = ReviewForm()
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            status = 400
        else:
            try:
                reviews.submit_review(current_user, order.id, as_int(form.description.data),
                                      as_int(form.service.data), as_int(form.logistics.data),
                                      form.text.data or "")
            except DomainError as error:
                attach_error(form, error)
                status = error.status
            else:
                flash(_("评价成功，谢谢你的反馈！"), "success")
                return redirect(url_for("orders.order_detail", order_id=order.id), code=303)
    return render_page("orders/review.html", status=status, order=order, form=form,
                       dimensions=reviews.DIMENSIONS, now=clock.now())


# --- address book -------------------------------------------------------------------------

def _draft(form: AddressForm) -> addresses.AddressDraft:
    return addresses.AddressDraft(form.recipient.data or "", form.phone.data or "",
                                  form.region.data or "", form.detail.data or "",
                                  bool(form.is_default.data))


@bp.get("/addresses")
@login_required
def address_book():
    return render_page("orders/addresses.html", items=addresses.addresses_of(current_user),
                       form=EmptyForm())


@bp.route("/addresses/new", methods=["GET", "POST"])
@login_required
def address_new():
    form = AddressForm(next=request.args.get("next", ""))
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                addresses.add_address(current_user, _draft(form))
            except DomainError as error:
                attach_error(form, error)
                status = error.status
            else:
                flash(_("收货地址已保存。"), "success")
                return redirect(safe_next(form.next.data, url_for("orders.address_book")),
                                code=303)
        else:
            status = 400
    return render_page("orders/address_form.html", status=status, form=form, address=None)


@bp.route("/addresses/<id:address_id>/edit", methods=["GET", "POST"])
@login_required
def address_edit(address_id: int):
    address = addresses.get_address(current_user, address_id)
    form = AddressForm(obj=address if request.method == "GET" else None,
                       next=request.args.get("next", ""))
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                addresses.update_address(current_user, address.id, _draft(form))
            except DomainError as error:
                attach_error(form, error)
                status = error.status
            else:
                flash(_("收货地址已更新。"), "success")
                return redirect(safe_next(form.next.data, url_for("orders.address_book")),
                                code=303)
        else:
            status = 400
    return render_page("orders/address_form.html", status=status, form=form, address=address)


@bp.post("/addresses/<id:address_id>/delete")
@login_required
def address_delete(address_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    addresses.delete_address(current_user, address_id)
    flash(_("收货地址已删除。"), "success")
    return redirect(url_for("orders.address_book"), code=303)


@bp.post("/addresses/<id:address_id>/default")
@login_required
def address_default(address_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    addresses.set_default(current_user, address_id)
    return redirect(url_for("orders.address_book"), code=303)


from app.orders import desk_routes  # noqa: E402,F401  (the order desk and admin pages)
