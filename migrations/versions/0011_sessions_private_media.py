"""Server-side sessions (user_sessions: sign-out, password change and "sign out everywhere"
end them); private documents (certification and complaint photos) moved out of the public
media path under random names.

Revision ID: 0011_sessions_private_media
Revises: 0007_flash_sales
"""
import hashlib
import hmac
import logging
import os
import shutil
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = '0011_sessions_private_media'
down_revision = '0007_flash_sales'
branch_labels = None
depends_on = None


log = logging.getLogger("alembic.runtime.migration")

WIDTHS = (240, 480, 960)
PRIVATE_TABLES = ("certification_documents", "complaint_photos")
# Columns naming public photos: a file one of these still uses stays under MEDIA_ROOT (the
# photo pipeline names files by content, so a workshop photo may also be a product photo).
PUBLIC_COLUMNS = (("product_photos", "image_key"), ("order_lines", "image_key"),
                  ("merchants", "logo_key"), ("certificates", "scan_key"),
                  ("source_videos", "poster_key"))


def _settings() -> tuple[Path, Path, str]:
    """MEDIA_ROOT, PRIVATE_MEDIA_ROOT (as app.media decides) and SECRET_KEY."""
    try:
        from flask import current_app

        config = current_app.config
        media, private, secret = (config["MEDIA_ROOT"], config.get("PRIVATE_MEDIA_ROOT"),
                                  config["SECRET_KEY"])
    except RuntimeError:  # plain alembic, outside the app
        media = os.environ.get("MEDIA_ROOT", "media")
        private = os.environ.get("PRIVATE_MEDIA_ROOT")
        secret = os.environ["SECRET_KEY"]
    media_root = Path(media).resolve()
    private_root = Path(private) if private else media_root.parent / "private-media"
    return media_root, private_root, secret


def private_key(secret: str, public_key: str) -> str:
    """The new name: a keyed hash of the old one. Nobody without SECRET_KEY can link it to the
    photo's bytes, and a re-run after a rolled-back upgrade finds the copies it made."""
    digest = hmac.new(secret.encode(), b"private-media:" + public_key.encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def _files(root: Path, key: str) -> list[Path]:
    return [root / "img" / key[:2] / f"{key}-{width}.webp" for width in WIDTHS]


def move_private_documents(connection, media_root: Path, private_root: Path, secret: str) -> dict:
    """Copy each certification and complaint photo from the public media path to the private
    one under a new name (`private_key`), point its row there, then delete the public files
    nothing public uses. Idempotent: a row whose files are already private is left alone, and
    copies left by a rolled-back run are reused. A row whose files are missing is reported and
    left as it is (its photo answers 404)."""
    report = {"moved": 0, "already_private": 0, "missing": [], "deleted_public": 0}
    moved_from: set[str] = set()
    for table in PRIVATE_TABLES:
        rows = connection.execute(sa.text(f"SELECT id, image_key FROM {table} ORDER BY id"))
        for row_id, key in rows.all():
            if all(path.is_file() for path in _files(private_root, key)):
                report["already_private"] += 1
                continue
            new_key = private_key(secret, key)
            sources, targets = _files(media_root, key), _files(private_root, new_key)
            if not all(path.is_file() for path in targets):
                if not all(path.is_file() for path in sources):
                    report["missing"].append(f"{table} {row_id}: {key}")
                    log.warning("private media: %s row %s: files of %s are missing under %s; "
                                "left as it is", table, row_id, key, media_root)
                    continue
                for source, target in zip(sources, targets, strict=True):
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(source, target)
            connection.execute(sa.text(f"UPDATE {table} SET image_key = :new WHERE id = :id"),
                               {"new": new_key, "id": row_id})
            moved_from.add(key)
            report["moved"] += 1
    still_public: set[str] = set()
    for table, column in PUBLIC_COLUMNS:
        still_public.update(key for (key,) in connection.execute(
            sa.text(f"SELECT DISTINCT {column} FROM {table} WHERE {column} IS NOT NULL")))
    for key in sorted(moved_from - still_public):
        for path in _files(media_root, key):
            if path.is_file():
                path.unlink()
                report["deleted_public"] += 1
    log.info("private media: %d moved, %d already private, %d missing, %d public files deleted",
             report["moved"], report["already_private"], len(report["missing"]),
             report["deleted_public"])
    return report


def upgrade():
    op.create_table('user_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('remember', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_sessions_token_hash'))
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sessions_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_user_sessions_user_id'), ['user_id'], unique=False)

    move_private_documents(op.get_bind(), *_settings())


def downgrade():
    # Private photos stay private: their files are not moved back under the public path.
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sessions_user_id'))
        batch_op.drop_index(batch_op.f('ix_user_sessions_expires_at'))
    op.drop_table('user_sessions')
