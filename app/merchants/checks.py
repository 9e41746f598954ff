"""Checking what merchants and admins type: lengths, markup, hotline formats, uploads.

Each check returns the cleaned value or raises InvalidInput naming the form field, so the
message shows beside that field."""
from __future__ import annotations

import re
import unicodedata

from flask import current_app
from flask_babel import gettext as _

from app.catalog.listing import image_error_message
from app.exceptions import InvalidInput, TooLarge
from app.inputs import clean_text
from app.media import ImageRejected, StoredImage, read_upload, store_image, store_private_image

# Anything that looks like an HTML tag, a comment or a script URL. Text is escaped when shown
# anyway; refusing it up front keeps shop names and reasons plain wherever they travel
# (notifications, exports, the live room's overlay).
MARKUP_RE = re.compile(r"<\s*[a-zA-Z/!?]|javascript\s*:|&#", re.IGNORECASE)


def plain_text(raw: str | None, *, field: str, label: str, max_len: int, min_len: int = 0,
               multiline: bool = False) -> str:
    """Trimmed, NFC, control characters removed; refuses markup and lengths out of range."""
    text = clean_text(raw, max_len=max_len, keep_newlines=multiline)
    if not multiline:
        text = " ".join(text.split())
    if MARKUP_RE.search(text):
        raise InvalidInput(_("%(label)s不能包含 < > 等网页代码。", label=label), field=field)
    if min_len and len(text) < min_len:
        if not text:
            raise InvalidInput(_("请填写%(label)s。", label=label), field=field)
        raise InvalidInput(_("%(label)s至少 %(n)d 个字。", label=label, n=min_len), field=field)
    if len(text) > max_len:
        raise InvalidInput(_("%(label)s不能超过 %(n)d 个字（现在 %(len)d 个）。", label=label,
                             n=max_len, len=len(text)), field=field)
    return text


# --- hotline -------------------------------------------------------------------------------

HOTLINE_SEPARATORS = re.compile(r"[\s\-–—()（）.]")


def normalise_hotline(raw: str | None, *, field: str = "hotline") -> str:
    """客服电话: 400/800 service numbers, landlines with area code, or a mainland mobile.

    '4006861106' → '400-686-1106'; '(0377) 6590 1234' → '0377-65901234';
    '010 8888 6666' → '010-88886666'; '+86 138 0013 8000' → '13800138000'."""
    text = unicodedata.normalize("NFKC", clean_text(raw, max_len=30))  # full-width digits too
    if not text:
        raise InvalidInput(_("请填写客服电话。"), field=field)
    digits = HOTLINE_SEPARATORS.sub("", text)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if digits.isascii() and digits.isdigit():
        if re.fullmatch(r"[48]00\d{7}", digits):
            return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
        if re.fullmatch(r"1[3-9]\d{9}", digits):
            return digits
        # Beijing 010 and the 02x cities have three-digit area codes and eight-digit numbers;
        # every other area code has four digits and a seven- or eight-digit number.
        if re.fullmatch(r"0(10|2\d)[2-9]\d{7}", digits):
            return f"{digits[:3]}-{digits[3:]}"
        if re.fullmatch(r"0[3-9]\d{2}[2-9]\d{6,7}", digits):
            return f"{digits[:4]}-{digits[4:]}"
    raise InvalidInput(_("客服电话格式不正确：请填写 400/800 热线（如 400-686-1106）、带区号的座机"
                         "（如 0377-65901234）或 11 位手机号。"), field=field)


# --- uploads -------------------------------------------------------------------------------

def has_file(upload) -> bool:
    """A file input that was actually filled in (browsers send an empty part otherwise)."""
    return upload is not None and bool(getattr(upload, "filename", ""))


def _photo_error(error: ImageRejected, *, field: str) -> InvalidInput:
    limit = current_app.config["MAX_IMAGE_BYTES"]
    kind = TooLarge if error.reason == ImageRejected.TOO_LARGE else InvalidInput
    return kind(image_error_message(error, limit // (1024 * 1024)), field=field)


def read_photo(upload, *, field: str) -> bytes:
    """The bytes of one uploaded photo, refusing oversized ones (413) before reading them all."""
    try:
        return read_upload(upload.stream, current_app.config["MAX_IMAGE_BYTES"])
    except ImageRejected as error:
        raise _photo_error(error, field=field) from None


def store_photo(data: bytes, *, field: str, private: bool = False) -> StoredImage:
    """Check by content (not by name) and store through the shared photo pipeline."""
    try:
        return store_private_image(data) if private else store_image(data)
    except ImageRejected as error:
        raise _photo_error(error, field=field) from None


def store_private_photo(data: bytes, *, field: str) -> StoredImage:
    """A private document (licence, workshop or complaint photo): random name, private store."""
    return store_photo(data, field=field, private=True)
