"""While the web app runs on SQLite, a thread of its own copies the write-ahead log back: no chat
turn's commit does it (and waits for the fsyncs) on the event loop."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from starlette.testclient import TestClient

from bot.app import create_app
from bot.services import Services
from tests.webhooks.test_twilio_webhook import messages, params, post


def autocheckpoint(services: Services) -> int:
    with services.db.engine.connect() as conn:
        return int(conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() or 0)


def test_the_running_app_checkpoints_in_the_background_and_hands_back_on_shutdown(
        make_services: Callable[..., Services], sqlite_url: str) -> None:
    services = make_services(sqlite_url)
    path = services.db.engine.url.database
    assert path is not None
    assert autocheckpoint(services) == 1000  # SQLite's own, before the app runs
    with TestClient(create_app(services)) as client:
        assert autocheckpoint(services) == 0  # commits no longer checkpoint...
        time.sleep(0.5)  # whatever start-up left in the log is copied back by now
        before = os.stat(path).st_mtime_ns
        for i in range(20):
            assert messages(post(client, services, params(f"hello, message {i}: what are your opening hours?")).text)
        # ...the thread does: in WAL mode only a checkpoint writes to the database file itself
        deadline = time.monotonic() + 5
        while os.stat(path).st_mtime_ns == before and time.monotonic() < deadline:
            time.sleep(0.02)
        assert os.stat(path).st_mtime_ns != before
    assert autocheckpoint(services) == 1000


def test_an_in_memory_database_gets_no_checkpointer() -> None:
    from bot.checkpoints import Checkpointer
    from bot.db import Database

    assert Checkpointer.for_database(Database("sqlite://")) is None


def test_the_log_starts_over_while_writes_never_pause(tmp_path: Path) -> None:
    """Under writes that never pause, a checkpoint never ends between two commits, and SQLite only
    starts the log over when a write begins with all of it copied back: without help the log
    grows by every page written, for as long as the load lasts."""
    from bot.checkpoints import Checkpointer
    from bot.db import Database

    path = tmp_path / "busy.db"
    db = Database(f"sqlite:///{path}")
    with db.write() as s:
        s.connection().exec_driver_sql("CREATE TABLE note (id INTEGER PRIMARY KEY, body BLOB)")
    checkpointer = Checkpointer(db, str(path), every=0.002, restart_frames=256)
    checkpointer.start()
    wal = Path(f"{path}-wal")
    biggest = 0
    try:
        for i in range(3000):  # about 12 MB of pages, each commit a page or two
            with db.write() as s:
                s.connection().exec_driver_sql("INSERT INTO note (body) VALUES (?)", (os.urandom(3000),))
            if i % 50 == 0 and wal.exists():
                biggest = max(biggest, wal.stat().st_size)
    finally:
        checkpointer.stop()
        db.dispose()
    assert biggest < 4 * 2**20, f"the log reached {biggest / 2**20:.1f} MB"
