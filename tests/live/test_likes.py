"""点赞 in a live room: every tap counts, none is a database write of its own, the room shows
the total, a flood of taps is refused with a 429 — with several workers, with and without Redis."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import event

from app import tick
from app.extensions import db
from app.live import likes
from app.live.comment_models import LiveChatState
from tests import factories as make
from tests.live.conftest import htmx, signed_in


@pytest.fixture
def buyer(ctx):
    return make.user("老铁买家")


@pytest.fixture
def roomy_limits(app, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_LIVE_LIKE", "1000 per minute")


def stored_likes(room_id: int) -> int:
    db.session.expire_all()
    row = db.session.get(LiveChatState, room_id)
    count = row.likes if row else 0
    db.session.commit()  # SQLite: the test's read must not keep the other worker waiting
    return count


def shown(room_id: int) -> int:
    count = likes.total(room_id)
    db.session.commit()
    return count


def tap(client, room_id, **headers):
    return client.post(f"/live/{room_id}/like", headers=headers)


def test_a_tap_counts_at_once_and_reaches_the_database_in_a_batch(client, studio, buyer,
                                                                  roomy_limits):
    make.sign_in(client, buyer)
    room = studio.room.id
    writes: list[str] = []

    def note(conn, cursor, statement, *args):
        if "live_chat_states" in statement and statement.lstrip().upper().startswith(
                ("INSERT", "UPDATE")):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        for n in range(1, 4):
            response = tap(client, room, **htmx("live-likes"))
            assert response.status_code == 200
            assert f'<span class="like-count">{n}</span>' in response.get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert writes == []  # no write per tap
    assert stored_likes(room) == 0
    assert likes.flush() == 1
    assert stored_likes(room) == 3
    page = client.get(f"/live/{room}").get_data(as_text=True)
    assert '<span class="like-count">3</span>' in page


def test_without_javascript_a_tap_goes_back_to_the_room(client, studio, buyer):
    make.sign_in(client, buyer)
    response = tap(client, studio.room.id)
    assert response.status_code == 303 and response.headers["Location"].endswith("#live-chat")
    assert likes.total(studio.room.id) == 1


def test_a_flood_of_taps_gets_429_with_a_message(client, studio, buyer, app, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_LIVE_LIKE", "3 per 10 seconds")
    make.sign_in(client, buyer)
    for _ in range(3):
        assert tap(client, studio.room.id, **htmx("live-likes")).status_code == 200
    response = tap(client, studio.room.id, **htmx("live-likes"))
    fragment = response.get_data(as_text=True)
    assert response.status_code == 429
    assert fragment.lstrip().startswith('<div id="live-likes"')
    assert "点得太快了，歇一会儿再点吧。" in fragment
    assert tap(client, studio.room.id).status_code == 429
    assert likes.total(studio.room.id) == 3


def test_the_default_limit_bounds_one_persons_taps(client, studio, buyer):
    make.sign_in(client, buyer)
    statuses = [tap(client, studio.room.id, **htmx("live-likes")).status_code
                for _ in range(35)]
    assert statuses.count(200) == 30 and statuses[-1] == 429
    assert likes.total(studio.room.id) == 30


def test_taps_that_are_refused_change_nothing(client, studio, buyer):
    assert tap(client, studio.room.id).status_code == 403  # not signed in
    page = client.get(f"/live/{studio.room.id}").get_data(as_text=True)
    assert "登录后点赞" in page
    make.sign_in(client, buyer)
    assert tap(client, 999).status_code == 404
    response = client.post(f"/live/{studio.room.id}/like", data=json.dumps({"n": 100}),
                           content_type="application/json",
                           headers={"X-CSRFToken": client.csrf_token()})
    assert response.status_code == 415
    assert client.post(f"/live/{studio.room.id}/like", csrf=False).status_code == 400
    studio.room.status = "ended"
    db.session.commit()
    response = tap(client, studio.room.id, **htmx("live-likes"))
    assert response.status_code == 409
    assert "直播未在进行，暂时不能点赞。" in response.get_data(as_text=True)
    assert likes.total(studio.room.id) == 0


def test_the_counter_answers_304_until_the_count_changes(make_client, studio, buyer):
    viewer = make_client()
    first = viewer.get(f"/live/{studio.room.id}/likes", headers=htmx("live-likes"))
    assert first.status_code == 200
    etag = first.headers["ETag"]
    again = viewer.get(f"/live/{studio.room.id}/likes",
                       headers={**htmx("live-likes"), "If-None-Match": etag})
    assert again.status_code == 304
    tap(signed_in(make_client, buyer), studio.room.id)
    changed = viewer.get(f"/live/{studio.room.id}/likes",
                         headers={**htmx("live-likes"), "If-None-Match": etag})
    assert changed.status_code == 200
    assert '<span class="like-count">1</span>' in changed.get_data(as_text=True)


def test_an_ended_room_shows_its_total_without_a_button(client, studio, buyer):
    db.session.add(LiveChatState(room_id=studio.room.id, likes=23456))
    studio.room.status = "ended"
    db.session.commit()
    make.sign_in(client, buyer)
    page = client.get(f"/live/{studio.room.id}").get_data(as_text=True)
    assert "2.3万 个赞" in page and 'class="like-button"' not in page


def test_the_tick_job_writes_the_likes(client, studio, buyer):
    make.sign_in(client, buyer)
    tap(client, studio.room.id)
    assert "live.flush_likes" in dict(tick.JOBS)
    tick.run_all()
    assert stored_likes(studio.room.id) == 1


# --- several workers ------------------------------------------------------------------------

def taps_in(worker, user, room_id: int, n: int) -> None:
    client = worker.test_client()
    make.sign_in(client, user)
    for _ in range(n):
        assert tap(client, room_id).status_code == 303


def flush_in(worker) -> int:
    with worker.app_context():
        try:
            return likes.flush()
        finally:
            db.session.remove()


def test_without_redis_each_worker_adds_its_own_taps(app, second_worker, studio, buyer):
    other = make.user("王姐")
    taps_in(app, buyer, studio.room.id, 4)
    taps_in(second_worker, other, studio.room.id, 3)
    assert shown(studio.room.id) == 4  # this worker knows its own taps at once
    flush_in(second_worker)
    assert shown(studio.room.id) == 7  # and the other's once written
    flush_in(app)
    flush_in(second_worker)  # nothing left to add: no double count
    assert stored_likes(studio.room.id) == 7
