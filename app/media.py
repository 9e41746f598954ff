"""Photo pipeline: check an upload by its content, fix orientation, strip metadata and store
resized WebP copies under MEDIA_ROOT, named by a hash of the original bytes."""
from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

# Widths we serve: card thumbnails (240/480 for 1x/2x phones) and the product gallery (960).
IMAGE_WIDTHS = (240, 480, 960)
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "MPO"}
WEBP_QUALITY = 80


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


def image_path(key: str, width: int) -> Path:
    return media_root() / "img" / key[:2] / f"{key}-{width}.webp"


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


def _write_atomically(path: Path, image: Image.Image) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            image.save(handle, "WEBP", quality=WEBP_QUALITY, method=2)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def store_image(data: bytes) -> StoredImage:
    """Validate and store a photo; returns its key and oriented size. Idempotent per content."""
    config = current_app.config
    if len(data) > config["MAX_IMAGE_BYTES"]:
        raise ImageRejected(ImageRejected.TOO_LARGE)
    if not data:
        raise ImageRejected(ImageRejected.EMPTY)
    key = hashlib.sha256(data).hexdigest()[:32]
    image = _open_checked(data, config["MAX_IMAGE_PIXELS"])
    largest = IMAGE_WIDTHS[-1]
    try:
        # JPEG can decode at 1/2, 1/4, 1/8 scale: a 12 MP photo decodes far faster this way.
        if image.format in {"JPEG", "MPO"}:
            image.draft("RGB", (largest, largest))
        image.load()
        image = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ImageRejected(ImageRejected.NOT_IMAGE) from None
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() or image.mode == "P" else "RGB")
    # Re-encoding from pixels drops EXIF (GPS, camera serials) and any other metadata.
    image.info.clear()
    width, height = image.size
    if not image_path(key, largest).exists():
        for target in IMAGE_WIDTHS:
            copy = image
            if width > target:
                copy = image.resize(
                    (target, max(1, round(height * target / width))), Image.Resampling.LANCZOS
                    if target <= 480 else Image.Resampling.BILINEAR
                )
            _write_atomically(image_path(key, target), copy)
    shown_width = min(width, largest)
    return StoredImage(key=key, width=shown_width, height=max(1, round(height * shown_width / width)))
