"""Buyers watch: the room's video area in each state, and replays (直播回放) with the goods
explained in them, each with "jump to when it was explained" and a buy button."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app import clock
from app.extensions import db
from app.live.models import LiveBroadcast, LiveMarker, ReplayStatus
from tests import factories as make


def broadcast_of(room, *, minutes_ago=60, length=42 * 60, status=ReplayStatus.ready,
                 markers=(), name=None):
    started = clock.now() - timedelta(minutes=minutes_ago)
    row = LiveBroadcast(room_id=room.id, stream_name=name or f"r{room.id}-{minutes_ago:016x}",
                        key_hash="0" * 64, started_at=started,
                        ended_at=started + timedelta(seconds=length) if length else None,
                        duration_seconds=length, replay_status=status, replay_seconds=length,
                        end_reason="publisher_done" if length else "")
    db.session.add(row)
    db.session.flush()
    for product, offset in markers:
        db.session.add(LiveMarker(broadcast_id=row.id, product_id=product.id,
                                  offset_seconds=offset))
    db.session.commit()
    return row


@pytest.fixture
def replay(studio):
    studio.room.status = "ended"
    db.session.commit()
    return broadcast_of(studio.room, markers=[(studio.pendant, 95), (studio.bangle, 300),
                                              (studio.pendant, 1260)])


def test_a_live_broadcast_plays_its_hls_from_the_same_origin(client, studio):
    row = broadcast_of(studio.room, minutes_ago=5, length=None, status=ReplayStatus.recording)
    answer = client.get(f"/live/{studio.room.id}")
    page = answer.get_data(as_text=True)
    assert f'<video class="live-video" src="/hls/{row.stream_name}/index.m3u8"' in page
    assert 'data-hls-lib="/static/vendor/hls.light.min.js?v=' in page
    csp = answer.headers["Content-Security-Policy"]
    assert "connect-src 'self';" in csp and "media-src 'self' https: blob:;" in csp
    assert "unsafe-inline" not in csp


def test_a_pasted_playlist_elsewhere_is_allowed_for_hls_js_and_nothing_more(client, studio):
    studio.room.stream_url = "https://live.example.cn/zhenping/room.m3u8"
    db.session.commit()
    csp = client.get(f"/live/{studio.room.id}").headers["Content-Security-Policy"]
    assert "connect-src 'self' https://live.example.cn;" in csp
    assert "https://live.example.cn" in csp.split("media-src")[1].split(";")[0]


def test_the_video_comes_first_then_the_pinned_product_and_the_cart_then_the_rest(client,
                                                                                  studio):
    page = client.get(f"/live/{studio.room.id}").get_data(as_text=True)
    order = [page.index(mark) for mark in ('class="live-stage', 'class="pinned-card',
                                           'class="cart-list"', 'id="live-chat"',
                                           'aria-label="关于主播"')]
    assert order == sorted(order)


def test_an_ended_room_links_its_newest_replay(client, studio, replay):
    page = client.get(f"/live/{studio.room.id}").get_data(as_text=True)
    assert "直播已结束" in page and f"/live/{studio.room.id}/replays/{replay.id}" in page
    assert "回放 42:00" in page  # the room's replay list
    newest = client.get(f"/live/{studio.room.id}/replay")
    assert newest.status_code == 303
    assert newest.headers["Location"].endswith(f"/live/{studio.room.id}/replays/{replay.id}")


def test_the_shop_page_lists_its_replays(client, studio, replay):
    page = client.get(f"/shops/{studio.shop.id}").get_data(as_text=True)
    assert "直播回放" in page and f"/live/{studio.room.id}/replays/{replay.id}" in page


def test_the_replay_lists_the_goods_explained_with_jumps_and_buy_buttons(client, studio,
                                                                         replay):
    answer = client.get(f"/live/{studio.room.id}/replays/{replay.id}")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert f'src="/media/replays/{replay.stream_name}/replay.m3u8"' in page
    goods = page[page.index('class="explained-list"'):]
    assert goods.index("独山玉平安扣吊坠") < goods.index("冰种飘花翡翠手镯")  # first explained first
    assert goods.count("独山玉平安扣吊坠</a>") == 1  # one row per product, two moments
    for offset, label in ((95, "01:35"), (1260, "21:00"), (300, "05:00")):
        assert f"?t={offset}#player" in goods and f'data-seek="{offset}"' in goods
        assert f"{label} 讲解" in goods
    assert "去购买" in goods
    assert f'href="/products/{studio.pendant.id}"' in goods


def test_a_jump_starts_the_replay_there_without_javascript(client, studio, replay):
    page = client.get(f"/live/{studio.room.id}/replays/{replay.id}?t=1260").get_data(
        as_text=True)
    assert f'src="/media/replays/{replay.stream_name}/replay.m3u8#t=1260"' in page
    assert 'data-start="1260"' in page


@pytest.mark.parametrize("t", ["abc", "-5", "1e9", "%00", "99999999999999999999"])
def test_a_bad_start_is_ignored(client, studio, replay, t):
    answer = client.get(f"/live/{studio.room.id}/replays/{replay.id}?t={t}")
    assert answer.status_code in (200, 400)
    if answer.status_code == 200:
        assert 'data-start="0"' in answer.get_data(as_text=True)


def test_a_sold_out_good_has_no_buy_button(client, studio, replay):
    page = client.get(f"/live/{studio.room.id}/replays/{replay.id}").get_data(as_text=True)
    assert "去购买：和田玉手串" not in page  # never explained
    studio.pendant.stock = 0
    db.session.commit()
    page = client.get(f"/live/{studio.room.id}/replays/{replay.id}").get_data(as_text=True)
    assert "去购买：独山玉平安扣吊坠" not in page and "已抢光" in page


def test_a_replay_without_markers_says_so(client, studio):
    row = broadcast_of(studio.room)
    page = client.get(f"/live/{studio.room.id}/replays/{row.id}").get_data(as_text=True)
    assert "这场直播没有讲解商品" in page


def test_a_replay_being_written_says_so(client, studio):
    row = broadcast_of(studio.room, status=ReplayStatus.recording)
    answer = client.get(f"/live/{studio.room.id}/replays/{row.id}")
    assert answer.status_code == 200 and "回放生成中" in answer.get_data(as_text=True)
    assert "<video" not in answer.get_data(as_text=True)


def test_unknown_or_foreign_or_on_air_replays_are_404s(client, studio, replay):
    other_shop = make.merchant("镇平玉满堂")
    other = make.live_room(other_shop)
    assert client.get(f"/live/{other.id}/replays/{replay.id}").status_code == 404
    assert client.get(f"/live/{studio.room.id}/replays/999").status_code == 404
    on_air = broadcast_of(other, minutes_ago=3, length=None, status=ReplayStatus.recording)
    assert client.get(f"/live/{other.id}/replays/{on_air.id}").status_code == 404
    assert client.get(f"/live/{other.id}/replay").status_code == 404


def test_a_suspended_shops_replays_are_gone_for_buyers(client, studio, replay):
    studio.shop.status = "suspended"
    db.session.commit()
    assert client.get(f"/live/{studio.room.id}/replays/{replay.id}").status_code == 404
