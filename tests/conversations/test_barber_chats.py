"""Barbers running their day by chat (barber_chats.json), through the signed webhook, against
barbers_shop.toml (an owner and three barbers on different days, in Sydney).

Beyond the corpus runner's checks, a case may expect `sent` (texts each customer's messages
contain), `sent_count` (how many messages each customer was sent), `time_off` (each named
barber's blocks, exactly, local times), `moved_off` (a set-up booking now with another barber)
and `api_no_shows` (a set-up booking's `customer_no_shows` in the API).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from pathlib import Path
from typing import Any

import pytest
from chat_harness import Chat
from chat_support import ChatFactory
from sqlmodel import col, select
from test_corpus import local, run_case

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
        offs = [(t.barber, t.start_at, t.end_at) for t in s.exec(select(TimeOff).order_by(col(TimeOff.start_at))).all()]
    for phone, texts in exp.get("sent", {}).items():
        bodies = [body for to, body in sent if to == phone]
        for text in texts:
            assert any(text in body for body in bodies), f"no message to {phone} contains {text!r}: {bodies}"
    for phone, n in exp.get("sent_count", {}).items():
        bodies = [body for to, body in sent if to == phone]
        assert len(bodies) == n, f"{phone} was sent {len(bodies)} messages, not {n}: {bodies}"
    for barber, spans in exp.get("time_off", {}).items():
        got = [(a, z) for who, a, z in offs if who == barber]
        want = [(local(SHOP.tz, a).astimezone(dt.UTC), local(SHOP.tz, z).astimezone(dt.UTC)) for a, z in spans]
        assert got == want, f"{barber}'s time off: {got}"
    for name, barber in exp.get("moved_off", {}).items():
        b = setup_booking(chat, case, name)
        assert b.barber != barber, f"{name} is still with {barber}"
    for name, n in exp.get("api_no_shows", {}).items():
        b = setup_booking(chat, case, name)
        got = chat.client.get(f"/api/bookings/{b.id}").json()
        assert got["customer_no_shows"] == n, got


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_barber_chat(case: dict[str, Any], make_chat: ChatFactory) -> None:
    chat = run_case(functools.partial(make_chat, shop=SHOP), case, dt.datetime.fromisoformat(DATA["now"]),
                    DATA["customer"])
    try:
        check_more(chat, case)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n--- chat ---\n{chat.dump()}") from None
