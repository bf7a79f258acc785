"""A job sweeps: it sends its own reminder and the others already due, so a burst costs a few
transactions; the others' jobs then do nothing; nothing is sent twice or early, and a slow sweep
gives back what it has not tried. On SQLite and PostgreSQL, with a fixed clock and a fake sender."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

from sqlmodel import col, select

from bot.dispatch import RecordingDispatcher
from bot.models import Reminder, ReminderState
from bot.services import Services
from tasks.reminders import RELEASE_AFTER, Pace, send_reminder
from tasks.sender import FakeSender, OutgoingMessage

START = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)  # Thursday 09:00-20:00; booked on Wednesday 09:00


def first_reminders(services: Services, n: int) -> list[Reminder]:
    """n customers booked now (Wednesday 09:00) for Thursday, two barbers, 30-minute steps:
    the first reminder of each is due at the same instant, two hours from now."""
    services.sender = FakeSender()
    firsts = []
    for i in range(n):
        b = services.bookings.create(customer_phone=f"+4477009{i:05d}", service="haircut",
                                     barber=("sam", "alex")[i % 2], start=START + dt.timedelta(minutes=30 * (i // 2)))
        firsts.append(services.bookings.reminders(b.id)[0])
    return firsts


def states(services: Services, ids: list[int]) -> Counter[str]:
    with services.db.session() as s:
        return Counter(s.exec(select(Reminder.state).where(col(Reminder.id).in_(ids))).all())


def at(services: Services, when: dt.datetime) -> None:
    services.clock.now = when  # type: ignore[attr-defined]


def test_one_job_sends_every_reminder_already_due_and_their_own_jobs_do_nothing(services: Services) -> None:
    due = first_reminders(services, 5)
    at(services, max(r.due_at for r in due))

    assert send_reminder(services, due[2].id).state == "sent"

    assert len(services.sender.sent) == 5
    assert sorted(m.to for _, m in services.sender.sent) == sorted(f"+4477009{i:05d}" for i in range(5))
    assert [send_reminder(services, r.id).state for r in due] == ["noop"] * 5
    assert len(services.sender.sent) == 5
    assert states(services, [r.id for r in due]) == {ReminderState.SENT: 5}


def test_a_sweep_takes_only_reminders_already_due(services: Services) -> None:
    due = first_reminders(services, 1)
    at(services, services.now() + dt.timedelta(minutes=10))
    b = services.bookings.create(customer_phone="+447700955555", service="haircut", barber="alex",
                                 start=START + dt.timedelta(hours=5))
    later = services.bookings.reminders(b.id)
    at(services, due[0].due_at)
    assert later[0].due_at > due[0].due_at

    assert send_reminder(services, due[0].id).state == "sent"

    assert [m.to for _, m in services.sender.sent] == ["+447700900000"]
    assert states(services, [later[0].id]) == {ReminderState.SCHEDULED: 1}


def test_a_sweep_is_at_most_its_size(services: Services) -> None:
    due = first_reminders(services, 6)
    at(services, max(r.due_at for r in due))

    assert send_reminder(services, due[0].id, sweep=4).state == "sent"

    assert len(services.sender.sent) == 4
    assert states(services, [r.id for r in due]) == {ReminderState.SENT: 4, ReminderState.SCHEDULED: 2}


def test_a_slow_sweep_gives_back_what_it_has_not_tried_and_wakes_another_worker(services: Services) -> None:
    due = first_reminders(services, 4)
    services.dispatcher = services.bookings.dispatcher = RecordingDispatcher()
    at(services, max(r.due_at for r in due))

    def slow(_: OutgoingMessage) -> None:  # Twilio takes longer than the whole budget per message
        services.clock.now += dt.timedelta(seconds=RELEASE_AFTER + 1)  # type: ignore[attr-defined]

    services.sender.on_send = slow
    assert send_reminder(services, due[0].id).state == "sent"

    assert len(services.sender.sent) == 1
    others = [r.id for r in due[1:]]
    assert states(services, others) == {ReminderState.SCHEDULED: 3}
    with services.db.session() as s:
        assert {r.attempts for r in s.exec(select(Reminder).where(col(Reminder.id).in_(others)))} == {0}
    assert sorted(p.reminder_id for p in services.dispatcher.scheduled) == sorted(others)
    assert len({p.job_id for p in services.dispatcher.scheduled}) == 3

    services.sender.on_send = None
    for p in services.dispatcher.scheduled:
        send_reminder(services, p.reminder_id)
    assert len(services.sender.sent) == 4
    assert len({m.to for _, m in services.sender.sent}) == 4


def test_jobs_of_a_burst_racing_in_many_threads_send_each_reminder_once(services: Services) -> None:
    due = first_reminders(services, 40)
    at(services, max(r.due_at for r in due))
    results: list[str] = []
    errors: list[BaseException] = []

    def worker(ids: list[int]) -> None:
        try:
            for rid in ids:
                results.append(send_reminder(services, rid, sweep=7).state)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=([r.id for r in due[i::8]],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert errors == []
    recipients = Counter(m.to for _, m in services.sender.sent)
    assert len(recipients) == 40 and set(recipients.values()) == {1}
    assert states(services, [r.id for r in due]) == {ReminderState.SENT: 40}
    assert Counter(results)["sent"] + Counter(results)["noop"] == 40


def test_a_booking_cancelled_while_its_reminder_waits_in_a_sweep_gets_nothing(services: Services) -> None:
    due = first_reminders(services, 3)
    at(services, max(r.due_at for r in due))
    with services.db.session() as s:
        last = s.get(Reminder, due[2].id)
        assert last is not None
        cancelled = last.booking_id

    def cancel_the_last(_: OutgoingMessage) -> None:  # while the first goes out, the third is cancelled
        if not services.sender.sent:
            services.bookings.cancel(cancelled, reason="changed my mind")

    services.sender.on_send = cancel_the_last
    assert send_reminder(services, due[0].id).state == "sent"

    assert sorted(m.to for _, m in services.sender.sent) == ["+447700900000", "+447700900001"]
    assert states(services, [due[2].id]) == {ReminderState.REVOKED: 1}


def test_sweeps_shrink_to_what_a_thread_can_send_in_its_budget() -> None:
    pace = Pace()
    assert pace.sweep(2.5) == 16           # nothing measured yet: a full sweep
    pace.record(0.001)
    assert pace.sweep(2.5) == 16           # a fast Twilio
    for _ in range(60):
        pace.record(0.25)
    assert pace.sweep(2.5) == 10           # 250 ms a send: ten fit in 2.5 s
    for _ in range(60):
        pace.record(10.0)                   # timeouts
    assert pace.sweep(2.5) == 1
