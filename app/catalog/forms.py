"""Forms: they carry what was typed (and CSRF); the services decide what is acceptable."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField

from app.inputs import parse_int


def _optional_int(value) -> int | None:
    if value is None or isinstance(value, int):
        return value
    return parse_int(str(value), minimum=1)


class IndustryForm(FlaskForm):
    slug = StringField(_l("网址名"), render_kw={"maxlength": 40, "autocapitalize": "none",
                                               "spellcheck": "false"})
    name = StringField(_l("中文名称"), render_kw={"maxlength": 40})
    name_en = StringField(_l("英文名称"), render_kw={"maxlength": 40, "lang": "en"})
    portal_name = StringField(_l("聚合页名称"), render_kw={"maxlength": 40})
    portal_name_en = StringField(_l("聚合页英文名称"), render_kw={"maxlength": 60, "lang": "en"})
    position = StringField(_l("排序"), default="0", render_kw={"inputmode": "numeric", "size": 4})


class BeltForm(FlaskForm):
    slug = StringField(_l("网址名"), render_kw={"maxlength": 60, "autocapitalize": "none",
                                               "spellcheck": "false"})
    name = StringField(_l("中文名称"), render_kw={"maxlength": 40})
    name_en = StringField(_l("英文名称"), render_kw={"maxlength": 80, "lang": "en"})
    industry_id = SelectField(_l("行业"), coerce=_optional_int, validate_choice=False)
    province = StringField(_l("省份"), render_kw={"maxlength": 20})
    city = StringField(_l("城市"), render_kw={"maxlength": 20})
    base_name = StringField(_l("基地名称"), render_kw={"maxlength": 80})
    admin_account = StringField(_l("任命基地管理员（选填）"),
                                render_kw={"autocomplete": "off", "maxlength": 254})
