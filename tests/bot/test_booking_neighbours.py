"""A new booking is checked against exactly the bookings and time off it would overlap."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.errors import SlotTaken
from bot.services import Services

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
PHONE = "+447700900123"
OTHER = "+447700900555"


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


def book(services: Services, service: str, start: dt.datetime, phone: str = OTHER) -> str:
    return services.bookings.create(customer_phone=phone, service=service, barber="sam", start=start).code


def refused(services: Services, service: str, start: dt.datetime) -> str:
    with pytest.raises(SlotTaken) as info:
        book(services, service, start)
    return info.value.code


def test_a_booking_may_touch_its_neighbours_but_not_overlap_them(services: Services) -> None:
    book(services, "haircut", at(2026, 12, 3, 10, 0), PHONE)  # 10:00-10:30
    book(services, "haircut", at(2026, 12, 3, 10, 30))  # starts as it ends
    book(services, "beard", at(2026, 12, 3, 9, 45))  # ends as it starts
    assert refused(services, "beard", at(2026, 12, 3, 10, 15)) == "slot_taken"
    assert refused(services, "haircut", at(2026, 12, 3, 9, 30)) == "slot_taken"  # runs into the 09:45 trim
    assert refused(services, "haircut", at(2026, 12, 3, 10, 45)) == "slot_taken"  # the 10:30 cut's second half


def test_time_off_blocks_what_it_overlaps_even_from_the_day_before(services: Services) -> None:
    services.bookings.block(barber="sam", start=at(2026, 12, 3, 11, 0), end=at(2026, 12, 3, 12, 0))
    book(services, "beard", at(2026, 12, 3, 10, 45))
    book(services, "beard", at(2026, 12, 3, 12, 0))
    assert refused(services, "beard", at(2026, 12, 3, 11, 45)) == "barber_unavailable"
    services.bookings.block(barber="sam", start=at(2026, 12, 3, 19, 0), end=at(2026, 12, 4, 9, 15))
    assert refused(services, "beard", at(2026, 12, 4, 9, 0)) == "barber_unavailable"
    book(services, "beard", at(2026, 12, 4, 9, 15))


def test_a_start_given_in_another_zone_is_checked_at_that_instant(services: Services) -> None:
    book(services, "haircut", at(2026, 12, 3, 10, 0), PHONE)
    same_instant = at(2026, 12, 3, 10, 15).astimezone(NEW_YORK)  # 05:15 in New York
    assert refused(services, "beard", same_instant) == "slot_taken"
    book(services, "beard", at(2026, 12, 3, 10, 30).astimezone(NEW_YORK))
