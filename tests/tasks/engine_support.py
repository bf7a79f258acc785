"""Helpers for the reminder-engine tests (shared with worker_proc.py)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.clock import system_clock
from bot.services import Services
from bot.settings import Settings
from tasks.queue import HueyDispatcher

ROOT = Path(__file__).resolve().parents[2]


REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


OPEN_SHOP = """
[shop]
name = "Fade Factory"
timezone = "Europe/London"
slot_minutes = 5
horizon_days = 30
[hours]
mon = "00:00-24:00"
tue = "00:00-24:00"
wed = "00:00-24:00"
thu = "00:00-24:00"
fri = "00:00-24:00"
sat = "00:00-24:00"
sun = "00:00-24:00"
[[services]]
key = "haircut"
name = "Haircut"
minutes = 5
price = "25.00"
[[barbers]]
key = "sam"
name = "Sam"
phone = "+447700900001"
[[barbers]]
key = "alex"
name = "Alex"
phone = "+447700900002"
[[barbers]]
key = "kim"
name = "Kim"
phone = "+447700900003"
[[barbers]]
key = "lee"
name = "Lee"
phone = "+447700900004"
"""


BARBERS = ["sam", "alex", "kim", "lee"]


class OffsetClock:
    """Real time, shifted: lets a test put `now` just before a 5-minute slot without waiting for one."""

    def __init__(self, offset: dt.timedelta) -> None:
        self.offset = offset

    def __call__(self) -> dt.datetime:
        return system_clock() + self.offset


class ShiftedDispatcher(HueyDispatcher):
    """Translates the shifted clock's times back to real time for Huey's ETAs."""

    def __init__(self, huey: Any, offset: dt.timedelta) -> None:
        super().__init__(huey)
        self.offset = offset

    def schedule_reminders(self, reminders: Any) -> None:
        from bot.dispatch import PlannedReminder

        super().schedule_reminders([PlannedReminder(r.reminder_id, r.job_id, r.due_at - self.offset)
                                    for r in reminders])


def slot_ahead(lead_seconds: float) -> tuple[dt.datetime, dt.timedelta]:
    """A 5-minute-aligned appointment time A (a day ahead) and the clock offset making now = A - lead."""
    real = system_clock()
    a = (real + dt.timedelta(days=1)).replace(second=0, microsecond=0)
    a = a.replace(minute=a.minute - a.minute % 5)
    return a, (a - dt.timedelta(seconds=lead_seconds)) - real


def redis_url_or_skip() -> str:
    url = os.environ.get("REDIS_URL")
    if not url:
        reason = "Redis not configured: set REDIS_URL to run this test"
        if REQUIRE_SERVICES:
            pytest.fail(reason + " (REQUIRE_SERVICES=1)")
        pytest.skip(reason)
    return url


def engine_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "barberbot_env": "test",
        "database_url": f"sqlite:///{tmp_path}/test.db",
        "redis_url": None,
        "queue_path": str(tmp_path / "queue" / "queue.db"),
        "twilio_account_sid": "ACtest",
        "twilio_auth_token": "test-auth-token",
        "twilio_whatsapp_from": "whatsapp:+14155238886",
        "send_rate_per_second": 0,
        "reminder_interval_seconds": 1,
        "reminder_retry_delay_seconds": 0.3,
        "reminder_retry_backoff": 2,
        "reconcile_interval_seconds": 1,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


Factory = Callable[..., Services]


def book(services: Services, *, barber: str = "sam", phone: str = "+447700900123",
         later_minutes: int = 0) -> Any:
    """A booking at the test's appointment time (lead_seconds from the start of the test)."""
    start = services.extras["appointment"] + dt.timedelta(minutes=later_minutes)
    return services.bookings.create(customer_phone=phone, service="haircut", barber=barber, start=start)


def reminder_rows(services: Services, booking_id: int | None = None) -> list[Any]:
    from sqlmodel import col, select

    from bot.models import Reminder

    with services.db.session() as s:
        q = select(Reminder).order_by(col(Reminder.id))
        if booking_id is not None:
            q = q.where(Reminder.booking_id == booking_id)
        return list(s.exec(q).all())
