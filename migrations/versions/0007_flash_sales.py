"""Flash sales (直播秒杀): sales with a countdown, and each buyer's claimed units.

Revision ID: 0007_flash_sales
Revises: 0005_catalog_ranking
"""
import sqlalchemy as sa
from alembic import op

revision = '0007_flash_sales'
down_revision = '0005_catalog_ranking'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('flash_sales',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('live_room_id', sa.Integer(), nullable=True),
    sa.Column('price_fen', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('sold', sa.Integer(), nullable=False),
    sa.Column('per_user_limit', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('scheduled','cancelled')", name=op.f('ck_flash_sales_status_known')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_flash_sales_ends_after_start')),
    sa.CheckConstraint('per_user_limit >= 1', name=op.f('ck_flash_sales_limit_positive')),
    sa.CheckConstraint('price_fen > 0', name=op.f('ck_flash_sales_price_positive')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_flash_sales_quantity_positive')),
    sa.CheckConstraint('sold >= 0 AND sold <= quantity', name=op.f('ck_flash_sales_sold_within_quantity')),
    sa.CheckConstraint('version > 0', name=op.f('ck_flash_sales_version_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_flash_sales_created_by_id_users')),
    sa.ForeignKeyConstraint(['live_room_id'], ['live_rooms.id'], name=op.f('fk_flash_sales_live_room_id_live_rooms'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_flash_sales_merchant_id_merchants')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_flash_sales_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flash_sales'))
    )
    with op.batch_alter_table('flash_sales', schema=None) as batch_op:
        batch_op.create_index('ix_flash_sales_merchant_start', ['merchant_id', 'starts_at'], unique=False)
        batch_op.create_index('ix_flash_sales_product_window', ['product_id', 'starts_at'], unique=False)
        batch_op.create_index('ix_flash_sales_room_window', ['live_room_id', 'ends_at'], unique=False)
        batch_op.create_index('ix_flash_sales_window', ['starts_at', 'ends_at'], unique=False)

    op.create_table('flash_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sale_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_flash_claims_quantity_positive')),
    sa.ForeignKeyConstraint(['sale_id'], ['flash_sales.id'], name=op.f('fk_flash_claims_sale_id_flash_sales'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_flash_claims_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flash_claims')),
    sa.UniqueConstraint('sale_id', 'user_id', name=op.f('uq_flash_claims_sale_id'))
    )
    with op.batch_alter_table('flash_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_flash_claims_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('flash_claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_flash_claims_user_id'))

    op.drop_table('flash_claims')
    with op.batch_alter_table('flash_sales', schema=None) as batch_op:
        batch_op.drop_index('ix_flash_sales_window')
        batch_op.drop_index('ix_flash_sales_room_window')
        batch_op.drop_index('ix_flash_sales_product_window')
        batch_op.drop_index('ix_flash_sales_merchant_start')

    op.drop_table('flash_sales')
