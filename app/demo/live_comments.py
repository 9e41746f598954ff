"""Demo comments (弹幕) and likes in 玉匠人's live room: a few buyers asking what buyers ask,
the anchor answering. Idempotent: a room that already has comments is left as it is."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app import clock
from app.demo.live import _shop
from app.demo.people import YUJIANGREN_EMAIL, ensure_user, password_hash
from app.extensions import db
from app.live.comment_models import LiveChatState, LiveComment
from app.live.models import LiveRoom, RoomStatus

VIEWERS = [
    ("viewer-hangzhou@demo.yuantou.cn", "杭州老铁"),
    ("viewer-jade-fan@demo.yuantou.cn", "爱翡翠的阿敏"),
    ("viewer-newbie@demo.yuantou.cn", "玉石小白"),
    ("viewer-zhengzhou@demo.yuantou.cn", "郑州王姐"),
]
# (viewer index or None for the anchor, minutes ago, text)
COMMENTS = [
    (0, 30, "主播晚上好！从杭州赶来看镇平玉"),
    (1, 26, "冰种飘花那只手镯圈口多大？"),
    (None, 25, "这只是 56 圈口，还有 54 和 58 的，拍下备注就行"),
    (2, 19, "新手求问：A货怎么看？有证书吗"),
    (None, 18, "每件都带 NGTC 证书，证书号在商品页能查"),
    (3, 11, "平安扣给孩子戴合适吗？"),
    (1, 6, "已拍！期待发货"),
    (0, 2, "2号链接还有货吗？"),
]
DEMO_LIKES = 23456


def seed_comments(scale: int = 0) -> list[str]:
    shop = _shop(YUJIANGREN_EMAIL)
    room = db.session.scalar(select(LiveRoom).where(LiveRoom.merchant_id == shop.id)) \
        if shop is not None else None
    if room is None or room.status != RoomStatus.live:
        return []
    has = db.session.scalar(select(func.count()).select_from(LiveComment)
                            .where(LiveComment.room_id == room.id))
    if has:
        return [f"live comments: {has} already in 玉匠人's room"]
    pw_hash = password_hash()
    viewers = [ensure_user(email, name, pw_hash) for email, name in VIEWERS]
    now = clock.now()
    # Within the current broadcast (comments before it started are not shown).
    start = max(room.started_at or now, now - timedelta(minutes=40))
    span = (now - start).total_seconds()
    for viewer, minutes_ago, text in COMMENTS:
        at = now - timedelta(seconds=min(minutes_ago * 60, span * minutes_ago / 40))
        author = viewers[viewer].id if viewer is not None else shop.owner_id
        db.session.add(LiveComment(room_id=room.id, user_id=author, body=text, created_at=at))
    if db.session.get(LiveChatState, room.id) is None:
        db.session.add(LiveChatState(room_id=room.id, likes=DEMO_LIKES))
    db.session.commit()
    return [f"live comments: {len(COMMENTS)} in 玉匠人's room, {DEMO_LIKES} likes"]
