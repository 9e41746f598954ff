"""The flash-sale scheduling form. Numbers arrive as text and are parsed here with clear
messages; the rules are checked again by app.flash.services."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, ValidationError

from app import clock
from app.flash.services import FlashDraft
from app.inputs import parse_int
from app.live.forms import local_input, parse_price
from app.money import input_value

DURATIONS = (10, 30, 60, 120, 240, 480, 1440)


def duration_choices() -> list[tuple[str, str]]:
    labels = []
    for minutes in DURATIONS:
        if minutes < 60:
            labels.append((str(minutes), ngettext("%(num)d 分钟", "%(num)d 分钟", minutes)))
        else:
            labels.append((str(minutes), ngettext("%(num)d 小时", "%(num)d 小时", minutes // 60)))
    return labels


def campaign_choices() -> list[tuple[str, str]]:
    """Campaigns not over yet (a flash sale may belong to one; its venue shows it)."""
    from sqlalchemy import select

    from app.campaigns.models import Campaign
    from app.extensions import db

    found = db.session.scalars(select(Campaign).where(Campaign.sale_end > clock.now())
                               .order_by(Campaign.sale_start)).all()
    return [("", _("不参加活动"))] + [(str(c.id), c.name) for c in found]


class FlashSaleForm(FlaskForm):
    """设置秒杀."""

    product_id = StringField(_l("商品"), validators=[DataRequired(_l("请选择商品。"))])
    price = StringField(_l("秒杀价（元）"), validators=[DataRequired(_l("请填写秒杀价。"))])
    quantity = StringField(_l("秒杀数量（件）"), validators=[DataRequired(_l("请填写秒杀数量。"))])
    per_user_limit = StringField(_l("每人限购（件）"), default="1",
                                 validators=[DataRequired(_l("请填写每人限购件数。"))])
    starts_at = StringField(_l("开抢时间（北京时间）"),
                            validators=[DataRequired(_l("请填写开抢时间。"))])
    duration = SelectField(_l("持续时间"), choices=[], default="60", validate_choice=False)
    in_live_room = BooleanField(_l("在店铺直播间展示倒计时"), default=True)
    campaign = SelectField(_l("所属活动（可不选）"), choices=[], default="", validate_choice=False)

    price_fen: int | None = None
    start_at: datetime | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.duration.choices = duration_choices()
        self.campaign.choices = campaign_choices()

    def validate_product_id(self, field) -> None:
        if parse_int(field.data, minimum=1) is None:
            raise ValidationError(_("请选择商品。"))

    def validate_price(self, field) -> None:
        try:
            self.price_fen = parse_price(field.data)
        except ValueError as error:
            raise ValidationError(str(error)) from None

    def validate_quantity(self, field) -> None:
        if parse_int(field.data, minimum=1) is None:
            raise ValidationError(_("秒杀数量需为正整数。"))

    def validate_per_user_limit(self, field) -> None:
        if parse_int(field.data, minimum=1) is None:
            raise ValidationError(_("每人限购需为正整数。"))

    def validate_starts_at(self, field) -> None:
        self.start_at = clock.parse_local(field.data)
        if self.start_at is None:
            raise ValidationError(_("开抢时间格式不正确，例如 2026-11-05T20:00。"))

    def validate_campaign(self, field) -> None:
        if field.data and field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_("请选择进行中或即将开始的活动。"))

    def validate_duration(self, field) -> None:
        if field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_("请选择持续时间。"))

    def draft(self) -> FlashDraft:
        return FlashDraft(
            product_id=parse_int(self.product_id.data, minimum=1), price_fen=self.price_fen,
            quantity=parse_int(self.quantity.data, minimum=1),
            per_user_limit=parse_int(self.per_user_limit.data, minimum=1),
            starts_at=self.start_at, duration_minutes=parse_int(self.duration.data, minimum=1),
            in_live_room=bool(self.in_live_room.data),
            campaign_id=parse_int(self.campaign.data, minimum=1) if self.campaign.data else None)

    @classmethod
    def of(cls, sale) -> FlashSaleForm:
        minutes = str(sale.duration_minutes)
        form = cls(formdata=None, product_id=str(sale.product_id), price=input_value(sale.price_fen),
                   quantity=str(sale.quantity), per_user_limit=str(sale.per_user_limit),
                   starts_at=local_input(sale.starts_at), in_live_room=sale.live_room_id is not None,
                   campaign=str(sale.campaign_id or ""))
        if minutes not in {value for value, _label in form.duration.choices}:
            label = ngettext("%(num)d 分钟", "%(num)d 分钟", sale.duration_minutes)
            form.duration.choices.append((minutes, label))
        form.duration.data = minutes
        return form
