"""The send task: one reminder id in; the row says whether, what and to whom.

Claim -> re-check -> render -> send -> record. The claim is a conditional
UPDATE (scheduled/retrying -> sending), so of two workers holding the same id
only one ever sends. Running the task twice, early or late, is harmless.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from bot import messages
from bot.dispatch import PlannedReminder
from bot.errors import SendFailed
from bot.models import Booking, BookingStatus, Customer, Reminder, ReminderState
from bot.phones import mask_phone
from bot.services import Services
from bot.settings import Settings
from tasks.sender import OutgoingMessage

log = logging.getLogger(__name__)

WINDOW = dt.timedelta(hours=24)            # WhatsApp's customer service window
EARLY_TOLERANCE = dt.timedelta(seconds=1)  # a job that arrives earlier is a stale duplicate


def retry_delay(settings: Settings, attempt: int) -> float:
    """Seconds to wait after the `attempt`-th failed attempt: delay × backoff^(attempt-1)."""
    base = float(settings.reminder_retry_delay_seconds)
    backoff = float(settings.reminder_retry_backoff)
    return base * backoff ** (attempt - 1)


@dataclass(frozen=True)
class Outcome:
    state: str            # what the task did: sent, retrying, failed, skipped, revoked, expired, noop, early
    detail: str | None = None


def send_reminder_task(reminder_id: int) -> str:
    """The Huey task body."""
    from tasks import runtime

    return send_reminder(runtime.current(), reminder_id, limiter=runtime.limiter()).state


_sqlite_writer = threading.Lock()


@contextmanager
def write(services: Services) -> Iterator[Session]:
    """A write transaction. On SQLite, this process's threads queue on a lock instead of
    SQLite's busy handler, which sleeps in growing steps and wrecks throughput under contention."""
    if services.db.dialect != "sqlite":
        with services.db.write() as s:
            yield s
        return
    with _sqlite_writer, services.db.write() as s:
        yield s


@contextmanager
def core_write(services: Services) -> Iterator[sa.Connection]:
    """The hot path's write transaction: a Core connection, no ORM session (same locking as `write`)."""
    engine = services.db.engine
    if services.db.dialect != "sqlite":
        with engine.begin() as conn:
            yield conn
        return
    with _sqlite_writer, engine.connect() as conn:
        conn = conn.execution_options(sqlite_immediate=True)
        with conn.begin():
            yield conn


@dataclass(frozen=True)
class Claimed:
    """What the winning claim returns: enough to re-check the booking and to retry."""

    id: int
    job_id: str
    booking_id: int
    revision: int
    attempts: int


# The hot path's statements are built once per process, with bind parameters: building a
# SQLAlchemy statement costs more CPU than running it.
_T = Reminder.__table__  # type: ignore[attr-defined]


def _p(name: str, column: str) -> sa.BindParameter[object]:
    return sa.bindparam(name, type_=_T.c[column].type)


@functools.cache
def _claim_statement() -> sa.Update:
    soon = _p("p_soon", "due_at")
    claimable = sa.or_(
        sa.and_(_T.c.state == ReminderState.SCHEDULED, _T.c.due_at <= soon),
        sa.and_(_T.c.state == ReminderState.RETRYING,
                sa.or_(_T.c.next_attempt_at <= _p("p_soon2", "next_attempt_at"),
                       sa.and_(_T.c.next_attempt_at.is_(None), _T.c.due_at <= _p("p_soon3", "due_at")))),
    )
    return (sa.update(_T)
            .where(_T.c.id == sa.bindparam("p_id"), claimable)
            .values(state=ReminderState.SENDING, attempts=_T.c.attempts + 1,
                    claimed_at=_p("p_now", "claimed_at"), updated_at=_p("p_now2", "updated_at"))
            .returning(_T.c.job_id, _T.c.booking_id, _T.c.revision, _T.c.attempts))


@functools.cache
def _finish_statement(keys: frozenset[str]) -> sa.Update:
    return (sa.update(_T)
            .where(_T.c.id == sa.bindparam("p_id"), _T.c.state == ReminderState.SENDING)
            .values(updated_at=_p("p_updated_at", "updated_at"), **{k: _p(f"p_{k}", k) for k in keys}))


def claim(services: Services, reminder_id: int, now: dt.datetime) -> Claimed | None:
    """scheduled/retrying -> sending, attempts+1, claimed_at=now, in one UPDATE … RETURNING;
    the row for the one winner, None for everyone else (already taken, final, or early)."""
    soon = now + EARLY_TOLERANCE
    with core_write(services) as conn:
        row = conn.execute(_claim_statement(), {
            "p_id": reminder_id, "p_soon": soon, "p_soon2": soon, "p_soon3": soon,
            "p_now": now, "p_now2": now}).first()
    if row is None:
        return None
    return Claimed(reminder_id, row[0], row[1], row[2], row[3])


def _finish(services: Services, reminder_id: int, now: dt.datetime, **values: object) -> bool:
    """Record the outcome, but only if we still hold the claim (the reconciler may have taken it back)."""
    params = {"p_id": reminder_id, "p_updated_at": now, **{f"p_{k}": v for k, v in values.items()}}
    with core_write(services) as conn:
        result = conn.execute(_finish_statement(frozenset(values)), params)
        return bool(result.rowcount == 1)


@dataclass(frozen=True)
class Due:
    """The booking (and its customer's window and pause flag) a claimed reminder is about."""

    status: str
    revision: int
    start_at: dt.datetime
    service: str
    barber: str
    code: str
    customer_phone: str
    reminders_paused: bool = False
    last_inbound_at: dt.datetime | None = None


_DUE_COLUMNS = tuple(col(c) for c in (
    Booking.status, Booking.revision, Booking.start_at, Booking.service, Booking.barber, Booking.code,
    Booking.customer_phone, Customer.reminders_paused, Customer.last_inbound_at))


@functools.cache
def _due_statement() -> Any:
    return (sa.select(*_DUE_COLUMNS)
            .select_from(Booking)
            .outerjoin(Customer, col(Customer.phone) == col(Booking.customer_phone))
            .where(col(Booking.id) == sa.bindparam("p_booking")))


def load_due(services: Services, booking_id: int) -> Due | None:
    """One read: the booking joined to its customer (there may be none)."""
    with services.db.engine.connect() as conn:
        row = conn.execute(_due_statement(), {"p_booking": booking_id}).first()
    if row is None:
        return None
    status, revision, start_at, service, barber, code, phone, paused, last_inbound_at = tuple(row)
    return Due(status, revision, start_at, service, barber, code, phone,
               reminders_paused=bool(paused), last_inbound_at=last_inbound_at)


def in_window(last_inbound_at: dt.datetime | None, now: dt.datetime) -> bool:
    """Inside WhatsApp's 24-hour customer service window: free text is allowed."""
    return last_inbound_at is not None and now - last_inbound_at < WINDOW


def render(services: Services, due: Due, now: dt.datetime) -> OutgoingMessage:
    """Free text inside the 24-hour window; the approved template outside it when configured."""
    shop = services.shop
    content_sid = services.settings.whatsapp_reminder_content_sid
    if content_sid and not in_window(due.last_inbound_at, now):
        variables = messages.reminder_variables(shop, service=due.service, barber=due.barber,
                                                start=due.start_at, code=due.code, now=now)
        return OutgoingMessage(to=due.customer_phone, content_sid=content_sid, content_variables=variables)
    body = messages.reminder(shop, service=due.service, barber=due.barber, start=due.start_at,
                             code=due.code, now=now)
    return OutgoingMessage(to=due.customer_phone, body=body)


def send_reminder(services: Services, reminder_id: int, *, limiter: object | None = None) -> Outcome:
    if limiter is not None:
        limiter.acquire()  # type: ignore[attr-defined]
    now = services.now()
    r = claim(services, reminder_id, now)
    if r is None:
        return Outcome("noop", "sent, claimed elsewhere, final or early")

    due = load_due(services, r.booking_id)
    if due is None or due.status != BookingStatus.CONFIRMED or due.revision != r.revision:
        _finish(services, reminder_id, now, state=ReminderState.REVOKED, error="booking changed")
        return Outcome("revoked")
    if due.start_at <= now:
        _finish(services, reminder_id, now, state=ReminderState.EXPIRED)
        return Outcome("expired")
    if due.reminders_paused:
        _finish(services, reminder_id, now, state=ReminderState.SKIPPED, error="reminders paused")
        return Outcome("skipped")

    message = render(services, due, now)
    try:
        sid = services.sender.send(message)
    except SendFailed as exc:
        return _failed(services, r, now, exc)
    except Exception as exc:  # noqa: BLE001 - an unknown error: assume it may pass, but bounded by attempts
        log.exception("reminder %s: unexpected send error", r.job_id)
        return _failed(services, r, now, SendFailed(str(exc), retryable=True, error_code="unexpected"))
    sent_at = services.now()
    if not _finish(services, reminder_id, sent_at, state=ReminderState.SENT, sent_at=sent_at,
                   message_sid=sid, error=None, next_attempt_at=None):
        log.error("reminder %s sent as %s but its claim was taken back", r.job_id, sid)
    if log.isEnabledFor(logging.INFO):
        log.info("reminder %s sent to %s (%s)", r.job_id, mask_phone(due.customer_phone), sid)
    return Outcome("sent", sid)


def _failed(services: Services, r: Claimed, now: dt.datetime, exc: SendFailed) -> Outcome:
    settings = services.settings
    code = exc.error_code or "unknown"
    if not exc.retryable or r.attempts >= settings.reminder_max_attempts:
        _finish(services, r.id, now, state=ReminderState.FAILED, error=code)
        log.warning("reminder %s failed for good after %d attempt(s): %s", r.job_id, r.attempts, code)
        return Outcome("failed", code)
    delay = retry_delay(settings, r.attempts)
    next_at = now + dt.timedelta(seconds=delay)
    _finish(services, r.id, now, state=ReminderState.RETRYING, next_attempt_at=next_at, error=code)
    log.info("reminder %s attempt %d failed (%s); retrying in %.1fs", r.job_id, r.attempts, code, delay)
    try:
        services.dispatcher.schedule_reminders(
            [PlannedReminder(r.id, f"{r.job_id}-a{r.attempts + 1}", next_at)])
    except Exception:  # noqa: BLE001 - the reconciler re-enqueues overdue retries
        log.exception("could not enqueue the retry of %s", r.job_id)
    return Outcome("retrying", code)
