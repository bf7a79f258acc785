"""What the barber commands need of the booking service, on real SQLite and PostgreSQL: a
cancellation carrying the barber's own message, a notice that changes nothing else, the owner
role read from the shop file, and a customer's no-shows in the API."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.dispatch import RecordingDispatcher
from bot.errors import NotFound
from bot.models import OutboundMessage
from bot.services import Services
from bot.shop import ShopFileError, parse_shop, shop_from_dict, shop_to_dict
from tests.conftest import DEMO_SHOP

LONDON = ZoneInfo("Europe/London")
PHONE = "+447700900123"


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


def sent(services: Services) -> list[tuple[str, str, str]]:
    with services.db.session() as s:
        return [(m.to_phone, m.kind, m.body) for m in s.exec(select(OutboundMessage)).all()]


def test_cancel_sends_the_notice_it_is_given(services: Services) -> None:
    b = services.bookings.create(customer_phone=PHONE, service="haircut", barber="sam", start=at(2026, 12, 3, 10, 0))
    assert b.id is not None
    services.bookings.cancel(b.id, reason="off sick", notice="Sam is off sick; here are other times.")
    assert sent(services) == [(PHONE, "cancellation", "Sam is off sick; here are other times.")]
    assert isinstance(services.dispatcher, RecordingDispatcher) and services.dispatcher.messages


def test_tell_sends_one_message_and_changes_nothing_else(services: Services) -> None:
    b = services.bookings.create(customer_phone=PHONE, service="haircut", barber="sam", start=at(2026, 12, 3, 10, 0))
    assert b.id is not None
    services.bookings.tell(b.id, "Sam is running 15 minutes late.", kind="late")
    assert sent(services) == [(PHONE, "late", "Sam is running 15 minutes late.")]
    after = services.bookings.get(b.id)
    assert (after.status, after.start_at, after.revision) == ("confirmed", b.start_at, 1)
    with pytest.raises(NotFound):
        services.bookings.tell(b.id + 100, "nobody")


def test_api_booking_counts_the_customers_no_shows(services: Services, api: Any) -> None:
    svc = services.bookings
    first = svc.create(customer_phone=PHONE, service="haircut", barber="sam", start=at(2026, 12, 2, 10, 0))
    second = svc.create(customer_phone=PHONE, service="beard", barber="sam", start=at(2026, 12, 3, 10, 0))
    assert first.id is not None and second.id is not None
    assert api.get(f"/api/bookings/{second.id}").json()["customer_no_shows"] == 0
    services.clock.advance(minutes=90)  # type: ignore[attr-defined]
    svc.set_outcome(first.id, "no_show")
    assert api.get(f"/api/bookings/{second.id}").json()["customer_no_shows"] == 1


def test_the_shop_file_marks_an_owner_and_defaults_to_barber() -> None:
    text = DEMO_SHOP.read_text().replace('key = "sam"', 'key = "sam"\nrole = "owner"', 1)
    shop = parse_shop(text)
    assert [(b.key, b.role, b.is_owner) for b in shop.barbers][:2] == [("sam", "owner", True), ("alex", "barber", False)]
    assert shop_from_dict(shop_to_dict(shop)) == shop
    assert "role" not in shop_to_dict(parse_shop(DEMO_SHOP.read_text()))["barbers"][0]  # unchanged files load as before
    with pytest.raises(ShopFileError, match=r"barbers\[0\]\.role"):
        parse_shop(DEMO_SHOP.read_text().replace('key = "sam"', 'key = "sam"\nrole = "boss"', 1))
