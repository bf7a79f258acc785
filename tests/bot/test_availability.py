"""Free start times from hours, barber overrides, time off and bookings — right across DST changes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.availability import check_start, day_bounds, free_starts, grid_starts
from bot.errors import InvalidBooking, SlotTaken
from bot.shop import Shop, parse_shop
from tests.conftest import DEMO_SHOP, NOW

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def all_day_shop(tz: str) -> Shop:
    text = DEMO_SHOP.read_text().replace('timezone = "Europe/London"', f'timezone = "{tz}"')
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        text = text.replace(f'{day} = "', f'{day} = "00:00-24:00" #', 1)
    text = text.replace('hours = { sat = "closed" }', "")
    return parse_shop(text)


def local(tz: ZoneInfo, *args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=tz).astimezone(dt.UTC)


def test_free_starts_follow_opening_hours_and_slot_grid(demo_shop: Shop) -> None:
    slots = free_starts(demo_shop, service="haircut", day=dt.date(2026, 12, 3), now=NOW, busy={}, barber="sam")
    starts = [s.start.astimezone(LONDON).strftime("%H:%M") for s in slots]
    assert starts[0] == "09:00" and starts[1] == "09:15"
    assert starts[-1] == "19:30"  # Thursday closes 20:00; a 30-minute cut starts by 19:30
    assert len(starts) == (20 - 9) * 4 - 1


def test_barber_day_off_has_no_slots_but_others_do(demo_shop: Shop) -> None:
    saturday = dt.date(2026, 12, 5)
    assert free_starts(demo_shop, service="haircut", day=saturday, now=NOW, busy={}, barber="sam") == []
    others = free_starts(demo_shop, service="haircut", day=saturday, now=NOW, busy={})
    assert {s.barber for s in others} == {"alex"}


def test_closed_day_has_no_slots(demo_shop: Shop) -> None:
    assert free_starts(demo_shop, service="haircut", day=dt.date(2026, 12, 6), now=NOW, busy={}) == []


def test_booked_and_blocked_times_are_not_free(demo_shop: Shop) -> None:
    day = dt.date(2026, 12, 3)
    busy = {"sam": [(local(LONDON, 2026, 12, 3, 10, 0), local(LONDON, 2026, 12, 3, 11, 0))]}
    starts = {s.start.astimezone(LONDON).strftime("%H:%M")
              for s in free_starts(demo_shop, service="haircut", day=day, now=NOW, busy=busy, barber="sam")}
    assert "09:30" in starts and "11:00" in starts
    assert not {"09:45", "10:00", "10:30", "10:45"} & starts


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spans=st.lists(st.tuples(st.integers(7 * 60, 21 * 60), st.integers(0, 150)), max_size=25),
       service=st.sampled_from(["haircut", "beard"]))
def test_a_start_is_free_exactly_when_it_overlaps_no_booking_or_time_off(
        demo_shop: Shop, spans: list[tuple[int, int]], service: str) -> None:
    day = dt.date(2026, 12, 4)  # a Friday: both barbers work
    busy: dict[str, list[tuple[dt.datetime, dt.datetime]]] = {"sam": [], "alex": []}
    for i, (minute, length) in enumerate(spans):  # overlapping, touching, nested and empty ones too
        start = local(LONDON, 2026, 12, 4, 0, 0) + dt.timedelta(minutes=minute)
        busy["sam" if i % 3 else "alex"].append((start, start + dt.timedelta(minutes=length)))
    svc = demo_shop.service(service)
    assert svc is not None
    free = {(s.start, s.barber) for s in free_starts(demo_shop, service=service, day=day, now=NOW, busy=busy)}
    for b in demo_shop.barbers_for(service):
        for start in grid_starts(demo_shop, b, day, svc.minutes):
            end = start + dt.timedelta(minutes=svc.minutes)
            clash = any(start < z and a < end for a, z in busy[b.key])
            assert ((start, b.key) in free) == (not clash), (start, b.key)


def test_past_and_beyond_horizon_have_no_slots(demo_shop: Shop) -> None:
    today = free_starts(demo_shop, service="haircut", day=dt.date(2026, 12, 2), now=NOW, busy={})
    assert min(s.start for s in today) > NOW
    assert free_starts(demo_shop, service="haircut", day=dt.date(2027, 1, 2), now=NOW, busy={}) == []
    assert free_starts(demo_shop, service="haircut", day=dt.date(2026, 12, 1), now=NOW, busy={}) == []


@pytest.mark.parametrize(("tz", "day", "hours"), [
    ("Europe/London", dt.date(2026, 3, 29), 23),
    ("Europe/London", dt.date(2026, 10, 25), 25),
    ("America/New_York", dt.date(2026, 3, 8), 23),
    ("America/New_York", dt.date(2026, 11, 1), 25),
    ("Europe/London", dt.date(2026, 6, 1), 24),
])
def test_dst_days_have_the_right_number_of_slots(tz: str, day: dt.date, hours: int) -> None:
    shop = all_day_shop(tz)
    start, end = day_bounds(shop, day)
    assert end - start == dt.timedelta(hours=hours)
    barber = shop.barber("alex")
    assert barber is not None
    starts = grid_starts(shop, barber, day, 15)
    assert len(starts) == hours * 4
    assert len(set(starts)) == len(starts)
    # every start is on the wall-clock quarter hour
    assert all(s.astimezone(shop.tz).minute % 15 == 0 for s in starts)


def test_wall_time_that_does_not_exist_is_never_offered() -> None:
    shop = all_day_shop("Europe/London")
    starts = grid_starts(shop, shop.barber("alex"), dt.date(2026, 3, 29), 15)  # type: ignore[arg-type]
    walls = {s.astimezone(LONDON).strftime("%H:%M") for s in starts}
    assert "00:45" in walls and "02:00" in walls
    assert not {"01:00", "01:15", "01:30", "01:45"} & walls


def test_repeated_wall_hour_is_offered_twice_as_distinct_instants() -> None:
    shop = all_day_shop("America/New_York")
    starts = grid_starts(shop, shop.barber("alex"), dt.date(2026, 11, 1), 15)  # type: ignore[arg-type]
    one_thirty = [s for s in starts if s.astimezone(NEW_YORK).strftime("%H:%M") == "01:30"]
    assert len(one_thirty) == 2 and one_thirty[1] - one_thirty[0] == dt.timedelta(hours=1)


def test_opening_hours_stay_local_across_dst(demo_shop: Shop) -> None:
    # London opens 09:00 local in winter (09:00 UTC) and summer (08:00 UTC).
    now = dt.datetime(2026, 3, 20, tzinfo=dt.UTC)
    summer = free_starts(demo_shop, service="haircut", day=dt.date(2026, 3, 30), now=now, busy={}, barber="sam")
    winter = free_starts(demo_shop, service="haircut", day=dt.date(2026, 3, 27), now=now, busy={}, barber="sam")
    assert summer[0].start == dt.datetime(2026, 3, 30, 8, 0, tzinfo=dt.UTC)
    assert winter[0].start == dt.datetime(2026, 3, 27, 9, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(("start", "code"), [
    (local(LONDON, 2026, 12, 2, 8, 0), "in_past"),
    (local(LONDON, 2026, 12, 3, 8, 0), "outside_hours"),
    (local(LONDON, 2026, 12, 2, 17, 45), "outside_hours"),  # Wednesday closes 18:00: a 30-minute cut won't fit
    (local(LONDON, 2026, 12, 6, 12, 0), "outside_hours"),  # Sunday
    (local(LONDON, 2026, 12, 5, 11, 0), "outside_hours"),  # Sam's Saturday off
    (local(LONDON, 2027, 1, 5, 11, 0), "beyond_horizon"),
    (local(LONDON, 2026, 12, 3, 11, 5), "off_grid"),
])
def test_check_start_rejects_with_a_reason(demo_shop: Shop, start: dt.datetime, code: str) -> None:
    with pytest.raises(InvalidBooking) as info:
        check_start(demo_shop, service="haircut", barber="sam", start=start, now=NOW, bookings=[], time_off=[])
    assert info.value.code == code


def test_check_start_rejects_a_service_the_barber_does_not_do(demo_shop: Shop) -> None:
    with pytest.raises(InvalidBooking) as info:
        check_start(demo_shop, service="skin-fade", barber="sam", start=local(LONDON, 2026, 12, 3, 11, 0),
                    now=NOW, bookings=[], time_off=[])
    assert info.value.code == "service_not_offered"


def test_check_start_refuses_overlap_and_time_off(demo_shop: Shop) -> None:
    at = local(LONDON, 2026, 12, 3, 11, 0)
    held = [(local(LONDON, 2026, 12, 3, 11, 15), local(LONDON, 2026, 12, 3, 11, 45))]
    with pytest.raises(SlotTaken) as info:
        check_start(demo_shop, service="haircut", barber="sam", start=at, now=NOW, bookings=held, time_off=[])
    assert info.value.code == "slot_taken"
    with pytest.raises(SlotTaken) as info:
        check_start(demo_shop, service="haircut", barber="sam", start=at, now=NOW, bookings=[], time_off=held)
    assert info.value.code == "barber_unavailable"
    # back to back is fine
    check_start(demo_shop, service="haircut", barber="sam", start=local(LONDON, 2026, 12, 3, 10, 45), now=NOW,
                bookings=held, time_off=[])
