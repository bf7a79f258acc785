"""PostgreSQL: a reminder's job waits for a lock another worker's claim holds on its reminder.

A claim looks at its own reminder and at the others already due, locking them as it picks
(SKIP LOCKED, so workers do not queue behind each other), and may claim only its own. The job of
a reminder that such a claim had only looked at used to pass over it too, and nobody sent it
until the reconciler came round. Now a job waits for its own reminder's lock, then claims it if
it is still claimable."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from bot.services import Services
from tasks.reminders import Outcome, send_reminder
from tests.conftest import _truncate
from tests.tasks.test_held_connections import burst

WAITING_ON_A_LOCK = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                     "AND wait_event_type = 'Lock'")


@pytest.fixture
def services(make_services: Callable[..., Services], pg_template: str) -> Services:
    _truncate(pg_template)
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
