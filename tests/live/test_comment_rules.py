"""What a buyer may say in a live room (弹幕): the text rule, and the room's rules around it."""
from __future__ import annotations

import pytest

from app.exceptions import Conflict, InvalidInput, NotFound, PermissionDenied
from app.extensions import db
from app.live import comments
from app.live.comment_models import LiveComment, LiveMute
from tests import factories as make

# --- the text ---------------------------------------------------------------------------------

def refused(raw: str) -> str:
    with pytest.raises(InvalidInput) as caught:
        comments.clean_comment(raw)
    assert caught.value.field == "body"
    return caught.value.message


@pytest.mark.parametrize("raw, stored", [
    ("这个手镯多少钱？", "这个手镯多少钱？"),
    ("  圈口\n多大\t呀  ", "圈口 多大 呀"),
    ("全角　空格", "全角 空格"),
    ("<b>好看</b><script>alert(1)</script>", "<b>好看</b><script>alert(1)</script>"),
    ("家人们👨‍👩‍👧都来了", "家人们👨‍👩‍👧都来了"),  # the zero-width joiner glues the family emoji
    ("１２８元包邮吗？ＯＫ", "１２８元包邮吗？ＯＫ"),  # full-width text is kept as typed
    ("有一点中国风，好看。", "有一点中国风，好看。"),
    ("¥128.00 还能便宜吗", "¥128.00 还能便宜吗"),
    ("1.5ml 小样有吗", "1.5ml 小样有吗"),
    ("ok. so cute", "ok. so cute"),
    ("12:30 开始抢", "12:30 开始抢"),
])
def test_a_comment_is_kept_as_typed_with_whitespace_tidied(raw, stored):
    assert comments.clean_comment(raw) == stored


def test_sixty_characters_is_the_limit_counted_after_tidying():
    assert comments.clean_comment("好" * 60) == "好" * 60
    assert comments.clean_comment("  " + "好 " * 30) == ("好 " * 30).strip()  # 59 characters
    assert "最多 60 个字（现在 61 个）" in refused("好" * 61)


def test_ten_kilobytes_is_refused_before_any_work():
    assert "这条太长了" in refused("刷屏" * 5000)


@pytest.mark.parametrize("raw", ["", "   ", "\n\t", "　　"])
def test_an_empty_comment_is_refused(raw):
    assert refused(raw) == "请先写点什么再发送。"


@pytest.mark.parametrize("raw", [
    "好看\x00", "响铃\x07", "退格\x08", "转义\x1b[31m红字", "\x7f删除", "C1 控制\x85",
    "反转\u202eRLO", "隔离\u2067", "零宽\u200b空格", "BOM\ufeff",
])
def test_control_and_invisible_characters_are_refused(raw):
    assert refused(raw) == "弹幕里不能有控制字符或看不见的格式字符。"


@pytest.mark.parametrize("raw", [
    "http://spam.example", "HTTPS://A.B", "看这里 www.taobao-fake.net", "加我 t.cn/abc",
    "ｗｗｗ．ｆａｋｅ．ｃｏｍ", "fake．com", "fake。com", "fake｡cn", "fake . top",
    "fake 点 com", "fake點cn", "fake dot com", "fake(.)com", "fake[.]net", "fake（.）com",
    "淘宝.com 便宜", "好货.中国", "192.168.1.20", "联系 a@b.cn", "weixin://dl/chat",
    "ＨＴＴＰ：／／ｘ", "复制打开 ⅹⅹⅹ.cc",
])
def test_links_are_refused_in_every_common_disguise(raw):
    assert refused(raw) == "弹幕里不能带链接或网址。"


# --- posting in a room ---------------------------------------------------------------------

@pytest.fixture
def buyer(ctx):
    return make.user("老铁买家")


def test_a_buyer_comments_in_a_live_room(studio, buyer):
    comment = comments.post_comment(buyer, studio.room.id, " 冰种的吗？ ")
    assert db.session.get(LiveComment, comment.id).body == "冰种的吗？"


def test_no_one_comments_before_signing_in(studio):
    with pytest.raises(PermissionDenied):
        comments.post_comment(None, studio.room.id, "你好")
    assert db.session.query(LiveComment).count() == 0


@pytest.mark.parametrize("status, message", [
    ("scheduled", "直播还没开始，开播后才能发弹幕。"),
    ("ended", "直播已结束，弹幕已关闭。"),
])
def test_comments_are_closed_unless_the_room_is_live(studio, buyer, status, message):
    studio.room.status = status
    db.session.commit()
    with pytest.raises(Conflict) as caught:
        comments.post_comment(buyer, studio.room.id, "还有货吗")
    assert caught.value.message == message
    assert db.session.query(LiveComment).count() == 0


def test_an_unknown_room_or_a_suspended_shops_room_is_not_found(studio, buyer):
    with pytest.raises(NotFound):
        comments.post_comment(buyer, 999, "你好")
    studio.shop.status = "suspended"
    db.session.commit()
    with pytest.raises(NotFound):
        comments.post_comment(buyer, studio.room.id, "你好")
    assert db.session.query(LiveComment).count() == 0


def test_a_muted_user_is_told_so_and_nothing_is_stored(studio, buyer):
    db.session.add(LiveMute(room_id=studio.room.id, user_id=buyer.id))
    db.session.commit()
    with pytest.raises(PermissionDenied) as caught:
        comments.post_comment(buyer, studio.room.id, "我又来了")
    assert caught.value.message == "你已被禁言，不能在这个直播间发弹幕。"
    assert db.session.query(LiveComment).count() == 0


def test_a_mute_holds_in_its_own_room_only(studio, buyer):
    other = make.live_room(make.merchant("镇平玉满堂"), title="玉满堂直播")
    db.session.add(LiveMute(room_id=other.id, user_id=buyer.id))
    db.session.commit()
    assert comments.post_comment(buyer, studio.room.id, "这里还能说").id


def test_the_anchor_answers_in_their_own_room(studio):
    assert comments.post_comment(studio.owner, studio.room.id, "56 圈口，有证书").id


def test_who_may_moderate_a_room(studio, outsiders):
    assert comments.may_moderate(studio.owner, studio.room)
    assert comments.may_moderate(outsiders["belt admin"], studio.room)
    assert comments.may_moderate(outsiders["operator"], studio.room)
    assert not comments.may_moderate(outsiders["anonymous"], studio.room)
    assert not comments.may_moderate(outsiders["buyer"], studio.room)
    assert not comments.may_moderate(outsiders["another merchant"], studio.room)
    assert not comments.may_moderate(make.belt_admin("ruili-jade", "瑞丽管理员"), studio.room)


def test_a_shop_without_a_belt_is_moderated_by_its_anchor_and_operators_only(ctx):
    shop = make.merchant("义乌小商品", belt_slug=None)
    room = make.live_room(shop, title="义乌直播")
    assert comments.may_moderate(shop.owner, room)
    assert comments.may_moderate(make.user("运营", operator=True), room)
    assert not comments.may_moderate(make.belt_admin("zhenping-jade"), room)
