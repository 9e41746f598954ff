"""Belt pages run by their base: a banner photo on belts, and the shops the base features
(chosen among the belt's certified shops, in order).

Revision ID: 0015_belt_pages
Revises: 0012_english_names
"""
import sqlalchemy as sa
from alembic import op

revision = '0015_belt_pages'
down_revision = '0012_english_names'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('belts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('banner_key', sa.String(length=64), nullable=True))
    op.create_table(
        'belt_featured_shops',
        sa.Column('belt_id', sa.Integer(), nullable=False),
        sa.Column('merchant_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['belt_id'], ['belts.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('belt_id', 'merchant_id'),
    )


def downgrade():
    op.drop_table('belt_featured_shops')
    with op.batch_alter_table('belts', schema=None) as batch_op:
        batch_op.drop_column('banner_key')
