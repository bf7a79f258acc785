"""Barbers running their day by chat (barber_chats.json), through the signed webhook, against
barbers_shop.toml (an owner and three barbers on different days, in Sydney).

Beyond the corpus runner's checks, a case may expect `sent` (texts each customer's messages
contain), `sent_not` (texts none of them contains), `sent_count` (how many messages each customer was sent), `time_off` (each named
barber's blocks, exactly, local times), `moved_off` (a set-up booking now with another barber)
and `api_no_shows` (a set-up booking's `customer_no_shows` in the API).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from chat_harness import Chat
from chat_support import ChatFactory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import col, select
from test_corpus import run_case

from bot.errors import InvalidBooking, SlotTaken
from bot.models import Booking, OutboundMessage, TimeOff
from bot.shop import parse_shop

HERE = Path(__file__).parent
DATA = json.loads((HERE / "barber_chats.json").read_text())
CASES = DATA["cases"]
SHOP = parse_shop((HERE / "barbers_shop.toml").read_text())


def setup_booking(chat: Chat, case: dict[str, Any], name: str) -> Booking:
    """The booking set up as `name` (in these cases each set-up customer has one booking)."""
    phone = next(i["booking"]["customer_phone"] for i in case.get("setup", []) if i.get("as") == name)
    with chat.services.db.session() as s:
        return s.exec(select(Booking).where(Booking.customer_phone == phone).order_by(col(Booking.id))).first()


def check_more(chat: Chat, case: dict[str, Any]) -> None:
    exp = case["expect"]
    services = chat.services
    with services.db.session() as s:
        sent = [(m.to_phone, m.body) for m in s.exec(select(OutboundMessage).order_by(col(OutboundMessage.id))).all()]
    for phone, texts in exp.get("sent", {}).items():
        bodies = [body for to, body in sent if to == phone]
        for text in texts:
            assert any(text in body for body in bodies), f"no message to {phone} contains {text!r}: {bodies}"
    for phone, texts in exp.get("sent_not", {}).items():
        bodies = [body for to, body in sent if to == phone]
        for text in texts:
            assert not any(text in body for body in bodies), f"a message to {phone} contains {text!r}: {bodies}"
    for phone, n in exp.get("sent_count", {}).items():
        bodies = [body for to, body in sent if to == phone]
        assert len(bodies) == n, f"{phone} was sent {len(bodies)} messages, not {n}: {bodies}"
    for name, barber in exp.get("moved_off", {}).items():
        b = setup_booking(chat, case, name)
        assert b.barber != barber, f"{name} is still with {barber}"
    for name, n in exp.get("api_no_shows", {}).items():
        b = setup_booking(chat, case, name)
        got = chat.client.get(f"/api/bookings/{b.id}").json()
        assert got["customer_no_shows"] == n, got


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_barber_chat(case: dict[str, Any], make_chat: ChatFactory) -> None:
    chat = run_case(make_chat, case, dt.datetime.fromisoformat(DATA["now"]), DATA["customer"], shop=SHOP)
    try:
        check_more(chat, case)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n--- chat ---\n{chat.dump()}") from None


# -- the property, through the webhook: random commands from random barbers over a random day --

TEMPLATES = [
    "cancel {code}", "cancel {code} sorry", "noshow {code}", "done {code}", "block {day} {window}",
    "block {barber} {day} {window}", "off {day}", "sick {day}, cancel all my bookings", "unblock {day}",
    "running {n} min late", "tell my {hour} i'm {n} min late", "agenda {barber}", "yes", "move them",
    "cancel them", "keep them", "undo",
]
DAYS = ["today", "tomorrow", "thu", "wed 16 dec", "tue 16 dec", "fri"]
WINDOWS = ["13:00-15:00", "morning", "afternoon", "after 3", "9-11"]
BARBERS = [b.key for b in SHOP.barbers]


def snapshot(chat: Chat) -> tuple[dict[int, tuple[str, str, dt.datetime]], list[tuple[str, dt.datetime, dt.datetime]], list[str]]:
    with chat.services.db.session() as s:
        books = {b.id: (b.status, b.barber, b.start_at) for b in s.exec(select(Booking)).all() if b.id is not None}
        offs = sorted((t.barber, t.start_at, t.end_at) for t in s.exec(select(TimeOff)).all())
        sent = [m.to_phone for m in s.exec(select(OutboundMessage).order_by(col(OutboundMessage.id))).all()]
    return books, offs, sent


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_random_barber_commands_never_change_another_barbers_booking_unless_sent_by_an_owner(
        make_chat: ChatFactory, data: st.DataObject) -> None:
    start = dt.datetime.fromisoformat(DATA["now"])
    chat = make_chat(now=start - dt.timedelta(days=1), shop=SHOP)
    svc = chat.services.bookings
    codes, owners = [], {}
    for i in range(data.draw(st.integers(min_value=1, max_value=8), label="bookings")):
        day = dt.date(2026, 12, 8) + dt.timedelta(days=data.draw(st.integers(min_value=0, max_value=2)))
        hour, half = data.draw(st.integers(min_value=9, max_value=16)), data.draw(st.sampled_from([0, 30]))
        barber = data.draw(st.sampled_from(BARBERS))
        try:
            b = svc.create(customer_phone=f"+6149157{1000 + i}", service="haircut", barber=barber,
                           start=dt.datetime(day.year, day.month, day.day, hour, half, tzinfo=SHOP.tz))
        except (SlotTaken, InvalidBooking):
            continue
        codes.append(b.code)
        owners[b.customer_phone] = b.barber
    chat.services.clock.advance(minutes=1440 + data.draw(st.integers(min_value=0, max_value=600)))  # type: ignore[attr-defined]
    for _ in range(data.draw(st.integers(min_value=1, max_value=6), label="messages")):
        who = data.draw(st.sampled_from(BARBERS))
        text = data.draw(st.sampled_from(TEMPLATES)).format(
            code=data.draw(st.sampled_from(codes or ["ZZ99"])), day=data.draw(st.sampled_from(DAYS)),
            window=data.draw(st.sampled_from(WINDOWS)), barber=data.draw(st.sampled_from(BARBERS)),
            n=data.draw(st.integers(min_value=1, max_value=45)), hour=data.draw(st.sampled_from(["9am", "10am", "2pm"])))
        sender = SHOP.barber(who)
        assert sender is not None
        books, offs, sent = snapshot(chat)
        chat.send(text, phone=sender.phone)
        if sender.is_owner:
            continue
        after_books, after_offs, after_sent = snapshot(chat)
        for bid, (status, barber, when) in books.items():
            if barber != who:
                assert after_books[bid] == (status, barber, when), (who, text, chat.dump())
        assert [t for t in after_offs if t[0] != who] == [t for t in offs if t[0] != who], (who, text)
        for phone in after_sent[len(sent):]:
            assert owners.get(phone) == who, (who, text, phone, chat.dump())
