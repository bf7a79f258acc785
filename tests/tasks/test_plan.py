from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.reminders.plan import job_id, next_reminders

H = 3600
LONDON = ZoneInfo("Europe/London")


def reminder_times(planned_at: dt.datetime, appointment: dt.datetime, interval_seconds: int) -> list[dt.datetime]:
    """The whole plan (SPEC §7), as the rows written a window at a time would hold it."""
    due, _ = next_reminders(planned_at, appointment, interval_seconds, after_k=0, until=appointment)
    return [t for _, t in due]


def at(h: int, m: int = 0, day: int = 2) -> dt.datetime:
    return dt.datetime(2026, 12, day, h, m, tzinfo=dt.UTC)


def test_spec_example_gives_two_four_six_eight() -> None:
    times = reminder_times(at(0), at(10), 2 * H)
    assert [t.hour for t in times] == [2, 4, 6, 8]


def test_appointment_within_one_interval_gets_no_reminder() -> None:
    assert reminder_times(at(0), at(1, 59), 2 * H) == []
    assert reminder_times(at(0), at(2), 2 * H) == []


def test_exact_multiple_excludes_the_appointment_time_itself() -> None:
    times = reminder_times(at(0), at(6), 2 * H)
    assert times == [at(2), at(4)]


def test_dst_day_keeps_real_two_hour_gaps() -> None:
    # 29 March 2026: London jumps 01:00 GMT -> 02:00 BST. Reminders are every two real hours.
    start = dt.datetime(2026, 3, 29, 0, 0, tzinfo=LONDON)
    appointment = dt.datetime(2026, 3, 29, 9, 0, tzinfo=LONDON)  # 08:00 UTC
    times = reminder_times(start.astimezone(dt.UTC), appointment.astimezone(dt.UTC), 2 * H)
    assert [t.astimezone(LONDON).strftime("%H:%M") for t in times] == ["03:00", "05:00", "07:00"]
    assert all((b - a) == dt.timedelta(hours=2) for a, b in zip(times, times[1:], strict=False))


def test_reschedule_plans_under_new_job_ids() -> None:
    assert job_id(7, 1, 1) == "7-reminder-1"
    assert job_id(7, 2, 1) == "7-r2-reminder-1"
    assert job_id(7, 2, 1) != job_id(7, 1, 1)


def test_interval_must_be_positive() -> None:
    with pytest.raises(ValueError):
        reminder_times(at(0), at(10), 0)
