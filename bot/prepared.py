"""Hot paths' SQL (a chat turn, a reminder send), compiled once and run straight on the driver's cursor.

A webhook turn runs four to eight short statements; a reminder send three. Through `Connection.execute` each one cost
about 40 us of SQLAlchemy bookkeeping (execution context, events, result wrapper) around 5 us of
SQLite, and a checkout plus BEGIN/COMMIT another 90 us: more than the turn's own Python. Here a
Core statement is compiled once per dialect into its SQL text, the order of its parameters, their
defaults (`status = 'confirmed'`, `LIMIT 20`) and the dialect's bind and result processors (so
datetimes are stored and read back exactly as the ORM does); running it is one `cursor.execute`.

The statements stay SQLAlchemy Core, written once for SQLite and PostgreSQL. What they cannot be:
expanding `IN` lists (compiled per call) or inserts that need Python-side column defaults; those
are refused when compiled.

`TurnConnection` holds one pooled connection for a whole turn: `read()` is a read transaction,
`write()` a write transaction that queues like `Database.write` does (the database's write gate,
then BEGIN IMMEDIATE on SQLite) and commits on success.

`HeldConnection` is the webhook's for its inline SQLite turns (`webhooks.twilio`): one driver
connection kept from turn to turn instead of a pool checkout and checkin per turn.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from types import TracebackType
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import SingletonThreadPool, StaticPool
from sqlalchemy.sql.compiler import SQLCompiler

from bot.db import Database
from bot.models import UTCDateTime

Processor = Callable[[Any], Any] | None
_T = TypeVar("_T")


class Prepared:
    """One Core statement compiled for one dialect (and, for INSERT/UPDATE, one set of column keys)."""

    def __init__(self, stmt: sa.ClauseElement, dialect: Dialect, keys: Sequence[str] | None = None) -> None:
        compiled = cast(SQLCompiler, stmt.compile(dialect=dialect,
                                                  column_keys=list(keys) if keys is not None else None))
        if "POSTCOMPILE" in compiled.string:
            raise ValueError("expanding parameters are compiled per call: use Connection.execute")
        if getattr(compiled, "insert_prefetch", None) or getattr(compiled, "update_prefetch", None):
            raise ValueError("this statement needs Python-side column defaults: pass every column")
        self.sql = compiled.string
        defaults: dict[str, Any] = {}
        processors: dict[str, Processor] = {}
        for bind, name in compiled.bind_names.items():
            name = compiled.escaped_bind_names.get(name, name)
            if not bind.required:
                defaults[name] = bind.effective_value
            processors[name] = _bind_processor(bind.type, dialect)
        names = list(compiled.positiontup or []) if compiled.positional else list(processors)
        binds = [(name, name in defaults, defaults.get(name), processors.get(name)) for name in names]
        columns = list(getattr(stmt, "exported_columns", ()))
        procs = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns]
        # `params(values)`: the driver's parameters, in the statement's order (or by name), each
        # bind's default filled in and its processor applied; `row(raw)`: a result row, each
        # column's result processor applied
        self.params: Callable[[Mapping[str, Any]], Sequence[Any] | dict[str, Any]] = _binder(
            binds, positional=bool(compiled.positional))
        self.row: Callable[[Sequence[Any]], tuple[Any, ...]] = (
            tuple if not any(p is not None for p in procs) else _reader(procs))


def _binder(binds: Sequence[tuple[str, bool, Any, Processor]], *, positional: bool) -> Any:
    """`params` as one expression built for the statement: `[values["a"], proc1(values.get("b", d1))]`.

    A turn binds 5-6 statements; walking a list of (name, default, processor) per bind cost 1.4 us
    a statement (a turn's claim, customer, load and bookings statements), this one call 1.1 us."""
    ns: dict[str, Any] = {}
    parts = []
    for i, (name, has_default, default, proc) in enumerate(binds):
        get = f"v[{name!r}]"
        if has_default:
            ns[f"d{i}"] = default
            get = f"v.get({name!r}, d{i})"
        if proc is not None:
            ns[f"p{i}"] = proc
            get = f"p{i}({get})"
        parts.append(get if positional else f"{name!r}: {get}")
    body = f"[{', '.join(parts)}]" if positional else f"{{{', '.join(parts)}}}"
    return eval(f"lambda v: {body}", ns)  # noqa: S307 - built from the statement's own bind names


def _reader(procs: Sequence[Processor]) -> Any:
    """`row` as one expression: `(raw[0], proc1(raw[1]), ...)`: 1.2 us a conversation row, where
    zipping the row with its processors cost 2.0 us."""
    ns = {f"p{i}": p for i, p in enumerate(procs) if p is not None}
    parts = [f"r[{i}]" if p is None else f"p{i}(r[{i}])" for i, p in enumerate(procs)]
    return eval(f"lambda r: ({', '.join(parts)},)", ns)  # noqa: S307


def _bind_processor(type_: Any, dialect: Dialect) -> Processor:
    if isinstance(type_, UTCDateTime) and dialect.name == "sqlite":
        return _utc_to_sqlite
    return cast(Processor, type_.dialect_impl(dialect).bind_processor(dialect))


def _utc_to_sqlite(value: dt.datetime | None) -> str | None:
    """UTCDateTime's and SQLite DATETIME's bind processors in one: aware -> UTC text, as they write it.

    A turn binds a dozen datetimes, a booking's reminders a dozen more; through the two
    processors each cost four Python calls (6 us here), this one call 1 us."""
    if value is None:
        return None
    if value.tzinfo is not dt.UTC:
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
    return "%04d-%02d-%02d %02d:%02d:%02d.%06d" % (  # noqa: UP031 - the fastest way, SQLAlchemy's own format
        value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond)


@functools.lru_cache(maxsize=512)
def prepared(stmt: sa.ClauseElement, dialect: Dialect, keys: tuple[str, ...] | None = None) -> Prepared:
    return Prepared(stmt, dialect, keys)


class Tx:
    """A transaction on a driver cursor: run prepared Core statements, get plain tuples back."""

    __slots__ = ("cursor", "dialect", "memo")

    def __init__(self, cursor: Any, dialect: Dialect, *, memo: bool = False) -> None:
        self.cursor = cursor
        self.dialect = dialect
        # answers worth keeping for the rest of the transaction, for a read-only snapshot only
        # (`SharedReads`): the same query there gives the same rows, to every turn of the round
        self.memo: dict[Any, Any] | None = {} if memo else None

    def execute(self, stmt: sa.ClauseElement, values: Mapping[str, Any], *, keys: bool = False) -> Prepared:
        """Run `stmt` with `values`; `keys=True` for INSERT/UPDATE, whose columns are `values`' keys."""
        p = prepared(stmt, self.dialect, tuple(values) if keys else None)
        self.cursor.execute(p.sql, p.params(values))
        return p

    def remember(self, key: Any, read: Callable[[], _T]) -> _T:
        """`read()`, kept under `key` for the rest of a shared snapshot (`memo`); else read afresh."""
        memo = self.memo
        if memo is None:
            return read()
        if key not in memo:
            memo[key] = read()
        return cast(_T, memo[key])

    def execute_many(self, stmt: sa.ClauseElement, rows: Sequence[Mapping[str, Any]]) -> int:
        """Run an INSERT/UPDATE `stmt` once per row (every row with the first one's keys), as one
        driver call; the number of rows it changed (SQLite counts them; PostgreSQL may say -1)."""
        if not rows:
            return 0
        p = prepared(stmt, self.dialect, tuple(rows[0]))
        params = p.params
        self.cursor.executemany(p.sql, [params(values) for values in rows])
        return int(self.cursor.rowcount)

    def first(self, stmt: sa.ClauseElement, values: Mapping[str, Any], *, keys: bool = False) -> tuple[Any, ...] | None:
        p = self.execute(stmt, values, keys=keys)
        raw = self.cursor.fetchone()
        return None if raw is None else p.row(raw)

    def all(self, stmt: sa.ClauseElement, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        p = self.execute(stmt, values)
        return [p.row(raw) for raw in self.cursor.fetchall()]

    def scalar(self, stmt: sa.ClauseElement, values: Mapping[str, Any]) -> Any:
        row = self.first(stmt, values)
        return None if row is None else row[0]


class Savepoint:
    """`with Savepoint(tx, name):` a savepoint in the Tx's transaction. An error inside undoes only
    what ran inside it (on PostgreSQL, the transaction stays usable) and goes on, a constraint the
    driver reports as SQLAlchemy's IntegrityError (as `bot.booking_sql.session_tx` does).

    A class, not a `@contextmanager` generator: every chat booking and cancel enters one, and
    the generator's machinery cost 2 us of each (timeit)."""

    __slots__ = ("tx", "name")

    def __init__(self, tx: Tx, name: str) -> None:
        self.tx, self.name = tx, name

    def __enter__(self) -> Tx:
        self.tx.cursor.execute(f"SAVEPOINT {self.name}")
        return self.tx

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        cur = self.tx.cursor
        if exc is not None:
            cur.execute(f"ROLLBACK TO SAVEPOINT {self.name}")
        cur.execute(f"RELEASE SAVEPOINT {self.name}")
        if exc is not None and isinstance(exc, self.tx.dialect.loaded_dbapi.IntegrityError):
            raise IntegrityError(None, None, exc) from exc


class TurnConnection:
    """One pooled driver connection for a turn: read transactions, then write transactions."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._sqlite = db.dialect == "sqlite"
        self._raw: Any = None

    def __enter__(self) -> TurnConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._raw is not None:
            raw, self._raw = self._raw, None
            raw.close()  # back to the pool (which rolls back anything left open)

    def _connection(self) -> Any:
        if self._raw is None:
            self._raw = self.db.engine.raw_connection()
        return self._raw

    @contextmanager
    def read(self) -> Iterator[Tx]:
        raw = self._connection()
        cur = raw.cursor()
        try:
            if self._sqlite:
                cur.execute("BEGIN")  # the driver is in autocommit mode (bot.db): one snapshot for the reads
            yield Tx(cur, self.db.engine.dialect)
        finally:
            cur.close()
            raw.rollback()

    @contextmanager
    def write(self) -> Iterator[Tx]:
        """A write transaction, serialised as `Database.write` serialises them; commits on success."""
        with self._gate():
            raw = self._connection()
            cur = raw.cursor()
            try:
                if self._sqlite:
                    cur.execute("BEGIN IMMEDIATE")
                yield Tx(cur, self.db.engine.dialect)
            except BaseException:
                cur.close()
                raw.rollback()
                raise
            cur.close()
            raw.commit()

    def _gate(self) -> AbstractContextManager[Any]:
        gate = self.db.gate  # SQLite: writers in all threads and processes queue here (bot.db.WriteGate)
        return gate.hold() if gate is not None else nullcontext()


class SharedReads(TurnConnection):
    """Read transactions that share one snapshot until `end()`, on the held connection: for turns
    that decide one after another and write nothing in between (one event loop round of webhook
    turns, whose writes wait for the round's group commit: `webhooks.twilio.Group`).

    What it saves: a BEGIN, a ROLLBACK, a cursor and the held connection's checkout for every turn
    but the first of a round, 13 us of a turn here (a conversation read: 15 us alone, 2 us shared).
    The snapshot is as old as the round's first read, a few milliseconds. A read that raises ends it
    (the next one begins afresh), and it cannot write."""

    def __init__(self, held: HeldConnection) -> None:
        super().__init__(held.db)
        self._held = held
        self._turn: AbstractContextManager[TurnConnection] | None = None
        self._conn: TurnConnection | None = None
        self._tx: Tx | None = None

    @contextmanager
    def read(self) -> Iterator[Tx]:
        tx = self._tx if self._tx is not None else self._begin()
        try:
            yield tx
        except BaseException:
            self.end()
            raise

    @contextmanager
    def write(self) -> Iterator[Tx]:
        raise RuntimeError("shared reads write nothing: writes wait for the end of the round")

    def _begin(self) -> Tx:
        turn = self._held.turn()
        conn = turn.__enter__()
        try:
            cur = conn._connection().cursor()
            if conn._sqlite:
                cur.execute("BEGIN")
        except BaseException as exc:
            turn.__exit__(type(exc), exc, exc.__traceback__)
            raise
        self._turn, self._conn = turn, conn
        self._tx = Tx(cur, self.db.engine.dialect, memo=True)
        return self._tx

    def end(self) -> None:
        """End the snapshot (and give the held connection back); the next read begins another."""
        turn, conn, tx = self._turn, self._conn, self._tx
        if turn is None or conn is None or tx is None:
            return
        self._turn = self._conn = self._tx = None
        try:
            tx.cursor.close()
            conn._connection().rollback()
        except BaseException as exc:
            turn.__exit__(type(exc), exc, exc.__traceback__)
            raise
        turn.__exit__(None, None, None)

    def close(self) -> None:
        self.end()


class _Kept(TurnConnection):
    """A driver connection taken out of the pool for good (closing it closes it)."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.pool = db.engine.pool  # `Engine.dispose()` replaces it: a kept connection then is stale

    def _connection(self) -> Any:
        if self._raw is None:
            fairy = self.db.engine.raw_connection()
            fairy.detach()
            self._raw = fairy.dbapi_connection
        return self._raw

    def clean(self) -> bool:
        return self._raw is None or not self._raw.in_transaction


class HeldConnection:
    """One driver connection kept for turns that run one at a time on one thread (the webhook's
    inline SQLite turns, on the event loop): `with held.turn() as conn:` gives a `TurnConnection`.

    What it saves: a pool checkout and checkin (the reset on return included), 9 us a turn (an empty
    read and write transaction: 25 us pooled, 16 us kept), 1.5% of an average chat turn. The connection is dropped (closed; the next turn opens another) after a turn that
    raised or left a transaction open, and when the engine's pool was replaced (`Engine.dispose()`,
    as `bot.checkpoints` does at start-up so that connections opened from then on leave checkpoints
    to its thread). A turn that finds it in use on another thread (the test client runs each
    request on an event loop of its own) takes a pooled connection, as every turn used to; so does
    every turn on an in-memory SQLite database, whose pool hands out the one connection that holds
    the database. One per `Database`: it is that database's connection.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._busy = threading.Lock()
        self._kept: _Kept | None = None
        self._holds = not isinstance(db.engine.pool, (SingletonThreadPool, StaticPool))

    @contextmanager
    def turn(self) -> Iterator[TurnConnection]:
        if not self._holds or not self._busy.acquire(blocking=False):
            with TurnConnection(self.db) as pooled:
                yield pooled
            return
        try:
            kept = self._kept
            if kept is None or kept.pool is not self.db.engine.pool:
                self.close()
                kept = self._kept = _Kept(self.db)
            try:
                yield kept
            except BaseException:
                self.close()
                raise
            if not kept.clean():
                self.close()
        finally:
            self._busy.release()

    def close(self) -> None:
        kept, self._kept = self._kept, None
        if kept is not None:
            kept.close()
