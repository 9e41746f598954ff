"""A shop's goods in listing order (its page and a product page's 本店更多好货): an index on
(merchant_id, status, merchant_certified, sales_count). Without it PostgreSQL walked the
whole-catalogue listing index and filtered by shop: 0.5 s for a small shop at 100,000 goods.

Revision ID: 0017_shop_listing_index
Revises: 0015_belt_pages
"""
from alembic import op

revision = '0017_shop_listing_index'
down_revision = '0015_belt_pages'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index('ix_products_shop_listing',
                              ['merchant_id', 'status', 'merchant_certified', 'sales_count'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index('ix_products_shop_listing')
