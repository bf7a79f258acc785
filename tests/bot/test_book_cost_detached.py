"""The Booking that create and cancel hand back is built without the ORM's loading (bot.booking_sql):
it must still be what a committed session leaves, a detached row with every column loaded."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session

from bot.models import Booking
from bot.services import Services

LONDON = ZoneInfo("Europe/London")
PHONE = "+447700900123"


def _as_loaded(services: Services, booking_id: int) -> Booking:
    with Session(services.db.engine, expire_on_commit=False) as s:
        loaded = s.get(Booking, booking_id)
        assert loaded is not None
        s.commit()
    return loaded


def _same_state(ours: Booking, loaded: Booking) -> None:
    a, b = sa.inspect(ours), sa.inspect(loaded)
    assert a.detached and b.detached
    assert a.key == b.key and a.identity == b.identity
    assert not a.expired_attributes and not a.unloaded and not a.modified and not a.committed_state
    assert ours.model_dump() == loaded.model_dump()
    assert ours.__pydantic_fields_set__ >= set(loaded.model_dump())


def test_created_booking_is_detached_and_fully_loaded(services: Services) -> None:
    start = dt.datetime(2026, 12, 3, 10, 0, tzinfo=LONDON)
    b = services.bookings.create(customer_phone=PHONE, service="haircut", barber="sam", start=start)
    assert b.id is not None
    _same_state(b, _as_loaded(services, b.id))


def test_cancelled_booking_is_detached_and_fully_loaded(services: Services) -> None:
    start = dt.datetime(2026, 12, 3, 11, 0, tzinfo=LONDON)
    b = services.bookings.create(customer_phone=PHONE, service="haircut", barber="sam", start=start)
    assert b.id is not None
    c = services.bookings.cancel(b.id, reason="ill")
    _same_state(c, _as_loaded(services, b.id))


def test_returned_booking_merges_into_a_session_without_a_query(services: Services) -> None:
    start = dt.datetime(2026, 12, 3, 12, 0, tzinfo=LONDON)
    b = services.bookings.create(customer_phone=PHONE, service="haircut", barber="sam", start=start)
    with Session(services.db.engine) as s:
        merged = s.merge(b, load=False)
        assert merged.code == b.code and merged.start_at == b.start_at
        assert not s.dirty
