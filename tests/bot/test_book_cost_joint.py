"""Booking changes that join the caller's write transaction (as the webhook's turns do): each runs
in a savepoint of its own, and the queue hears of it only once the caller says it committed."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot import bookings as bookings_module
from bot.bookings import Joint
from bot.dispatch import RecordingDispatcher
from bot.errors import SlotTaken
from bot.models import Booking, Reminder
from bot.prepared import TurnConnection
from bot.services import Services

LONDON = ZoneInfo("Europe/London")
PHONE = "+447700900123"


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


def _rows(services: Services) -> tuple[list[Booking], list[Reminder]]:
    with services.db.session() as s:
        return list(s.exec(select(Booking)).all()), list(s.exec(select(Reminder)).all())


def test_joint_booking_waits_for_committed_to_tell_the_queue(services: Services) -> None:
    disp = services.dispatcher
    assert isinstance(disp, RecordingDispatcher)
    with TurnConnection(services.db) as conn, conn.write() as tx:
        joint = Joint(tx)
        b = services.bookings.create(customer_phone=PHONE, service="haircut", barber="sam",
                                     start=at(2026, 12, 3, 10, 0), joint=joint)
        assert disp.scheduled == []
    services.bookings.committed(joint)
    assert [p.job_id for p in disp.scheduled] == [f"{b.id}-reminder-{k}" for k in (1, 2, 3)]
    services.bookings.committed(joint)  # told once
    assert len(disp.scheduled) == 3


def test_a_code_clash_undoes_only_that_attempt_and_a_new_code_is_drawn(
        services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    first = services.bookings.create(customer_phone=PHONE, service="haircut", barber="sam",
                                     start=at(2026, 12, 3, 10, 0))
    codes = iter([first.code, "ZZZZ"])
    monkeypatch.setattr(bookings_module, "new_code", lambda: next(codes))
    with TurnConnection(services.db) as conn, conn.write() as tx:
        joint = Joint(tx)
        b = services.bookings.create(customer_phone=PHONE, service="haircut", barber="alex",
                                     start=at(2026, 12, 3, 10, 0), joint=joint)
    services.bookings.committed(joint)
    assert b.code == "ZZZZ"
    bookings, reminders = _rows(services)
    assert sorted(x.code for x in bookings) == sorted([first.code, "ZZZZ"])
    assert sorted(r.job_id for r in reminders if r.booking_id == b.id) == [f"{b.id}-reminder-{k}" for k in (1, 2, 3)]


def test_a_refused_joint_booking_leaves_the_callers_transaction_usable(services: Services) -> None:
    disp = services.dispatcher
    assert isinstance(disp, RecordingDispatcher)
    services.bookings.create(customer_phone=PHONE, service="haircut", barber="sam", start=at(2026, 12, 3, 10, 0))
    scheduled = len(disp.scheduled)
    with TurnConnection(services.db) as conn, conn.write() as tx:
        joint = Joint(tx)
        with pytest.raises(SlotTaken):
            services.bookings.create(customer_phone="+447700900124", service="haircut", barber="sam",
                                     start=at(2026, 12, 3, 10, 0), joint=joint)
        ok = services.bookings.create(customer_phone="+447700900124", service="haircut", barber="sam",
                                      start=at(2026, 12, 3, 11, 0), joint=joint)
        gone = services.bookings.cancel(ok.id, notify=True, reason="ill", joint=joint)  # type: ignore[arg-type]
    services.bookings.committed(joint)
    assert gone.status == "cancelled" and gone.revision == 2
    assert len(disp.scheduled) == scheduled + 3
    assert disp.revoked == [f"{ok.id}-reminder-{k}" for k in (1, 2, 3)]
    assert len(disp.messages) == 1
    bookings, _ = _rows(services)
    assert len(bookings) == 2
