"""Photo pipeline: check an upload by its content, fix orientation, strip metadata and store
resized WebP copies under MEDIA_ROOT, named by a hash of the original bytes.

Private documents (certification licences and workshop photos, complaint photos) go through
the same pipeline but are stored under PRIVATE_MEDIA_ROOT, outside the public media path,
with random names (a content hash would let anyone holding a copy prove it was uploaded),
and are sent only by routes that check who asks (`send_private_image`)."""
from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from flask import Response, abort, current_app, send_file
from PIL import Image, UnidentifiedImageError

# Widths we serve: card thumbnails (240/480 for 1x/2x phones) and the product gallery (960).
IMAGE_WIDTHS = (240, 480, 960)
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "MPO"}
WEBP_QUALITY = 80
# libwebp effort per served width: the small card sizes are fetched most and get the tighter
# encoding; the 960 gallery size is encoded fast (method 0: ~2× faster, ~10% larger), which
# keeps a 12 MP 闪电购 listing well inside its time budget.
WEBP_METHOD = {240: 2, 480: 2, 960: 0}


class ImageRejected(ValueError):
    """The upload is not a photo we accept. `reason` is one of the codes below."""

    NOT_IMAGE = "not_image"
    TOO_LARGE = "too_large"
    TOO_MANY_PIXELS = "too_many_pixels"
    EMPTY = "empty"

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class StoredImage:
    key: str
    width: int
    height: int


def media_root() -> Path:
    return Path(current_app.config["MEDIA_ROOT"])


def image_path(key: str, width: int, *, private: bool = False) -> Path:
    root = private_media_root() if private else media_root()
    return root / "img" / key[:2] / f"{key}-{width}.webp"


def private_media_root() -> Path:
    """PRIVATE_MEDIA_ROOT, by default a `private-media` folder beside MEDIA_ROOT (never inside
    it: the proxy and /media/ serve all of MEDIA_ROOT to anyone)."""
    configured = current_app.config.get("PRIVATE_MEDIA_ROOT")
    if configured:
        return Path(configured)
    public = media_root()
    return public.parent / "private-media"


def image_url(key: str, width: int) -> str:
    return f"/media/img/{key[:2]}/{key}-{width}.webp"


def read_upload(stream, max_bytes: int) -> bytes:
    """Read at most max_bytes+1 so an oversized upload is refused without buffering it all."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ImageRejected(ImageRejected.TOO_LARGE)
    if not data:
        raise ImageRejected(ImageRejected.EMPTY)
    return data


def _open_checked(data: bytes, max_pixels: int) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # Pillow warns between 1x and 2x MAX_IMAGE_PIXELS; we refuse at our own limit.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED_FORMATS:
                raise ImageRejected(ImageRejected.NOT_IMAGE)
            width, height = image.size
            if width * height > max_pixels or width < 1 or height < 1:
                raise ImageRejected(ImageRejected.TOO_MANY_PIXELS)
            return image
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected(ImageRejected.TOO_MANY_PIXELS) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, ImageRejected):
            raise
        raise ImageRejected(ImageRejected.NOT_IMAGE) from None


def _write_atomically(path: Path, image: Image.Image, method: int = 2) -> None:
    """Write beside the target, then rename. The file gets the process's umask like any new
    file (mkstemp's 0600 would keep the proxy, another user, from serving it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
    try:
        with open(tmp, "xb") as handle:
            image.save(handle, "WEBP", quality=WEBP_QUALITY, method=method)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# EXIF orientation → the transpose that shows the photo upright (as ImageOps.exif_transpose).
_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_90,
}


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(0x0112, 1)
    except (OSError, SyntaxError, ValueError, TypeError):
        return 1
    return value if value in _ORIENTATION else 1


def store_private_image(data: bytes) -> StoredImage:
    """Validate and store a private document photo under a random key (never served publicly)."""
    return store_image(data, private=True)


def store_image(data: bytes, *, private: bool = False) -> StoredImage:
    """Validate and store a photo; returns its key and oriented size. Idempotent per content
    (a private one gets a new random key each time).

    Fast enough for 闪电购 (a 12-megapixel phone photo in about a tenth of a second): a JPEG
    is decoded at the smallest DCT scale that still gives the largest served width, the photo
    is resized before it is turned upright, and each smaller size is made from the next
    larger one."""
    config = current_app.config
    if len(data) > config["MAX_IMAGE_BYTES"]:
        raise ImageRejected(ImageRejected.TOO_LARGE)
    if not data:
        raise ImageRejected(ImageRejected.EMPTY)
    key = secrets.token_hex(16) if private else hashlib.sha256(data).hexdigest()[:32]
    image = _open_checked(data, config["MAX_IMAGE_PIXELS"])
    largest = IMAGE_WIDTHS[-1]
    orientation = _orientation(image)
    sideways = orientation in (5, 6, 7, 8)  # the stored width is the file's height
    try:
        if image.format in {"JPEG", "MPO"}:
            # JPEG decodes at 1/2, 1/4 or 1/8 scale; only the side that becomes the width
            # must stay at least as large as the largest served width.
            image.draft("RGB", (1, largest) if sideways else (largest, 1))
        image.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ImageRejected(ImageRejected.NOT_IMAGE) from None
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() or image.mode == "P" else "RGB")
    file_width, file_height = image.size
    upright_width = file_height if sideways else file_width
    if upright_width > largest:
        scale = largest / upright_width
        image = image.resize((max(1, round(file_width * scale)), max(1, round(file_height * scale))),
                             Image.Resampling.BILINEAR)
    if orientation != 1:
        image = image.transpose(_ORIENTATION[orientation])
    # Re-encoding from pixels drops EXIF (GPS, camera serials) and any other metadata.
    image.info.clear()
    width, height = image.size
    if not image_path(key, largest, private=private).exists():
        copy = image
        for target in reversed(IMAGE_WIDTHS):
            if copy.width > target:
                if copy.width == target * 2:
                    copy = copy.reduce(2)  # an exact half: a 2×2 average, nearly free
                else:
                    copy = copy.resize((target, max(1, round(copy.height * target / copy.width))),
                                       Image.Resampling.LANCZOS)
            _write_atomically(image_path(key, target, private=private), copy,
                              WEBP_METHOD.get(target, 2))
    return StoredImage(key=key, width=width, height=height)


PRIVATE_KEY_RE = re.compile(r"[0-9a-f]{32}")


def send_private_image(key: str, width: int) -> Response:
    """The bytes of a private photo, for a caller the route has already authorized.

    Never cached by anyone (`private, no-store`). With PRIVATE_MEDIA_ACCEL set (the internal
    location the proxy maps onto PRIVATE_MEDIA_ROOT, e.g. `/_private/`), the answer is an
    empty body with X-Accel-Redirect so the proxy sends the file and Python doesn't."""
    if width not in IMAGE_WIDTHS or not PRIVATE_KEY_RE.fullmatch(key or ""):
        abort(404)
    relative = f"img/{key[:2]}/{key}-{width}.webp"
    accel = current_app.config.get("PRIVATE_MEDIA_ACCEL")
    if accel:
        response = Response(b"", mimetype="image/webp")
        response.headers["X-Accel-Redirect"] = accel.rstrip("/") + "/" + relative
    else:
        path = private_media_root() / relative
        if not path.is_file():
            abort(404)
        response = send_file(path, mimetype="image/webp", conditional=False, etag=False,
                             max_age=None)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
