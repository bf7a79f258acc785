"""The database collector behind /metrics, in-process with a fixed clock, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from bot.errors import SendFailed
from bot.services import Services
from tasks.reminders import send_reminder
from tasks.sender import FakeSender

START = dt.datetime(2026, 12, 2, 17, 0, tzinfo=dt.UTC)


def samples(api: Any) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    resp = api.get("/metrics")
    assert resp.status_code == 200
    return {(s.name, frozenset(s.labels.items())): s.value
            for f in text_string_to_metric_families(resp.text) for s in f.samples}


def test_metrics_report_reminders_retries_latency_and_queue_depth(services: Services, api: Any) -> None:
    services.sender = FakeSender(failures=[SendFailed("busy", retryable=True, error_code="20429")])
    b = services.bookings.create(customer_phone="+447700900123", service="haircut", barber="sam", start=START)
    first, second, third = services.bookings.reminders(b.id)

    # one reminder per job here (no sweep), so each has the lateness the script gives it
    services.clock.now = second.due_at + dt.timedelta(seconds=30)  # type: ignore[attr-defined]
    assert send_reminder(services, first.id, sweep=1).state == "retrying"
    services.clock.now += dt.timedelta(seconds=10)  # type: ignore[attr-defined]
    assert send_reminder(services, first.id, sweep=1).state == "sent"   # 2h40s late: worker was down
    assert send_reminder(services, second.id, sweep=1).state == "sent"  # 40 s late

    m = samples(api)
    assert m[("barberbot_reminders", frozenset({("state", "sent")}))] == 2
    assert m[("barberbot_reminders", frozenset({("state", "scheduled")}))] == 1
    assert m[("barberbot_reminder_send_attempts_total", frozenset())] == 3
    assert m[("barberbot_reminder_retries_total", frozenset())] == 1
    assert m[("barberbot_reminder_send_delay_seconds_count", frozenset())] == 2
    assert m[("barberbot_reminder_send_delay_seconds_bucket", frozenset({("le", "30.0")}))] == 0
    assert m[("barberbot_reminder_send_delay_seconds_bucket", frozenset({("le", "60.0")}))] == 1
    assert m[("barberbot_reminder_send_delay_seconds_bucket", frozenset({("le", "+Inf")}))] == 2
    assert abs(m[("barberbot_reminder_send_delay_seconds_sum", frozenset())] - (7240 + 40)) < 1
    assert m[("barberbot_queue_depth", frozenset({("when", "later")}))] == 1
    assert m[("barberbot_queue_depth", frozenset({("when", "due")}))] == 0
    assert m[("barberbot_bookings", frozenset({("status", "confirmed")}))] == 1

    services.clock.now = third.due_at + dt.timedelta(minutes=2)  # type: ignore[attr-defined]
    m = samples(api)
    assert m[("barberbot_queue_depth", frozenset({("when", "due")}))] == 1
    assert abs(m[("barberbot_queue_oldest_due_seconds", frozenset())] - 120) < 1


def test_metrics_answer_with_database_down_when_it_is(services: Services, api: Any) -> None:
    services.db.engine.dispose()
    original = services.db.session

    def broken() -> Any:
        raise RuntimeError("database is gone")

    services.db.session = broken  # type: ignore[method-assign]
    try:
        m = samples(api)
    finally:
        services.db.session = original  # type: ignore[method-assign]
    assert m[("barberbot_database_up", frozenset())] == 0
