"""The goods carry their shop's open status and name (issue 15 part 6), as they already carry
its certification and suspension: the listing rule and the product cards read the product row
alone, so the catalogue needs no shop table (app.merchants.sync keeps the copies in step).

Filling the name rewrites every product row: on a large PostgreSQL table, run
`VACUUM (ANALYZE) products` after deploying (docs/DEPLOYING.md); the migration refreshes the
planner's statistics itself.

Revision ID: 0019_shop_copies_on_goods
Revises: 0018_search_words
"""
import sqlalchemy as sa
from alembic import op

revision = '0019_shop_copies_on_goods'
down_revision = '0018_search_words'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (SQLite too: a batch would copy the table, and SQLite refuses to drop
    # a table other rows point at).
    op.add_column("products", sa.Column("merchant_active", sa.Boolean(), nullable=False,
                                        server_default=sa.true()))
    op.add_column("products", sa.Column("merchant_name", sa.String(40), nullable=False,
                                        server_default=""))
    op.execute(
        "UPDATE products SET "
        "merchant_active = (SELECT merchants.status = 'active' FROM merchants "
        "WHERE merchants.id = products.merchant_id), "
        "merchant_name = (SELECT merchants.name FROM merchants "
        "WHERE merchants.id = products.merchant_id)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ANALYZE products")


def downgrade():
    with op.batch_alter_table("products") as batch:
        batch.drop_column("merchant_name")
        batch.drop_column("merchant_active")
