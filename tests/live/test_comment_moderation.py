"""Who may take a comment back or mute someone in a live room: its anchor, the admins of its
shop's own belt, and platform operators — checked for every action, for every role."""
from __future__ import annotations

import pytest

from app.accounts.models import AuditEntry
from app.extensions import db
from app.live.comment_models import LiveComment, LiveMute
from tests import factories as make
from tests.live.conftest import htmx, signed_in

MODERATORS = ("the anchor", "the shop's belt admin", "an operator")
REFUSED = ("anonymous", "a buyer", "another merchant", "another belt's admin")


@pytest.fixture
def people(ctx, studio):
    return {
        "anonymous": None,
        "a buyer": make.user("老铁买家"),
        "the anchor": studio.owner,
        "another merchant": make.merchant("镇平玉满堂").owner,
        "the shop's belt admin": make.belt_admin("zhenping-jade", "镇平管理员"),
        "another belt's admin": make.belt_admin("ruili-jade", "瑞丽管理员"),
        "an operator": make.user("平台运营", operator=True),
    }


@pytest.fixture
def spammer(ctx, studio):
    user = make.user("刷屏哥")
    comment = LiveComment(room_id=studio.room.id, user_id=user.id, body="加我微信领红包")
    db.session.add(comment)
    db.session.commit()
    return user, comment


def actions(studio, spammer):
    user, comment = spammer
    room = studio.room.id
    return {
        "remove": f"/live/{room}/comments/{comment.id}/remove",
        "mute": f"/live/{room}/mutes/{user.id}",
        "unmute": f"/live/{room}/mutes/{user.id}/remove",
    }


def state(studio, spammer):
    db.session.expire_all()
    comment = db.session.get(LiveComment, spammer[1].id)
    muted = db.session.get(LiveMute, (studio.room.id, spammer[0].id)) is not None
    return comment.removed_at is not None, muted, db.session.query(AuditEntry).count()


@pytest.mark.parametrize("role", REFUSED)
@pytest.mark.parametrize("action", ["remove", "mute", "unmute"])
def test_outsiders_can_not_moderate(make_client, studio, people, spammer, role, action):
    if action == "unmute":
        db.session.add(LiveMute(room_id=studio.room.id, user_id=spammer[0].id))
        db.session.commit()
    before = state(studio, spammer)
    client = signed_in(make_client, people[role])
    for headers in ({}, htmx("live-comments")):
        response = client.post(actions(studio, spammer)[action], headers=headers)
        assert response.status_code == 403, (role, action)
        text = response.get_data(as_text=True)
        assert ("请先登录" if role == "anonymous" else "只有主播、本产业带的基地管理员和平台运营") in text
    assert state(studio, spammer) == before


@pytest.mark.parametrize("role", MODERATORS)
def test_moderators_remove_mute_and_unmute_with_an_audit_trail(make_client, studio, people,
                                                               spammer, role):
    client = signed_in(make_client, people[role])
    urls = actions(studio, spammer)
    actor = people[role]

    response = client.post(urls["remove"])
    assert response.status_code == 303 and response.headers["Location"].endswith("#live-chat")
    assert state(studio, spammer)[:2] == (True, False)
    assert "加我微信领红包" not in client.get(f"/live/{studio.room.id}").get_data(as_text=True)

    response = client.post(urls["mute"], headers=htmx("live-comments"))
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="live-comments"')
    assert "已禁言，该用户不能再在本直播间发弹幕。" in fragment and "已禁言 1 人" in fragment
    assert state(studio, spammer)[:2] == (True, True)
    refused = signed_in(make_client, spammer[0]).post(
        f"/live/{studio.room.id}/comments", data={"body": "换个说法"}, headers=htmx("live-chat"))
    assert refused.status_code == 403
    assert "你已被禁言，不能在这个直播间发弹幕。" in refused.get_data(as_text=True)

    assert client.post(urls["unmute"]).status_code == 303
    assert state(studio, spammer)[:2] == (True, False)

    entries = db.session.query(AuditEntry).order_by(AuditEntry.id).all()
    assert [e.action for e in entries] == ["live.comment_remove", "live.mute", "live.unmute"]
    assert all(e.actor_id == actor.id and e.belt_id == studio.shop.belt_id for e in entries)
    assert entries[0].details["body"] == "加我微信领红包"
    assert entries[1].subject_id == spammer[0].id


def test_doing_it_twice_changes_nothing_more(make_client, studio, people, spammer):
    client = signed_in(make_client, people["the anchor"])
    urls = actions(studio, spammer)
    for _ in range(2):
        assert client.post(urls["remove"]).status_code == 303
        assert client.post(urls["mute"]).status_code == 303
    assert db.session.query(AuditEntry).count() == 2
    for _ in range(2):
        assert client.post(urls["unmute"]).status_code == 303
    assert db.session.query(AuditEntry).count() == 3


def test_the_anchor_and_admins_can_not_be_muted(make_client, studio, people):
    client = signed_in(make_client, people["an operator"])
    for role in ("the anchor", "the shop's belt admin"):
        response = client.post(f"/live/{studio.room.id}/mutes/{people[role].id}",
                               headers=htmx("live-comments"))
        assert response.status_code == 409
        assert "主播和管理员不能被禁言。" in response.get_data(as_text=True)
    assert db.session.query(LiveMute).count() == 0


def test_unknown_things_are_404s(make_client, studio, people, spammer):
    client = signed_in(make_client, people["the anchor"])
    other = make.live_room(make.merchant("镇平玉满堂2"), title="别人的直播间")
    foreign = LiveComment(room_id=other.id, user_id=spammer[0].id, body="别的直播间")
    db.session.add(foreign)
    db.session.commit()
    assert client.post(f"/live/{studio.room.id}/comments/999/remove").status_code == 404
    assert client.post(f"/live/{studio.room.id}/comments/{foreign.id}/remove").status_code == 404
    assert client.post(f"/live/{studio.room.id}/mutes/999").status_code == 404
    assert client.post(f"/live/999/mutes/{spammer[0].id}").status_code == 404
    assert db.session.get(LiveComment, foreign.id).removed_at is None


def test_moderators_see_the_tools_and_others_do_not(make_client, studio, people, spammer):
    tools = f"/live/{studio.room.id}/comments/{spammer[1].id}/remove"
    for role in MODERATORS:
        page = signed_in(make_client, people[role]).get(f"/live/{studio.room.id}")
        assert tools in page.get_data(as_text=True), role
    for role in REFUSED:
        page = signed_in(make_client, people[role]).get(f"/live/{studio.room.id}")
        assert tools not in page.get_data(as_text=True), role


def test_the_feed_changes_for_viewers_when_a_comment_is_removed(make_client, studio, people,
                                                                spammer):
    viewer = signed_in(make_client, people["a buyer"])
    first = viewer.get(f"/live/{studio.room.id}/comments", headers=htmx("live-comments"))
    assert "加我微信领红包" in first.get_data(as_text=True)
    signed_in(make_client, people["the anchor"]).post(actions(studio, spammer)["remove"])
    after = viewer.get(f"/live/{studio.room.id}/comments",
                       headers={**htmx("live-comments"), "If-None-Match": first.headers["ETag"]})
    assert after.status_code == 200 and "加我微信领红包" not in after.get_data(as_text=True)
