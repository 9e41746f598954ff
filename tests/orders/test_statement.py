"""The monthly statement says why every rate applies and shows the DSR tiers that lower it."""
from __future__ import annotations

import re
from datetime import UTC, datetime

from app import clock
from app.extensions import db
from app.orders import orders
from app.orders.models import CommissionRate, CommissionTier
from tests import factories as make
from tests.orders.helpers import page


def plain(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page(response)))


def completed(shop, price_fen):
    order = make.order(make.user(), make.product(shop, price_fen=price_fen, stock=3))
    orders.ship_order(shop.owner, order.id, "顺丰速运", "SF12345678")
    orders.confirm_receipt(order.buyer, order.id)
    return order


def test_every_rate_says_why_even_an_order_recorded_without_a_reason(client, ctx):
    bangles = make.category("jade-bangle")
    db.session.add(CommissionRate(category_id=bangles.id, rate_bp=400))
    db.session.commit()
    clock.freeze(datetime(2026, 11, 5, 4, 0, tzinfo=UTC))
    shop = make.merchant("玉匠人", certified=False)
    fresh = completed(shop, 100000)
    legacy = completed(shop, 20000)
    legacy.commission_basis = {"reason": "demo_history"}  # recorded before reasons were kept
    db.session.commit()
    make.sign_in(client, shop.owner)
    text = plain(client.get("/sell/statement?month=2026-11"))
    table = text[text.index("账单明细"):text.index("佣金减免档位")]
    rows = dict(re.findall(r"(\d{16}) (.*?)(?= \d{16} |$)", table))
    assert set(rows) == {fresh.number, legacy.number}
    for why in rows.values():
        assert "4% " in why and f"{bangles.name}类目基础费率 4%" in why
    reasons = rows
    assert "未认证为源头好货商家" in reasons[fresh.number]
    assert "未享受 DSR 减免" in reasons[legacy.number]


def test_a_merchant_sees_the_tiers_and_what_they_still_lack(client, ctx):
    db.session.add(CommissionTier(name="金牌源头商家", min_description=480, min_service=480,
                                  min_logistics=480, min_reviews=3, reduction_bp=150))
    db.session.add(CommissionTier(name="银牌源头商家", min_description=460, min_service=460,
                                  min_logistics=460, min_reviews=1, reduction_bp=80))
    db.session.commit()
    shop = make.merchant("玉匠人", certified=True)
    for score in (5, 5, 4):
        make.review(completed(shop, 10000), score, score, score)
    make.sign_in(client, shop.owner)
    text = plain(client.get("/sell/statement"))
    assert "佣金减免档位" in text
    assert "金牌源头商家 佣金减 1.5 个百分点" in text and "银牌源头商家 佣金减 0.8 个百分点" in text
    assert "描述相符 ≥ 4.80" in text and "至少 3 条评价" in text
    assert "描述相符 4.67" in text and "3 条评价" in text  # the shop's own DSR
    gold = text[text.index("金牌源头商家 佣金减"):text.index("银牌源头商家 佣金减")]
    silver = text[text.index("银牌源头商家 佣金减"):]
    assert "还需：描述相符 达到 4.80；服务态度 达到 4.80；物流服务 达到 4.80" in gold
    assert "当前档位" in silver and "当前档位" not in gold


def test_an_uncertified_shop_is_told_certification_comes_first(client, ctx):
    db.session.add(CommissionTier(name="银牌源头商家", min_description=460, min_service=460,
                                  min_logistics=460, min_reviews=1, reduction_bp=80))
    db.session.commit()
    shop = make.merchant("镇平玉器", certified=False)
    make.review(completed(shop, 10000), 5, 5, 5)
    make.sign_in(client, shop.owner)
    text = plain(client.get("/sell/statement"))
    assert "未认证，暂不享受减免" in text and "通过官方认证（源头好货商家）" in text
    assert "当前档位" not in text
