"""Money is integer fen. These helpers parse what people type and format for display."""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import format_decimal

# ¥10,000,000.00: far above any single listing; keeps sums inside 64-bit integers.
MAX_PRICE_FEN = 1_000_000_000
AMOUNT_RE = re.compile(r"^\d{1,12}(\.\d{1,2})?$")


class MoneyError(ValueError):
    """The text is not an amount of yuan we accept."""


def parse_yuan(text: str | None, *, allow_zero: bool = False) -> int:
    """'128' / '128.5' / '¥1,280.00' → fen. Raises MoneyError with a reason."""
    if text is None:
        raise MoneyError("empty")
    cleaned = text.strip().replace(",", "").replace("，", "").lstrip("¥￥").strip()
    if not cleaned:
        raise MoneyError("empty")
    if len(cleaned) > 16:
        raise MoneyError("too_long")
    if cleaned.startswith("-"):
        raise MoneyError("not_positive")
    if not AMOUNT_RE.match(cleaned):
        # plain decimal notation only: no exponents, signs, NaN or a third decimal place
        if re.match(r"^\d+\.\d{3,}$", cleaned):
            raise MoneyError("too_precise")
        raise MoneyError("not_a_number")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise MoneyError("not_a_number") from None
    fen = int((amount * 100).to_integral_value(rounding=ROUND_HALF_UP))
    if fen < 0 or (fen == 0 and not allow_zero):
        raise MoneyError("not_positive")
    if fen > MAX_PRICE_FEN:
        raise MoneyError("too_large")
    return fen


def fen_to_decimal(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


# Locales whose grouping is plain Python's (a comma every three digits): formatted without
# Babel, which costs ~50 µs a call (a live room formats a dozen amounts). Both of the site's
# languages are; tests/test_core.py checks that they still agree with Babel.
PLAIN_GROUPING = ("zh", "en")


def yuan_part(fen: int, locale: str = "zh_Hans_CN") -> str:
    """The whole yuan with grouping: 1234567 fen → '12,345'."""
    if locale.startswith(PLAIN_GROUPING):
        return f"{abs(fen) // 100:,}"
    return format_decimal(abs(fen) // 100, format="#,##0", locale=locale)


def fen_part(fen: int) -> str:
    """The two fen digits: 1234567 fen → '67'."""
    return f"{abs(fen) % 100:02d}"


def format_fen(fen: int, locale: str = "zh_Hans_CN") -> str:
    """1234550 → '¥12,345.50' (negative amounts as '-¥…')."""
    sign = "-" if fen < 0 else ""
    return f"{sign}¥{yuan_part(fen, locale)}.{fen_part(fen)}"


def input_value(fen: int | None) -> str:
    """fen → the text a price field shows for editing: 12800 → '128.00'."""
    if fen is None:
        return ""
    return f"{fen // 100}.{fen % 100:02d}"
