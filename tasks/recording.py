"""Recording a send's outcome: the statements, and group commits.

A sender waits for its own record (so the at-most-once gap stays one send wide), but whoever
writes takes every record that piled up meanwhile, so under load one transaction (one turn of
SQLite's write lock) records many sends. On PostgreSQL, in a `barberbot worker` (held
connections), a group's outcomes are one UPDATE … FROM unnest(…) on the writer's own connection:
one round trip and one statement for the server to plan, where each outcome was a statement.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
import weakref
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from bot.models import Reminder, ReminderState
from bot.prepared import TurnConnection
from bot.services import Services

REMINDER = Reminder.__table__  # type: ignore[attr-defined]
_T = REMINDER


def param(name: str, column: str) -> sa.BindParameter[object]:
    return sa.bindparam(name, type_=_T.c[column].type)


_FINISH_KEYS = ("state", "error", "sent_at", "message_sid", "next_attempt_at")


@functools.cache
def finish_statement() -> sa.Update:
    """Record an outcome, but only if the claim is still ours (the reconciler may have taken it back)."""
    return (sa.update(_T)
            .where(_T.c.id == sa.bindparam("p_id"), _T.c.state == ReminderState.SENDING)
            .values(updated_at=param("p_updated_at", "updated_at"), **{k: param(f"p_{k}", k) for k in _FINISH_KEYS}))


@functools.cache
def _release_statement() -> sa.Update:
    """Give back claimed reminders not yet tried: to where they were (attempts undone)."""
    return (sa.update(_T)
            .where(_T.c.id == sa.bindparam("p_id"), _T.c.state == ReminderState.SENDING)
            .values(state=sa.case((_T.c.attempts <= 1, ReminderState.SCHEDULED), else_=ReminderState.RETRYING),
                    attempts=_T.c.attempts - 1, claimed_at=None, updated_at=param("p_updated_at", "updated_at")))


_GROUP_COLUMNS = (("id", "p_id", "integer"), ("state", "p_state", "varchar"), ("error", "p_error", "varchar"),
                  ("sent_at", "p_sent_at", "timestamptz"), ("message_sid", "p_message_sid", "varchar"),
                  ("next_attempt_at", "p_next_attempt_at", "timestamptz"),
                  ("updated_at", "p_updated_at", "timestamptz"))
# finish_statement for many rows at once (PostgreSQL): the rows still held in `sending` get their
# outcome; the ids returned are those that did
GROUP_FINISH_SQL = (
    "UPDATE reminder SET " + ", ".join(f"{c} = v.{c}" for c, _, _ in _GROUP_COLUMNS[1:])
    + " FROM unnest(" + ", ".join(f"%({p})s::{t}[]" for _, p, t in _GROUP_COLUMNS) + ") AS v("
    + ", ".join(c for c, _, _ in _GROUP_COLUMNS) + ") WHERE reminder.id = v.id AND reminder.state = 'sending'"
    " RETURNING reminder.id")


class GroupWriter:
    """Outcome records in group commits: a sender waits for its own record (so the at-most-once
    gap stays one send wide), but whoever writes takes everything that piled up meanwhile, so
    under load one transaction records many sends.

    `held`: write on the writing thread's own connection (tasks.reminders, in a `barberbot
    worker`) instead of a pooled one per group; on PostgreSQL that connection is in autocommit
    and a group's finishes are one statement."""

    def __init__(self, services: Services, held: bool = False) -> None:
        self.services = services
        self.held = held
        self._turn = threading.Lock()     # one writer at a time
        self._pile = threading.Lock()     # guards `pending`
        self.pending: list[_Ticket] = []

    def record(self, params: list[dict[str, object]]) -> int:
        """Write these finish/release rows; how many of them still held their claim."""
        ticket = _Ticket(params)
        with self._pile:
            self.pending.append(ticket)
        with self._turn:
            if not ticket.done:
                with self._pile:
                    group, self.pending = self.pending, []
                self._write(group)
        if ticket.error is not None:
            raise ticket.error
        return ticket.rows

    def _write(self, group: list[_Ticket]) -> None:
        try:
            with self._connection() as conn:
                if getattr(conn, "autocommit", False) and conn.db.dialect == "postgresql":
                    self._write_pg(conn, group)
                    return
                with conn.write() as tx:
                    for t in group:
                        for p in t.params:
                            tx.execute(_statement_for(p), p)
                            t.rows += int(tx.cursor.rowcount)
        except Exception as exc:  # noqa: BLE001 - every sender of the group hears of it
            for t in group:
                t.error = exc
        finally:
            for t in group:
                t.done = True

    def _connection(self) -> Any:
        if self.held:
            from tasks.reminders import thread_connection

            return thread_connection(self.services)
        return TurnConnection(self.services.db)

    @staticmethod
    def _write_pg(conn: Any, group: list[_Ticket]) -> None:
        """Every finish of the group in one statement, each release in its own (rare: a slow sweep)."""
        finishes = [p for t in group for p in t.params if "p_state" in p]
        with conn.write() as tx:
            done: set[int] = set()
            if finishes:
                arrays = {p: [f[p] for f in finishes] for _, p, _ in _GROUP_COLUMNS}
                tx.cursor.execute(GROUP_FINISH_SQL, arrays)
                done = {int(r[0]) for r in tx.cursor.fetchall()}
            for t in group:
                for p in t.params:
                    if "p_state" in p:
                        t.rows += int(p["p_id"] in done)  # type: ignore[operator]
                    else:
                        tx.execute(_release_statement(), p)
                        t.rows += int(tx.cursor.rowcount)


@dataclass
class _Ticket:
    params: list[dict[str, object]]
    rows: int = 0
    done: bool = False
    error: Exception | None = None


def _statement_for(params: dict[str, object]) -> sa.Update:
    return _release_statement() if "p_state" not in params else finish_statement()


_writers: weakref.WeakKeyDictionary[Any, GroupWriter] = weakref.WeakKeyDictionary()
_writers_lock = threading.Lock()


def group_writer(services: Services, *, held: bool = False) -> GroupWriter:
    with _writers_lock:
        w = _writers.get(services.db)
        if w is None or w.services is not services or w.held != held:
            w = _writers[services.db] = GroupWriter(services, held)
        return w


def finish_params(reminder_id: int, now: dt.datetime, *, state: str, error: str | None = None,
                   sent_at: dt.datetime | None = None, message_sid: str | None = None,
                   next_attempt_at: dt.datetime | None = None) -> dict[str, object]:
    return {"p_id": reminder_id, "p_updated_at": now, "p_state": state, "p_error": error,
            "p_sent_at": sent_at, "p_message_sid": message_sid, "p_next_attempt_at": next_attempt_at}
