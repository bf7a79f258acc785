"""Engines, sessions and the write transaction that makes booking rules hold under concurrency.

SQLite: every write transaction starts with BEGIN IMMEDIATE, so writers are serialised;
before that, a writer queues on a gate (a thread lock, then an flock on `<db>.lock`), so
writers in several threads and processes wake the moment the lock is free instead of
sleeping in SQLite's busy handler, which backs off in growing steps up to 100 ms.
PostgreSQL: writers lock the barber's row (SELECT ... FOR UPDATE), and an exclusion
constraint forbids overlapping confirmed bookings of one barber as a last line.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        path = sa.engine.make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30, "isolation_level": None},
            **kwargs,
        )
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
        cur.execute("PRAGMA busy_timeout=30000")
        # A savepoint keeps the pages it changes in a sub-journal, which SQLite writes to a temp file
        # once it passes 64 KiB (with the default temp_store). A webhook round's savepoints pass it:
        # the bench's chat mix made 6.7 pwrite calls a turn, 5 of them to that file (strace);
        # in memory they are copies.
        cur.execute("PRAGMA temp_store=MEMORY")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # The driver is in autocommit mode; we issue BEGIN ourselves so that a
        # write transaction can ask for the write lock up front.
        if conn.get_execution_options().get("sqlite_immediate"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: the thread lock and SQLite's busy handler remain
    fcntl = None  # type: ignore[assignment]


class WriteGate:
    """One SQLite writer at a time: threads queue on a lock, processes on an flock.

    Correctness never depends on it (BEGIN IMMEDIATE does that); it replaces the busy
    handler's sleeps with a wake-up as soon as the writer before finishes. The lock file
    is opened per process (a forked child must not share the parent's open file).
    """

    def __init__(self, db_path: str | None) -> None:
        self._thread = threading.Lock()
        self._path = f"{db_path}.lock" if db_path and fcntl is not None else None
        self._fd: int | None = None
        self._pid = 0

    def _file(self) -> int | None:
        if self._path is None:
            return None
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    @contextmanager
    def hold(self) -> Iterator[None]:
        with self._thread:
            fd = self._file()
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                if fd is not None:
                    fcntl.flock(fd, fcntl.LOCK_UN)


class Database:
    """The engine plus session factory; one per process."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self._sessions = sessionmaker(self.engine, class_=Session, expire_on_commit=False)
        path = self.engine.url.database if self.dialect == "sqlite" else None
        self.gate: WriteGate | None = (WriteGate(path if path and path != ":memory:" else None)
                                       if self.dialect == "sqlite" else None)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A read session (or a write that needs no lock); commits only if you call commit."""
        with self._sessions() as s:
            yield s

    @contextmanager
    def _gated(self) -> Iterator[None]:
        if self.gate is None:
            yield
        else:
            with self.gate.hold():
                yield

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction for changes that must be serialised; commits on success."""
        with self._gated(), self._sessions() as s:
            if self.dialect == "sqlite":
                s.connection(execution_options={"sqlite_immediate": True})
            try:
                yield s
                s.commit()
            except BaseException:
                s.rollback()
                raise

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
