"""The reconciler: the database is the truth, the queue only a wake-up call.

Every interval it
- writes the next window of each booking's reminder plan (a booking far away gets its reminders
  as rows `PLAN_AHEAD` at a time, not all at once);
- expires pending reminders whose appointment has passed;
- takes back reminders stuck in `sending` (a worker died mid-task) and makes them due again;
- re-enqueues reminders that are due (or due for a retry) more than a grace
  period ago and were never sent — a lost job, a killed worker, a flushed Redis;
- does the same for outgoing notices (queued, waiting for a retry, or stuck in `sending`).
A duplicate job is harmless: the send task's claim lets only one through.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from bot.dispatch import PlannedReminder
from bot.models import Booking, OutboundMessage, Reminder, ReminderState
from bot.services import Services
from tasks.outbox import FAILED, QUEUED, RETRYING, SENDING

log = logging.getLogger(__name__)

BATCH = 2000


@dataclass
class ReconcileReport:
    expired: int = 0
    reclaimed: int = 0
    requeued: int = 0
    messages: int = 0
    planned: int = 0


def default_grace(services: Services) -> float:
    configured = services.settings.reconcile_grace_seconds
    if configured is not None:
        return float(configured)
    return float(min(services.settings.reconcile_interval_seconds, 60))


def default_stuck_after(services: Services) -> float:
    configured = services.settings.reminder_stuck_after_seconds
    if configured is not None:
        return float(configured)
    # longer than one send can take (HTTP timeout), so a live worker keeps its claim
    return float(max(30, 2 * services.settings.reconcile_interval_seconds))


def reconcile(services: Services, *, now: dt.datetime | None = None, grace_seconds: float | None = None,
              stuck_after_seconds: float | None = None) -> ReconcileReport:
    now = now or services.now()
    grace = dt.timedelta(seconds=default_grace(services) if grace_seconds is None else grace_seconds)
    stuck = dt.timedelta(seconds=(default_stuck_after(services) if stuck_after_seconds is None
                                  else stuck_after_seconds))
    report = ReconcileReport()
    # the next window of each booking's reminder plan becomes rows (and jobs) before it is due
    report.planned = services.bookings.top_up_reminders()
    max_attempts = services.settings.reminder_max_attempts
    with services.db.write() as s:
        past = select(Booking.id).where(col(Booking.start_at) <= now)
        report.expired = s.exec(sa.update(Reminder).where(  # type: ignore[call-overload]
            col(Reminder.state).in_((ReminderState.SCHEDULED, ReminderState.RETRYING)),
            col(Reminder.booking_id).in_(past)).values(
            state=ReminderState.EXPIRED, updated_at=now)).rowcount
        stale = (col(Reminder.state) == ReminderState.SENDING, col(Reminder.claimed_at) < now - stuck)
        s.exec(sa.update(Reminder).where(*stale, col(Reminder.attempts) >= max_attempts)  # type: ignore[call-overload]
               .values(state=ReminderState.FAILED, error="worker lost", updated_at=now))
        # taken back from a dead worker: due now, so enqueued in this same round
        reclaimed = list(s.exec(sa.update(Reminder).where(  # type: ignore[call-overload]
            *stale).values(state=ReminderState.RETRYING, next_attempt_at=now, error="worker lost",
                           updated_at=now).returning(col(Reminder.id), col(Reminder.job_id))).all())
        overdue = list(s.exec(sa.select(col(Reminder.id), col(Reminder.job_id)).where(  # type: ignore[call-overload]
            sa.or_(
                sa.and_(col(Reminder.state) == ReminderState.SCHEDULED, col(Reminder.due_at) < now - grace),
                sa.and_(col(Reminder.state) == ReminderState.RETRYING,
                        sa.or_(col(Reminder.next_attempt_at).is_(None),
                               col(Reminder.next_attempt_at) < now - grace),
                        ),
            )).order_by(col(Reminder.due_at)).limit(BATCH)).all())
        report.reclaimed = len(reclaimed)
        messages = _reconcile_messages(s, now, grace, stuck, max_attempts)
    stamp = int(now.timestamp())
    ids: dict[int, str] = {int(rid): str(job_id) for rid, job_id in [*overdue, *reclaimed]}
    planned = [PlannedReminder(rid, f"{job_id}-c{stamp}", now) for rid, job_id in ids.items()]
    if planned:
        services.dispatcher.schedule_reminders(planned)
    for mid in messages:
        services.dispatcher.send_message(mid)
    report.requeued, report.messages = len(planned), len(messages)
    if report.expired or report.reclaimed or report.requeued or report.messages:
        log.warning("reconciler: %s", report)
    return report


def _reconcile_messages(s: Any, now: dt.datetime, grace: dt.timedelta, stuck: dt.timedelta,
                        max_attempts: int) -> list[int]:
    """Notices: take back those stuck in `sending`; return the ids to enqueue again (queued a
    while ago, a retry whose time has come, or just taken back)."""
    stale = (col(OutboundMessage.state) == SENDING, col(OutboundMessage.claimed_at) < now - stuck)
    s.exec(sa.update(OutboundMessage).where(*stale, col(OutboundMessage.attempts) >= max_attempts)
           .values(state=FAILED, error="worker lost"))
    reclaimed = [row[0] for row in s.exec(sa.update(OutboundMessage).where(*stale).values(
        state=RETRYING, next_attempt_at=now, error="worker lost").returning(col(OutboundMessage.id))).all()]
    due = list(s.exec(select(OutboundMessage.id).where(sa.or_(
        sa.and_(col(OutboundMessage.state) == QUEUED, col(OutboundMessage.created_at) < now - grace),
        sa.and_(col(OutboundMessage.state) == RETRYING,
                sa.or_(col(OutboundMessage.next_attempt_at).is_(None),
                       col(OutboundMessage.next_attempt_at) < now - grace)),
    )).limit(BATCH)).all())
    return list(dict.fromkeys([*reclaimed, *due]))


class IntervalLock:
    """At most one holder per time window across all workers, in the queue's storage; no release needed.

    A counter per window: whoever increments it to 1 holds the window. A holder
    that dies simply lets the next window go to someone else.
    """

    def __init__(self, huey: object, name: str, interval: float) -> None:
        self.storage = getattr(huey, "storage", None)
        self.name = name
        self.interval = interval

    def try_acquire(self, now: float | None = None) -> bool:
        if self.storage is None:
            return True
        window = int((now if now is not None else time.time()) // self.interval)
        got = self.storage.incr(f"barberbot.lock.{self.name}.{window}") == 1
        if got:
            self.storage.delete_counter(f"barberbot.lock.{self.name}.{window - 2}")
        return bool(got)


def reconcile_loop(services: Services, stop: threading.Event, *, grace_seconds: float | None = None,
                   stuck_after_seconds: float | None = None) -> None:
    interval = services.settings.reconcile_interval_seconds
    lock = IntervalLock(services.huey, "reconcile", interval)
    while True:
        try:
            if lock.try_acquire():
                reconcile(services, grace_seconds=grace_seconds, stuck_after_seconds=stuck_after_seconds)
        except Exception:  # noqa: BLE001 - keep reconciling; the next round may succeed
            log.exception("reconciler round failed")
        if stop.wait(interval - (time.time() % interval)):
            return
