"""Sends as a `barberbot worker` runs them (each thread keeps its own connection; on PostgreSQL in
autocommit, outcomes written in group statements), on SQLite and PostgreSQL: every reminder of a
burst goes out once and is recorded as sent, and an outcome whose claim was taken back is not
recorded over the reconciler's work."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import sqlalchemy as sa

from bot.models import Reminder, ReminderState
from bot.services import Services
from tasks.reminders import HOLD_CONNECTIONS, send_reminder
from tasks.sender import FakeSender, OutgoingMessage

DAY = dt.datetime(2026, 12, 2, tzinfo=dt.UTC)  # a Wednesday: open 09:00-18:00 in the demo shop


def weekdays() -> list[dt.datetime]:
    days = [DAY + dt.timedelta(days=d) for d in range(1, 25)]
    return [d.replace(hour=16) for d in days if d.weekday() < 5]


def burst(services: Services, customers: int) -> list[Reminder]:
    """`customers` bookings made at the same moment (barbers alternate, days differ): their first
    reminders come due together."""
    services.sender = FakeSender()
    firsts = []
    for i in range(customers):
        start = weekdays()[i // 2]
        b = services.bookings.create(customer_phone=f"+4477009{i:05d}", service="haircut",
                                     barber=("sam", "alex")[i % 2], start=start)
        firsts.append(services.bookings.reminders(b.id)[0])
    return firsts


def in_threads(n: int, work: Callable[[int], None]) -> None:
    """Run work(0..n-1) on 8 threads, as a worker process's consumer threads would."""
    todo = list(range(n))
    lock = threading.Lock()
    errors: list[BaseException] = []

    def run() -> None:
        while True:
            with lock:
                if not todo:
                    return
                i = todo.pop()
            try:
                work(i)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors


def rows(services: Services) -> dict[int, tuple[str, str | None]]:
    with services.db.engine.connect() as c:
        return {r.id: (r.state, r.message_sid) for r in c.execute(sa.select(Reminder.__table__))}  # type: ignore[attr-defined]


def test_a_burst_on_held_connections_is_sent_once_and_recorded(services: Services) -> None:
    services.extras[HOLD_CONNECTIONS] = True
    firsts = burst(services, 24)
    services.clock.now = max(r.due_at for r in firsts)  # type: ignore[attr-defined]

    in_threads(len(firsts), lambda i: send_reminder(services, firsts[i].id, sweep=3))

    sent_to = sorted(m.to for _, m in services.sender.sent)
    assert sent_to == sorted(f"+4477009{i:05d}" for i in range(24))  # each customer once
    stored = rows(services)
    sids = {sid for sid, _ in services.sender.sent}
    for r in firsts:
        state, sid = stored[r.id]
        assert state == ReminderState.SENT and sid in sids


def test_an_outcome_is_not_recorded_once_the_reconciler_has_taken_the_claim_back(services: Services) -> None:
    services.extras[HOLD_CONNECTIONS] = True
    firsts = burst(services, 4)
    services.clock.now = max(r.due_at for r in firsts)  # type: ignore[attr-defined]
    taken_back = firsts[1].id

    def reconciler_meanwhile(message: OutgoingMessage) -> None:
        if message.to == "+447700900001":  # while this one is at Twilio, its claim is taken back
            with services.db.engine.begin() as c:
                c.execute(sa.update(Reminder.__table__).where(Reminder.__table__.c.id == taken_back)  # type: ignore[attr-defined]
                          .values(state=ReminderState.SCHEDULED))

    services.sender.on_send = reconciler_meanwhile  # type: ignore[attr-defined]
    in_threads(len(firsts), lambda i: send_reminder(services, firsts[i].id, sweep=1))

    stored = rows(services)
    assert stored[taken_back] == (ReminderState.SCHEDULED, None)  # the reconciler's word stands
    assert [stored[r.id][0] for r in firsts if r.id != taken_back] == [ReminderState.SENT] * 3
