"""The demo's live room has buyers asking and the anchor answering, and a like total; seeding
again changes nothing."""
from __future__ import annotations

from app.demo import YUJIANGREN_EMAIL
from app.demo.live_comments import COMMENTS, DEMO_LIKES, seed_comments
from app.extensions import db
from app.live.comment_models import LiveChatState, LiveComment
from tests import factories as make


def test_demo_comments_are_seeded_once_and_shown(client, ctx):
    shop = make.merchant("玉匠人", owner=make.user("玉匠人", email=YUJIANGREN_EMAIL))
    room = make.live_room(shop, title="玉匠人 · 镇平玉雕源头直播")
    assert seed_comments()
    assert seed_comments()  # says what is there, adds nothing
    db.session.expire_all()
    assert db.session.query(LiveComment).count() == len(COMMENTS)
    assert db.session.get(LiveChatState, room.id).likes == DEMO_LIKES
    page = client.get(f"/live/{room.id}").get_data(as_text=True)
    assert "2号链接还有货吗？" in page and "主播" in page and "2.3万" in page
