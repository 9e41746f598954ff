"""Goods note whether another domain attached something to them (a certificate, a source video,
a flash sale, a live room's 小黄车), so their page asks those domains only then (issue 15,
app.catalog.extras).

Revision ID: 0020_product_extras
Revises: 0019_shop_copies_on_goods
"""
import sqlalchemy as sa
from alembic import op

revision = '0020_product_extras'
down_revision = '0019_shop_copies_on_goods'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (see 0019).
    op.add_column("products", sa.Column("has_extras", sa.Boolean(), nullable=False,
                                        server_default=sa.false()))
    # Only the goods that have something (a few): the others keep the default, unwritten.
    op.execute(
        "UPDATE products SET has_extras = true WHERE id IN ("
        "SELECT product_id FROM certificates UNION SELECT product_id FROM source_video_products "
        "UNION SELECT product_id FROM flash_sales UNION SELECT product_id FROM live_room_items)")


def downgrade():
    with op.batch_alter_table("products") as batch:
        batch.drop_column("has_extras")
