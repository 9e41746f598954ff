"""Migration 0011 moves the certification and complaint photos already uploaded out of the
public media path: idempotent, files still used publicly are kept, missing files are
reported, not fatal."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from sqlalchemy import select

from app.catalog.models import ProductPhoto
from app.extensions import db
from app.governance.models import ComplaintPhoto
from tests import factories as make
from tests.governance.conftest import complaint_form, photo

MIGRATION = (Path(__file__).resolve().parents[2] / "migrations" / "versions"
             / "0011_sessions_private_media.py")
WIDTHS = (240, 480, 960)


def migration():
    spec = importlib.util.spec_from_file_location("migration_0011", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def files(root: Path, key: str) -> list[Path]:
    return [root / "img" / key[:2] / f"{key}-{w}.webp" for w in WIDTHS]


def public_photo(root: Path, key: str) -> None:
    for path in files(root, key):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"RIFF....WEBP" + key.encode() + path.name.encode())


def test_existing_documents_move_to_the_private_store(world, tmp_path):
    media, private = tmp_path / "media", tmp_path / "private-media"
    licence_key, workshop_key, lost_key = "a1" * 16, "b2" * 16, "c3" * 16
    public_photo(media, licence_key)
    public_photo(media, workshop_key)
    application = make.application(world.shop)
    licence, workshop = application.documents
    licence.image_key, workshop.image_key = licence_key, workshop_key
    # The same bytes were also listed as a product photo: those files must stay public.
    db.session.add(ProductPhoto(product_id=world.bangle.id, position=5, image_key=workshop_key,
                                width=640, height=480))
    response = world.client("buyer").post(
        f"/orders/{world.order.id}/complaint", content_type="multipart/form-data",
        data={**complaint_form(), "photos": [photo()]})
    assert response.status_code == 303
    evidence = db.session.scalar(select(ComplaintPhoto))
    evidence.image_key = lost_key  # its files were lost before the upgrade
    db.session.commit()
    move = migration().move_private_documents

    report = move(db.session.connection(), media, private, "secret")
    db.session.commit()
    db.session.expire_all()
    assert report["moved"] == 2 and report["missing"] == [f"complaint_photos {evidence.id}: {lost_key}"]
    assert licence.image_key not in (licence_key, workshop_key)
    assert workshop.image_key not in (licence_key, workshop_key)
    for old, row in ((licence_key, licence), (workshop_key, workshop)):
        for source, target in zip(files(media, old), files(private, row.image_key), strict=True):
            assert target.read_bytes().endswith(source.name.encode())
    assert not any(path.exists() for path in files(media, licence_key))
    assert all(path.exists() for path in files(media, workshop_key))  # still a product photo
    assert evidence.image_key == lost_key

    moved_keys = (licence.image_key, workshop.image_key)
    again = move(db.session.connection(), media, private, "secret")
    db.session.commit()
    db.session.expire_all()
    assert again["moved"] == 0 and again["already_private"] == 2 and len(again["missing"]) == 1
    assert (licence.image_key, workshop.image_key) == moved_keys

    # An upgrade rolled back after the files were moved: the re-run finds its copies.
    licence.image_key = licence_key
    db.session.commit()
    recovered = move(db.session.connection(), media, private, "secret")
    db.session.commit()
    db.session.expire_all()
    assert recovered["moved"] == 1 and licence.image_key == moved_keys[0]
