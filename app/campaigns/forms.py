"""Forms of the campaign domain: they carry CSRF and keep what was typed; numbers, money and
times are parsed here with clear messages, and the services check every rule again."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from app import clock
from app.clock import DATETIME_LOCAL, parse_local  # noqa: F401 (the campaign forms' parser)
from app.inputs import parse_int
from app.money import MoneyError, parse_yuan


def local_input(value: datetime | None) -> str:
    """Aware UTC → the text a datetime-local field shows (Asia/Shanghai)."""
    if value is None:
        return ""
    return value.astimezone(clock.SHANGHAI).strftime(DATETIME_LOCAL)


def parse_fen(raw: str | None) -> int | None:
    try:
        return parse_yuan(raw)
    except MoneyError:
        return None


class EmptyForm(FlaskForm):
    """Only the CSRF token: for buttons that POST."""


class CampaignForm(FlaskForm):
    slug = StringField(_l("活动标识（网址用，如 116-2026）"), validators=[Length(max=60)])
    name = StringField(_l("活动名称"), validators=[Length(max=80)])
    hashtag = StringField(_l("话题标签"), validators=[Length(max=60)])
    tagline = StringField(_l("活动口号（可不填）"), validators=[Length(max=240)])
    warmup_start = StringField(_l("预热开始（北京时间）"))
    sale_start = StringField(_l("正式售卖开始（北京时间）"))
    sale_end = StringField(_l("活动结束（北京时间）"))
    raffle_beacon = StringField(_l("抽奖公开信标（可不填）"), validators=[Length(max=400)])


class InviteForm(FlaskForm):
    merchant_id = StringField(_l("店铺编号"))


class DecisionForm(FlaskForm):
    decision = HiddenField()
    reason = StringField(_l("未通过原因"), validators=[Length(max=400)])


class ApplyForm(FlaskForm):
    pitch = TextAreaField(_l("报名说明（可不填）"), validators=[Length(max=400)])


class CouponForm(FlaskForm):
    kind = SelectField(_l("类型"), choices=[SelectChoice("reduce", _l("立减")),
                                           SelectChoice("threshold", _l("满减"))],
                       validate_choice=False)
    title = StringField(_l("名称（可不填）"), validators=[Length(max=80)])
    amount = StringField(_l("优惠金额（元）"))
    threshold = StringField(_l("满多少可用（元，满减券）"))
    quantity = StringField(_l("发放数量（张）"))
    per_user_limit = StringField(_l("每人限领（张）"), default="1")
    valid_from = StringField(_l("生效时间（北京时间）"))
    valid_until = StringField(_l("失效时间（北京时间）"))


class GrabForm(FlaskForm):
    next = HiddenField()


class VideoForm(FlaskForm):
    url = StringField(_l("视频链接"), validators=[Length(max=1000)])
    caption = StringField(_l("视频文案（要带上话题标签）"), validators=[Length(max=400)])


class GiftForm(FlaskForm):
    gift = HiddenField()
    quantity = StringField(_l("数量"), default="1")
    next = HiddenField()


class TopUpForm(FlaskForm):
    pack = HiddenField()
    key = HiddenField()


def as_int(raw: str | None, maximum: int = 2_147_483_647) -> int | None:
    return parse_int(raw, minimum=0, maximum=maximum)
