"""Finding times: is the asked slot free, and if not, why and what is nearest. Pure given `ctx.free`."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass

from bot.availability import (
    Slot,
    day_bounds,
    last_bookable_day,
    local_date,
    local_instant,
    working_window,
)
from bot.shop import Shop

from .model import Context, Option

NEAREST = 4
LISTED = 6


@dataclass(frozen=True)
class Ask:
    service: str
    day: dt.date
    minute: int | None  # local minutes; None = any time that day
    barber: str | None  # None = any barber
    window: tuple[int, int, str] | None = None
    exclude: int | None = None  # the booking being moved
    avoid: tuple[str, ...] = ()  # barbers the customer ruled out ("not with jono")
    latest: bool = False  # "the latest he has": a day's last free times rather than times across it


def slot_option(slot: Slot, service: str) -> Option:
    """The offer of `slot` for `service`."""
    return Option(kind="slot", start=slot.start, barber=slot.barber, service=service)


def _free(ctx: Context, day: dt.date, ask: Ask, barber: str | None) -> list[Slot]:
    """The free slots of `day` for the ask's service with `barber` (None: anyone not ruled out)."""
    free = ctx.free(day, ask.service, barber, ask.exclude)
    return [s for s in free if s.barber not in ask.avoid] if ask.avoid else free


def _in_window(shop: Shop, slot: Slot, window: tuple[int, int, str] | None) -> bool:
    if window is None:
        return True
    local = slot.start.astimezone(shop.tz)
    m = local.hour * 60 + local.minute
    return window[0] <= m < window[1]


def _inside(shop: Shop, day: dt.date, slots: list[Slot], window: tuple[int, int, str] | None) -> list[Slot]:
    """The slots (all on the local `day`, in time order as `ctx.free` gives them) that start
    inside the window, as `_in_window` decides.

    On a day without a clock change the window is one UTC interval, and the run inside it is
    found by bisection."""
    if window is None:
        return slots
    start, end = day_bounds(shop, day)
    if end - start != dt.timedelta(days=1):
        return [s for s in slots if _in_window(shop, s, window)]
    lo, hi = start + dt.timedelta(minutes=window[0]), start + dt.timedelta(minutes=window[1])
    return slots[bisect_left(slots, lo, key=_start):bisect_left(slots, hi, key=_start)]


def _start(slot: Slot) -> dt.datetime:
    return slot.start


def _distinct_times(slots: list[Slot]) -> list[Slot]:
    """One slot per start time (the first of them: in shop order, the first barber), in order."""
    seen: set[dt.datetime] = set()
    out = []
    for s in slots:
        if s.start not in seen:
            seen.add(s.start)
            out.append(s)
    return out


def _spread(slots: list[Slot], n: int) -> list[Slot]:
    if len(slots) <= n:
        return slots
    step = len(slots) / n
    return [slots[int(i * step)] for i in range(n)]


def exact(ctx: Context, ask: Ask) -> Slot | None:
    """The free slot at exactly the asked time (with the asked barber, or the first free one)."""
    assert ask.minute is not None
    start = local_instant(ctx.shop, ask.day, ask.minute)
    for s in _free(ctx, ask.day, ask, ask.barber):
        if s.start == start:
            return s
    return None


def why_not(ctx: Context, ask: Ask) -> str:
    """The reason the asked time cannot be booked (when `exact` found nothing)."""
    shop, now = ctx.shop, ctx.now
    assert ask.minute is not None
    start = local_instant(shop, ask.day, ask.minute)
    if ask.day < local_date(shop, now):
        return "past_date"
    if start <= now:
        return "in_past"
    if ask.day > last_bookable_day(shop, now):
        return "beyond_horizon"
    if ask.day in shop.closed:
        return "closed_date"
    if shop.hours.get(ask.day.weekday()) is None and ask.barber is None:
        return "closed"
    svc = shop.service(ask.service)
    length = dt.timedelta(minutes=svc.minutes if svc else 30)
    barbers = [b for b in shop.barbers_for(ask.service) if ask.barber is None or b.key == ask.barber]
    if ask.barber is not None and not barbers:
        return "service_not_offered"
    windows = [working_window(shop, b, ask.day) for b in barbers]
    if all(w is None for w in windows):
        return "barber_off" if ask.barber else "closed"
    if not any(w and w[0] <= start and start + length <= w[1] for w in windows):
        if any(w and w[0] <= start < w[1] for w in windows):
            return "runs_past_close"  # it starts inside the hours but would end after closing
        return "outside_hours"
    if ask.minute % shop.slot_minutes:
        return "off_grid"
    return "slot_taken"


def day_options(ctx: Context, ask: Ask) -> list[Option]:
    """Free times on the asked day (inside the window), spread over the day; its last ones when
    the ask is for the latest."""
    slots = _cut(ctx.shop, ask.day, _free(ctx, ask.day, ask, ask.barber), ask.barber is None, ask.window)
    return [slot_option(s, ask.service) for s in (slots[-LISTED:] if ask.latest else _spread(slots, LISTED))]


def first_options(ctx: Context, ask: Ask, last: dt.date | None = None) -> list[Option]:
    """The earliest free times from `ask.day` on (inside the window), a few per day."""
    shop = ctx.shop
    end = min(last or last_bookable_day(shop, ctx.now), last_bookable_day(shop, ctx.now))
    day = max(ask.day, local_date(shop, ctx.now))
    out: list[Slot] = []
    while day <= end and len(out) < LISTED:
        out.extend(_spread(_cut(shop, day, _free(ctx, day, ask, ask.barber), ask.barber is None, ask.window), 3))
        day += dt.timedelta(days=1)
    return [slot_option(s, ask.service) for s in out[:LISTED]]


def nearest_options(ctx: Context, ask: Ask) -> list[Option]:
    """Free times nearest the asked one: the same barber first, else anyone.

    The free times come a day at a time, each day's in time order (`ctx.free`), so each is
    known to be on its day, and the nearest to the asked time are found from where it would sit
    among them."""
    shop = ctx.shop
    minute, lo, hi = around(ctx, ask)
    target = local_instant(shop, ask.day, minute)
    for barber in ([ask.barber, None] if ask.barber else [None]):
        free: list[tuple[dt.date, list[Slot]]] = []
        day = lo
        while day <= hi:
            if found := _free(ctx, day, ask, barber):
                free.append((day, found))
            day += dt.timedelta(days=1)
        days = [(d, _cut(shop, d, slots, barber is None, None)) for d, slots in free]
        if ask.window and ask.minute is None:
            inside = [(d, kept) for d, slots in free if (kept := _cut(shop, d, slots, barber is None, ask.window))]
            days = inside or days
        if not days:
            continue
        if all(d != ask.day for d, _ in days):
            best = _same_time_nearby_days(shop, days, ask.day, minute)
            best.sort(key=lambda s: (abs((s.start - target).total_seconds()), s.start))
        else:
            best = _nearest([s for _, free in days for s in free], target, NEAREST)
        return [slot_option(s, ask.service) for s in sorted(best[:NEAREST], key=_start)]
    return []


def around(ctx: Context, ask: Ask) -> tuple[int, dt.date, dt.date]:
    """Where `nearest_options` looks: the asked minute of the day (a window's middle, else noon)
    and the bookable days from three before the asked day to seven after."""
    shop, now = ctx.shop, ctx.now
    today, last = local_date(shop, now), last_bookable_day(shop, now)
    minute = ask.minute if ask.minute is not None else (
        (ask.window[0] + ask.window[1]) // 2 if ask.window else 12 * 60)
    lo, hi = max(today, ask.day - dt.timedelta(days=3)), min(last, ask.day + dt.timedelta(days=7))
    if lo > hi:
        lo, hi = max(today, last - dt.timedelta(days=6)), last
    return minute, lo, hi


def _cut(shop: Shop, day: dt.date, free: list[Slot], distinct: bool,
         window: tuple[int, int, str] | None) -> list[Slot]:
    """`free` (a day's free times from `ctx.free`) with one slot per start if `distinct`, inside
    `window` if one is given."""
    found = _distinct_times(free) if distinct else free
    return _inside(shop, day, found, window) if window is not None else found


def _nearest(slots: list[Slot], target: dt.datetime, n: int) -> list[Slot]:
    """The `n` slots (in time order, distinct starts) whose starts are nearest `target`, the
    earlier first on a tie: what sorting them all by (distance, start) would put first."""
    right = bisect_left(slots, target, key=_start)
    left = right - 1
    out: list[Slot] = []
    while len(out) < n and (left >= 0 or right < len(slots)):
        if right >= len(slots) or (left >= 0 and target - slots[left].start <= slots[right].start - target):
            out.append(slots[left])
            left -= 1
        else:
            out.append(slots[right])
            right += 1
    return out


def _same_time_nearby_days(shop: Shop, days: list[tuple[dt.date, list[Slot]]], day: dt.date,
                           minute: int) -> list[Slot]:
    """Nothing on the asked day: the two slots nearest the asked time of day on the nearest days."""
    by_day = dict(days)
    out: list[Slot] = []
    for d in sorted(by_day, key=lambda d: (abs((d - day).days), d))[:2]:
        out.extend(sorted(by_day[d], key=_from_minute(shop, d, minute))[:2])
    return out


def _from_minute(shop: Shop, day: dt.date, minute: int) -> Callable[[Slot], tuple[int, dt.datetime]]:
    """How far a slot on `day` starts from `minute` past local midnight (in minutes of the local
    clock), then its start: on a day without a clock change, counted from midnight, without a zone
    lookup per slot."""
    midnight, end = day_bounds(shop, day)
    if end - midnight == dt.timedelta(days=1):
        return lambda s: (abs(int((s.start - midnight).total_seconds()) // 60 - minute), s.start)

    def key(s: Slot) -> tuple[int, dt.datetime]:
        local = s.start.astimezone(shop.tz)
        return abs(local.hour * 60 + local.minute - minute), s.start

    return key
