"""A real Huey consumer (threads in this process) on SQLite storage and on Redis, sending to a fake Twilio."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from engine_support import BARBERS, book, reminder_rows
from faketwilio import FakeTwilio

from bot.models import ReminderState
from tasks.runtime import wait_until


def states(services: Any, booking_id: int | None = None) -> list[str]:
    return [r.state for r in reminder_rows(services, booking_id)]


def test_reminders_go_out_on_time_and_once(engine: Any, worker: Any, fake_twilio: FakeTwilio) -> None:
    services = engine(twilio=fake_twilio, lead_seconds=3.5)
    bookings = [book(services, barber=b, phone=f"+44770090012{i}") for i, b in enumerate(BARBERS[:2])]
    worker(services)
    rows = reminder_rows(services)
    assert len(rows) == 6  # 3 per booking: at +1, +2, +3 intervals, before the appointment at +3.5
    assert wait_until(lambda: states(services) == [ReminderState.SENT] * 6, timeout=15)
    for r in reminder_rows(services):
        assert r.attempts == 1 and r.message_sid
        # Huey's scheduler moves due jobs to the queue once a second
        assert dt.timedelta(0) <= r.sent_at - r.due_at < dt.timedelta(seconds=2), r
    assert len(fake_twilio.accepted()) == 6
    assert {r.to for r in fake_twilio.accepted()} == {f"whatsapp:{b.customer_phone}" for b in bookings}
    assert "Haircut with Sam" in (fake_twilio.accepted()[0].body or "") + "".join(
        r.body or "" for r in fake_twilio.accepted())


def test_cancel_stops_the_remaining_reminders(engine: Any, worker: Any, fake_twilio: FakeTwilio) -> None:
    services = engine(twilio=fake_twilio, lead_seconds=4.5)
    b = book(services)
    worker(services)
    assert wait_until(lambda: ReminderState.SENT in states(services), timeout=10)
    services.bookings.cancel(b.id, notify=False)
    sent_at_cancel = states(services).count(ReminderState.SENT)
    wait_until(lambda: False, timeout=4.0)  # past the appointment: nothing else may go out
    assert states(services).count(ReminderState.SENT) == sent_at_cancel < 4
    assert set(states(services)) <= {ReminderState.SENT, ReminderState.REVOKED}
    assert len(fake_twilio.accepted()) == sent_at_cancel


def test_reschedule_sends_only_the_new_plan(engine: Any, worker: Any, fake_twilio: FakeTwilio) -> None:
    # Huey's scheduler wakes once a second: a reminder due within a second of the appointment may
    # find it passed. An interval of 3 s leaves the new plan's last reminder 1.5 s of room.
    interval = 3
    services = engine(twilio=fake_twilio, lead_seconds=4.5, reminder_interval_seconds=interval)
    b = book(services, later_minutes=5)  # a long first plan: a reminder every interval for 5 minutes
    worker(services)
    assert wait_until(lambda: ReminderState.SENT in states(services), timeout=10)
    # Move it while the new appointment is k + 1/2 intervals away, so the new plan's last reminder
    # is due half an interval before it: never so close that it expires before the worker sends it.
    appointment = services.extras["appointment"]
    left = (appointment - services.now()).total_seconds() / interval
    assert left > 1.6, "the worker took too long to start; no room left for a new plan"
    target = (math.floor(left - 0.5) + 0.5) * interval
    assert wait_until(lambda: (appointment - services.now()).total_seconds() <= target, timeout=1.5 * interval)
    moved = services.bookings.reschedule(b.id, start=appointment)
    old = [r for r in reminder_rows(services) if r.revision == 1]
    old_sent = sum(r.state == ReminderState.SENT for r in old)
    new = [r for r in reminder_rows(services) if r.revision == moved.revision]
    assert 1 <= len(new) <= 4 and all(r.job_id.startswith(f"{b.id}-r2-") for r in new)
    assert wait_until(lambda: all(r.state == ReminderState.SENT for r in reminder_rows(services)
                                  if r.revision == moved.revision), timeout=5 * interval)
    wait_until(lambda: False, timeout=1.5)
    old_after = [r for r in reminder_rows(services) if r.revision == 1]
    assert sum(r.state == ReminderState.SENT for r in old_after) == old_sent
    assert {r.state for r in old_after} <= {ReminderState.SENT, ReminderState.REVOKED}
    assert len(fake_twilio.accepted()) == old_sent + len(new)


def test_transient_errors_retry_with_the_configured_backoff(engine: Any, worker: Any,
                                                            fake_twilio: FakeTwilio) -> None:
    fake_twilio.script = [(500, 20500), (429, 20429)]
    # retries wait 1 s, then 2 s; Huey's scheduler, waking once a second, may add up to a second
    services = engine(twilio=fake_twilio, lead_seconds=1.9, reminder_interval_seconds=8,
                      reminder_retry_delay_seconds=1, reminder_retry_backoff=2)
    book(services)
    worker(services)
    assert wait_until(lambda: reminder_rows(services)[0].state == ReminderState.SENT, timeout=20)
    first = reminder_rows(services)[0]
    assert first.attempts == 3
    calls = [r.at for r in fake_twilio.received[:3]]
    gaps = [b - a for a, b in zip(calls, calls[1:], strict=False)]
    assert 0.95 <= gaps[0] < 2.3, gaps   # 1 s after the first failure
    assert 1.95 <= gaps[1] < 3.3, gaps   # 1 × 2 = 2 s after the second


def test_invalid_number_fails_after_one_attempt(engine: Any, worker: Any, fake_twilio: FakeTwilio) -> None:
    fake_twilio.script = [(400, 21211)]
    # one reminder, at +2 s, 1.5 s before the appointment: more than Huey's one-second scheduler
    # tick, so it is sent rather than found expired (0.5 s of room expired it on a loaded machine)
    services = engine(twilio=fake_twilio, lead_seconds=1.75, reminder_interval_seconds=2)
    book(services)
    worker(services)
    assert wait_until(lambda: states(services) == [ReminderState.FAILED], timeout=10)
    r = reminder_rows(services)[0]
    assert (r.attempts, r.error) == (1, "21211")
    wait_until(lambda: False, timeout=1.0)
    assert len(fake_twilio.received) == 1
