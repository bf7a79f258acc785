"""The nearest free times to an asked one: `nearest_options` gives what its plain definition gives
(every free time of the days around, each looked up in the shop's zone, all sorted by distance),
on busy and free days, in windows, for one barber or any, across clock changes."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.availability import Slot, free_starts, local_date, local_instant
from bot.dialogue.model import Context
from bot.dialogue.planning import (
    NEAREST,
    Ask,
    _distinct_times,
    _in_window,
    around,
    nearest_options,
    slot_option,
)
from bot.shop import Shop, parse_shop
from tests.bot.test_availability import all_day_shop
from tests.conftest import DEMO_SHOP

SHOPS = {"demo": parse_shop(DEMO_SHOP.read_text()), "London 24h": all_day_shop("Europe/London"),
         "New York 24h": all_day_shop("America/New_York")}
# around both clock changes of 2026 (Europe: 29 Mar, 25 Oct; US: 8 Mar, 1 Nov), and an ordinary week
NOWS = [dt.datetime(2026, 3, 5, 8, 0, tzinfo=dt.UTC), dt.datetime(2026, 3, 26, 8, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 10, 22, 8, 0, tzinfo=dt.UTC), dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)]
WINDOWS = [None, (0, 12 * 60, "morning"), (12 * 60, 17 * 60, "afternoon"), (17 * 60, 1440, "evening"),
           (60, 150, "night")]


def plainly(ctx: Context, ask: Ask) -> list[Slot]:
    """The definition: every free time of the days around, filtered and sorted one by one."""
    shop = ctx.shop
    minute, lo, hi = around(ctx, ask)  # where to look is shared; how the nearest are found is not
    target = local_instant(shop, ask.day, minute)
    for barber in ([ask.barber, None] if ask.barber else [None]):
        slots: list[Slot] = []
        day = lo
        while day <= hi:
            slots.extend(ctx.free(day, ask.service, barber, ask.exclude))
            day += dt.timedelta(days=1)
        if barber is None:
            slots = _distinct_times(slots)
        if ask.window and ask.minute is None:
            slots = [s for s in slots if _in_window(shop, s, ask.window)] or slots
        if slots and not any(local_date(shop, s.start) == ask.day for s in slots):
            by_day: dict[dt.date, list[Slot]] = {}
            for s in slots:
                by_day.setdefault(local_date(shop, s.start), []).append(s)

            def tod(s: Slot) -> int:
                local = s.start.astimezone(shop.tz)
                return abs(local.hour * 60 + local.minute - minute)

            slots = [s for d in sorted(by_day, key=lambda d: (abs((d - ask.day).days), d))[:2]
                     for s in sorted(by_day[d], key=lambda s: (tod(s), s.start))[:2]]
        slots.sort(key=lambda s: (abs((s.start - target).total_seconds()), s.start))
        if slots:
            return sorted(slots[:NEAREST], key=lambda s: s.start)
    return []


def context(shop: Shop, now: dt.datetime, busy_days: set[int], busy_minutes: list[int]) -> Context:
    """Days (offsets from today) with bookings at the given local minutes, for both barbers."""
    today = local_date(shop, now)
    busy: dict[dt.date, dict[str, list[tuple[dt.datetime, dt.datetime]]]] = {}
    for offset in busy_days:
        day = today + dt.timedelta(days=offset)
        for key in ("sam", "alex"):
            starts = [local_instant(shop, day, m) for m in busy_minutes]
            busy.setdefault(day, {})[key] = [(s, s + dt.timedelta(minutes=45)) for s in starts]

    made: dict[tuple[object, ...], list[Slot]] = {}

    def free(day: dt.date, service: str, barber: str | None, exclude: int | None) -> list[Slot]:
        # the same list for the same question, as the engine hands out (the round's turns share them)
        key = (day, service, barber, exclude)
        if key not in made:
            made[key] = free_starts(shop, service=service, day=day, now=now, busy=busy.get(day, {}), barber=barber)
        return made[key]

    return Context(shop=shop, now=now, phone="+447700900001", bookings=[], free=free)


@settings(max_examples=300, deadline=None)
@given(shop_name=st.sampled_from(sorted(SHOPS)), now=st.sampled_from(NOWS),
       busy_days=st.sets(st.integers(0, 14), max_size=12),
       busy_minutes=st.lists(st.integers(0, 24 * 60 - 1), max_size=30),
       offset=st.integers(-2, 33), minute=st.one_of(st.none(), st.integers(0, 24 * 60 - 1)),
       window=st.sampled_from(WINDOWS), barber=st.sampled_from([None, "sam", "alex"]),
       service=st.sampled_from(["haircut", "beard"]))
def test_the_nearest_free_times_are_those_the_plain_definition_gives(
        shop_name: str, now: dt.datetime, busy_days: set[int], busy_minutes: list[int], offset: int,
        minute: int | None, window: tuple[int, int, str] | None, barber: str | None, service: str) -> None:
    shop = SHOPS[shop_name]
    ctx = context(shop, now, busy_days, busy_minutes)
    ask = Ask(service=service, day=local_date(shop, now) + dt.timedelta(days=offset), minute=minute,
              barber=barber, window=window)
    want = [slot_option(s, service) for s in plainly(ctx, ask)]
    assert nearest_options(ctx, ask) == want
    assert nearest_options(ctx, ask) == want  # again, from what was kept of the same free times


def test_a_full_afternoon_is_answered_with_the_nearest_afternoons() -> None:
    shop = SHOPS["demo"]
    now = NOWS[-1]  # Wed 2 Dec 2026, 09:00
    ctx = context(shop, now, {2}, list(range(12 * 60, 18 * 60, 15)))  # Friday afternoon all booked
    ask = Ask(service="beard", day=dt.date(2026, 12, 4), minute=None, barber=None,
              window=(12 * 60, 17 * 60, "afternoon"))
    got = nearest_options(ctx, ask)
    assert got and all(o.start.astimezone(shop.tz).hour >= 12 for o in got)
    assert {o.start.astimezone(shop.tz).date() for o in got} == {dt.date(2026, 12, 3), dt.date(2026, 12, 5)}
    assert got == [slot_option(s, "beard") for s in plainly(ctx, ask)]
