"""Forms: they carry the CSRF token and keep what was typed; the services check the values
(with messages naming the field), so a tampered form gets the same clear answer."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Length

from app.orders.orders import CARRIERS


class EmptyForm(FlaskForm):
    """Only the CSRF token: for buttons that POST."""


class CartForm(FlaskForm):
    product_id = HiddenField()
    quantity = StringField(_l("数量"))
    delta = HiddenField()
    next = HiddenField()


class CheckoutForm(FlaskForm):
    lines = HiddenField()
    key = HiddenField()
    expected_total = HiddenField()
    from_cart = HiddenField()
    address_id = HiddenField()
    payment_method = HiddenField()
    repeat_confirmed = HiddenField()  # "1": the buyer said yes to ordering the same goods again
    note = TextAreaField(_l("给商家留言"), validators=[Length(max=100, message=_l(
        "留言不能超过 100 个字。"))])


class AddressForm(FlaskForm):
    recipient = StringField(_l("收货人"), validators=[Length(max=30)])
    phone = StringField(_l("手机号"), validators=[Length(max=20)])
    region = StringField(_l("所在地区"), validators=[Length(max=60)])
    detail = StringField(_l("详细地址"), validators=[Length(max=120)])
    is_default = BooleanField(_l("设为默认地址"))
    next = HiddenField()


class ShipForm(FlaskForm):
    carrier = SelectField(_l("快递公司"), choices=[], validate_choice=False)
    tracking_number = StringField(_l("快递单号"), validators=[Length(max=40)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from flask_babel import gettext as _

        self.carrier.choices = [("", _("请选择"))] + [(c, _(c)) for c in CARRIERS]


class ReasonForm(FlaskForm):
    reason = StringField(_l("原因"), validators=[Length(max=100, message=_l(
        "原因不能超过 100 个字。"))])


class ReviewForm(FlaskForm):
    description = HiddenField()
    service = HiddenField()
    logistics = HiddenField()
    text = TextAreaField(_l("说说你的感受（选填）"), validators=[Length(max=500, message=_l(
        "评价不能超过 500 个字。"))])


class TierForm(FlaskForm):
    name = StringField(_l("档位名称"), validators=[Length(max=40)])
    min_description = StringField(_l("描述相符 ≥"))
    min_service = StringField(_l("服务态度 ≥"))
    min_logistics = StringField(_l("物流服务 ≥"))
    min_reviews = StringField(_l("最少评价数"))
    reduction_bp = StringField(_l("减免（基点）"))
