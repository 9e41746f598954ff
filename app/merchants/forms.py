"""Forms: they carry what was typed (and CSRF); the services decide what is acceptable."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FileField,
    HiddenField,
    MultipleFileField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length

from app.inputs import parse_int


def optional_int(value) -> int | None:
    """Select coercion that never raises: unknown values become None for the service to refuse."""
    if value is None or isinstance(value, int):
        return value
    return parse_int(str(value), minimum=1)


class ShopSettingsForm(FlaskForm):
    name = StringField(_l("店铺名称"), validators=[DataRequired(_l("请填写店铺名称。"))])
    hotline = TelField(_l("客服电话"), validators=[DataRequired(_l("请填写客服电话。"))])
    address = StringField(_l("发货地址"), validators=[DataRequired(_l("请填写发货地址。"))])
    intro = TextAreaField(_l("店铺简介"))
    logo = FileField(_l("店铺头像"))


class OpenShopForm(ShopSettingsForm):
    source_type = SelectField(_l("源头类型"), validate_choice=False,
                              validators=[DataRequired(_l("请选择源头类型。"))])
    belt_id = SelectField(_l("所在产业带"), coerce=optional_int, validate_choice=False)
    industry_id = SelectField(_l("经营行业"), coerce=optional_int, validate_choice=False)


class ApplyForm(FlaskForm):
    licence = FileField(_l("营业执照照片"))
    workshop = MultipleFileField(_l("工厂 / 档口实拍照片"))
    statement = TextAreaField(_l("申请说明（选填）"))


class ProductForm(FlaskForm):
    title = StringField(_l("商品标题"), validators=[DataRequired(_l("请填写商品标题。"))])
    price = StringField(_l("价格（元）"), validators=[DataRequired(_l("请填写价格。"))])
    stock = StringField(_l("库存（件）"), validators=[DataRequired(_l("请填写库存。"))])
    stock_seen = HiddenField()
    category_id = SelectField(_l("类目"), coerce=optional_int, validate_choice=False)
    description = TextAreaField(_l("商品详情"))
    photos = MultipleFileField(_l("商品照片"))


class CertificateForm(FlaskForm):
    product_id = SelectField(_l("商品"), coerce=optional_int, validate_choice=False,
                             validators=[DataRequired(_l("请选择商品。"))])
    number = StringField(_l("证书编号"), validators=[DataRequired(_l("请填写证书编号。"))])
    lab = StringField(_l("检测机构"), validators=[DataRequired(_l("请填写检测机构。"))])
    findings = TextAreaField(_l("检测结论"), validators=[DataRequired(_l("请填写检测结论。"))])
    issued_on = StringField(_l("签发日期（选填）"), render_kw={"type": "date"})
    scan = FileField(_l("证书扫描件（选填）"))


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("原因"))


class BeltPageForm(FlaskForm):
    """A belt base's page. Featured shops are checkboxes named `featured` (in the template)."""

    intro = TextAreaField(_l("基地介绍"), render_kw={"rows": 5, "maxlength": 500})
    address = StringField(_l("基地地址"), render_kw={"maxlength": 200})
    hotline = TelField(_l("基地热线"), render_kw={"maxlength": 30})
    banner = FileField(_l("横幅图片"), render_kw={"accept": "image/*"})
    remove_banner = BooleanField(_l("去掉现在的横幅"))


class AssignBeltAdminForm(FlaskForm):
    account = StringField(_l("管理员账号（手机号或邮箱）"), validators=[
        DataRequired(_l("请输入手机号或邮箱。")), Length(max=254)])
    belt_id = SelectField(_l("产业带"), coerce=int, validate_choice=True)
