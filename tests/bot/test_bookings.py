"""The booking service on real SQLite and PostgreSQL: rules hold whatever the caller sends."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.dispatch import RecordingDispatcher
from bot.errors import Conflict, InvalidBooking, NotFound, SlotTaken
from bot.models import Booking, OutboundMessage, Reminder
from bot.reminders.plan import PLAN_AHEAD
from bot.services import Services
from tests.conftest import NOW

LONDON = ZoneInfo("Europe/London")
PHONE = "+447700900123"


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


def test_create_books_and_plans_reminders(services: Services) -> None:
    b = services.bookings.create(customer_phone=PHONE, service="haircut", barber="sam", start=at(2026, 12, 2, 17, 0))
    assert b.status == "confirmed" and b.revision == 1 and len(b.code) == 4
    assert b.end_at - b.start_at == dt.timedelta(minutes=30)
    reminders = services.bookings.reminders(b.id)  # type: ignore[arg-type]
    # booked 09:00 for 17:00 with a 2-hour interval: 11:00, 13:00, 15:00 (not 17:00)
    assert [r.due_at.astimezone(LONDON).hour for r in reminders] == [11, 13, 15]
    assert [r.job_id for r in reminders] == [f"{b.id}-reminder-{k}" for k in (1, 2, 3)]
    disp = services.dispatcher
    assert isinstance(disp, RecordingDispatcher)
    assert [p.job_id for p in disp.scheduled] == [r.job_id for r in reminders]


def test_phone_is_stored_in_e164(services: Services) -> None:
    b = services.bookings.create(customer_phone="+44 7700 900123", service="beard", start=at(2026, 12, 3, 10, 0))
    assert b.customer_phone == PHONE


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"customer_phone": "07700900123"}, "invalid_phone"),
    ({"start": at(2026, 12, 1, 10, 0)}, "in_past"),
    ({"start": at(2026, 12, 3, 7, 0)}, "outside_hours"),
    ({"start": at(2026, 12, 6, 12, 0)}, "outside_hours"),
    ({"start": at(2027, 2, 1, 12, 0)}, "beyond_horizon"),
    ({"service": "perm"}, "unknown_service"),
    ({"service": "skin-fade", "barber": "sam"}, "service_not_offered"),
    ({"barber": "zed"}, "unknown_barber"),
])
def test_create_rejects_rule_breaks(services: Services, kwargs: dict, code: str) -> None:
    args = {"customer_phone": PHONE, "service": "haircut", "barber": "sam", "start": at(2026, 12, 3, 10, 0)}
    args.update(kwargs)
    with pytest.raises(InvalidBooking) as info:
        services.bookings.create(**args)
    assert info.value.code == code
    assert services.bookings.list() == []


def test_overlap_with_same_barber_is_refused(services: Services) -> None:
    services.bookings.create(customer_phone=PHONE, service="haircut", barber="sam", start=at(2026, 12, 3, 10, 0))
    with pytest.raises(SlotTaken):
        services.bookings.create(customer_phone="+447700900555", service="beard", barber="sam",
                                 start=at(2026, 12, 3, 10, 15))
    # another barber is fine
    services.bookings.create(customer_phone="+447700900555", service="beard", barber="alex",
                             start=at(2026, 12, 3, 10, 15))


def test_any_barber_picks_a_free_one(services: Services) -> None:
    first = services.bookings.create(customer_phone=PHONE, service="haircut", start=at(2026, 12, 3, 10, 0))
    second = services.bookings.create(customer_phone="+447700900555", service="haircut", start=at(2026, 12, 3, 10, 0))
    assert {first.barber, second.barber} == {"sam", "alex"}
    with pytest.raises(SlotTaken):
        services.bookings.create(customer_phone="+447700900556", service="haircut", start=at(2026, 12, 3, 10, 0))


def test_any_barber_skips_one_who_is_off(services: Services) -> None:
    b = services.bookings.create(customer_phone=PHONE, service="haircut", start=at(2026, 12, 5, 11, 0))
    assert b.barber == "alex"


def test_time_off_blocks_booking_and_lists_clashes(services: Services) -> None:
    existing = services.bookings.create(customer_phone=PHONE, service="haircut", barber="sam",
                                        start=at(2026, 12, 4, 13, 30))
    _off, clashes = services.bookings.block(barber="sam", start=at(2026, 12, 4, 13, 0), end=at(2026, 12, 4, 15, 0))
    assert [c.code for c in clashes] == [existing.code]
    with pytest.raises(SlotTaken) as info:
        services.bookings.create(customer_phone="+447700900555", service="beard", barber="sam",
                                 start=at(2026, 12, 4, 14, 0))
    assert info.value.code == "barber_unavailable"
    assert services.bookings.unblock(barber="sam", start=at(2026, 12, 4, 0, 0), end=at(2026, 12, 5, 0, 0)) == 1
    services.bookings.create(customer_phone="+447700900555", service="beard", barber="sam", start=at(2026, 12, 4, 14, 0))


def test_reschedule_replans_reminders_under_new_ids(services: Services) -> None:
    b = services.bookings.create(customer_phone=PHONE, service="haircut", barber="sam", start=at(2026, 12, 2, 17, 0))
    old = [r.job_id for r in services.bookings.reminders(b.id)]  # type: ignore[arg-type]
    services.clock.advance(minutes=30)  # type: ignore[attr-defined]
    moved = services.bookings.reschedule(b.id, start=at(2026, 12, 3, 11, 0))  # type: ignore[arg-type]
    assert moved.revision == 2 and moved.start_at == at(2026, 12, 3, 11, 0)
    rows = services.bookings.reminders(b.id)  # type: ignore[arg-type]
    assert {r.job_id for r in rows if r.state == "revoked"} == set(old)
    new = [r for r in rows if r.state == "scheduled"]
    assert new and all(r.job_id.startswith(f"{b.id}-r2-reminder-") for r in new)
    # planned from the moment of the move (09:30), every 2 hours, before 11:00 next day
    assert new[0].due_at == NOW + dt.timedelta(minutes=30, hours=2)
    assert services.dispatcher.revoked == old  # type: ignore[attr-defined]


def test_reschedule_onto_a_taken_slot_changes_nothing(services: Services) -> None:
    a = services.bookings.create(customer_phone=PHONE, service="haircut", barber="sam", start=at(2026, 12, 3, 10, 0))
    services.bookings.create(customer_phone="+447700900555", service="haircut", barber="sam", start=at(2026, 12, 3, 11, 0))
    with pytest.raises(SlotTaken):
        services.bookings.reschedule(a.id, start=at(2026, 12, 3, 11, 0))  # type: ignore[arg-type]
    again = services.bookings.get(a.id)  # type: ignore[arg-type]
    assert again.start_at == at(2026, 12, 3, 10, 0) and again.revision == 1
    assert all(r.state == "scheduled" for r in services.bookings.reminders(a.id))  # type: ignore[arg-type]


def test_reschedule_can_move_within_its_own_time(services: Services) -> None:
    b = services.bookings.create(customer_phone=PHONE, service="haircut", barber="sam", start=at(2026, 12, 3, 10, 0))
    moved = services.bookings.reschedule(b.id, start=at(2026, 12, 3, 10, 15))  # type: ignore[arg-type]
    assert moved.start_at == at(2026, 12, 3, 10, 15)


def test_cancel_revokes_pending_reminders_and_notifies(services: Services) -> None:
    b = services.bookings.create(customer_phone=PHONE, service="haircut", barber="sam", start=at(2026, 12, 2, 17, 0))
    cancelled = services.bookings.cancel(b.id, reason="sick")  # type: ignore[arg-type]
    assert cancelled.status == "cancelled"
    assert {r.state for r in services.bookings.reminders(b.id)} == {"revoked"}  # type: ignore[arg-type]
    with services.db.session() as s:
        notices = s.exec(select(OutboundMessage)).all()
    assert len(notices) == 1 and notices[0].to_phone == PHONE and "sick" in notices[0].body
    # cancelling twice changes nothing and sends nothing more
    services.bookings.cancel(b.id)  # type: ignore[arg-type]
    with services.db.session() as s:
        assert len(s.exec(select(OutboundMessage)).all()) == 1
    # the slot is free again
    services.bookings.create(customer_phone="+447700900555", service="haircut", barber="sam", start=at(2026, 12, 2, 17, 0))


def test_closed_booking_cannot_be_moved(services: Services) -> None:
    b = services.bookings.create(customer_phone=PHONE, service="haircut", barber="sam", start=at(2026, 12, 3, 10, 0))
    services.bookings.set_outcome(b.id, "no_show")  # type: ignore[arg-type]
    with pytest.raises(Conflict):
        services.bookings.reschedule(b.id, start=at(2026, 12, 3, 11, 0))  # type: ignore[arg-type]
    with pytest.raises(Conflict):
        services.bookings.cancel(b.id)  # type: ignore[arg-type]


def test_unknown_booking_is_not_found(services: Services) -> None:
    with pytest.raises(NotFound):
        services.bookings.get(999)
    with pytest.raises(NotFound):
        services.bookings.cancel(999)
    with pytest.raises(NotFound):
        services.bookings.get_by_code("ZZZZ")


def test_revision_rises_on_every_change(services: Services) -> None:
    b = services.bookings.create(customer_phone=PHONE, service="haircut", barber="sam", start=at(2026, 12, 3, 10, 0))
    b = services.bookings.reschedule(b.id, start=at(2026, 12, 3, 11, 0))  # type: ignore[arg-type]
    b = services.bookings.reschedule(b.id, service="beard")  # type: ignore[arg-type]
    b = services.bookings.cancel(b.id)  # type: ignore[arg-type]
    assert b.revision == 4


def test_list_filters(services: Services) -> None:
    services.bookings.create(customer_phone=PHONE, service="haircut", barber="sam", start=at(2026, 12, 3, 10, 0))
    services.bookings.create(customer_phone="+447700900555", service="beard", barber="alex", start=at(2026, 12, 4, 10, 0))
    assert len(services.bookings.list(date=dt.date(2026, 12, 3))) == 1
    assert len(services.bookings.list(barber="alex")) == 1
    assert len(services.bookings.list(customer_phone=PHONE)) == 1
    assert len(services.bookings.list(status="cancelled")) == 0


def test_database_itself_refuses_overlapping_confirmed_bookings(services: Services) -> None:
    """Even a writer that skips the service's checks cannot double-book on PostgreSQL."""
    if services.db.dialect != "postgresql":
        pytest.skip("the exclusion constraint is PostgreSQL's; SQLite serialises writers instead")
    from sqlalchemy.exc import IntegrityError

    b = services.bookings.create(customer_phone=PHONE, service="haircut", barber="sam", start=at(2026, 12, 3, 10, 0))
    with pytest.raises(IntegrityError), services.db.write() as s:
        s.add(Booking(code="ZZZ9", customer_phone=PHONE, service="haircut", barber="sam",
                      start_at=b.start_at + dt.timedelta(minutes=15), end_at=b.end_at + dt.timedelta(minutes=15),
                      created_at=NOW, updated_at=NOW, planned_at=NOW))
    with services.db.session() as s:
        assert len(s.exec(select(Reminder)).all()) == len(services.bookings.reminders(b.id))  # type: ignore[arg-type]


def test_cancel_leaves_a_reminder_in_flight_to_the_worker(services: Services) -> None:
    """A reminder already claimed by a worker is being sent; cancel must not overwrite its record."""
    b = services.bookings.create(customer_phone=PHONE, service="haircut", barber="sam", start=at(2026, 12, 2, 17, 0))
    first, *rest = services.bookings.reminders(b.id)  # type: ignore[arg-type]
    with services.db.write() as s:
        row = s.get(Reminder, first.id)
        assert row is not None
        row.state = "sending"
        s.add(row)
    services.bookings.cancel(b.id)  # type: ignore[arg-type]
    states = {r.job_id: r.state for r in services.bookings.reminders(b.id)}  # type: ignore[arg-type]
    assert states[first.job_id] == "sending"
    assert all(states[r.job_id] == "revoked" for r in rest)
    assert first.job_id not in services.dispatcher.revoked  # type: ignore[attr-defined]


def test_a_far_booking_writes_its_reminders_a_window_at_a_time(make_services: Any, sqlite_url: str) -> None:
    """A month-away booking with a 1-minute interval is not 40,000 rows at once; the rest follows."""
    services = make_services(sqlite_url, reminder_interval_seconds=60)
    b = services.bookings.create(customer_phone=PHONE, service="haircut", barber="sam", start=at(2026, 12, 30, 10, 0))
    first = services.bookings.reminders(b.id)
    assert len(first) == 100  # one batch now; the reconciler writes the rest of the window in rounds
    while services.bookings.top_up_reminders():
        pass
    rows = services.bookings.reminders(b.id)
    window = int(PLAN_AHEAD.total_seconds()) // 60
    assert len(rows) == window and rows[-1].due_at == NOW + PLAN_AHEAD
    services.clock.advance(hours=1)
    assert services.bookings.top_up_reminders() == 60
    after = services.bookings.reminders(b.id)
    assert [r.k for r in after] == list(range(1, window + 60 + 1))  # no gap, no duplicate
    dues = [r.due_at for r in after]
    assert all(b - a == dt.timedelta(minutes=1) for a, b in zip(dues, dues[1:], strict=False))


def test_the_whole_plan_is_written_as_time_passes_and_stops_at_the_appointment(make_services: Any,
                                                                                sqlite_url: str) -> None:
    services = make_services(sqlite_url, reminder_interval_seconds=7200)
    b = services.bookings.create(customer_phone=PHONE, service="haircut", barber="sam", start=at(2026, 12, 9, 11, 0))
    for _ in range(8 * 24):
        services.clock.advance(hours=1)
        services.bookings.top_up_reminders()
    rows = services.bookings.reminders(b.id)
    # planned at Wed 09:00 for the next Wed 11:00: every 2 h strictly before, i.e. 84 reminders
    assert len(rows) == 84 and rows[-1].due_at == at(2026, 12, 9, 9, 0)
    assert services.bookings.get(b.id).next_reminder_at is None


def test_cancel_stops_the_rest_of_the_plan_being_written(make_services: Any, sqlite_url: str) -> None:
    services = make_services(sqlite_url, reminder_interval_seconds=7200)
    b = services.bookings.create(customer_phone=PHONE, service="haircut", barber="sam", start=at(2026, 12, 9, 11, 0))
    services.bookings.cancel(b.id)
    services.clock.advance(days=2)
    assert services.bookings.top_up_reminders() == 0
    assert {r.state for r in services.bookings.reminders(b.id)} == {"revoked"}


def test_create_returns_the_booking_as_stored(services: Services) -> None:
    b = services.bookings.create(customer_phone=PHONE, service="haircut", barber="sam", start=at(2026, 12, 4, 10, 0),
                                 customer_name="Ann")
    stored = services.bookings.get(b.id)  # type: ignore[arg-type]
    assert b.model_dump() == stored.model_dump()
    # the window's reminders are rows (every 2 h up to PLAN_AHEAD); the next one waits for the reconciler
    in_window = int(PLAN_AHEAD / dt.timedelta(hours=2))
    assert b.reminders_planned == in_window
    assert b.next_reminder_at == NOW + dt.timedelta(hours=2 * (in_window + 1))


def test_cancel_returns_the_booking_as_stored(services: Services) -> None:
    b = services.bookings.create(customer_phone=PHONE, service="haircut", barber="sam", start=at(2026, 12, 4, 10, 0))
    services.clock.advance(minutes=5)  # type: ignore[attr-defined]
    cancelled = services.bookings.cancel(b.id, reason="sick")  # type: ignore[arg-type]
    stored = services.bookings.get(b.id)  # type: ignore[arg-type]
    assert cancelled.model_dump() == stored.model_dump()
    assert (cancelled.status, cancelled.cancel_reason, cancelled.revision) == ("cancelled", "sick", 2)
    assert cancelled.next_reminder_at is None and cancelled.updated_at == NOW + dt.timedelta(minutes=5)


def test_scheduled_reminders_are_the_rows_written(services: Services) -> None:
    b = services.bookings.create(customer_phone=PHONE, service="haircut", barber="sam", start=at(2026, 12, 4, 10, 0))
    rows = services.bookings.reminders(b.id)  # type: ignore[arg-type]
    in_window = int(PLAN_AHEAD / dt.timedelta(hours=2))  # every 2 h, up to PLAN_AHEAD from now
    assert len(rows) == in_window and {r.state for r in rows} == {"scheduled"} and {r.attempts for r in rows} == {0}
    assert [(p.reminder_id, p.job_id, p.due_at) for p in services.dispatcher.scheduled] == [  # type: ignore[attr-defined]
        (r.id, r.job_id, r.due_at) for r in rows]
    assert [r.k for r in rows] == list(range(1, in_window + 1)) and rows[0].due_at == NOW + dt.timedelta(hours=2)


def test_a_code_already_taken_is_drawn_again(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    codes = iter(["AAAA", "AAAA", "BBBB"])
    monkeypatch.setattr("bot.bookings.new_code", lambda: next(codes))
    first = services.bookings.create(customer_phone=PHONE, service="haircut", barber="sam", start=at(2026, 12, 3, 10, 0))
    second = services.bookings.create(customer_phone=PHONE, service="haircut", barber="sam", start=at(2026, 12, 3, 11, 0))
    assert (first.code, second.code) == ("AAAA", "BBBB")
    assert len(services.bookings.reminders(second.id)) == int(PLAN_AHEAD / dt.timedelta(hours=2))  # type: ignore[arg-type]


def test_cancel_revokes_a_reminder_waiting_to_retry(services: Services) -> None:
    b = services.bookings.create(customer_phone=PHONE, service="haircut", barber="sam", start=at(2026, 12, 2, 17, 0))
    first, *_ = services.bookings.reminders(b.id)  # type: ignore[arg-type]
    with services.db.write() as s:
        row = s.get(Reminder, first.id)
        assert row is not None
        row.state = "retrying"
        s.add(row)
    services.bookings.cancel(b.id)  # type: ignore[arg-type]
    assert {r.state for r in services.bookings.reminders(b.id)} == {"revoked"}  # type: ignore[arg-type]
    assert sorted(services.dispatcher.revoked) == [f"{b.id}-reminder-{k}" for k in (1, 2, 3)]  # type: ignore[attr-defined]


def test_booking_fills_in_a_missing_customer_name_but_keeps_one(services: Services) -> None:
    from bot.models import Customer

    services.bookings.create(customer_phone=PHONE, service="haircut", barber="sam", start=at(2026, 12, 3, 10, 0))
    services.bookings.create(customer_phone=PHONE, service="haircut", barber="sam", start=at(2026, 12, 3, 11, 0),
                             customer_name="Ann")
    services.bookings.create(customer_phone=PHONE, service="haircut", barber="sam", start=at(2026, 12, 3, 12, 0),
                             customer_name="Bob")
    with services.db.session() as s:
        customer = s.get(Customer, PHONE)
    assert customer is not None and customer.name == "Ann" and customer.created_at == NOW


def test_a_new_code_never_looks_like_a_day_of_the_month(monkeypatch: pytest.MonkeyPatch) -> None:
    """A customer who types "25th" means a day: no booking is ever given that code."""
    from bot import bookings

    draws = iter("25TH" "22ND" "K7Q2")
    monkeypatch.setattr(bookings.secrets, "choice", lambda alphabet: next(draws))
    assert bookings.new_code() == "K7Q2"
