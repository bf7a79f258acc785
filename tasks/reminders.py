"""The send task: one reminder id in; the row says whether, what and to whom.

Claim -> re-check -> render -> send -> record. The claim is a conditional
UPDATE (scheduled/retrying -> sending), so of two workers holding the same id
only one ever sends. Running the task twice, early or late, is harmless.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col

from bot import messages
from bot.dispatch import PlannedReminder
from bot.errors import SendFailed
from bot.models import Booking, BookingStatus, Customer, Reminder, ReminderState
from bot.phones import mask_phone
from bot.services import Services
from tasks.sender import OutgoingMessage

log = logging.getLogger(__name__)

WINDOW = dt.timedelta(hours=24)            # WhatsApp's customer service window
EARLY_TOLERANCE = dt.timedelta(seconds=1)  # a job that arrives earlier is a stale duplicate


def retry_delay(settings: object, attempt: int) -> float:
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


def claim(services: Services, reminder_id: int, now: dt.datetime) -> bool:
    """scheduled/retrying -> sending, attempts+1, claimed_at=now; True only for the one winner."""
    with write(services) as s:
        result = s.exec(  # type: ignore[call-overload]
            sa.update(Reminder)
            .where(col(Reminder.id) == reminder_id,
                   col(Reminder.state).in_((ReminderState.SCHEDULED, ReminderState.RETRYING)))
            .values(state=ReminderState.SENDING, attempts=Reminder.attempts + 1,  # type: ignore[operator]
                    claimed_at=now, updated_at=now)
        )
        return bool(result.rowcount == 1)


def _finish(services: Services, reminder_id: int, now: dt.datetime, **values: object) -> bool:
    """Record the outcome, but only if we still hold the claim (the reconciler may have taken it back)."""
    with write(services) as s:
        result = s.exec(  # type: ignore[call-overload]
            sa.update(Reminder)
            .where(col(Reminder.id) == reminder_id, col(Reminder.state) == ReminderState.SENDING)
            .values(updated_at=now, **values)
        )
        return bool(result.rowcount == 1)


def render(services: Services, booking: Booking, customer: Customer | None,
           now: dt.datetime) -> OutgoingMessage:
    """Free text inside the 24-hour window; the approved template outside it when configured."""
    shop = services.shop
    fields = dict(service=booking.service, barber=booking.barber, start=booking.start_at,
                  code=booking.code, now=now)
    in_window = bool(customer and customer.last_inbound_at and now - customer.last_inbound_at < WINDOW)
    content_sid = services.settings.whatsapp_reminder_content_sid
    if not in_window and content_sid:
        return OutgoingMessage(to=booking.customer_phone, content_sid=content_sid,
                               content_variables=messages.reminder_variables(shop, **fields))
    return OutgoingMessage(to=booking.customer_phone, body=messages.reminder(shop, **fields))


def send_reminder(services: Services, reminder_id: int, *, limiter: object | None = None) -> Outcome:
    now = services.now()
    with services.db.session() as s:
        r = s.get(Reminder, reminder_id)
    if r is None or r.state not in (ReminderState.SCHEDULED, ReminderState.RETRYING):
        return Outcome("noop", r.state if r else "missing")
    not_before = r.next_attempt_at if r.state == ReminderState.RETRYING and r.next_attempt_at else r.due_at
    if not_before - now > EARLY_TOLERANCE:
        return Outcome("early")  # its own job (or the reconciler) will come back at the right time

    if limiter is not None:
        limiter.acquire()  # type: ignore[attr-defined]
        now = services.now()
    if not claim(services, reminder_id, now):
        return Outcome("noop", "claimed elsewhere")

    with services.db.session() as s:
        r = s.get(Reminder, reminder_id)
        assert r is not None
        booking = s.get(Booking, r.booking_id)
        customer = s.get(Customer, booking.customer_phone) if booking else None

    if booking is None or booking.status != BookingStatus.CONFIRMED or booking.revision != r.revision:
        _finish(services, reminder_id, now, state=ReminderState.REVOKED, error="booking changed")
        return Outcome("revoked")
    if booking.start_at <= now:
        _finish(services, reminder_id, now, state=ReminderState.EXPIRED)
        return Outcome("expired")
    if customer is not None and customer.reminders_paused:
        _finish(services, reminder_id, now, state=ReminderState.SKIPPED, error="reminders paused")
        return Outcome("skipped")

    message = render(services, booking, customer, now)
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
    log.info("reminder %s sent to %s (%s)", r.job_id, mask_phone(booking.customer_phone), sid)
    return Outcome("sent", sid)


def _failed(services: Services, r: Reminder, now: dt.datetime, exc: SendFailed) -> Outcome:
    assert r.id is not None
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
