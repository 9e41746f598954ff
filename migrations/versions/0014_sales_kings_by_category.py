"""Sales kings by board and venue category (卖货王 per board and category, as the campaign's
rules say): a category column on sales_kings, and the title unique per campaign, board,
category and scope. Titles crowned before keep category ''.

Revision ID: 0014_sales_kings_by_category
Revises: 0011_sessions_private_media
"""
import sqlalchemy as sa
from alembic import op

revision = '0014_sales_kings_by_category'
down_revision = '0011_sessions_private_media'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sales_kings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('category', sa.String(length=12), server_default='',
                                      nullable=False))
        batch_op.drop_constraint('uq_sales_kings_campaign_id', type_='unique')
        batch_op.create_unique_constraint('uq_sales_kings_title',
                                          ['campaign_id', 'board', 'category', 'scope'])


def downgrade():
    op.execute("DELETE FROM sales_kings WHERE category <> ''")
    with op.batch_alter_table('sales_kings', schema=None) as batch_op:
        batch_op.drop_constraint('uq_sales_kings_title', type_='unique')
        batch_op.create_unique_constraint('uq_sales_kings_campaign_id',
                                          ['campaign_id', 'board', 'scope'])
        batch_op.drop_column('category')
