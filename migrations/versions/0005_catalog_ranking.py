"""Catalog ranking and search: products carry their shop's certification and search tokens.

Revision ID: 0005_catalog_ranking
Revises: 0004_orders
"""
import re

import sqlalchemy as sa
from alembic import op

revision = '0005_catalog_ranking'
down_revision = '0004_orders'
branch_labels = None
depends_on = None

# A frozen copy of app.catalog.search.tokens_for (migrations never import app code).
CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
RUNS = re.compile(rf"[{CJK}]+|[0-9a-z]+")
CJK_RUN = re.compile(rf"^[{CJK}]+$")


def tokens_for(*texts):
    seen = {}
    for text in texts:
        for run in RUNS.findall((text or "").lower()):
            tokens = (list(run) + [run[i:i + 2] for i in range(len(run) - 1)]
                      if CJK_RUN.match(run) else [run])
            for token in tokens:
                seen.setdefault(token, None)
                if len(seen) >= 400:
                    return " ".join(seen)
    return " ".join(seen)


def upgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merchant_certified', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('search_tokens', sa.Text(), server_default='',
                                      nullable=False))
        batch_op.drop_index('ix_products_belt_listing')
        batch_op.drop_index('ix_products_industry_listing')
        batch_op.create_index('ix_products_belt_listing',
                              ['belt_id', 'status', 'merchant_certified', 'sales_count'])
        batch_op.create_index('ix_products_industry_listing',
                              ['industry_id', 'status', 'merchant_certified', 'sales_count'])
        batch_op.create_index('ix_products_listing',
                              ['status', 'merchant_certified', 'sales_count'])

    bind = op.get_bind()
    bind.execute(sa.text(
        "UPDATE products SET merchant_certified = (SELECT certified FROM merchants "
        "WHERE merchants.id = products.merchant_id)"))
    products = sa.table('products', sa.column('id', sa.Integer),
                        sa.column('search_tokens', sa.Text))
    last_id = 0
    while True:
        rows = bind.execute(sa.text(
            "SELECT id, title, description FROM products WHERE id > :last ORDER BY id LIMIT 5000"),
            {"last": last_id}).all()
        if not rows:
            break
        bind.execute(products.update().where(products.c.id == sa.bindparam('pid'))
                     .values(search_tokens=sa.bindparam('tokens')),
                     [{"pid": r.id, "tokens": tokens_for(r.title, r.description)} for r in rows])
        last_id = rows[-1].id

    if bind.dialect.name == 'postgresql':
        op.execute('DROP INDEX IF EXISTS ix_products_description_trgm')
        op.execute("CREATE INDEX ix_products_search_tokens ON products "
                   "USING gin (string_to_array(search_tokens, ' '))")


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.execute('DROP INDEX IF EXISTS ix_products_search_tokens')
        op.execute('CREATE INDEX ix_products_description_trgm ON products '
                   'USING gin (description gin_trgm_ops)')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index('ix_products_listing')
        batch_op.drop_index('ix_products_industry_listing')
        batch_op.drop_index('ix_products_belt_listing')
        batch_op.create_index('ix_products_belt_listing', ['belt_id', 'status', 'sales_count'])
        batch_op.create_index('ix_products_industry_listing',
                              ['industry_id', 'status', 'sales_count'])
        batch_op.drop_column('search_tokens')
        batch_op.drop_column('merchant_certified')
