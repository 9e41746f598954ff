"""Certification documents (licence, workshop photos) are private: only the shop's owner, the
admins of the belt the application went to and operators see them, never cached, never under
the public /media/ path, stored under random names."""
from __future__ import annotations

import hashlib

import pytest

from app.extensions import db
from app.media import image_path
from app.merchants.models import CertificationDocument
from tests import factories as make
from tests.merchants.conftest import ROLES, photo

LICENCE = make.jpeg_bytes(640, 480, (250, 248, 240))
ALLOWED = {"owner", "zhenping_admin", "operator"}


@pytest.fixture
def licence(cast, app) -> CertificationDocument:
    response = cast.clients["owner"].post(
        "/my-shop/certification", content_type="multipart/form-data",
        data={"statement": "石佛寺玉器市场 3 号档口", "licence": photo(LICENCE, "营业执照.jpg"),
              "workshop": [photo(name="档口.jpg")]})
    assert response.status_code == 303
    return db.session.query(CertificationDocument).filter_by(kind="licence").one()


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_a_licence_only_when_allowed(cast, licence, role):
    response = cast.clients[role].get(f"/certification/documents/{licence.id}/960.webp")
    if role in ALLOWED:
        assert response.status_code == 200
        assert response.mimetype == "image/webp" and response.data[8:12] == b"WEBP"
        assert response.headers["Cache-Control"] == "private, no-store"
    else:
        assert response.status_code == 404
        assert b"WEBP" not in response.data


def test_the_licence_is_not_under_the_public_media_path(cast, licence, app):
    content_hash = hashlib.sha256(LICENCE).hexdigest()[:32]
    assert licence.image_key != content_hash  # a random name, not the bytes' hash
    for key in (content_hash, licence.image_key):
        for width in (240, 480, 960):
            url = f"/media/img/{key[:2]}/{key}-{width}.webp"
            assert cast.clients["anonymous"].get(url).status_code == 404
            assert cast.clients["owner"].get(url).status_code == 404
            assert not image_path(key, width).exists()
    assert image_path(licence.image_key, 960, private=True).is_file()
    assert not str(image_path(licence.image_key, 960, private=True)).startswith(
        app.config["MEDIA_ROOT"] + "/")


def test_only_the_served_widths_exist(cast, licence):
    owner = cast.clients["owner"]
    assert owner.get(f"/certification/documents/{licence.id}/100.webp").status_code == 404
    assert owner.get(f"/certification/documents/{licence.id + 999}/960.webp").status_code == 404


def test_with_a_proxy_the_bytes_skip_python(cast, licence, app, monkeypatch):
    monkeypatch.setitem(app.config, "PRIVATE_MEDIA_ACCEL", "/_private/")
    response = cast.clients["zhenping_admin"].get(f"/certification/documents/{licence.id}/480.webp",
                                                  headers={"Accept-Encoding": "gzip, br"})
    assert response.status_code == 200 and response.data == b""
    assert "Content-Encoding" not in response.headers  # the proxy sends the file as it is
    key = licence.image_key
    assert response.headers["X-Accel-Redirect"] == f"/_private/img/{key[:2]}/{key}-480.webp"
    assert response.headers["Cache-Control"] == "private, no-store"
    refused = cast.clients["ruili_admin"].get(f"/certification/documents/{licence.id}/480.webp")
    assert refused.status_code == 404 and "X-Accel-Redirect" not in refused.headers


def test_the_review_queue_links_the_private_route(cast, licence):
    queue = cast.clients["zhenping_admin"].get("/admin/belts/zhenping-jade/certifications")
    text = queue.get_data(as_text=True)
    assert f"/certification/documents/{licence.id}/960.webp" in text
    assert "/media/img/" + licence.image_key[:2] not in text
