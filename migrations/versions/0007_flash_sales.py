"""The sale phase: flash sales (直播秒杀) with each buyer's claimed units and the units given
back from cancelled orders; live vouchers
(直播购物券: plans, rooms, per-day claims); finalized campaigns and their sales kings (卖货王).

Revision ID: 0007_flash_sales
Revises: 0006_campaigns
"""
import sqlalchemy as sa
from alembic import op

revision = '0007_flash_sales'
down_revision = '0006_campaigns'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('flash_sales',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('live_room_id', sa.Integer(), nullable=True),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
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
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_flash_sales_campaign_id_campaigns'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_flash_sales_created_by_id_users')),
    sa.ForeignKeyConstraint(['live_room_id'], ['live_rooms.id'], name=op.f('fk_flash_sales_live_room_id_live_rooms'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_flash_sales_merchant_id_merchants')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_flash_sales_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flash_sales'))
    )
    with op.batch_alter_table('flash_sales', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_flash_sales_campaign_id'), ['campaign_id'], unique=False)
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

    op.create_table('campaign_finals',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('finalized_by', sa.Integer(), nullable=True),
    sa.Column('finalized_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_finals_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['finalized_by'], ['users.id'], name=op.f('fk_campaign_finals_finalized_by_users')),
    sa.PrimaryKeyConstraint('campaign_id', name=op.f('pk_campaign_finals'))
    )
    op.create_table('live_voucher_plans',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('threshold_fen', sa.Integer(), nullable=False),
    sa.Column('daily_limit', sa.Integer(), nullable=False),
    sa.Column('budget_fen', sa.Integer(), nullable=False),
    sa.Column('committed_fen', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_live_voucher_plans_amount_positive')),
    sa.CheckConstraint('committed_fen >= 0 AND committed_fen <= budget_fen', name=op.f('ck_live_voucher_plans_committed_within_budget')),
    sa.CheckConstraint('daily_limit >= 1', name=op.f('ck_live_voucher_plans_daily_limit_positive')),
    sa.CheckConstraint('threshold_fen >= 0', name=op.f('ck_live_voucher_plans_threshold_not_negative')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_live_voucher_plans_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', name=op.f('pk_live_voucher_plans'))
    )
    op.create_table('sales_kings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('board', sa.String(length=12), nullable=False),
    sa.Column('scope', sa.String(length=40), nullable=False),
    sa.Column('gmv_fen', sa.Integer(), nullable=False),
    sa.Column('growth_fen', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("board IN ('peak','potential','industry')", name=op.f('ck_sales_kings_board_known')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_sales_kings_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_sales_kings_merchant_id_merchants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_kings')),
    sa.UniqueConstraint('campaign_id', 'board', 'scope', name=op.f('uq_sales_kings_campaign_id'))
    )
    with op.batch_alter_table('sales_kings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_kings_merchant_id'), ['merchant_id'], unique=False)

    op.create_table('live_voucher_rooms',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('live_room_id', sa.Integer(), nullable=False),
    sa.Column('coupon_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_live_voucher_rooms_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['coupon_id'], ['coupons.id'], name=op.f('fk_live_voucher_rooms_coupon_id_coupons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['live_room_id'], ['live_rooms.id'], name=op.f('fk_live_voucher_rooms_live_room_id_live_rooms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'live_room_id', name=op.f('pk_live_voucher_rooms')),
    sa.UniqueConstraint('coupon_id', name=op.f('uq_live_voucher_rooms_coupon_id'))
    )
    op.create_table('live_voucher_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('live_room_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('slot', sa.Integer(), nullable=False),
    sa.Column('coupon_claim_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('slot >= 1', name=op.f('ck_live_voucher_claims_slot_positive')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_live_voucher_claims_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['coupon_claim_id'], ['coupon_claims.id'], name=op.f('fk_live_voucher_claims_coupon_claim_id_coupon_claims'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['live_room_id'], ['live_rooms.id'], name=op.f('fk_live_voucher_claims_live_room_id_live_rooms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_live_voucher_claims_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_live_voucher_claims')),
    sa.UniqueConstraint('campaign_id', 'user_id', 'day', 'live_room_id', name='uq_live_voucher_claims_room_day'),
    sa.UniqueConstraint('campaign_id', 'user_id', 'day', 'slot', name=op.f('uq_live_voucher_claims_campaign_id'))
    )
    with op.batch_alter_table('live_voucher_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_live_voucher_claims_user_id'), ['user_id'], unique=False)

    op.create_table('flash_releases',
    sa.Column('order_line_id', sa.Integer(), nullable=False),
    sa.Column('sale_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_lines.id'], name=op.f('fk_flash_releases_order_line_id_order_lines'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sale_id'], ['flash_sales.id'], name=op.f('fk_flash_releases_sale_id_flash_sales'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_flash_releases_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('order_line_id', name=op.f('pk_flash_releases'))
    )
    with op.batch_alter_table('flash_releases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_flash_releases_sale_id'), ['sale_id'], unique=False)


def downgrade():
    with op.batch_alter_table('flash_releases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_flash_releases_sale_id'))

    op.drop_table('flash_releases')
    with op.batch_alter_table('live_voucher_claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_live_voucher_claims_user_id'))

    op.drop_table('live_voucher_claims')
    op.drop_table('live_voucher_rooms')
    with op.batch_alter_table('sales_kings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_kings_merchant_id'))

    op.drop_table('sales_kings')
    op.drop_table('live_voucher_plans')
    op.drop_table('campaign_finals')
    with op.batch_alter_table('flash_claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_flash_claims_user_id'))

    op.drop_table('flash_claims')
    with op.batch_alter_table('flash_sales', schema=None) as batch_op:
        batch_op.drop_index('ix_flash_sales_window')
        batch_op.drop_index('ix_flash_sales_room_window')
        batch_op.drop_index('ix_flash_sales_product_window')
        batch_op.drop_index('ix_flash_sales_merchant_start')
        batch_op.drop_index(batch_op.f('ix_flash_sales_campaign_id'))

    op.drop_table('flash_sales')
