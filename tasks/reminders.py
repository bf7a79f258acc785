"""The send task: one reminder id in; the rows say whether, what and to whom.

A job peeks at its reminder (one read), then claims it together with up to SWEEP-1 other
reminders already due, in one UPDATE … RETURNING (scheduled/retrying -> sending): of two
workers holding the same id only one ever sends, and the other jobs of a burst find their
reminder taken with one read. Each claimed reminder is re-checked against its booking just
before its send, and its outcome recorded with one UPDATE that holds only while the claim is
still ours. Running a job twice, early or late, is harmless.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

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
SWEEP = 16              # reminders one job may claim: its own plus others already due
RELEASE_AFTER = 5.0     # seconds a sweep may run before it gives back what it has not tried

T = Reminder.__table__  # type: ignore[attr-defined]


def retry_delay(settings: Settings, attempt: int) -> float:
    """Seconds to wait after the `attempt`-th failed attempt: delay × backoff^(attempt-1)."""
    base = float(settings.reminder_retry_delay_seconds)
    backoff = float(settings.reminder_retry_backoff)
    return base * backoff ** (attempt - 1)


@dataclass(frozen=True)
class Outcome:
    state: str            # what the task did: sent, retrying, failed, skipped, revoked, expired, noop
    detail: str | None = None


def send_reminder_task(reminder_id: int) -> str:
    """The Huey task body."""
    from tasks import runtime

    return send_reminder(runtime.current(), reminder_id, limiter=runtime.limiter(), pace=runtime.pace()).state


@dataclass(frozen=True)
class Claimed:
    """What the winning claim returns: enough to re-check the booking and to retry."""

    id: int
    job_id: str
    booking_id: int
    revision: int
    attempts: int
    due_at: dt.datetime
    when: dt.datetime     # when it is due: its retry time for a retry


def _retry_due(by: Any) -> sa.ColumnElement[bool]:
    return sa.or_(T.c.next_attempt_at <= by, sa.and_(T.c.next_attempt_at.is_(None), T.c.due_at <= by))


def _claimable(by: Any) -> sa.ColumnElement[bool]:
    """Scheduled and due by `by` (an instant or a bound parameter), or retrying and its retry time come by `by`."""
    return sa.or_(sa.and_(T.c.state == ReminderState.SCHEDULED, T.c.due_at <= by),
                  sa.and_(T.c.state == ReminderState.RETRYING, _retry_due(by)))


def _claim_statement(dialect: str, reminder_id: int, now: dt.datetime, sweep: int) -> sa.Update:
    """Claim this reminder (due up to EARLY_TOLERANCE ahead) and up to sweep-1 others already due,
    its own first, then oldest first, in one UPDATE … RETURNING.

    The candidates come in three parts, each reading at most `sweep` rows of the (state, due_at)
    index: its own reminder, the scheduled ones due, the retries due. On PostgreSQL each part locks
    the rows it picks and passes over rows another claim holds (SKIP LOCKED), except its own
    reminder, whose lock it waits for: that other claim may only have looked at it.
    """
    pg = dialect == "postgresql"

    def part(stmt: sa.Select[Any], *, wait: bool = False) -> sa.Select[Any]:
        if pg:
            stmt = stmt.with_for_update(skip_locked=not wait)
        sub = stmt.subquery()
        return sa.select(sub.c.id, sub.c.due_at)

    cols = (T.c.id, T.c.due_at)
    own = part(sa.select(*cols).where(T.c.id == reminder_id, _claimable(now + EARLY_TOLERANCE)), wait=True)
    scheduled = part(sa.select(*cols).where(T.c.state == ReminderState.SCHEDULED, T.c.due_at <= now)
                     .order_by(T.c.due_at).limit(sweep))
    retries = part(sa.select(*cols).where(T.c.state == ReminderState.RETRYING, _retry_due(now))
                   .order_by(T.c.due_at).limit(sweep))
    candidates = sa.union(own, scheduled, retries).subquery("candidates")
    pick = (sa.select(candidates.c.id)
            .order_by(sa.case((candidates.c.id == reminder_id, 0), else_=1), candidates.c.due_at)
            .limit(sweep))
    chosen: sa.ColumnElement[bool]
    if pg:
        # picked (and locked) once, in a materialized CTE, then found by primary key; PostgreSQL
        # checks a locked row again before it locks it, so the picked rows are still claimable
        picked = pick.cte("pick").prefix_with("MATERIALIZED")
        chosen = T.c.id == sa.any_(sa.func.array(sa.select(picked.c.id).scalar_subquery()))
    else:  # SQLite: the statement runs under the write lock
        chosen = sa.and_(T.c.id.in_(pick.scalar_subquery()), _claimable(now + EARLY_TOLERANCE))
    return (sa.update(T).where(chosen)
            .values(state=ReminderState.SENDING, attempts=T.c.attempts + 1, claimed_at=now, updated_at=now)
            .returning(T.c.id, T.c.job_id, T.c.booking_id, T.c.revision, T.c.attempts, T.c.due_at,
                       T.c.next_attempt_at))


# The statements every reminder runs are built once and executed with parameters.
_PEEK = sa.select(T.c.id).where(T.c.id == sa.bindparam("p_id"),
                                _claimable(sa.bindparam("p_by", type_=T.c.due_at.type)))


def is_claimable(services: Services, reminder_id: int, now: dt.datetime) -> bool:
    """A read, no lock: is there anything for this job to do? Most jobs of a burst find their
    reminder already taken by another job's sweep."""
    with services.db.session() as s:
        return s.execute(_PEEK, {"p_id": reminder_id, "p_by": now + EARLY_TOLERANCE}).first() is not None


def claim(services: Services, reminder_id: int, now: dt.datetime, *, sweep: int = 1) -> list[Claimed]:
    """scheduled/retrying -> sending, attempts+1, claimed_at=now: this reminder if it is claimable,
    plus up to sweep-1 others already due; its own first, then by due time. Of two workers
    claiming the same row, one gets it."""
    with services.db.write() as s:
        rows = s.execute(_claim_statement(services.db.dialect, reminder_id, now, max(1, sweep))).all()
    claimed = [Claimed(r.id, r.job_id, r.booking_id, r.revision, r.attempts, r.due_at, r.next_attempt_at or r.due_at)
               for r in rows]
    return sorted(claimed, key=lambda c: (c.id != reminder_id, c.when))


def _finish(services: Services, reminder_id: int, now: dt.datetime, *, state: str, error: str | None = None,
            sent_at: dt.datetime | None = None, message_sid: str | None = None,
            next_attempt_at: dt.datetime | None = None) -> bool:
    """Record an outcome, only while we still hold the claim (the reconciler may have taken it back)."""
    with services.db.write() as s:
        result = s.execute(_FINISH, {"p_id": reminder_id, "p_state": state, "p_error": error, "p_sent_at": sent_at,
                                     "p_message_sid": message_sid, "p_next_attempt_at": next_attempt_at,
                                     "p_updated_at": now})
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


_FINISH = (sa.update(T).where(T.c.id == sa.bindparam("p_id"), T.c.state == ReminderState.SENDING)
           .values({c: sa.bindparam(f"p_{c}", type_=T.c[c].type)
                    for c in ("state", "error", "sent_at", "message_sid", "next_attempt_at", "updated_at")}))


def release(services: Services, rest: list[Claimed]) -> None:
    """Give back claimed reminders not yet tried (as they were, attempts undone) and wake other
    workers for them under fresh job ids."""
    now = services.now()
    with services.db.write() as s:
        s.execute(
            sa.update(T).where(T.c.id.in_([r.id for r in rest]), T.c.state == ReminderState.SENDING)
            .values(state=sa.case((T.c.attempts <= 1, ReminderState.SCHEDULED), else_=ReminderState.RETRYING),
                    attempts=T.c.attempts - 1, claimed_at=None, updated_at=now))
    stamp = int(now.timestamp() * 1000)
    try:
        services.dispatcher.schedule_reminders([PlannedReminder(r.id, f"{r.job_id}-s{stamp}", now) for r in rest])
    except Exception:  # noqa: BLE001 - the reconciler re-enqueues them
        log.exception("could not re-enqueue %d released reminders", len(rest))


class Pace:
    """How long a send takes in this process (a moving average): a sweep takes only what one
    thread can send within its budget, so with a slow Twilio sweeps shrink instead of claiming
    reminders they would have to give back."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def record(self, seconds: float) -> None:
        self.seconds = seconds if self.seconds == 0.0 else 0.9 * self.seconds + 0.1 * seconds

    def sweep(self, budget: float) -> int:
        if self.seconds <= 0.0:
            return SWEEP
        return max(1, min(SWEEP, int(budget / self.seconds)))


def release_after(services: Services) -> float:
    """How long a sweep may run before it gives back what it has not tried: well inside the time
    after which the reconciler takes a claim back (REMINDER_STUCK_AFTER_SECONDS)."""
    from tasks.reconcile import default_stuck_after

    return min(RELEASE_AFTER, default_stuck_after(services) / 3)


def send_reminder(services: Services, reminder_id: int, *, limiter: Any = None, pace: Pace | None = None,
                  sweep: int | None = None) -> Outcome:
    """The job that wakes up on one reminder's id and sends a batch: claim that reminder and
    others already due (up to `sweep`; by default
    what this thread sends in half the release budget at `pace`), send them one by one, and
    give back what is left when the budget runs out. Returns what happened to `reminder_id`."""
    now = services.now()
    if not is_claimable(services, reminder_id, now):
        return Outcome("noop", "sent, claimed elsewhere, final or early")
    budget = release_after(services)
    size = sweep or (pace.sweep(budget / 2) if pace is not None else SWEEP)
    batch = claim(services, reminder_id, now, sweep=size)
    outcomes: dict[int, Outcome] = {}
    for i, r in enumerate(batch):
        if i and (services.now() - now).total_seconds() > budget:
            release(services, batch[i:])
            break
        wait = (r.when - services.now()).total_seconds()  # its own job may come a moment early
        if wait > 0:
            time.sleep(min(wait, EARLY_TOLERANCE.total_seconds()))
        outcomes[r.id] = send_claimed(services, r, limiter, pace)
    return outcomes.get(reminder_id, Outcome("noop", "released to another worker"))


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


_RECHECK = (sa.select(T.c.state, T.c.attempts, col(Booking.status), col(Booking.revision), col(Booking.start_at),
                      col(Booking.service), col(Booking.barber), col(Booking.code), col(Booking.customer_phone),
                      col(Customer.reminders_paused), col(Customer.last_inbound_at))
            .select_from(T)
            .join(Booking, col(Booking.id) == T.c.booking_id)
            .outerjoin(Customer, col(Customer.phone) == col(Booking.customer_phone))
            .where(T.c.id == sa.bindparam("p_id")))


def _recheck(services: Services, r: Claimed) -> Due | None:
    """Just before a send: the booking as it is now, or None if our claim was taken back."""
    with services.db.session() as s:
        row = s.execute(_RECHECK, {"p_id": r.id}).first()
    if row is None or row[0] != ReminderState.SENDING or row[1] != r.attempts:
        return None
    status, revision, start_at, service, barber, code, phone, paused, last_inbound_at = row[2:]
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


def send_claimed(services: Services, r: Claimed, limiter: Any = None, pace: Pace | None = None) -> Outcome:
    """Re-check the claim and the booking (cancelled or moved since?), then send and record."""
    now = services.now()
    due = _recheck(services, r)
    if due is None:
        return Outcome("noop", "claim taken back")
    if due.status != BookingStatus.CONFIRMED or due.revision != r.revision:
        _finish(services, r.id, now, state=ReminderState.REVOKED, error="booking changed")
        return Outcome("revoked")
    if due.start_at <= now:
        _finish(services, r.id, now, state=ReminderState.EXPIRED)
        return Outcome("expired")
    if services.shop.in_quiet_hours(r.due_at):
        _finish(services, r.id, now, state=ReminderState.SKIPPED, error="quiet hours")
        return Outcome("skipped", "quiet hours")
    if due.reminders_paused:
        _finish(services, r.id, now, state=ReminderState.SKIPPED, error="reminders paused")
        return Outcome("skipped")
    if limiter is not None:
        limiter.acquire()
        now = services.now()
    message = render(services, due, now)
    started = time.monotonic()
    try:
        sid = str(services.sender.send(message))
    except SendFailed as exc:
        return _failed(services, r, now, exc)
    except Exception as exc:  # noqa: BLE001 - an unknown error: assume it may pass, but bounded by attempts
        log.exception("reminder %s: unexpected send error", r.job_id)
        return _failed(services, r, now, SendFailed(str(exc), retryable=True, error_code="unexpected"))
    finally:
        if pace is not None:  # failures and timeouts hold the thread too
            pace.record(time.monotonic() - started)
    sent_at = services.now()
    if not _finish(services, r.id, sent_at, state=ReminderState.SENT, sent_at=sent_at, message_sid=sid):
        log.error("reminder %s sent as %s but its claim was taken back", r.job_id, sid)
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
        services.dispatcher.schedule_reminders([PlannedReminder(r.id, f"{r.job_id}-a{r.attempts + 1}", next_at)])
    except Exception:  # noqa: BLE001 - the reconciler re-enqueues overdue retries
        log.exception("could not enqueue the retry of %s", r.job_id)
    return Outcome("retrying", code)
