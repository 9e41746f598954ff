"""Payment providers behind one small interface, so a real gateway can be added later.

Shipped: cash on delivery (货到付款) and a sandbox (沙箱支付) that moves no money and says so
on every screen. The sandbox is on in development and off in production unless
ORDER_SANDBOX_PAYMENTS=1. A real gateway implements `PaymentProvider`: `payment_url` sends
the buyer to it, and its signed notification handler calls `orders.confirm_payment(...)`
with the gateway's transaction reference (recorded once: payments has a unique
(provider, kind, reference)); `refund` asks the gateway for the money back."""
from __future__ import annotations

import secrets

from flask import current_app, url_for

from app.i18n import N_


class PaymentProvider:
    code: str = ""
    label: str = ""           # msgid, translated where shown
    hint: str = ""            # msgid
    pays_on_delivery = False  # the order needs no online payment before shipping
    sandbox = False

    def payment_url(self, checkout_id: int) -> str | None:
        """Where the buyer goes to pay a checkout's orders (None: nothing to pay online)."""
        return None

    def charge(self, checkout_id: int, amount_fen: int) -> str:
        """Take the money; returns the provider's transaction reference."""
        raise NotImplementedError

    def refund(self, order_number: str, amount_fen: int) -> str:
        """Give `amount_fen` back; returns the provider's refund reference."""
        raise NotImplementedError


class CashOnDelivery(PaymentProvider):
    code = "cod"
    label = N_("货到付款")
    hint = N_("快递员送货上门时付款，下单后商家即可发货。")
    pays_on_delivery = True

    def refund(self, order_number: str, amount_fen: int) -> str:
        # The cash was handed to the courier: the merchant pays it back offline.
        return f"cod-refund-{order_number}"


class SandboxProvider(PaymentProvider):
    """沙箱支付: a stand-in gateway for development and demos. No money moves."""

    code = "sandbox"
    label = N_("沙箱支付（测试用，不会真实扣款）")
    hint = N_("模拟在线支付，用于演示和测试；不会产生任何真实交易。")
    sandbox = True

    def payment_url(self, checkout_id: int) -> str | None:
        return url_for("orders.pay", checkout_id=checkout_id)

    def charge(self, checkout_id: int, amount_fen: int) -> str:
        return f"sbx-{checkout_id}-{secrets.token_hex(8)}"

    def refund(self, order_number: str, amount_fen: int) -> str:
        return f"sbx-refund-{order_number}"


PROVIDERS: dict[str, PaymentProvider] = {p.code: p for p in (CashOnDelivery(), SandboxProvider())}


def available_providers() -> list[PaymentProvider]:
    codes = current_app.config["ORDER_PAYMENT_PROVIDERS"]
    return [PROVIDERS[code] for code in codes if code in PROVIDERS]


def provider(code: str) -> PaymentProvider | None:
    return next((p for p in available_providers() if p.code == code), None)


def provider_label(code: str) -> str:
    known = PROVIDERS.get(code)
    return known.label if known else code
