"""SQLite's write-ahead log copied back into the database by a thread, not inside a chat turn.

SQLite checkpoints inside whichever commit takes the log past 1000 pages, and with
`synchronous=NORMAL` that commit also waits for two fsyncs. On SQLite a web process runs its turns
inline on the event loop (`webhooks.twilio`), so that commit stalled every request in flight: on
the bench machine one commit in a hundred took 1-25 ms, and checkpoints were a quarter of a chat
turn's average time. While the web app runs, its own connections leave checkpoints to this thread
(PASSIVE, as SQLite's own: readers and writers carry on, and the driver lets go of the GIL while
SQLite copies and syncs). A `barberbot worker` does the same (tasks.runtime.run_worker): there
the checkpointing commit held the write gate of every worker process.

Under writes that never pause, a PASSIVE checkpoint never ends between two commits (the bench
commits every ~15 ms, and a checkpoint with its fsyncs takes longer), and SQLite starts the log
over only when a write begins with all of it copied back: the log grew by every page written, 212
MB in the bench's 8 seconds, for as long as the load lasted. So once the log is `restart_frames`
long, the thread copies back what was written during its checkpoint while holding the database's
write gate: a few rounds' pages, so the writers wait a moment, and the next write starts the log
over. The bench's log then peaked at 25 MB instead of 287 MB, with p99 unchanged.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from typing import Any

from sqlalchemy import event

from bot.db import Database

log = logging.getLogger(__name__)
EVERY_SECONDS = 0.2
RESTART_FRAMES = 4096  # pages in the log (16 MiB at SQLite's default page size) before it must start over


def _no_autocheckpoint(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.execute("PRAGMA wal_autocheckpoint=0")


class Checkpointer:
    def __init__(self, db: Database, path: str, *, every: float = EVERY_SECONDS,
                 restart_frames: int = RESTART_FRAMES) -> None:
        self.db = db
        self.path = path
        self.every = every
        self.restart_frames = restart_frames
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def for_database(cls, db: Database) -> Checkpointer | None:
        """A checkpointer for a SQLite database file; None for anything else."""
        path = db.engine.url.database if db.dialect == "sqlite" else None
        return cls(db, path) if path and path != ":memory:" and not path.startswith("file:") else None

    def start(self) -> None:
        engine = self.db.engine
        event.listen(engine, "connect", _no_autocheckpoint)
        engine.dispose()  # pooled connections opened before now would still checkpoint in a commit
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(10)
        self._thread = None
        event.remove(self.db.engine, "connect", _no_autocheckpoint)
        self.db.engine.dispose()  # back to SQLite's own checkpoints for whoever uses the engine next

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        try:
            while not self._stop.wait(self.every):
                self._checkpoint(conn)
            self._checkpoint(conn)
        finally:
            conn.close()

    def _checkpoint(self, conn: sqlite3.Connection) -> None:
        try:
            _busy, frames, _copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if frames >= self.restart_frames and self.db.gate is not None:
                with self.db.gate.hold():  # no commit can add to the log until it is all copied back
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as exc:  # another process checkpointing, a locked file: next round
            log.debug("checkpoint skipped: %s", exc)
