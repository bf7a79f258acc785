"""Engines, sessions and the write transaction that makes booking rules hold under concurrency.

SQLite runs in WAL mode with a busy timeout; every write transaction starts with BEGIN IMMEDIATE,
so writers take SQLite's write lock up front, one at a time. SQLite has one writer at a time, so
within a process writers queue on a lock first and wake in turn, instead of each retrying in
SQLite's busy handler (which sleeps up to 100 ms between tries); other processes (a worker) still
meet in the busy handler.
PostgreSQL: writers lock the rows they depend on (SELECT ... FOR UPDATE), and an exclusion
constraint forbids overlapping confirmed bookings of one barber as a last line.

What must happen only once a transaction has committed (telling the queue about new reminders,
say) is registered with `after_commit(session, fn)`; `Database.write()` runs it after COMMIT.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
SQLITE_BUSY_TIMEOUT_MS = 30_000
_AFTER_COMMIT = "after_commit"


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        path = sa.engine.make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: the driver leaves transactions to us (SQLAlchemy's pysqlite recipe)
        engine = sa.create_engine(url, connect_args={
            "check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "isolation_level": None,
        }, **kwargs)
        _sqlite_setup(engine)
        return engine
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 30)
    kwargs.setdefault("pool_pre_ping", True)
    return sa.create_engine(url, **kwargs)


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # a write transaction asks for the write lock up front, so it never fails half way
        # through on a lock another writer took after its reads
        if conn.get_execution_options().get("sqlite_immediate"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def after_commit(s: Session, fn: Callable[[], None]) -> None:
    """Run `fn` once the write transaction of `s` has committed (never if it rolls back, or if the
    `savepoint` it was registered in is undone). A failing `fn` is logged: the commit stands."""
    s.info.setdefault(_AFTER_COMMIT, []).append(fn)


@contextmanager
def savepoint(s: Session) -> Iterator[Session]:
    """A SAVEPOINT in the transaction of `s`: an error inside undoes what ran inside (the rows and
    the `after_commit` work registered there), the transaction stays usable, and the error propagates."""
    pending: list[Callable[[], None]] = s.info.setdefault(_AFTER_COMMIT, [])
    mark = len(pending)
    try:
        with s.begin_nested():
            yield s
    except BaseException:
        del pending[mark:]
        raise


class Database:
    """The engine plus session factory; one per process."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self._sessions = sessionmaker(self.engine, class_=Session, expire_on_commit=False)
        self._writer = threading.Lock() if self.dialect == "sqlite" else None
        self._in_write = threading.local()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A read session (or a write that needs no lock); commits only if you call commit."""
        with self._sessions() as s:
            yield s

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction: commits on success, then runs its `after_commit` work; rolls back
        on error. On SQLite it holds the write lock from its first statement.

        A second write() opened inside one on the same thread raises RuntimeError at once (it
        would wait on the first's locks forever): pass the outer session (`session=`) instead."""
        if getattr(self._in_write, "active", False):
            raise RuntimeError("a write transaction was opened inside another on the same thread; "
                               "pass the outer transaction's session (session=...) instead")
        with self._one_writer(), self._sessions() as s:
            self._in_write.active = True
            try:
                if self.dialect == "sqlite":
                    s.connection(execution_options={"sqlite_immediate": True})
                yield s
                s.commit()
            except BaseException:
                s.rollback()
                s.info.pop(_AFTER_COMMIT, None)
                raise
            finally:
                self._in_write.active = False
            done = s.info.pop(_AFTER_COMMIT, [])
        for fn in done:
            try:
                fn()
            except Exception:  # noqa: BLE001 - committed is committed; the reconciler catches up
                log.exception("work after a commit failed")

    @contextmanager
    def _one_writer(self) -> Iterator[None]:
        if self._writer is None:
            yield
            return
        if not self._writer.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            raise TimeoutError("another write transaction of this process held SQLite's write lock too long")
        try:
            yield
        finally:
            self._writer.release()

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        self.engine.dispose()


def upgrade(url: str) -> None:
    """Apply every migration (alembic upgrade head)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["database_url"] = url
    command.upgrade(cfg, "head")
