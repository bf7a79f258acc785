"""PostgreSQL: a reminder's job waits for a lock another worker's claim holds on its reminder.

A claim looks at its own reminder and at the others already due, locking them as it picks and
passing over rows another claim holds (SKIP LOCKED), and may end up claiming only its own. The
job of a reminder such a claim only looked at waits for that lock, then claims its reminder if it
is still claimable: it is never left to the reconciler."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from bot.models import Reminder
from bot.services import Services
from tasks.reminders import Outcome, send_reminder
from tasks.sender import FakeSender
from tests.conftest import _empty_tables

WAITING_ON_A_LOCK = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                     "AND wait_event_type = 'Lock'")


def burst(services: Services, customers: int) -> list[Reminder]:
    """`customers` bookings made at the same moment, on different weekdays at 16:00: their first
    reminders come due together."""
    services.sender = FakeSender()
    days = [dt.datetime(2026, 12, 2, 16, tzinfo=dt.UTC) + dt.timedelta(days=d) for d in range(1, 25)]
    weekdays = [d for d in days if d.weekday() < 5]
    firsts = []
    for i in range(customers):
        b = services.bookings.create(customer_phone=f"+4477009{i:05d}", service="haircut",
                                     barber=("sam", "alex")[i % 2], start=weekdays[i // 2])
        firsts.append(services.bookings.reminders(b.id)[0])
    return firsts


@pytest.fixture
def services(make_services: Callable[..., Services], pg_template: str) -> Services:
    _empty_tables(pg_template)
    return make_services(pg_template)


def test_a_job_waits_for_a_claim_that_only_looked_at_its_reminder(services: Services) -> None:
    firsts = burst(services, 2)
    services.clock.now = max(r.due_at for r in firsts)  # type: ignore[attr-defined]
    mine = firsts[0]
    outcome: list[Outcome] = []
    with services.db.engine.connect() as other, services.db.engine.connect() as watch:
        looking = other.begin()  # another worker's claim, picking among the reminders due
        other.execute(sa.text("SELECT id FROM reminder WHERE id = :id FOR UPDATE SKIP LOCKED"), {"id": mine.id})
        job = threading.Thread(target=lambda: outcome.append(send_reminder(services, mine.id, sweep=1)))
        job.start()
        deadline = time.monotonic() + 10
        while watch.execute(sa.text(WAITING_ON_A_LOCK)).scalar() == 0 and job.is_alive():
            assert time.monotonic() < deadline, "the job neither waited for the lock nor finished"
            watch.rollback()
        looking.rollback()  # that claim took its own reminder, not this one
        job.join(30)
    assert outcome and outcome[0].state == "sent", outcome
    assert [m.to for _, m in services.sender.sent] == ["+447700900000"]  # type: ignore[attr-defined]
