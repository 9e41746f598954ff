"""English names stored beside the Chinese ones for industries (belts have had `name_en`
since 0001): operators add industries and belts as rows, so their names can't live in the
gettext catalogues. Fills the five industries the app ships with.

Revision ID: 0012_english_names
Revises: 0010_live_comments
"""
import sqlalchemy as sa
from alembic import op

revision = '0012_english_names'
down_revision = '0010_live_comments'
branch_labels = None
depends_on = None

# A frozen copy of app.catalog.reference.INDUSTRIES' English names (migrations never import
# app code): slug → (name_en, portal_name_en).
SHIPPED = {
    "jade": ("Jade", "Jianbao"),
    "apparel": ("Apparel", "Apparel at source"),
    "food": ("Food", "Food at source"),
    "tea": ("Tea", "Tea at source"),
    "small-commodities": ("Small commodities", "Small commodities at source"),
}


def upgrade():
    with op.batch_alter_table('industries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_en', sa.String(length=40), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('portal_name_en', sa.String(length=60), server_default='',
                                      nullable=False))
    industries = sa.table('industries', sa.column('slug', sa.String),
                          sa.column('name_en', sa.String), sa.column('portal_name_en', sa.String))
    for slug, (name_en, portal_name_en) in SHIPPED.items():
        op.execute(industries.update().where(industries.c.slug == slug)
                   .values(name_en=name_en, portal_name_en=portal_name_en))


def downgrade():
    with op.batch_alter_table('industries', schema=None) as batch_op:
        batch_op.drop_column('portal_name_en')
        batch_op.drop_column('name_en')
