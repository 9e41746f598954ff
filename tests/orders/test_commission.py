"""Commission: base rates per category and DSR tiers that operators edit; each order records
the rate applied and why; the merchant's monthly statement and its CSV."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.orders import orders
from app.orders.models import CommissionRate, CommissionTier
from tests import factories as make
from tests.orders.helpers import count, page, refreshed


@pytest.fixture
def operator(ctx):
    return make.user("平台运营", operator=True)


@pytest.fixture
def bangles(ctx):
    return make.category("jade-bangle")


def tier(name="金牌源头", minimum=480, reviews=2, reduction=150):
    row = CommissionTier(name=name, min_description=minimum, min_service=minimum,
                         min_logistics=minimum, min_reviews=reviews, reduction_bp=reduction)
    db.session.add(row)
    db.session.commit()
    return row


def rate(category, bp):
    db.session.add(CommissionRate(category_id=category.id, rate_bp=bp))
    db.session.commit()


def reviewed_orders(shop, n, score):
    for _ in range(n):
        order = make.order(make.user(), make.product(shop, stock=5))
        make.review(order, score, score, score)


def test_an_operator_edits_base_rates(client, operator, bangles):
    make.sign_in(client, operator)
    text = page(client.get("/admin/commission"))
    assert "类目基础费率" in text and "DSR 减免档位" in text
    response = client.post("/admin/commission/rates", data={f"rate-{bangles.id}": "450"})
    assert response.status_code == 303
    assert db.session.get(CommissionRate, bangles.id).rate_bp == 450
    client.post("/admin/commission/rates", data={f"rate-{bangles.id}": ""})
    assert count(CommissionRate) == 0  # back to the default


@pytest.mark.parametrize("value", ["abc", "-1", "10001", "4.5", "1e3"])
def test_bad_rates_are_refused(client, operator, bangles, value):
    rate(bangles, 500)
    make.sign_in(client, operator)
    response = client.post("/admin/commission/rates", data={f"rate-{bangles.id}": value})
    assert response.status_code == 400 and "费率以基点填写" in page(response)
    assert refreshed(CommissionRate, bangles.id).rate_bp == 500
    unknown = client.post("/admin/commission/rates", data={"rate-99999": "100"})
    assert unknown.status_code == 404


def test_an_operator_manages_dsr_tiers(client, operator):
    make.sign_in(client, operator)
    good = {"name": "金牌源头", "min_description": "4.8", "min_service": "4.80",
            "min_logistics": "4.75", "min_reviews": "20", "reduction_bp": "150"}
    assert client.post("/admin/commission/tiers", data=dict(good)).status_code == 303
    row = db.session.scalar(select(CommissionTier))
    assert (row.min_description, row.min_logistics, row.reduction_bp) == (480, 475, 150)
    dup = client.post("/admin/commission/tiers", data=dict(good))
    assert dup.status_code == 409 and "同名" in page(dup)
    for field, value in (("min_service", "5.5"), ("min_service", "abc"), ("reduction_bp", "0"),
                         ("min_reviews", "-1"), ("name", "")):
        response = client.post("/admin/commission/tiers", data=good | {"name": "银牌", field: value})
        assert response.status_code == 400, (field, value)
    edited = client.post(f"/admin/commission/tiers/{row.id}", data=good | {"reduction_bp": "200"})
    assert edited.status_code == 303 and refreshed(CommissionTier, row.id).reduction_bp == 200
    assert client.post(f"/admin/commission/tiers/{row.id}/delete").status_code == 303
    assert count(CommissionTier) == 0


def test_certified_shops_with_a_good_dsr_pay_less_and_the_order_says_why(ctx, bangles):
    rate(bangles, 500)
    tier(minimum=480, reviews=2, reduction=150)
    source = make.merchant("玉匠人", certified=True)
    plain = make.merchant("镇平玉器", certified=False)
    middling = make.merchant("四会玉器", belt_slug="sihui-jade", certified=True)
    reviewed_orders(source, 2, 5)
    reviewed_orders(plain, 2, 5)
    reviewed_orders(middling, 2, 4)

    def fresh_order(shop):
        return make.order(make.user(), make.product(shop, price_fen=100000, stock=5))

    cheap = fresh_order(source)
    assert [ln.commission_rate_bp for ln in cheap.lines] == [350]
    assert cheap.commission_fen == 3500 and cheap.commission_reduction_bp == 150
    assert cheap.commission_basis["reason"] == "tier"
    assert cheap.commission_basis["tier"] == "金牌源头"
    assert cheap.commission_basis["dsr"]["count"] == 2
    full = fresh_order(plain)
    assert full.commission_fen == 5000 and full.commission_basis["reason"] == "not_source_goods"
    low = fresh_order(middling)
    assert low.commission_fen == 5000 and low.commission_basis["reason"] == "dsr_below_tiers"
    # Orders keep their rate when the table changes later.
    rate_row = db.session.get(CommissionRate, bangles.id)
    rate_row.rate_bp = 800
    db.session.commit()
    assert refreshed(type(cheap), cheap.id).commission_fen == 3500


def test_the_monthly_statement_and_its_csv(client, bangles):
    rate(bangles, 500)
    clock.freeze(datetime(2026, 11, 5, 4, 0, tzinfo=UTC))
    shop = make.merchant("玉匠人", certified=True)
    sold = [make.order(make.user(), make.product(shop, price_fen=p, stock=3)) for p in (100000, 20000)]
    for order in sold:
        orders.ship_order(shop.owner, order.id, "顺丰速运", "SF12345678")
    orders.confirm_receipt(sold[0].buyer, sold[0].id)
    unfinished = make.order(make.user(), make.product(shop, price_fen=77700))  # not completed
    make.sign_in(client, shop.owner)
    text = page(client.get("/sell/statement?month=2026-11"))
    assert sold[0].number in text and sold[1].number not in text and unfinished.number not in text
    assert "¥1,000.00" in text and "¥50.00" in text and "¥950.00" in text
    clock.travel(timedelta(days=11))  # the second auto-confirms
    text = page(client.get("/sell/statement?month=2026-11"))
    assert sold[1].number in text and "¥200.00" in text and "¥190.00" in text
    assert '<span class="price-yuan">1,140</span>' in text  # the net total
    csv = client.get("/sell/statement.csv?month=2026-11")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert "attachment" in csv.headers["Content-Disposition"]
    body = csv.get_data(as_text=True)
    assert body.startswith("\ufeff订单号,完成时间,销售额（元）")
    assert f"{sold[0].number},2026-11-05 12:00,1000.00,5%,50.00,950.00" in body
    assert "合计,,1200.00,,60.00,1140.00" in body
    assert "没有完成的订单" in page(client.get("/sell/statement?month=2026-10"))


@pytest.mark.parametrize("month", ["2026-13", "26-11", "abc", "2026-1x", "1999-01"])
def test_a_bad_month_is_a_clear_400(client, ctx, month):
    shop = make.merchant("玉匠人")
    make.sign_in(client, shop.owner)
    response = client.get(f"/sell/statement?month={month}")
    assert response.status_code == 400 and "月份格式应为 YYYY-MM" in page(response)
