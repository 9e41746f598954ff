"""With REDIS_URL, as in production: two gunicorn workers (two app instances) on one Redis
count the same likes and see the same comments; an unchanged feed is answered from Redis with
no database query; Redis losing its keys or going away loses nothing that was stored."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from app.extensions import db
from app.live import likes
from app.live.comment_models import LiveChatState
from tests import factories as make
from tests.live.conftest import htmx

pytestmark = pytest.mark.usefixtures("chat_redis")


@pytest.fixture
def buyer(ctx):
    return make.user("老铁买家")


def client_of(worker, user=None):
    client = worker.test_client()
    if user is not None:
        make.sign_in(client, user)
    return client


def in_worker(worker, fn):
    db.session.commit()  # SQLite: the test's own transaction must not hold the write lock
    with worker.app_context():
        try:
            return fn()
        finally:
            db.session.remove()


def stored_likes(room_id: int) -> int:
    db.session.expire_all()
    row = db.session.get(LiveChatState, room_id)
    count = row.likes if row else 0
    db.session.commit()
    return count


def test_two_workers_count_the_same_likes_and_write_them_once(chat_redis, app, second_worker,
                                                              studio, buyer):
    room = studio.room.id
    one, two = client_of(app, buyer), client_of(second_worker, make.user("王姐"))
    for _ in range(5):
        assert one.post(f"/live/{room}/like").status_code == 303
    for _ in range(4):
        response = two.post(f"/live/{room}/like", headers=htmx("live-likes"))
    assert '<span class="like-count">9</span>' in response.get_data(as_text=True)
    assert in_worker(app, lambda: likes.total(room)) == 9  # no flush needed to see them
    assert stored_likes(room) == 0
    assert in_worker(second_worker, likes.flush) == 1
    assert in_worker(app, likes.flush) == 0  # nothing dirty left
    assert stored_likes(room) == 9
    one.post(f"/live/{room}/like")
    in_worker(app, likes.flush)
    in_worker(second_worker, likes.flush)
    assert stored_likes(room) == 10


def test_a_redis_that_lost_its_counts_starts_again_from_the_database(chat_redis, app, studio,
                                                                     buyer):
    db.session.add(LiveChatState(room_id=studio.room.id, likes=1000))
    db.session.commit()
    room = studio.room.id
    client = client_of(app, buyer)
    client.post(f"/live/{room}/like")
    assert in_worker(app, lambda: likes.total(room)) == 1001
    for key in chat_redis.scan_iter(match=app.config["CACHE_KEY_PREFIX"] + "*"):
        chat_redis.delete(key)  # Redis restarted without its data
    client.post(f"/live/{room}/like")
    assert in_worker(app, lambda: likes.total(room)) == 1001  # the lost tap only
    in_worker(app, likes.flush)
    assert stored_likes(room) == 1001  # never lowered


def count_queries():
    statements: list[str] = []

    def note(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    return statements, lambda: event.remove(db.engine, "before_cursor_execute", note)


@pytest.mark.parametrize("signed_in", [False, True])
def test_an_unchanged_feed_is_answered_from_redis_without_a_query(chat_redis, app, studio, buyer,
                                                                  signed_in):
    room = studio.room.id
    viewer = client_of(app, buyer if signed_in else None)
    url = f"/live/{room}/comments"
    etag = viewer.get(url, headers=htmx("live-comments")).headers["ETag"]
    viewer.get(url, headers={**htmx("live-comments"), "If-None-Match": etag})  # presence noted
    statements, stop = count_queries()
    try:
        for _ in range(3):
            response = viewer.get(url, headers={**htmx("live-comments"), "If-None-Match": etag})
            assert response.status_code == 304
    finally:
        stop()
    assert [s for s in statements if not s.startswith(("BEGIN", "COMMIT"))] == []


def test_a_comment_through_one_worker_changes_the_other_workers_feed_at_once(
        chat_redis, app, second_worker, studio, buyer):
    room = studio.room.id
    viewer = client_of(second_worker)
    url = f"/live/{room}/comments"
    first = viewer.get(url, headers=htmx("live-comments"))
    etag = first.headers["ETag"]
    assert viewer.get(url, headers={**htmx("live-comments"),
                                    "If-None-Match": etag}).status_code == 304
    client_of(app, buyer).post(f"/live/{room}/comments", data={"body": "另一个进程发的"})
    after = viewer.get(url, headers={**htmx("live-comments"), "If-None-Match": etag})
    assert after.status_code == 200 and "另一个进程发的" in after.get_data(as_text=True)


def test_a_lost_counter_starts_at_a_new_random_value_never_an_old_one(chat_redis, app, studio):
    viewer = client_of(app)
    url = f"/live/{studio.room.id}/comments"
    etag = viewer.get(url, headers=htmx("live-comments")).headers["ETag"]
    chat_redis.delete(app.config["CACHE_KEY_PREFIX"] + f"live:chat:{studio.room.id}:gen")
    response = viewer.get(url, headers={**htmx("live-comments"), "If-None-Match": etag})
    assert response.status_code == 200 and response.headers["ETag"] != etag


def test_with_redis_down_comments_and_likes_still_work(chat_redis, app, studio, buyer):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    room = studio.room.id
    client = client_of(app, buyer)
    assert client.post(f"/live/{studio.room.id}/comments", data={"body": "还能发"}).status_code == 303
    assert client.post(f"/live/{studio.room.id}/like").status_code == 303
    feed = client.get(f"/live/{studio.room.id}/comments", headers=htmx("live-comments"))
    assert feed.status_code == 200 and "还能发" in feed.get_data(as_text=True)
    assert in_worker(app, lambda: likes.total(room)) == 1


def test_a_changed_feed_is_rendered_once_and_copied_to_the_next_viewers(chat_redis, app, studio,
                                                                       buyer):
    room = studio.room.id
    url = f"/live/{room}/comments"
    viewers = [client_of(app) for _ in range(3)]
    etags = [v.get(url, headers=htmx("live-comments")).headers["ETag"] for v in viewers]
    anchor = client_of(app, studio.owner)
    moderator_feed = anchor.get(url, headers=htmx("live-comments"), query_string={"v": "m"})
    client_of(app, buyer).post(f"/live/{room}/comments", data={"body": "大家好"})
    first = viewers[0].get(url, headers={**htmx("live-comments"), "If-None-Match": etags[0]})
    assert first.status_code == 200 and "大家好" in first.get_data(as_text=True)
    statements, stop = count_queries()
    try:
        for viewer, etag in zip(viewers[1:], etags[1:], strict=True):
            again = viewer.get(url, headers={**htmx("live-comments"), "If-None-Match": etag})
            assert again.get_data() == first.get_data()
    finally:
        stop()
    # (each new viewer's presence is written once a minute; nothing else touches the database)
    assert [s for s in statements
            if not s.startswith(("BEGIN", "COMMIT")) and "live_viewers" not in s] == []
    # A moderator's feed carries their tools (and tokens): never the shared copy.
    tools = anchor.get(url, headers={**htmx("live-comments"),
                                     "If-None-Match": moderator_feed.headers["ETag"]},
                       query_string={"v": "m"})
    assert "大家好" in tools.get_data(as_text=True) and "禁言" in tools.get_data(as_text=True)
    assert "csrf_token" not in first.get_data(as_text=True)
