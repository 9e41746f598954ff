"""Warm-up tasks: a video with the hashtag (a link counts once), one vote per anchor per day,
gifts paid in coins with a ledger; each gives that day's raffle entry."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app import clock
from app.campaigns import tasks
from app.campaigns.models import CoinAccount, CoinLedger, GiftSend, RaffleEntry, VideoTask, Vote
from app.extensions import db
from tests import factories as make
from tests.campaigns.helpers import count, page


@pytest.fixture
def warmup(ctx):
    campaign = make.campaign("116-2026")
    clock.freeze(campaign.warmup_start + timedelta(hours=10))
    shop = make.merchant("玉匠人", certified=True)
    room = make.live_room(shop, title="玉匠人源头直播")
    make.registration(campaign, shop)
    return campaign, shop, room


def video(client, url, caption="今天逛镇平玉器 #116卖货王"):
    return client.post("/campaigns/116-2026/tasks/video", data={"url": url, "caption": caption})


def test_a_video_with_the_hashtag_gives_todays_entry_once(client, warmup):
    buyer = make.user("老铁")
    make.sign_in(client, buyer)
    assert video(client, "https://v.kuaishou.com/abc123").status_code == 303
    assert count(VideoTask) == 1
    entry = db.session.scalar(select(RaffleEntry))
    assert (entry.user_id, entry.day, entry.task) == (buyer.id, clock.local_today(), "video")
    board = page(client.get("/campaigns/116-2026/tasks"))
    assert "已获得今天的抽奖资格" in board and "等待开奖" in board and "通过短视频获得" in board
    # a second video the same day: counted, but still one entry for the day
    assert video(client, "https://v.kuaishou.com/def456").status_code == 303
    assert count(VideoTask) == 2 and count(RaffleEntry) == 1


def test_the_hashtag_may_be_in_the_link(client, warmup):
    make.sign_in(client, make.user())
    response = video(client, "https://www.douyin.com/video/1?tag=%23116%E5%8D%96%E8%B4%A7%E7%8E%8B", "")
    assert response.status_code == 303


@pytest.mark.parametrize("url, caption, message", [
    ("https://v.kuaishou.com/abc", "没有话题", "视频要带上话题 #116卖货王"),
    ("", "#116卖货王", "请填写视频链接。"),
    ("ftp://v.kuaishou.com/abc", "#116卖货王", "视频链接要以 http:// 或 https:// 开头。"),
    ("javascript:alert(1)", "#116卖货王", "视频链接要以 http:// 或 https:// 开头。"),
    ("https://localhost/abc", "#116卖货王", "视频链接要以 http:// 或 https:// 开头。"),
    ("https://v.kuaishou.com/a b", "#116卖货王", "视频链接不是有效的网址。"),
    ("https://v.kuaishou.com:99999/a", "#116卖货王", "视频链接不是有效的网址。"),
    ("https://v.kuaishou.com/" + "a" * 600, "#116卖货王", "视频链接不是有效的网址。"),
])
def test_bad_video_links_are_refused_and_nothing_is_counted(client, warmup, url, caption, message):
    make.sign_in(client, make.user())
    response = video(client, url, caption)
    assert response.status_code == 400
    text = page(response)
    assert message in text
    assert count(VideoTask) == 0 and count(RaffleEntry) == 0


def test_a_link_counts_once_for_everyone_even_spelled_differently(client, make_client, warmup):
    make.sign_in(client, make.user("第一个"))
    assert video(client, "https://v.kuaishou.com/abc?utm_source=wx&b=2&a=1").status_code == 303
    other = make_client()
    make.sign_in(other, make.user("第二个"))
    for reused in ("https://v.kuaishou.com/abc?a=1&b=2", "HTTP://V.KUAISHOU.COM/abc/?b=2&a=1#t"):
        response = video(other, reused)
        assert response.status_code == 409
        assert "这个视频链接已经提交过了，每个链接只算一次。" in page(response)
    assert count(VideoTask) == 1 and count(RaffleEntry) == 1


def test_tasks_are_open_only_during_the_warmup(client, warmup):
    campaign, _shop, room = warmup
    make.sign_in(client, make.user())
    clock.freeze(campaign.sale_start + timedelta(hours=1))
    response = video(client, "https://v.kuaishou.com/abc")
    assert response.status_code == 409 and "预热任务只在预热期开放。" in page(response)
    assert client.post(f"/campaigns/116-2026/live/{room.id}/vote").status_code == 409
    assert count(VideoTask) == 0 and count(Vote) == 0


def test_one_vote_per_anchor_per_day(client, warmup):
    _campaign, shop, room = warmup
    buyer = make.user()
    make.sign_in(client, buyer)
    assert "为主播投票" in page(client.get(f"/live/{room.id}"))
    response = client.post(f"/campaigns/116-2026/live/{room.id}/vote", data={"next": f"/live/{room.id}"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/live/{room.id}")
    assert "今天已投票" in page(client.get(f"/live/{room.id}"))
    again = client.post(f"/campaigns/116-2026/live/{room.id}/vote")
    assert again.status_code == 409 and "今天已经给这位主播投过票了" in page(again)
    assert count(Vote) == 1 and count(RaffleEntry) == 1
    clock.travel(timedelta(days=1))
    assert client.post(f"/campaigns/116-2026/live/{room.id}/vote").status_code == 303
    assert count(Vote) == 2 and count(RaffleEntry) == 2  # a new day, a new entry


def test_votes_only_for_approved_anchors_and_never_for_oneself(client, warmup):
    campaign, shop, room = warmup
    outsider = make.merchant("四会玉器", belt_slug="sihui-jade")
    their_room = make.live_room(outsider, title="未报名的直播间")
    make.sign_in(client, make.user())
    response = client.post(f"/campaigns/116-2026/live/{their_room.id}/vote")
    assert response.status_code == 409 and "这位主播没有参加本次活动。" in page(response)
    assert client.post("/campaigns/116-2026/live/99999/vote").status_code == 404
    assert "为主播投票" not in page(client.get(f"/live/{their_room.id}"))
    make.sign_in(client, shop.owner)
    own = client.post(f"/campaigns/116-2026/live/{room.id}/vote")
    assert own.status_code == 403 and "不能给自己的直播间投票。" in page(own)
    assert count(Vote) == 0
    anonymous = client.application.test_client()
    assert anonymous.post(f"/campaigns/116-2026/live/{room.id}/vote").status_code in (302, 303)
    assert anonymous.post(f"/campaigns/116-2026/live/{room.id}/vote", csrf=False).status_code == 400


def test_coins_top_up_once_per_form_and_pay_for_gifts_with_a_ledger(client, warmup):
    _campaign, _shop, room = warmup
    buyer = make.user()
    make.sign_in(client, buyer)
    form = {"pack": "60", "key": "k" * 20}
    assert client.post("/campaigns/116-2026/coins/topup", data=form).status_code == 303
    assert client.post("/campaigns/116-2026/coins/topup", data=form).status_code == 303  # resubmitted
    assert tasks.balance(buyer) == 60 and count(CoinLedger) == 1
    client.post("/campaigns/116-2026/coins/topup", data={"pack": "60", "key": "m" * 20})
    response = client.post(f"/campaigns/116-2026/live/{room.id}/gift",
                           data={"gift": "jade-hall", "quantity": "1", "next": f"/live/{room.id}"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/live/{room.id}")
    db.session.expire_all()
    assert tasks.balance(buyer) == 120 - 66
    assert db.session.get(CoinAccount, buyer.id).balance == 54
    assert count(GiftSend) == 1 and count(RaffleEntry) == 1


def test_gifts_beyond_the_balance_are_refused_and_nothing_changes(client, warmup):
    _campaign, _shop, room = warmup
    buyer = make.user()
    make.sign_in(client, buyer)
    client.post("/campaigns/116-2026/coins/topup", data={"pack": "60", "key": "a" * 20})
    response = client.post(f"/campaigns/116-2026/live/{room.id}/gift",
                           data={"gift": "jade-hall", "quantity": "1"})
    assert response.status_code == 409
    assert "金币不足：送出需要 66 金币，你有 60 金币。" in page(response)
    db.session.expire_all()
    assert tasks.balance(buyer) == 60 and count(GiftSend) == 0 and count(RaffleEntry) == 0
    for data, status in (({"gift": "nope", "quantity": "1"}, 400),
                         ({"gift": "yellow-cart", "quantity": "0"}, 400),
                         ({"gift": "yellow-cart", "quantity": "-1"}, 400),
                         ({"gift": "yellow-cart", "quantity": "100"}, 400)):
        assert client.post(f"/campaigns/116-2026/live/{room.id}/gift", data=data).status_code == status
    assert tasks.balance(buyer) == 60 and count(GiftSend) == 0
    ok = client.post(f"/campaigns/116-2026/live/{room.id}/gift",
                     data={"gift": "yellow-cart", "quantity": "6"})
    assert ok.status_code == 303
    db.session.expire_all()
    assert tasks.balance(buyer) == 0 and count(GiftSend) == 1 and count(RaffleEntry) == 1
    lines = [(line.delta, line.balance_after, line.reason) for line in
             db.session.scalars(select(CoinLedger).order_by(CoinLedger.id))]
    assert lines == [(60, 60, "topup"), (-60, 0, "gift")]
    board = page(client.get("/campaigns/116-2026/tasks"))
    assert "通过送礼物获得" in board and "-60" in board


def test_bad_top_ups_are_refused(client, warmup):
    buyer = make.user()
    make.sign_in(client, buyer)
    url = "/campaigns/116-2026/coins/topup"
    assert client.post(url, data={"pack": "7", "key": "a" * 20}).status_code == 400
    assert client.post(url, data={"pack": "60", "key": "short"}).status_code == 400
    # the longest key the ledger's reference holds is refused cleanly beyond it (not a 500)
    assert client.post(url, data={"pack": "60", "key": "k" * 64}).status_code == 400
    unknown = client.post("/campaigns/no-such-campaign/coins/topup",
                          data={"pack": "60", "key": "u" * 20})
    assert unknown.status_code == 404
    assert tasks.balance(buyer) == 0 and count(CoinLedger) == 0
    assert client.post(url, data={"pack": "60", "key": "k" * 58}).status_code == 303
    assert tasks.balance(buyer) == 60


def test_a_top_up_credited_twice_changes_the_balance_once(warmup):
    buyer = make.user()
    assert tasks.credit(buyer.id, 60, "topup", "topup:" + "d" * 20)
    assert not tasks.credit(buyer.id, 60, "topup", "topup:" + "d" * 20)
    db.session.commit()
    assert tasks.balance(buyer) == 60 and count(CoinLedger) == 1


def test_gifts_cost_what_the_catalogue_shows(client, warmup):
    from app.campaigns.models import Gift

    _campaign, _shop, room = warmup
    make.sign_in(client, make.user())
    client.post("/campaigns/116-2026/coins/topup", data={"pack": "60", "key": "g" * 20})
    # a row from an earlier version with another price does not change what is charged
    db.session.add(Gift(code="source-goods", name="源头好货", icon="源", price_coins=50,
                        ecommerce_exclusive=True, position=0))
    db.session.commit()
    client.post(f"/campaigns/116-2026/live/{room.id}/gift", data={"gift": "source-goods",
                                                                  "quantity": "2"})
    assert db.session.scalar(select(GiftSend.coins)) == 2


def test_strangers_are_sent_to_sign_in_and_nothing_is_recorded(client, warmup):
    _campaign, _shop, room = warmup
    for url, data in (("/campaigns/116-2026/tasks/video",
                       {"url": "https://v.kuaishou.com/x", "caption": "#116卖货王"}),
                      ("/campaigns/116-2026/coins/topup", {"pack": "60", "key": "z" * 20}),
                      (f"/campaigns/116-2026/live/{room.id}/vote", {}),
                      (f"/campaigns/116-2026/live/{room.id}/gift", {"gift": "source-goods",
                                                                    "quantity": "1"})):
        response = client.post(url, data=dict(data))
        assert response.status_code in (302, 303) and "/signin" in response.headers["Location"]
        assert client.post(url, data=dict(data), csrf=False).status_code == 400
    assert client.get("/campaigns/116-2026/tasks").status_code in (302, 303)
    assert count(VideoTask) == count(Vote) == count(GiftSend) == count(CoinLedger) == 0
    assert count(RaffleEntry) == 0


def test_with_htmx_votes_and_gifts_answer_with_the_rooms_task_section(client, warmup):
    _campaign, _shop, room = warmup
    make.sign_in(client, make.user())
    hx = {"HX-Request": "true"}
    voted = client.post(f"/campaigns/116-2026/live/{room.id}/vote",
                        data={"next": f"/live/{room.id}"}, headers=hx)
    assert voted.status_code == 200
    text = page(voted)
    assert "<html" not in text and 'id="room-tasks"' in text
    assert "投票成功" in text and "今天已投票" in text and "1 票" in text
    again = client.post(f"/campaigns/116-2026/live/{room.id}/vote", headers=hx)
    assert again.status_code == 409 and "今天已经给这位主播投过票了" in page(again)
    broke = client.post(f"/campaigns/116-2026/live/{room.id}/gift",
                        data={"gift": "sales-king", "quantity": "1"}, headers=hx)
    assert broke.status_code == 409 and "金币不足" in page(broke) and 'id="room-tasks"' in page(broke)
    assert count(Vote) == 1 and count(GiftSend) == 0


def test_a_vote_after_the_warmup_ended_says_why_instead_of_emptying_the_section(client,
                                                                                 warmup):
    campaign, _shop, room = warmup
    make.sign_in(client, make.user())
    clock.freeze(campaign.sale_start + timedelta(minutes=1))  # the sale phase began
    late = client.post(f"/campaigns/116-2026/live/{room.id}/vote", headers={"HX-Request": "true"})
    assert late.status_code in (403, 409)
    assert 'id="room-tasks"' in page(late) and "预热" in page(late)
