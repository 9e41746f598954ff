"""Complaint photos are private: the complainant, the shop's owner, the deciding belt's admins
and operators see them; nobody else, never cached, never under the public /media/ path."""
from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from app.extensions import db
from app.governance.models import ComplaintPhoto
from app.media import image_path
from tests import factories as make
from tests.governance.conftest import ROLES, complaint_form, photo

EVIDENCE = make.jpeg_bytes(640, 480, (90, 140, 60))
ALLOWED = {"buyer", "owner", "zhenping_admin", "operator"}


@pytest.fixture
def evidence(world) -> ComplaintPhoto:
    response = world.client("buyer").post(
        f"/orders/{world.order.id}/complaint", content_type="multipart/form-data",
        data={**complaint_form(), "photos": [photo(EVIDENCE)]})
    assert response.status_code == 303
    return db.session.scalar(select(ComplaintPhoto))


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_a_complaint_photo_only_when_allowed(world, evidence, role):
    response = world.client(role).get(f"/complaints/photos/{evidence.id}/960.webp")
    if role in ALLOWED:
        assert response.status_code == 200
        assert response.mimetype == "image/webp" and response.data[8:12] == b"WEBP"
        assert response.headers["Cache-Control"] == "private, no-store"
    else:
        assert response.status_code == 404


def test_a_complaint_photo_is_not_public_media(world, evidence):
    content_hash = hashlib.sha256(EVIDENCE).hexdigest()[:32]
    assert evidence.image_key != content_hash
    for key in (content_hash, evidence.image_key):
        url = f"/media/img/{key[:2]}/{key}-960.webp"
        assert world.client("anonymous").get(url).status_code == 404
        assert not image_path(key, 960).exists()
    thread = world.client("zhenping_admin").get(f"/complaints/{evidence.complaint_id}")
    assert f"/complaints/photos/{evidence.id}/480.webp" in thread.get_data(as_text=True)
