"""'friday afternoon', 'in the morning': which free times fall inside the asked part of the day."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.availability import free_starts
from bot.dialogue.planning import _in_window, _inside
from tests.bot.test_availability import all_day_shop

WINDOWS = [(0, 12 * 60, "morning"), (12 * 60, 17 * 60, "afternoon"), (17 * 60, 1440, "evening"),
           (60, 150, "night"), (90, 180, "late night")]


@pytest.mark.parametrize("tz", ["Europe/London", "America/New_York"])
@pytest.mark.parametrize("day", [dt.date(2026, 3, 8), dt.date(2026, 3, 29), dt.date(2026, 6, 12),
                                 dt.date(2026, 10, 25), dt.date(2026, 11, 1)])
def test_a_part_of_the_day_holds_the_same_times_on_ordinary_and_clock_change_days(tz: str, day: dt.date) -> None:
    shop = all_day_shop(tz)
    now = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC) - dt.timedelta(days=1)
    slots = free_starts(shop, service="haircut", day=day, now=now, busy={})
    assert slots
    for window in WINDOWS:
        want = [s for s in slots if _in_window(shop, s, window)]
        assert _inside(shop, day, slots, window) == want, window
