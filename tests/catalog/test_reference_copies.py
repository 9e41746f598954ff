"""Belts, industries and categories (services.page_belt and friends) are kept in the process:
a request reads one short value from the cache, their version, and no copy. A change made in
any process (forget_page_reference writes a new version) shows at this process's next request;
a version gone from the cache, or a copy older than REFERENCE_CACHE_TTL, is read again."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import event, text

from app.catalog import services
from app.extensions import cache, db
from tests import factories as make

BELT = "zhenping-jade"


@pytest.fixture
def kept(app, monkeypatch):
    """REFERENCE_CACHE_TTL on (the suite runs with it off); the belt's name put back after."""
    monkeypatch.setitem(app.config, "REFERENCE_CACHE_TTL", 60)
    with app.app_context():
        make.merchant("玉匠人")  # the demo belts and industries are there
        name = db.session.execute(text("SELECT name FROM belts WHERE slug = :slug"),
                                  {"slug": BELT}).scalar_one()
    yield name
    with app.app_context():  # reference rows outlive the test: every test shares them
        _rename_behind_the_apps_back(name)


def _rename_behind_the_apps_back(name: str) -> None:
    """A change no commit of this process announces (another worker's, or SQL by hand)."""
    db.session.execute(text("UPDATE belts SET name = :name WHERE slug = :slug"),
                       {"name": name, "slug": BELT})
    db.session.commit()


def _in_a_context(app, work):
    """`work()` in an app context of its own (a request's: the copies it read on `g` go)."""
    with app.test_request_context("/"):
        return work()


def _belt_name(app) -> str:
    """The belt's name as one request sees it."""
    return _in_a_context(app, lambda: services.page_belt(BELT).name)


def _another_process_forgets() -> None:
    """What forget_page_reference does to the shared cache, done by another worker: this
    process's own copies are left where they are."""
    cache.delete_many(*services.PAGE_REFERENCE_KEYS)
    cache.set(services.REFERENCE_VERSION_KEY, "another worker's version", timeout=0)


def _every_kind_held(app) -> None:
    _in_a_context(app, lambda: (services.page_belt(BELT), services.page_industry("jade"),
                                services.page_categories_by_id()))


def test_a_request_reads_the_version_and_nothing_else_once_the_process_holds_them(
        app, kept, monkeypatch):
    _every_kind_held(app)
    read, statements = [], []
    get = cache.get

    def reading(key):
        read.append(key)
        return get(key)

    def note(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    monkeypatch.setattr(cache, "get", reading)
    try:
        with app.test_request_context("/"):
            assert services.page_belt(BELT).industry.slug == "jade"
            assert services.page_industry("jade") is not None
            assert services.page_categories_by_id()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert read == [services.REFERENCE_VERSION_KEY] and statements == []


def test_a_change_in_another_process_shows_at_the_next_request(app, kept):
    assert _belt_name(app) == kept
    _in_a_context(app, lambda: _rename_behind_the_apps_back("改名的产业带"))
    assert _belt_name(app) == kept  # nobody said: the process's copy is served
    _in_a_context(app, _another_process_forgets)
    assert _belt_name(app) == "改名的产业带"


def test_a_change_committed_here_shows_at_once(app, kept):
    from app.catalog.models import Belt

    assert _belt_name(app) == kept

    def rename():
        db.session.scalar(db.select(Belt).where(Belt.slug == BELT)).name = "新名字"
        db.session.commit()

    _in_a_context(app, rename)
    assert _belt_name(app) == "新名字"


def test_a_version_gone_from_the_cache_is_a_new_one(app, kept):
    assert _belt_name(app) == kept
    _in_a_context(app, lambda: _rename_behind_the_apps_back("改名的产业带"))
    _in_a_context(app, cache.clear)  # Redis restarted, or the version evicted
    assert _belt_name(app) == "改名的产业带"


def test_a_copy_lasts_the_reference_ttl_at_most(app, kept, monkeypatch):
    assert _belt_name(app) == kept
    _in_a_context(app, lambda: _rename_behind_the_apps_back("改名的产业带"))
    # the shared copy expired
    _in_a_context(app, lambda: cache.delete_many(*services.PAGE_REFERENCE_KEYS))
    assert _belt_name(app) == kept  # the process's copy is not 60 s old yet
    later = time.monotonic() + 61
    monkeypatch.setattr(services.time, "monotonic", lambda: later)
    assert _belt_name(app) == "改名的产业带"
