"""My goods: the standard add and edit forms, through catalog.listing's services."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.catalog import listing
from app.catalog.models import Category, Product, ProductStatus
from app.exceptions import Conflict, DomainError, InvalidInput
from app.extensions import db
from app.forms import attach_error
from app.inputs import PG_INT_MAX, parse_int
from app.merchants import services
from app.merchants.forms import ProductForm
from app.merchants.models import Merchant
from app.merchants.routes import bp
from app.merchants.uploads import limit_uploads, photos
from app.money import MoneyError, input_value, parse_yuan
from app.rendering import render_page


def categories(shop: Merchant) -> list[tuple[str, str]]:
    rows = db.session.scalars(select(Category).where(Category.industry_id == shop.industry_id)
                              .order_by(Category.position))
    return [("", _("请选择"))] + [(str(c.id), _(c.name)) for c in rows]


def _parse_goods(form: ProductForm) -> tuple[int, int]:
    try:
        price = parse_yuan(form.price.data)
    except MoneyError:
        raise InvalidInput(_("价格请填写金额，如 128 或 128.50。"), field="price") from None
    stock = parse_int(form.stock.data, minimum=0, maximum=listing.MAX_STOCK)
    if stock is None:
        raise InvalidInput(_("库存需为 0–%(max)d 的整数。", max=listing.MAX_STOCK), field="stock")
    return price, stock


@bp.route("/my-shop/goods/new", methods=["GET", "POST"])
@limit_uploads
@login_required
def goods_new():
    shop = services.own_shop(current_user)
    form = ProductForm()
    form.category_id.choices = categories(shop)
    status = 200
    if form.validate_on_submit():
        try:
            price, stock = _parse_goods(form)
            draft = listing.ProductDraft(title=form.title.data, price_fen=price, stock=stock,
                                         description=form.description.data or "",
                                         category_id=form.category_id.data)
            product = listing.create_product(current_user, shop, draft, photos("photos"))
        except DomainError as error:
            attach_error(form, error)
            status = error.status
        else:
            flash(_("“%(title)s”已上架。", title=product.title), "success")
            return redirect(url_for("merchants.dashboard") + "#goods", code=303)
    elif request.method == "POST":
        status = 400
    return render_page("merchants/goods_form.html", form=form, shop=shop, product=None,
                       status=status)


@bp.route("/my-shop/goods/<id:product_id>/edit", methods=["GET", "POST"])
@limit_uploads
@login_required
def goods_edit(product_id: int):
    product = listing.get_owned_product(current_user, product_id)
    shop = product.merchant
    if request.method == "GET":
        form = ProductForm(obj=product, price=input_value(product.price_fen),
                           stock=str(product.stock), stock_seen=str(product.stock))
    else:
        form = ProductForm()
    form.category_id.choices = categories(shop)
    status = 200
    if form.validate_on_submit():
        try:
            _save_goods(form, product)
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
            status = error.status
        else:
            flash(_("“%(title)s”已保存。", title=form.title.data), "success")
            return redirect(url_for("merchants.dashboard") + "#goods", code=303)
    elif request.method == "POST":
        status = 400
    db.session.refresh(product)
    return render_page("merchants/goods_form.html", form=form, shop=shop, product=product,
                       status=status)


def _save_goods(form: ProductForm, product: Product) -> None:
    """Details through update_product; a changed stock figure as a +/- adjustment, so units
    sold while the form was open are not written back (one conditional UPDATE decides).

    Everything that can be refused is checked first (fields, photos by content, shelf state),
    then the stock adjustment (the one step a concurrent sale can refuse), then the details:
    a refusal leaves nothing half-saved."""
    price, typed_stock = _parse_goods(form)
    seen = parse_int(form.stock_seen.data, minimum=0, maximum=PG_INT_MAX)
    description, category_id = form.description.data or "", form.category_id.data
    listing.check_draft(listing.ProductDraft(title=form.title.data, price_fen=price,
                                             stock=typed_stock, description=description,
                                             category_id=category_id), product.merchant)
    if product.status == ProductStatus.delisted:
        raise Conflict(_("商品已被平台下架，不能修改。"))
    new_photos = photos("photos")
    if len(product.photos) + len(new_photos) > listing.MAX_PHOTOS:
        raise InvalidInput(_("最多上传 %(n)d 张照片。", n=listing.MAX_PHOTOS), field="photos")
    listing.store_photos(new_photos)  # by content, before anything is saved (stored by hash, once)
    delta = typed_stock - (seen if seen is not None else typed_stock)
    if delta:
        product = listing.adjust_stock(current_user, product.id, delta)
    draft = listing.ProductDraft(title=form.title.data, price_fen=price,
                                 stock=product.stock,  # as loaded: the UPDATE leaves stock alone
                                 description=description, category_id=category_id)
    listing.update_product(current_user, product.id, draft, new_photos)


@bp.post("/my-shop/goods/<id:product_id>/shelf")
@login_required
def goods_shelf(product_id: int):
    on_shelf = request.form.get("on") == "1"
    product = listing.set_on_shelf(current_user, product_id, on_shelf)
    flash(_("“%(title)s”已上架。", title=product.title) if on_shelf
          else _("“%(title)s”已下架，买家暂时看不到它。", title=product.title), "success")
    return redirect(url_for("merchants.dashboard") + "#goods", code=303)
