"""The turn's statements run on the driver cursor send exactly what SQLAlchemy would send, and read
back exactly what it would read, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from bot.dialogue import engine as eng
from bot.prepared import HeldConnection, Prepared, TurnConnection
from bot.services import Services
from webhooks import inbound

NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(days=1, hours=5, minutes=30)
LONG = dt.timedelta(days=1)


def cases(dialect: str) -> list[tuple[str, Any, dict[str, Any], bool]]:
    """(name, statement, values, values-are-its-columns), in an order that can run one after another."""
    w, e = inbound._statements(dialect), eng._statements(dialect)
    return [
        ("claim", w["claim"], {"message_sid": "SM1", "phone": "+447700900123", "body": "hi", "reply": None,
                               "created_at": NOW}, True),
        ("customer", w["customer"], {"phone": "+447700900123", "name": "Ana", "reminders_paused": False,
                                     "created_at": NOW, "last_inbound_at": NOW}, True),
        ("reply", w["reply"], {"reply": "<Response/>", "sid": "SM1"}, True),
        ("stored", w["stored"], {"sid": "SM1"}, False),
        ("save", e["save"], {"phone": "+447700900123", "state": "confirm", "data": "{}", "updated_at": LATER}, True),
        ("load", e["load"], {"phone": "+447700900123"}, False),
        ("bookings", e["bookings"], {"phone": "+447700900123", "now": NOW}, False),
        ("busy", eng._busy_statement(True, True), {"lo": NOW, "hi": LATER, "floor": NOW - LONG, "barber": "sam", "exclude": 7}, False),
        ("busy-all", eng._busy_statement(False, False), {"lo": NOW, "hi": LATER, "floor": NOW - LONG, "barber": None, "exclude": None},
         False),
        ("reminded", eng._reminded_statement(2), {"id0": 1, "id1": 2, "since": NOW - dt.timedelta(days=9)}, False),
    ]


def test_prepared_statements_send_and_read_what_sqlalchemy_does(services: Services) -> None:
    db = services.db
    booked = services.bookings.create(customer_phone="+447700900123", service="haircut", barber="sam",
                                      start=NOW + dt.timedelta(days=1, hours=5))
    sent: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        for name, stmt, values, _ in cases(db.dialect):
            with db.engine.begin() as conn:
                result = conn.execute(stmt, values)
                expected = [tuple(r) for r in result] if result.returns_rows else None
            p = Prepared(stmt, db.engine.dialect, tuple(values) if _ else None)
            params = p.params(values)
            assert (p.sql, tuple(params) if isinstance(params, list) else params) == (
                sent[-1][0], tuple(sent[-1][1]) if isinstance(sent[-1][1], (list, tuple)) else sent[-1][1]), name
            if name in ("stored", "load", "bookings", "busy-all"):
                assert expected, f"{name} should find a row here"
            if expected is not None and name != "claim":  # the claim's second run is a conflict
                with TurnConnection(db) as turn, turn.read() as tx:
                    assert tx.all(stmt, values) == expected, name
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    assert booked.id is not None


def test_datetimes_come_back_aware_utc_as_the_orm_returns_them(services: Services) -> None:
    with TurnConnection(services.db) as turn:
        with turn.write() as tx:
            eng.save_conversation(tx, "+447700900123", eng.IDLE, LATER)
        with turn.read() as tx:
            row = tx.first(eng._statements(tx.dialect.name)["load"], {"phone": "+447700900123"})
    assert row is not None and row[2] == LATER and row[2].tzinfo is not None


def test_a_failed_write_rolls_back_and_the_connection_stays_usable(services: Services) -> None:
    with TurnConnection(services.db) as turn:
        with pytest.raises(RuntimeError), turn.write() as tx:
            eng.save_conversation(tx, "+447700900123", eng.IDLE, LATER)
            raise RuntimeError("boom")
        with turn.read() as tx:
            assert tx.first(eng._statements(tx.dialect.name)["load"], {"phone": "+447700900123"}) is None


@pytest.mark.parametrize("make", [
    lambda: sa.select(sa.column("x")).where(sa.column("x").in_(sa.bindparam("ids", expanding=True))),
])
def test_statements_that_cannot_be_prepared_are_refused(services: Services, make: Callable[[], Any]) -> None:
    with pytest.raises(ValueError):
        Prepared(make(), services.db.engine.dialect)


@pytest.mark.parametrize("value", [
    NOW, LATER, dt.datetime(2026, 3, 29, 0, 59, 59, 999999, tzinfo=dt.UTC),
    dt.datetime(2026, 10, 25, 1, 30, tzinfo=ZoneInfo("Europe/London")),
    dt.datetime(2026, 12, 2, 23, 0, 0, 1, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
    dt.datetime(999, 1, 1, tzinfo=dt.UTC), None,
])
def test_sqlite_datetimes_are_written_as_sqlalchemy_writes_them(value: dt.datetime | None) -> None:
    from sqlalchemy.dialects import sqlite

    from bot.models import UTCDateTime
    from bot.prepared import _bind_processor

    dialect, t = sqlite.dialect(), UTCDateTime()
    ours, theirs = _bind_processor(t, dialect), t.dialect_impl(dialect).bind_processor(dialect)
    assert ours is not None and theirs is not None
    assert ours(value) == theirs(value)
    with pytest.raises(ValueError):
        ours(dt.datetime(2026, 12, 2, 9, 0))  # naive: refused, as the ORM refuses it


def test_a_held_connection_is_kept_from_turn_to_turn_and_dropped_when_it_may_be_dirty(
        make_services: Callable[..., Services], sqlite_url: str) -> None:
    db = make_services(sqlite_url).db
    held = HeldConnection(db)
    load = eng._statements(db.dialect)["load"]
    with held.turn() as first, first.read() as tx:
        assert tx.first(load, {"phone": "+447700900123"}) is None
    with held.turn() as again:
        assert again is first
        with held.turn() as nested:  # in use: a pooled connection of its own
            assert nested is not first
    with pytest.raises(RuntimeError), held.turn() as conn, conn.write() as tx:
        eng.save_conversation(tx, "+447700900123", eng.IDLE, LATER)
        raise RuntimeError("boom")
    with held.turn() as after:
        assert after is not first  # a turn that raised: closed, and the next turn opens another
        with after.read() as tx:
            assert tx.first(load, {"phone": "+447700900123"}) is None
        after._connection().execute("BEGIN")  # left open by mistake
    with held.turn() as fresh:
        assert fresh is not after and fresh.clean()
    db.engine.dispose()  # a new pool (bot.checkpoints does this at start-up): a new connection
    with held.turn() as newer:
        assert newer is not fresh
    held.close()


def test_an_in_memory_database_is_never_held_apart_from_its_pool() -> None:
    from bot.db import Database

    db = Database("sqlite://")  # one connection per thread holds the whole database
    held = HeldConnection(db)
    with held.turn() as conn, conn.write() as tx:
        tx.cursor.execute("CREATE TABLE t (x INTEGER)")
        tx.cursor.execute("INSERT INTO t VALUES (1)")
    with held.turn() as conn, conn.read() as tx:
        tx.cursor.execute("SELECT x FROM t")
        assert tx.cursor.fetchall() == [(1,)]
    with db.engine.connect() as c:
        assert c.exec_driver_sql("SELECT x FROM t").scalar() == 1
    db.dispose()
