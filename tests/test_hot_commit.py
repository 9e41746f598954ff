"""app.db.commit_hot: the contended rows' conditional UPDATEs go with the commit (on
PostgreSQL in one round trip). All or nothing, and a refused step raises its own refusal."""
from __future__ import annotations

import pytest

from app.catalog.listing import give_back_stock_update, take_stock_update
from app.catalog.models import Product
from app.db import HotStep, commit_hot
from app.exceptions import Conflict
from app.extensions import db
from tests import factories as make


def stock(product_id: int) -> int:
    db.session.expire_all()
    return db.session.get(Product, product_id).stock


@pytest.fixture
def goods(ctx):
    shop = make.merchant("玉匠人")
    first = make.product(shop, "手镯", stock=3).id
    second = make.product(shop, "吊坠", stock=1).id
    return first, second


def test_every_step_applies_and_commits(goods):
    first, second = goods
    commit_hot([HotStep(give_back_stock_update(first, 2)),
                HotStep(take_stock_update(second, 1), Conflict("吊坠没了"))])
    db.session.rollback()  # nothing pending: what was committed stays
    assert (stock(first), stock(second)) == (5, 0)


def test_a_refused_step_raises_its_refusal_and_nothing_is_kept(goods):
    first, second = goods
    with pytest.raises(Conflict, match="吊坠不够"):
        commit_hot([HotStep(take_stock_update(first, 1), Conflict("手镯不够")),
                    HotStep(take_stock_update(second, 2), Conflict("吊坠不够"))])
    assert (stock(first), stock(second)) == (3, 1)
    with pytest.raises(Conflict, match="手镯不够"):
        commit_hot([HotStep(take_stock_update(first, 4), Conflict("手镯不够")),
                    HotStep(take_stock_update(second, 1), Conflict("吊坠不够"))])
    assert (stock(first), stock(second)) == (3, 1)
    # the session is usable afterwards, and statements of the same shape still work
    commit_hot([HotStep(take_stock_update(first, 3), Conflict("手镯不够"))])
    assert stock(first) == 0


def _new_checkout(buyer_id: int, key: str):
    from app.db import is_postgres, prefetch_ids
    from app.orders.models import Checkout

    row = Checkout(buyer_id=buyer_id, idempotency_key=key, payment_method="cod")
    if is_postgres():
        row.id = prefetch_ids([("checkouts", 1)])[0][0]
    return row


def test_new_rows_go_with_the_commit_and_join_the_session(goods):
    from app.orders.models import Checkout

    first, _second = goods
    buyer = make.user("新买家", email="rows@example.com")
    row = _new_checkout(buyer.id, "k" * 20)
    commit_hot([HotStep(take_stock_update(first, 1), Conflict("手镯不够"))], [row])
    assert row.created_at is not None  # the column's default, computed as the flush would
    assert row in db.session and not db.session.new and not db.session.dirty
    assert row.buyer_id == buyer.id and row.orders == []  # readable, nothing to load
    db.session.expire_all()
    stored = db.session.get(Checkout, row.id)
    assert (stored.buyer_id, stored.idempotency_key, stored.payment_method) == \
        (buyer.id, "k" * 20, "cod")
    assert stock(first) == 2


def test_a_refused_step_writes_none_of_the_new_rows(goods):
    from sqlalchemy import func, select

    from app.orders.models import Checkout

    first, _second = goods
    buyer = make.user("新买家", email="refused@example.com")
    with pytest.raises(Conflict, match="手镯不够"):
        commit_hot([HotStep(take_stock_update(first, 4), Conflict("手镯不够"))],
                   [_new_checkout(buyer.id, "r" * 20)])
    assert db.session.scalar(select(func.count()).select_from(Checkout)) == 0
    assert stock(first) == 3


def test_steps_built_once_take_each_use_s_own_values(goods):
    """The stock's step is one statement built once (app.db.Bound), filled per use: the
    product, the quantity and the time (a suspended shop's goods are refused until the
    suspension ends)."""
    from datetime import timedelta

    from app import clock

    first, second = goods
    assert take_stock_update(first, 1).statement is take_stock_update(second, 2).statement
    product = db.session.get(Product, second)
    product.merchant_suspended_until = clock.now() + timedelta(hours=1)
    db.session.commit()
    with pytest.raises(Conflict, match="店铺暂停"):
        commit_hot([HotStep(take_stock_update(first, 1), Conflict("手镯不够")),
                    HotStep(take_stock_update(second, 1), Conflict("店铺暂停"))])
    assert (stock(first), stock(second)) == (3, 1)
    clock.travel(timedelta(hours=2))
    commit_hot([HotStep(take_stock_update(first, 2), Conflict("手镯不够")),
                HotStep(take_stock_update(second, 1), Conflict("店铺暂停"))])
    assert (stock(first), stock(second)) == (1, 0)
