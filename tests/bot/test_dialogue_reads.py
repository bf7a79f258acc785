"""A turn reads the customer's bookings (a query at the edge) only when its answer depends on them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from bot.availability import free_starts
from bot.dialogue.flow import step
from bot.dialogue.model import IDLE, BookingView, Context
from bot.nlu import understand
from bot.shop import Shop
from tests.conftest import NOW


class Watched(list[BookingView]):
    """The customer's bookings, counting how often the dialogue looks at them."""

    looks = 0

    def __bool__(self) -> bool:
        Watched.looks += 1
        return super().__len__() > 0

    def __iter__(self) -> Iterator[BookingView]:
        Watched.looks += 1
        return super().__iter__()

    def __len__(self) -> int:
        Watched.looks += 1
        return super().__len__()


def context(shop: Shop, reminded: list[int]) -> Context:
    booked = BookingView(7, "K7Q2", "haircut", "sam", dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC))

    def free(day: dt.date, service: str, barber: str | None, exclude: int | None) -> list:  # type: ignore[type-arg]
        return free_starts(shop, service=service, day=day, now=NOW, busy={}, barber=barber)

    def asked() -> int | None:
        reminded.append(1)
        return None

    return Context(shop=shop, now=NOW, phone="+447700900123", bookings=Watched([booked]), free=free, reminded=asked)


def turn(shop: Shop, text: str) -> tuple[int, int, tuple[str, ...]]:
    Watched.looks = 0
    reminded: list[int] = []
    out = step(IDLE, understand(text, now=NOW, shop=shop), context(shop, reminded), NOW)
    return Watched.looks, len(reminded), out.replies


def test_booking_a_named_service_at_a_time_does_not_read_the_bookings(demo_shop: Shop) -> None:
    looks, _, replies = turn(demo_shop, "haircut with sam on 4 dec at 10:00")
    assert looks == 0
    assert replies == ("Haircut with Sam on Fri 4 Dec 10:00.\nReply YES to book it, or NO to stop.",)


def test_asking_for_free_times_does_not_read_the_bookings(demo_shop: Shop) -> None:
    looks, _, replies = turn(demo_shop, "any slots friday afternoon for a beard trim?")
    assert looks == 0 and replies[0].startswith("Here's what's free Fri 4 Dec (afternoon):\n1) Fri 4 Dec 12:00")


def test_cancelling_reads_the_bookings_and_asks_about_reminders_once(demo_shop: Shop) -> None:
    looks, reminded, replies = turn(demo_shop, "cancel my booking")
    assert looks > 0 and reminded == 1
    assert replies == ("Cancel your Haircut with Sam on Thu 3 Dec 09:00 (K7Q2)?\nReply YES to cancel it, or NO to keep it.",)
