"""Search at 100,000 goods (issue 15): the tokens as a stored array, and the title's marked.

- search_tokens gains the title's tokens a second time, marked "t:" ("t:手镯": the title
  says 手镯), so PostgreSQL finds title matches through the index (app.catalog.search).
- On PostgreSQL, `search_words` is string_to_array(search_tokens, ' ') and the goods'
  category and industry as words ("c:3", "i:1"), a stored generated column with its own GIN
  index. PostgreSQL keeps it in step with search_tokens, category_id and industry_id on every
  write, whatever code path writes them. A query word is then one `&&` on it (its Chinese
  words, or the category or industry it names), answered by the index, and the words of a
  query are ANDed inside that one index (the old index was on an expression that a condition
  ORed with category and industry made PostgreSQL evaluate row by row), with the planner's
  statistics on each word. SQLite keeps its LIKE path: no column there.

Revision ID: 0018_search_words
Revises: 0017_shop_listing_index
"""
import re

import sqlalchemy as sa
from alembic import op

revision = '0018_search_words'
down_revision = '0017_shop_listing_index'
branch_labels = None
depends_on = None

# A frozen copy of app.catalog.search.tokens_for (migrations never import app code).
CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
RUNS = re.compile(rf"[{CJK}]+|[0-9a-z]+")
CJK_RUN = re.compile(rf"^[{CJK}]+$")


def _tokens(text):
    tokens = []
    for run in RUNS.findall((text or "").lower()):
        tokens += (list(run) + [run[i:i + 2] for i in range(len(run) - 1)]
                   if CJK_RUN.match(run) else [run])
    return tokens


def tokens_for(title, description):
    seen = {}
    title_tokens = _tokens(title)
    for token in title_tokens + _tokens(description):
        seen.setdefault(token, None)
        if len(seen) >= 400:
            break
    return " ".join([*seen, *dict.fromkeys("t:" + token for token in title_tokens)])


def _retokenize(bind, tokenize):
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
                     [{"pid": r.id, "tokens": tokenize(r.title, r.description)} for r in rows])
        last_id = rows[-1].id


def upgrade():
    bind = op.get_bind()
    postgres = bind.dialect.name == 'postgresql'
    if postgres:  # not kept up to date during the rewrite below; replaced at the end
        op.execute('DROP INDEX IF EXISTS ix_products_search_tokens')
    _retokenize(bind, tokens_for)
    if postgres:
        op.execute("ALTER TABLE products ADD COLUMN search_words text[] "
                   "GENERATED ALWAYS AS (string_to_array(search_tokens, ' ') || ARRAY["
                   "'c:' || coalesce(category_id::text, ''), 'i:' || industry_id::text]) STORED")
        op.execute("CREATE INDEX ix_products_search_words ON products USING gin (search_words)")
        op.execute("ANALYZE products")  # the planner's estimates for the words and titles


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.execute('DROP INDEX IF EXISTS ix_products_search_words')
        op.execute('ALTER TABLE products DROP COLUMN IF EXISTS search_words')
        op.execute("CREATE INDEX ix_products_search_tokens ON products "
                   "USING gin (string_to_array(search_tokens, ' '))")
    # The marked title tokens stay in search_tokens: the old matching never asks for them.
