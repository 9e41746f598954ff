"""Real parallel clients: threads released together by a barrier, each with its own
app context, database connection and (optionally) its own HTTP test client."""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from flask import has_app_context

from app.extensions import db


def race(app, count: int, action: Callable[[int], Any], *, timeout: float = 120) -> list[Any]:
    """Run action(i) for i in range(count) at the same moment; returns results (or the
    exception each raised), in order."""
    if has_app_context():
        db.session.commit()  # the test's own transaction must not hold SQLite's write lock
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def worker(index: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=timeout)
                results[index] = action(index)
            except Exception as error:  # noqa: BLE001 (reported to the test)
                results[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(t.is_alive() for t in threads), "a client never finished"
    return results
