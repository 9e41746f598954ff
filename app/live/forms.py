"""Forms of the live domain. Numbers arrive as text and are parsed here with clear messages
(app.money, app.inputs); the rules themselves are checked again by the services."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app import clock
from app.catalog.listing import MAX_STOCK, MAX_TITLE
from app.clock import DATETIME_LOCAL, parse_local
from app.inputs import parse_int
from app.money import MoneyError, parse_yuan


def price_message(error: MoneyError) -> str:
    reason = str(error)
    if reason == "empty":
        return _("请填写价格。")
    if reason == "not_positive":
        return _("价格必须大于 0。")
    if reason == "too_precise":
        return _("价格最多保留两位小数（分）。")
    if reason == "too_large":
        return _("价格太高了，请核对。")
    return _("价格格式不正确，例如 128 或 128.50。")


def parse_price(raw: str | None) -> int:
    """Text → fen, or ValueError with the message to show."""
    try:
        return parse_yuan(raw)
    except MoneyError as error:
        raise ValueError(price_message(error)) from None


def parse_stock(raw: str | None) -> int:
    value = parse_int(raw, minimum=0, maximum=MAX_STOCK)
    if value is None:
        raise ValueError(_("库存需为 0–%(max)d 的整数。", max=MAX_STOCK))
    return value


def local_input(value: datetime | None) -> str:
    """Aware UTC → the text a datetime-local field shows (Asia/Shanghai)."""
    if value is None:
        return ""
    return value.astimezone(clock.SHANGHAI).strftime(DATETIME_LOCAL)


class RoomForm(FlaskForm):
    """开通 / 设置直播间."""

    title = StringField(_l("直播间标题"), validators=[
        DataRequired(_l("请填写直播间标题。")),
        Length(max=40, message=_l("标题不能超过 %(max)d 个字。"))])
    scheduled_start = StringField(_l("开播时间（北京时间，可不填）"), validators=[Optional()])
    stream_url = StringField(_l("直播流地址（可不填）"), validators=[
        Optional(), Length(max=500, message=_l("直播流地址不能超过 %(max)d 个字符。"))])

    start_at: datetime | None = None

    def validate_scheduled_start(self, field) -> None:
        raw = (field.data or "").strip()
        self.start_at = None
        if not raw:
            return
        self.start_at = parse_local(raw)
        if self.start_at is None:
            raise ValidationError(_("开播时间格式不正确，例如 2025-11-05T20:00。"))


class QuickListForm(FlaskForm):
    """闪电购: one photo, a title, a price, a stock, maybe a category."""

    photo = FileField(_l("商品照片"))
    photo_token = HiddenField()
    title = StringField(_l("商品标题"), validators=[
        DataRequired(_l("请填写商品标题。")),
        Length(max=MAX_TITLE, message=_l("标题不能超过 %(max)d 个字。"))])
    price = StringField(_l("价格（元）"), validators=[DataRequired(_l("请填写价格。"))])
    stock = StringField(_l("库存（件）"), validators=[DataRequired(_l("请填写库存。"))])
    category = SelectField(_l("类目（可不选）"), choices=[], validate_choice=False)
    pin = BooleanField(_l("上架后立即讲解（置顶到直播间）"), default=True)

    price_fen: int | None = None
    stock_count: int | None = None

    def validate_price(self, field) -> None:
        try:
            self.price_fen = parse_price(field.data)
        except ValueError as error:
            raise ValidationError(str(error)) from None

    def validate_stock(self, field) -> None:
        try:
            self.stock_count = parse_stock(field.data)
        except ValueError as error:
            raise ValidationError(str(error)) from None

    def validate_category(self, field) -> None:
        if field.data and field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_("未知的类目。"))

    @property
    def category_id(self) -> int | None:
        return int(self.category.data) if self.category.data else None
