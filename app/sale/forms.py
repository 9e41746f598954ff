"""The operators' live-voucher plan form. Money arrives as yuan text, parsed with clear
messages; the rules are checked again by app.sale.vouchers."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, ValidationError

from app.inputs import parse_int
from app.live.forms import parse_price
from app.money import MoneyError, input_value, parse_yuan
from app.sale.vouchers import PlanDraft


class VoucherPlanForm(FlaskForm):
    """直播购物券."""

    amount = StringField(_l("每张券减（元）"), validators=[DataRequired(_l("请填写券的金额。"))])
    threshold = StringField(_l("使用门槛：满（元，0 为无门槛）"), default="0")
    daily_limit = StringField(_l("每人每天限领（张）"), default="1",
                              validators=[DataRequired(_l("请填写每人每天限领张数。"))])
    budget = StringField(_l("平台预算（元）"), validators=[DataRequired(_l("请填写预算。"))])

    amount_fen: int | None = None
    threshold_fen: int | None = 0
    budget_fen: int | None = None

    def validate_amount(self, field) -> None:
        try:
            self.amount_fen = parse_price(field.data)
        except ValueError as error:
            raise ValidationError(str(error)) from None

    def validate_threshold(self, field) -> None:
        try:
            self.threshold_fen = parse_yuan(field.data or "0", allow_zero=True)
        except MoneyError:
            raise ValidationError(_("门槛格式不正确，例如 200 或 0。")) from None

    def validate_daily_limit(self, field) -> None:
        if parse_int(field.data, minimum=1) is None:
            raise ValidationError(_("每人每天限领需为正整数。"))

    def validate_budget(self, field) -> None:
        try:
            self.budget_fen = parse_price(field.data)
        except ValueError as error:
            raise ValidationError(str(error)) from None

    def draft(self) -> PlanDraft:
        return PlanDraft(amount_fen=self.amount_fen, threshold_fen=self.threshold_fen,
                         daily_limit=parse_int(self.daily_limit.data, minimum=1),
                         budget_fen=self.budget_fen)

    @classmethod
    def of(cls, plan) -> VoucherPlanForm:
        if plan is None:
            return cls(formdata=None)
        return cls(formdata=None, amount=input_value(plan.amount_fen),
                   threshold=input_value(plan.threshold_fen) if plan.threshold_fen else "0",
                   daily_limit=str(plan.daily_limit), budget=input_value(plan.budget_fen))
