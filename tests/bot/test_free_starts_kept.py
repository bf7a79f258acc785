"""Free starts come from grids kept per shop: a new shop, a caller's changes and `now` still count."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from bot.availability import free_starts, grid_starts
from bot.shop import Shop
from tests.conftest import NOW

LONDON = ZoneInfo("Europe/London")
FRIDAY = dt.date(2026, 12, 4)


def at(hour: int, minute: int = 0, day: dt.date = FRIDAY) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON).astimezone(dt.UTC)


def test_a_shop_loaded_again_with_other_hours_gets_its_own_grid(demo_shop: Shop) -> None:
    before = free_starts(demo_shop, service="haircut", day=FRIDAY, now=NOW, busy={}, barber="sam")
    later = dataclasses.replace(demo_shop, hours={**demo_shop.hours, 4: (12 * 60, 14 * 60)})
    after = free_starts(later, service="haircut", day=FRIDAY, now=NOW, busy={}, barber="sam")
    assert before[0].start == at(9) and after[0].start == at(12)
    assert [s.start for s in after] == [at(12), at(12, 15), at(12, 30), at(12, 45), at(13), at(13, 15), at(13, 30)]


def test_changing_an_answer_does_not_change_the_next_one(demo_shop: Shop) -> None:
    first = free_starts(demo_shop, service="beard", day=FRIDAY, now=NOW, busy={})
    count = len(first)
    first.clear()
    assert len(free_starts(demo_shop, service="beard", day=FRIDAY, now=NOW, busy={})) == count
    sam = demo_shop.barber("sam")
    assert sam is not None
    starts = grid_starts(demo_shop, sam, FRIDAY, 15)
    starts.pop()
    assert len(grid_starts(demo_shop, sam, FRIDAY, 15)) == len(starts) + 1


def test_today_one_barber_between_bookings_and_after_now(demo_shop: Shop) -> None:
    now = at(10, 5)
    busy = {"sam": [(at(11), at(11, 30)), (at(11, 15), at(12)), (at(15), at(15, 30))], "alex": [(at(9), at(20))]}
    sam = [s.start for s in free_starts(demo_shop, service="haircut", day=FRIDAY, now=now, busy=busy, barber="sam")]
    assert sam[:3] == [at(10, 15), at(10, 30), at(12)]
    assert at(14, 30) in sam and at(14, 45) not in sam and at(15, 15) not in sam and at(15, 30) in sam
    anyone = free_starts(demo_shop, service="haircut", day=FRIDAY, now=now, busy=busy)
    assert [s.start for s in anyone] == sam and {s.barber for s in anyone} == {"sam"}
