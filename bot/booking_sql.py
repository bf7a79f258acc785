"""The booking service's statements: Core SQL built once per process, run on the write transaction's cursor.

Creating a booking used to build a dozen ORM objects (its reminders) and flush them, and build
each query afresh per call; cancelling loaded every pending reminder to change it. Here each
statement is built once (`functools.cache`), compiled once per dialect (`bot.prepared`), and run
on the driver cursor of the session's own connection (`session_tx`), so it stays inside
`Database.write()`'s transaction: the gate and BEGIN IMMEDIATE on SQLite, the barber row lock and
the exclusion constraint on PostgreSQL are untouched. Values go in and come out exactly as the
ORM's (the same bind and result processors).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import configure_mappers
from sqlalchemy.orm.attributes import instance_state
from sqlmodel import Session

from bot.dispatch import PlannedReminder
from bot.errors import InvalidBooking
from bot.models import (
    Barber,
    Booking,
    BookingStatus,
    OutboundMessage,
    Reminder,
    ReminderState,
    TimeOff,
)
from bot.prepared import Tx
from bot.reminders.plan import job_id

BARBER = cast(sa.Table, Barber.__table__)  # type: ignore[attr-defined]
BOOKING = cast(sa.Table, Booking.__table__)  # type: ignore[attr-defined]
TIME_OFF = cast(sa.Table, TimeOff.__table__)  # type: ignore[attr-defined]
REMINDER = cast(sa.Table, Reminder.__table__)  # type: ignore[attr-defined]
OUTBOUND = cast(sa.Table, OutboundMessage.__table__)  # type: ignore[attr-defined]
Interval = tuple[dt.datetime, dt.datetime]
# Longer than any booking can be: a booking lasts its service's minutes, and a shop's services are
# at most 480 (bot.shop), so a booking overlapping [lo, hi) starts after lo - LONGEST_BOOKING.
LONGEST_BOOKING = dt.timedelta(days=1)
_BOOKING_KEYS = tuple(BOOKING.c.keys())


@contextmanager
def session_tx(s: Session) -> Iterator[Tx]:
    """A `Tx` on the session's connection, inside its transaction; a constraint the driver reports
    comes out as SQLAlchemy's IntegrityError, as it would from a flush."""
    conn = s.connection()
    cur = conn.connection.cursor()
    try:
        yield Tx(cur, conn.dialect)
    except conn.dialect.loaded_dbapi.IntegrityError as exc:
        raise IntegrityError(None, None, exc) from exc
    finally:
        cur.close()


def is_overlap(exc: IntegrityError) -> bool:
    return "booking_no_overlap" in str(exc.orig) or "exclusion" in str(exc.orig).lower()


def is_code_clash(exc: IntegrityError) -> bool:
    text = str(exc.orig).lower()
    return "code" in text and ("unique" in text or "duplicate" in text)


def _ts(name: str) -> sa.BindParameter[Any]:
    return sa.bindparam(name, type_=BOOKING.c.start_at.type)


@functools.cache
def _statements(dialect: str) -> dict[str, Any]:
    """Built once per dialect: building a statement costs more than running it (values are bound at execute)."""
    b, t, r, o = BOOKING.c, TIME_OFF.c, REMINDER.c, OUTBOUND.c
    lock = sa.select(BARBER.c.key).where(BARBER.c.key == sa.bindparam("barber"), BARBER.c.active == sa.true())
    get = sa.select(*BOOKING.c).where(b.id == sa.bindparam("booking_id"))
    lo, hi = _ts("lo"), _ts("hi")
    # `start_at > floor` only bounds the index range scan (ix_booking_barber_start), which would
    # otherwise read every booking the barber ever had; see LONGEST_BOOKING
    booked = sa.select(sa.literal_column("0"), b.start_at, b.end_at).where(
        b.barber == sa.bindparam("barber"), b.status == BookingStatus.CONFIRMED, b.start_at < hi, b.end_at > lo,
        b.start_at > _ts("floor"))
    off = sa.select(sa.literal_column("1"), t.start_at, t.end_at).where(
        t.barber == sa.bindparam("barber"), t.start_at < hi, t.end_at > lo)
    waiting = [sa.bindparam("w0", ReminderState.SCHEDULED, type_=r.state.type),
               sa.bindparam("w1", ReminderState.RETRYING, type_=r.state.type)]
    return {
        # PostgreSQL: writers for one barber queue on the row (SQLite already holds the write lock)
        "lock": lock.with_for_update() if dialect == "postgresql" else lock,
        "intervals": booked.union_all(off),
        "intervals_excluding": booked.where(b.id != sa.bindparam("exclude")).union_all(off),
        "booking": sa.insert(BOOKING).returning(b.id),
        "get": get.with_for_update() if dialect == "postgresql" else get,
        "close": sa.update(BOOKING).where(b.id == sa.bindparam("booking_id"), b.status == BookingStatus.CONFIRMED)
        .values(status=sa.bindparam("new_status"), next_reminder_at=None, cancel_reason=sa.bindparam("reason"),
                revision=b.revision + 1, updated_at=_ts("now"))
        .returning(*BOOKING.c),
        # a reminder already claimed ("sending") is the worker's to finish: only those waiting are revoked
        "revoke": sa.update(REMINDER).where(r.booking_id == sa.bindparam("booking_id"), r.state.in_(waiting))
        .values(state=ReminderState.REVOKED, updated_at=_ts("now")).returning(r.id, r.job_id),
        "notice": sa.insert(OUTBOUND).returning(o.id),
    }


@functools.lru_cache(maxsize=128)
def _reminders_insert(n: int) -> sa.Insert:
    """One INSERT of n reminder rows of one booking's plan (n is at most the plan's batch)."""
    c = REMINDER.c
    shared: dict[str, Any] = {
        "booking_id": sa.bindparam("booking_id", type_=c.booking_id.type),
        "revision": sa.bindparam("revision", type_=c.revision.type),
        "updated_at": _ts("now"),
        "state": sa.bindparam("scheduled", ReminderState.SCHEDULED, type_=c.state.type),
        "attempts": sa.bindparam("zero", 0, type_=c.attempts.type),
        **{key: sa.null() for key in ("sent_at", "claimed_at", "next_attempt_at", "message_sid",
                                      "delivery_status", "error")},
    }
    rows = [{**shared, "job_id": sa.bindparam(f"job{i}", type_=c.job_id.type),
             "k": sa.bindparam(f"k{i}", type_=c.k.type), "due_at": _ts(f"due{i}")} for i in range(n)]
    return sa.insert(REMINDER).values(rows).returning(c.id, c.job_id)


@functools.lru_cache(maxsize=128)
def _row_keys(n: int) -> tuple[tuple[str, str, str], ...]:
    """The bind names of `_reminders_insert(n)`'s rows, row by row (formatted once, not per booking)."""
    return tuple((f"job{i}", f"k{i}", f"due{i}") for i in range(n))


def lock_barber(tx: Tx, barber: str) -> None:
    """Serialise writers per barber (PostgreSQL row lock; SQLite already holds the write lock)."""
    if tx.first(_statements(tx.dialect.name)["lock"], {"barber": barber}) is None:
        raise InvalidBooking(f"unknown barber: {barber}", code="unknown_barber")


def intervals(tx: Tx, barber: str, lo: dt.datetime, hi: dt.datetime,
              exclude_booking: int | None = None) -> tuple[list[Interval], list[Interval]]:
    """The barber's confirmed bookings and time off overlapping [lo, hi) (without one booking)."""
    values: dict[str, Any] = {"barber": barber, "lo": lo, "hi": hi, "floor": lo - LONGEST_BOOKING}
    name = "intervals"
    if exclude_booking is not None:
        name, values["exclude"] = "intervals_excluding", exclude_booking
    bookings: list[Interval] = []
    time_off: list[Interval] = []
    for kind, start, end in tx.all(_statements(tx.dialect.name)[name], values):
        (time_off if kind else bookings).append((start, end))
    return bookings, time_off


def insert_booking(tx: Tx, row: Mapping[str, Any]) -> int:
    """Insert a booking (every column but the id); its new id."""
    got = tx.first(_statements(tx.dialect.name)["booking"], row, keys=True)
    assert got is not None
    return int(got[0])


def insert_reminders(tx: Tx, *, booking_id: int, revision: int, due: list[tuple[int, dt.datetime]],
                     now: dt.datetime) -> list[PlannedReminder]:
    """Write a window of the booking's plan, (k, due time) each, as scheduled rows; what to enqueue."""
    if not due:
        return []
    jobs = [job_id(booking_id, revision, k) for k, _ in due]
    values: dict[str, Any] = {"booking_id": booking_id, "revision": revision, "now": now}
    for (job_key, k_key, due_key), (k, at), job in zip(_row_keys(len(due)), due, jobs, strict=True):
        values[job_key], values[k_key], values[due_key] = job, k, at
    tx.execute(_reminders_insert(len(due)), values)
    ids = dict((job, rid) for rid, job in tx.cursor.fetchall())
    return [PlannedReminder(ids[job], job, at) for (_, at), job in zip(due, jobs, strict=True)]


def close_booking(tx: Tx, booking_id: int, status: str, *, reason: str | None,
                  now: dt.datetime) -> Booking | None:
    """Move a confirmed booking to `status` (its plan stops, its revision rises); None if it is not confirmed."""
    row = tx.first(_statements(tx.dialect.name)["close"], {
        "booking_id": booking_id, "new_status": status, "now": now,
        "reason": reason if status == BookingStatus.CANCELLED else None})
    if row is None:
        return None
    values = dict(zip(_BOOKING_KEYS, row, strict=True))
    values["updated_at"] = now  # as given, as the ORM object kept it
    return detached_booking(values)


def locked_booking(tx: Tx, booking_id: int) -> Booking | None:
    """The booking as stored (row-locked on PostgreSQL until the transaction ends); None if there is none."""
    row = tx.first(_statements(tx.dialect.name)["get"], {"booking_id": booking_id})
    return None if row is None else detached_booking(dict(zip(_BOOKING_KEYS, row, strict=True)))


def revoke_pending(tx: Tx, booking_id: int, now: dt.datetime) -> list[str]:
    """Revoke the booking's reminders not yet claimed by a worker; their job ids, in plan order."""
    tx.execute(_statements(tx.dialect.name)["revoke"], {"booking_id": booking_id, "now": now})
    return [job for _, job in sorted(tx.cursor.fetchall())]


def insert_notice(tx: Tx, *, kind: str, to_phone: str, body: str, booking_id: int | None,
                  now: dt.datetime) -> int:
    """Queue a message to a customer; its id."""
    got = tx.first(_statements(tx.dialect.name)["notice"], {
        "kind": kind, "to_phone": to_phone, "body": body, "booking_id": booking_id, "state": "queued",
        "attempts": 0, "claimed_at": None, "next_attempt_at": None, "message_sid": None,
        "delivery_status": None, "error": None, "created_at": now, "sent_at": None}, keys=True)
    assert got is not None
    return int(got[0])


def detached_booking(values: Mapping[str, Any]) -> Booking:
    """A Booking holding `values` (every column), as a committed session leaves it: detached, all loaded.

    Built the way the ORM builds a row it loads (no validation, no per-attribute events): a tenth
    of `Booking(**values)`'s cost. Of what `make_transient_to_detached` does, only giving the state
    its identity key is left to do for a fresh instance whose every column is in its `__dict__`
    (nothing to commit, nothing to expire): 7 us a booking where that call cost 10.6 (timeit); a
    chat booking builds two (create, cancel).
    """
    manager, mapper = _booking_class()
    booking = cast(Booking, manager.new_instance())
    booking.__dict__.update(values)
    booking.__pydantic_fields_set__.update(values)
    instance_state(booking).key = mapper.identity_key_from_primary_key((values["id"],))
    return booking


@functools.cache
def _booking_class() -> tuple[Any, Any]:
    configure_mappers()  # the class's attributes are ready only once its mapper is configured
    mapper = sa.inspect(Booking)
    return mapper.class_manager, mapper
