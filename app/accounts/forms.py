from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class SignInForm(FlaskForm):
    account = StringField(_l("手机号或邮箱"), validators=[DataRequired(_l("请输入手机号或邮箱。")),
                                                     Length(max=254)])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请输入密码。")),
                                                   Length(max=128)])
    remember = BooleanField(_l("记住我"))
    next = HiddenField()


class SignUpForm(FlaskForm):
    account = StringField(_l("手机号或邮箱"), validators=[DataRequired(_l("请输入手机号或邮箱。")),
                                                     Length(max=254)])
    display_name = StringField(_l("昵称"), validators=[
        DataRequired(_l("请填写昵称。")), Length(max=30, message=_l("昵称不能超过 30 个字。"))])
    password = PasswordField(_l("密码"), validators=[
        DataRequired(_l("请设置密码。")),
        Length(min=8, max=128, message=_l("密码需为 8–128 位。"))])
    confirm = PasswordField(_l("确认密码"), validators=[
        DataRequired(_l("请再次输入密码。")), EqualTo("password", _l("两次输入的密码不一致。"))])
    next = HiddenField()


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("当前密码"), validators=[DataRequired(_l("请输入当前密码。"))])
    password = PasswordField(_l("新密码"), validators=[
        DataRequired(_l("请设置新密码。")),
        Length(min=8, max=128, message=_l("密码需为 8–128 位。"))])
    confirm = PasswordField(_l("确认新密码"), validators=[
        DataRequired(_l("请再次输入新密码。")), EqualTo("password", _l("两次输入的密码不一致。"))])


class EmptyForm(FlaskForm):
    """A form with only the CSRF token: for buttons that POST."""
