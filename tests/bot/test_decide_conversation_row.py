"""The conversation row is read on every turn: what a turn decides follows the row as stored
now, however often the same text was read or written before."""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa

from bot.dialogue import ChatEngine, State
from bot.dialogue.model import Convo, Draft, Goal, Option, convo_data, read_convo
from bot.services import Services

PHONE = "+447700900123"
FRIDAY = "any slots friday afternoon for a beard trim?"


def store(services: Services, phone: str, state: str, data: str) -> None:
    """Another process rewrites the row (a second server, a test)."""
    with services.db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE conversation SET state = :s, data = :d WHERE phone = :p"),
                     {"s": state, "d": data, "p": phone})


def test_a_row_changed_by_another_process_is_what_the_next_turn_sees(services: Services) -> None:
    engine = ChatEngine(services)
    assert engine.turn(phone=PHONE, text=FRIDAY)[0].startswith("Here's what's free Fri 4 Dec (afternoon):")
    store(services, PHONE, "idle", "{}")  # the offer is gone: "1" picks nothing
    assert not any("YES" in reply for reply in engine.turn(phone=PHONE, text="1"))
    booking = services.bookings.create(customer_phone=PHONE, service="beard", barber="sam",
                                       start=dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC))
    assert booking.id is not None
    pending = Option(kind="booking", booking_id=booking.id, start=booking.start_at, barber="sam", service="beard")
    store(services, PHONE, "confirm", convo_data(Convo(State.CONFIRM, Draft(goal=Goal.CANCEL, booking_id=booking.id,
                                                                            pending=pending))))
    engine.turn(phone=PHONE, text="yes")
    assert services.bookings.get(booking.id).status == "cancelled"


def test_an_unreadable_row_starts_afresh_every_time(services: Services) -> None:
    engine = ChatEngine(services)
    engine.turn(phone=PHONE, text=FRIDAY)
    for _ in range(2):
        store(services, PHONE, "pick_slot", '{"options": [{"start": "not a time"}]}')
        replies = engine.turn(phone=PHONE, text="1")
        assert replies and not any("Sorry, something went wrong" in reply for reply in replies)
        assert not any("YES" in reply for reply in replies)  # nothing picked from an unreadable offer


def test_the_same_text_reads_as_a_fresh_decode_and_another_text_as_its_own() -> None:
    a = Draft(goal=Goal.BOOK, service="beard", date=dt.date(2026, 12, 4), window=(720, 1020, "afternoon"))
    b = a.evolve(service="haircut")
    for draft in (a, b):
        text = json.dumps(draft.to_json())
        fresh = Convo(State.ASK_TIME, Draft.from_json(json.loads(text)))
        assert read_convo("ask_time", text) == fresh
        assert read_convo("ask_time", text) == fresh
    assert read_convo("ask_time", json.dumps(a.to_json())).draft.service == "beard"
    assert read_convo("ask_time", json.dumps(b.to_json())).draft.service == "haircut"
    assert read_convo("ask_day", json.dumps(a.to_json())).state == State.ASK_DAY


def test_a_kept_text_is_not_carried_into_a_changed_draft() -> None:
    a = Draft(goal=Goal.BOOK, service="beard")
    assert a.to_text() == json.dumps(a.to_json())
    b = a.evolve(service="haircut")
    assert b.to_text() == json.dumps(b.to_json()) != a.to_text()
    assert convo_data(Convo(State.ASK_DAY, b)) == b.to_text()
    assert convo_data(Convo(State.IDLE, b)) == json.dumps({})
