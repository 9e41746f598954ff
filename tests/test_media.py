"""The photo pipeline: content checks, size limits, bombs, orientation and metadata."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from app.media import ImageRejected, image_path, store_image
from tests.factories import jpeg_bytes


def test_a_jpeg_is_stored_as_resized_webps(ctx):
    stored = store_image(jpeg_bytes(2000, 1500))
    assert (stored.width, stored.height) == (960, 720)
    for width in (240, 480, 960):
        with Image.open(image_path(stored.key, width)) as image:
            assert image.format == "WEBP" and image.width == width


def test_same_photo_twice_is_one_file(ctx):
    data = jpeg_bytes()
    assert store_image(data).key == store_image(data).key


def test_exif_orientation_is_applied_and_metadata_stripped(ctx):
    image = Image.new("RGB", (400, 200), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = 6          # rotate 90° on display
    exif[0x010F] = "SecretCam"  # camera make
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    stored = store_image(buffer.getvalue())
    assert (stored.width, stored.height) == (200, 400)
    with Image.open(image_path(stored.key, 240)) as out:
        assert not out.getexif() and "exif" not in out.info


@pytest.mark.parametrize("data", [b"", b"not an image at all", b"GIF89a" + b"\x00" * 10,
                                  b"%PDF-1.4 fake", b"<svg xmlns='http://www.w3.org/2000/svg'/>"])
def test_non_images_are_rejected_by_content(ctx, data):
    with pytest.raises(ImageRejected):
        store_image(data)


def test_oversized_files_are_rejected(ctx, app):
    with pytest.raises(ImageRejected) as error:
        store_image(b"\xff" * (app.config["MAX_IMAGE_BYTES"] + 1))
    assert error.value.reason == ImageRejected.TOO_LARGE


def test_decompression_bombs_are_rejected(ctx):
    # A tiny PNG that claims 30000 x 30000 pixels (900 MP).
    bomb = io.BytesIO()
    Image.new("1", (30000, 30000)).save(bomb, "PNG")
    assert len(bomb.getvalue()) < 2_000_000
    with pytest.raises(ImageRejected) as error:
        store_image(bomb.getvalue())
    assert error.value.reason == ImageRejected.TOO_MANY_PIXELS


def test_truncated_jpeg_is_rejected(ctx):
    with pytest.raises(ImageRejected):
        store_image(jpeg_bytes()[:300])


def test_a_real_sized_photo_goes_through_an_upload_form(client, ctx):
    """Werkzeug counts its multipart buffer against MAX_FORM_MEMORY_SIZE: a 2 MB photo of
    noise (full of CR/LF bytes, like real JPEGs) must still reach the view."""
    import io as _io
    import os as _os

    from tests import factories as make

    shop = make.merchant("玉匠人")
    make.sign_in(client, shop.owner)
    noise = Image.frombytes("RGB", (1200, 1200), _os.urandom(1200 * 1200 * 3))
    buffer = _io.BytesIO()
    noise.save(buffer, "JPEG", quality=95)
    assert len(buffer.getvalue()) > 1_000_000
    response = client.post("/my-shop/certification", data={
        "licence": (_io.BytesIO(buffer.getvalue()), "licence.jpg"),
        "workshop": (_io.BytesIO(make.jpeg_bytes()), "w.jpg"),
        "statement": "石佛寺玉器市场",
    }, content_type="multipart/form-data")
    assert response.status_code != 413


def test_stored_photos_get_the_usual_file_mode_so_the_proxy_can_serve_them(ctx, app):
    """Not mkstemp's 0600: nginx runs as another user and serves MEDIA_ROOT (and, through
    X-Accel-Redirect, PRIVATE_MEDIA_ROOT) from disk."""
    import os

    from app.media import image_path, store_image, store_private_image
    from tests import factories as make

    umask = os.umask(0)
    os.umask(umask)
    for stored, private in ((store_image(make.jpeg_bytes(color=(9, 8, 7))), False),
                            (store_private_image(make.jpeg_bytes(color=(7, 8, 9))), True)):
        mode = image_path(stored.key, 960, private=private).stat().st_mode & 0o777
        assert mode == 0o666 & ~umask
