"""GET /api/messages and the chat client's view of it, in-process, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.testclient import TestClient

from bot.app import create_app
from bot.chat import BotConnection, connection_for, twiml_messages, worker_line
from bot.errors import SendFailed
from bot.models import Customer
from bot.services import Services
from tasks.outbox import send_message
from tasks.reminders import send_reminder
from tasks.sender import FakeSender
from tests.conftest import NOW, make_settings

PHONE = "+447700900123"
START = dt.datetime(2026, 12, 2, 17, 0, tzinfo=dt.UTC)  # Wednesday, open; reminders at 11, 13, 15


def _book(services: Services, phone: str = PHONE) -> Any:
    b = services.bookings.create(customer_phone=phone, service="haircut", barber="sam", start=START)
    return b, services.bookings.reminders(b.id)


def _at(services: Services, when: dt.datetime) -> None:
    services.clock.now = when  # type: ignore[attr-defined]


def test_messages_lists_sent_reminders_with_the_text_the_customer_got(services: Services, api: Any) -> None:
    services.sender = FakeSender()
    booking, reminders = _book(services)
    _at(services, reminders[0].due_at)
    assert send_reminder(services, reminders[0].id).state == "sent"

    resp = api.get("/api/messages", params={"to": PHONE})

    assert resp.status_code == 200
    body = resp.json()
    [item] = body["messages"]
    assert item["kind"] == "reminder" and item["bookingId"] == booking.id
    assert item["body"] == services.sender.sent[0][1].body
    assert item["messageSid"] == services.sender.sent[0][0]
    assert body["cursor"]


def test_messages_after_a_cursor_holds_only_what_followed(services: Services, api: Any) -> None:
    services.sender = FakeSender()
    booking, reminders = _book(services)
    _at(services, reminders[0].due_at)
    send_reminder(services, reminders[0].id)
    first = api.get("/api/messages", params={"to": PHONE}).json()

    _at(services, reminders[0].due_at + dt.timedelta(minutes=5))
    assert api.delete(f"/api/bookings/{booking.id}").status_code == 200
    [notice_id] = services.dispatcher.messages  # type: ignore[attr-defined]
    assert send_message(services, notice_id) == "sent"

    later = api.get("/api/messages", params={"to": PHONE, "after": first["cursor"]}).json()
    seen = {m["id"] for m in first["messages"]}
    new = [m for m in later["messages"] if m["id"] not in seen]
    assert [m["kind"] for m in new] == ["cancellation"]
    assert "has been cancelled" in new[0]["body"]
    assert later["cursor"] > first["cursor"]


def test_messages_are_only_the_ones_sent_to_that_number(services: Services, api: Any) -> None:
    services.sender = FakeSender(failures=[SendFailed("down", retryable=True, error_code="30001")])
    _, mine = _book(services)
    other = services.bookings.create(customer_phone="+447700900999", service="haircut", barber="alex",
                                     start=START)
    theirs = services.bookings.reminders(other.id)
    _at(services, mine[0].due_at)
    # one reminder per job (no sweep), so the failure lands on mine and theirs goes through
    assert send_reminder(services, mine[0].id, sweep=1).state == "retrying"
    assert send_reminder(services, theirs[0].id, sweep=1).state == "sent"

    assert api.get("/api/messages", params={"to": PHONE}).json()["messages"] == []
    [item] = api.get("/api/messages", params={"to": "+447700900999"}).json()["messages"]
    assert item["to"] == "+447700900999"


def test_messages_need_the_api_key_and_a_number(services: Services, api: Any) -> None:
    assert api.get("/api/messages", params={"to": PHONE}, headers={"Authorization": "Bearer nope"}).status_code == 401
    resp = api.get("/api/messages", params={"to": "0770"})
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "validation_error"
    assert api.get("/api/messages", params={"to": PHONE, "after": "yesterday"}).status_code == 422


def test_chat_signs_over_public_base_url_and_sees_each_worker_message_once(make_services, sqlite_url) -> None:
    services = make_services(sqlite_url, public_base_url="https://abc123.ngrok-free.app")
    services.sender = FakeSender()
    client = TestClient(create_app(services))
    conn: BotConnection = connection_for(make_settings(public_base_url="https://abc123.ngrok-free.app"),
                                         PHONE, "http://testserver", transport=client._transport)
    assert conn.sign_url == "https://abc123.ngrok-free.app/webhooks/twilio"
    assert conn.poll() == []  # takes the cursor: history is not replayed

    replies = conn.send("hello")  # 403 (ChatError) if the signature did not match the server's check
    assert replies and replies[0]

    _, reminders = _book(services)
    _at(services, reminders[0].due_at)
    send_reminder(services, reminders[0].id)
    [new] = conn.poll()
    assert worker_line(new).startswith("bot [reminder 11:00]: Reminder: your Haircut with Sam")
    assert conn.poll() == [], "the overlap re-reads it, the client skips it"
    conn.close()


def test_chat_sends_the_profile_name_given_which_the_customer_then_has(make_services, sqlite_url) -> None:
    services = make_services(sqlite_url)
    client = TestClient(create_app(services))
    conn = connection_for(make_settings(), PHONE, "http://testserver", name="Ron Baker", transport=client._transport)
    assert conn.send("hello")
    conn.close()
    with services.db.session() as s:
        customer = s.get(Customer, PHONE)
    assert customer is not None and customer.name == "Ron Baker"


def test_twiml_messages_reads_plain_and_body_forms() -> None:
    xml = ('<?xml version="1.0" encoding="UTF-8"?><Response><Message>one\ntwo</Message>'
           '<Message><Body>three</Body></Message></Response>')
    assert twiml_messages(xml) == ["one\ntwo", "three"]
    assert twiml_messages("<Response/>") == []
    assert NOW.tzinfo is not None
