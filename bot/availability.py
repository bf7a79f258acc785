"""Free start times: pure functions of the shop, the busy intervals and `now`.

Slots are laid on the real timeline from the local opening instant to the local
closing instant, so a 23- or 25-hour day has the right number of slots and no
slot starts at a wall-clock time that does not exist.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import compress
from typing import Any

from bot.errors import InvalidBooking, SlotTaken
from bot.shop import Barber, Shop, derived

Interval = tuple[dt.datetime, dt.datetime]  # aware UTC, half-open [start, end)


@dataclass(frozen=True)
class Slot:
    start: dt.datetime  # aware UTC
    barber: str


Grid = tuple[tuple[dt.datetime, ...], tuple[Slot, ...]]  # a barber's starts on a day and their Slots


def local_instant(shop: Shop, day: dt.date, minute: int) -> dt.datetime:
    """The UTC instant of `minute` minutes after local midnight on `day` (1440 = next midnight).

    A wall time that does not exist (spring forward) maps forward, as clocks do.
    """
    days, minute = divmod(minute, 1440)
    d = day + dt.timedelta(days=days)
    local = dt.datetime(d.year, d.month, d.day, minute // 60, minute % 60, tzinfo=shop.tz)
    return local.astimezone(dt.UTC)


def day_bounds(shop: Shop, day: dt.date) -> Interval:
    """The local day as a UTC interval (23, 24 or 25 hours long); worked out once per shop and day."""
    cache = _shop_cache(shop)
    found: Interval | None = cache.get(("bounds", day))
    if found is None:
        found = cache[("bounds", day)] = (local_instant(shop, day, 0), local_instant(shop, day, 1440))
    return found


def local_date(shop: Shop, when: dt.datetime) -> dt.date:
    return when.astimezone(shop.tz).date()


def working_window(shop: Shop, barber: Barber, day: dt.date) -> Interval | None:
    hours = shop.barber_hours(barber, day.weekday())
    if hours is None or day in shop.closed:  # [closed]: nobody works on a shop-wide closure
        return None
    return local_instant(shop, day, hours[0]), local_instant(shop, day, hours[1])


def grid_starts(shop: Shop, barber: Barber, day: dt.date, minutes: int) -> list[dt.datetime]:
    """Every start on the slot grid where the service fits inside the barber's hours."""
    return list(_grid(shop, barber, day, minutes)[0])


def _grid(shop: Shop, barber: Barber, day: dt.date, minutes: int) -> Grid:
    """`grid_starts` and a Slot for each start (Slot(start, barber.key)), in time order.

    It is a function of the shop, the barber, the day and the service's length alone, and a turn
    asks for the days the turns before it asked for: it is kept per shop (for the shop's own
    Barbers). The Slots are frozen: callers share them."""
    own = any(b is barber for b in shop.barbers)
    cache = _shop_cache(shop) if own else {}
    key = (barber.key, day, minutes)
    found = cache.get(key)
    if found is None:
        window = working_window(shop, barber, day)
        starts: list[dt.datetime] = []
        if window is not None:
            open_at, close_at = window
            step = dt.timedelta(minutes=shop.slot_minutes)
            length = dt.timedelta(minutes=minutes)
            t = open_at
            while t + length <= close_at:
                starts.append(t)
                t += step
        if len(cache) >= _CACHED_PER_SHOP:
            cache.clear()  # a long-running process moves on to new days; the old ones are not asked for
        found = cache[key] = (tuple(starts), tuple(Slot(t, barber.key) for t in starts))
    return found  # type: ignore[no-any-return]


# The demo shop's whole horizon (31 days, 3 services, each barber and anyone) is 434 entries, 1 MB.
_CACHED_PER_SHOP = 2048
def _shop_cache(shop: Shop) -> dict[tuple[object, ...], Any]:
    """The grids worked out for one Shop so far (`bot.shop.derived`: a Shop is frozen)."""
    return derived(shop, "grids", lambda _shop: {})


def overlaps(a: Interval, b: Interval) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def covered(window: Interval, spans: Sequence[Interval]) -> bool:
    """Whether `spans` together (one block, or several end to end) cover all of `window`."""
    reached = window[0]
    for a, z in sorted(spans):
        if a > reached:
            break
        reached = max(reached, z)
    return reached >= window[1]


def last_bookable_day(shop: Shop, now: dt.datetime) -> dt.date:
    return local_date(shop, now) + dt.timedelta(days=shop.horizon_days)


def free_starts(
    shop: Shop,
    *,
    service: str,
    day: dt.date,
    now: dt.datetime,
    busy: Mapping[str, Sequence[Interval]],
    barber: str | None = None,
) -> list[Slot]:
    """Free slots for `service` on the local `day`, by start time then shop order of barbers.

    The day's grids come ready-made and in order (`_day_grid`), each busy interval strikes out the
    run of starts it overlaps (found by bisection), and the rest are kept in one pass.
    """
    svc = shop.service(service)
    if svc is None:
        return []
    if day > last_bookable_day(shop, now) or day < local_date(shop, now):
        return []
    merged, grids = _day_grid(shop, service, svc.minutes, day, barber)
    length = dt.timedelta(minutes=svc.minutes)
    free: bytearray | None = None  # merged[i] is free unless free[i] == 0
    for key, (starts, _slots), places in grids:
        if not starts:
            continue
        cuts = []
        if starts[0] <= now:  # today: the starts gone by
            cuts.append((0, bisect_right(starts, now)))
        for a, z in busy.get(key, ()):
            # the starts s with [s, s + length) overlapping [a, z): a - length < s < z
            cuts.append((bisect_right(starts, a - length), bisect_left(starts, z)))
        for lo, hi in cuts:
            if lo < hi:
                if free is None:
                    free = bytearray(b"\x01") * len(merged)
                for i in places[lo:hi]:
                    free[i] = 0
    return list(merged) if free is None else list(compress(merged, free))


def _day_grid(shop: Shop, service: str, minutes: int, day: dt.date,
              barber: str | None) -> tuple[tuple[Slot, ...], tuple[tuple[str, Grid, tuple[int, ...]], ...]]:
    """The grids of the barbers who do `service` (all, or just `barber`) on `day`: their Slots
    merged in the order `free_starts` answers in (start time, then the barber's place in the
    shop), and per barber in shop order (key, grid, where each of its Slots is in the merged
    order). Kept per shop, as `_grid`."""
    cache = _shop_cache(shop)
    key = ("day", service, minutes, day, barber)
    found = cache.get(key)
    if found is None:
        order = {b.key: i for i, b in enumerate(shop.barbers)}
        grids = [(b.key, _grid(shop, b, day, minutes)) for b in shop.barbers_for(service)
                 if barber is None or b.key == barber]
        # (start, place, which barber, which of its slots): sorted as tuples, as `sorted(slots,
        # key=lambda s: (s.start, order[s.barber]))` ordered them (no two are equal)
        merged = sorted((start, order[k], g, i) for g, (k, (starts, _slots)) in enumerate(grids)
                        for i, start in enumerate(starts))
        places: list[list[int]] = [[0] * len(starts) for _k, (starts, _slots) in grids]
        for at, (_start, _place, g, i) in enumerate(merged):
            places[g][i] = at
        if len(cache) >= _CACHED_PER_SHOP:
            cache.clear()
        slots_of = [slots for _k, (_starts, slots) in grids]
        found = cache[key] = (tuple(slots_of[g][i] for _start, _place, g, i in merged),
                              tuple((k, grid, tuple(p)) for (k, grid), p in zip(grids, places, strict=True)))
    return found  # type: ignore[no-any-return]


def check_start(
    shop: Shop,
    *,
    service: str,
    barber: str,
    start: dt.datetime,
    now: dt.datetime,
    bookings: Sequence[Interval],
    time_off: Sequence[Interval],
) -> None:
    """Raise InvalidBooking or SlotTaken unless `barber` can do `service` at `start`."""
    svc = shop.service(service)
    if svc is None:
        raise InvalidBooking(f"unknown service: {service}", code="unknown_service")
    b = shop.barber(barber)
    if b is None:
        raise InvalidBooking(f"unknown barber: {barber}", code="unknown_barber")
    if service not in b.services:
        raise InvalidBooking(f"{b.name} does not do {svc.name}", code="service_not_offered")
    if start.tzinfo is None:
        raise InvalidBooking("start needs a time zone offset", code="invalid_start")
    start = start.astimezone(dt.UTC)
    if start <= now:
        raise InvalidBooking("that time is in the past", code="in_past")
    day = local_date(shop, start)
    if day > last_bookable_day(shop, now):
        raise InvalidBooking(
            f"bookings open {shop.horizon_days} days ahead; that is too far", code="beyond_horizon"
        )
    if start not in _grid(shop, b, day, svc.minutes)[0]:
        window = working_window(shop, b, day)
        if window is None or not (window[0] <= start and start + dt.timedelta(minutes=svc.minutes) <= window[1]):
            raise InvalidBooking(f"{b.name} is not working then", code="outside_hours")
        raise InvalidBooking(
            f"start times are every {shop.slot_minutes} minutes", code="off_grid"
        )
    span = (start, start + dt.timedelta(minutes=svc.minutes))
    if any(overlaps(span, iv) for iv in time_off):
        raise SlotTaken(f"{b.name} is off then", code="barber_unavailable")
    if any(overlaps(span, iv) for iv in bookings):
        raise SlotTaken("that slot is already booked", code="slot_taken")
