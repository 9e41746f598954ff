"""Forms: they carry what was typed (and CSRF); the services decide what is acceptable."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    FileField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)

from app.merchants.forms import optional_int


class ComplaintForm(FlaskForm):
    kind = RadioField(_l("投诉类型"), validate_choice=False, choices=[])
    text = TextAreaField(_l("投诉内容"), render_kw={"rows": 5, "maxlength": 1000})
    photos = MultipleFileField(_l("照片（选填，最多 5 张）"), render_kw={"accept": "image/*"})


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("店铺回复"), render_kw={"rows": 4, "maxlength": 1000})


class AdditionForm(FlaskForm):
    addition = TextAreaField(_l("补充说明"), render_kw={"rows": 4, "maxlength": 1000})


class DecisionForm(FlaskForm):
    outcome = RadioField(_l("处理结果"), validate_choice=False, choices=[])
    reason = TextAreaField(_l("处理意见（双方都会看到）"), render_kw={"rows": 3, "maxlength": 200})


class ActionForm(FlaskForm):
    kind = SelectField(_l("处理方式"), validate_choice=False, choices=[])
    product_id = SelectField(_l("下架的商品"), coerce=optional_int, validate_choice=False)
    days = StringField(_l("暂停天数"), render_kw={"inputmode": "numeric", "size": 4})
    reason = TextAreaField(_l("处理原因（商家会看到）"), render_kw={"rows": 3, "maxlength": 200})
    complaint_id = HiddenField()


class VideoForm(FlaskForm):
    video = FileField(_l("视频文件"), render_kw={"accept": "video/mp4,video/webm"})
    url = StringField(_l("或者：视频链接"), render_kw={"inputmode": "url", "placeholder": "https://"})
    caption = StringField(_l("视频说明"), render_kw={"maxlength": 200})
