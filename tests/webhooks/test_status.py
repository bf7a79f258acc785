"""POST /webhooks/twilio/status: delivery callbacks land on the reminder or notice that carries the SID."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from bot.app import create_app
from bot.models import OutboundMessage, Reminder
from bot.services import Services
from tasks.outbox import send_message
from tasks.reminders import send_reminder
from tasks.sender import FakeSender
from webhooks.signature import sign

PATH = "/webhooks/twilio/status"
LOCAL_URL = f"http://testserver{PATH}"
PUBLIC = "https://barber.example.ngrok.app"
START = dt.datetime(2026, 12, 2, 17, 0, tzinfo=dt.UTC)  # Wednesday, open; reminders at 11, 13, 15


def status(sid: str, state: str, error_code: str | None = None) -> dict[str, str]:
    p = {"MessageSid": sid, "MessageStatus": state, "AccountSid": "ACtest", "To": "whatsapp:+447700900123"}
    if error_code:
        p["ErrorCode"] = error_code
    return p


def post(client: TestClient, services: Services, p: dict[str, str], *, url: str = LOCAL_URL,
         signature: str | None = None) -> Any:
    sig = sign(services.settings.auth_token, url, p) if signature is None else signature
    return client.post(PATH, data=p, headers={"X-Twilio-Signature": sig} if sig else {})


@pytest.fixture
def client(services: Services) -> TestClient:
    services.sender = FakeSender()
    return TestClient(create_app(services), raise_server_exceptions=False)


def sent_reminder(services: Services) -> tuple[int, str]:
    """A booking whose first reminder went out; (booking id, that reminder's SID)."""
    b = services.bookings.create(customer_phone="+447700900123", service="haircut", barber="sam", start=START)
    first = services.bookings.reminders(b.id)[0]
    services.clock.now = first.due_at  # type: ignore[attr-defined]
    outcome = send_reminder(services, first.id)
    assert outcome.state == "sent" and outcome.detail
    return b.id, outcome.detail


def reminders_api(api: Any, booking_id: int) -> list[dict[str, Any]]:
    resp = api.get(f"/api/bookings/{booking_id}/reminders")
    assert resp.status_code == 200
    return list(resp.json())


def rows(services: Services) -> list[tuple[Any, ...]]:
    with services.db.session() as s:
        reminders = [(r.id, r.state, r.delivery_status, r.error) for r in s.exec(select(Reminder)).all()]
        notices = [(m.id, m.state, m.delivery_status, m.error) for m in s.exec(select(OutboundMessage)).all()]
    return reminders + notices


def test_delivered_status_shows_on_the_bookings_reminders(services: Services, client: TestClient,
                                                          api: Any) -> None:
    booking_id, sid = sent_reminder(services)

    assert post(client, services, status(sid, "delivered")).status_code == 200

    first = reminders_api(api, booking_id)[0]
    assert (first["messageSid"], first["state"], first["deliveryStatus"]) == (sid, "sent", "delivered")


def test_undelivered_status_records_twilios_error_code(services: Services, client: TestClient,
                                                       api: Any) -> None:
    booking_id, sid = sent_reminder(services)

    assert post(client, services, status(sid, "undelivered", "63016")).status_code == 200

    first = reminders_api(api, booking_id)[0]
    assert (first["deliveryStatus"], first["error"]) == ("undelivered", "63016")


def test_a_late_sent_does_not_overwrite_delivered_or_read(services: Services, client: TestClient,
                                                           api: Any) -> None:
    booking_id, sid = sent_reminder(services)
    for state in ("delivered", "read", "sent", "delivered", "queued"):
        assert post(client, services, status(sid, state)).status_code == 200

    assert reminders_api(api, booking_id)[0]["deliveryStatus"] == "read"


def test_a_status_for_a_cancellation_notice_updates_the_notice(services: Services, client: TestClient) -> None:
    booking_id, _ = sent_reminder(services)
    services.bookings.cancel(booking_id)
    with services.db.session() as s:
        notice = s.exec(select(OutboundMessage)).one()
    assert notice.id is not None and send_message(services, notice.id) == "sent"
    sid = services.sender.sent[-1][0]

    assert post(client, services, status(sid, "failed", "63024")).status_code == 200

    with services.db.session() as s:
        got = s.get(OutboundMessage, notice.id)
    assert got is not None
    assert (got.message_sid, got.delivery_status, got.error) == (sid, "failed", "63024")


def test_an_unknown_sid_is_acknowledged_and_changes_nothing(services: Services, client: TestClient) -> None:
    sent_reminder(services)
    before = rows(services)

    assert post(client, services, status("SM" + "0" * 32, "delivered")).status_code == 200

    assert rows(services) == before


@pytest.mark.parametrize("signature", ["", "bm90IGEgc2lnbmF0dXJl"])
def test_a_missing_or_wrong_signature_is_refused_and_changes_nothing(
        services: Services, client: TestClient, signature: str) -> None:
    _, sid = sent_reminder(services)
    before = rows(services)

    assert post(client, services, status(sid, "delivered"), signature=signature).status_code == 403

    assert rows(services) == before


def test_a_signature_over_other_parameters_is_refused(services: Services, client: TestClient) -> None:
    _, sid = sent_reminder(services)
    before = rows(services)
    forged = sign(services.settings.auth_token, LOCAL_URL, status(sid, "sent"))

    assert post(client, services, status(sid, "failed", "30008"), signature=forged).status_code == 403

    assert rows(services) == before


def test_signature_is_checked_over_the_public_base_url_when_set(
        make_services: Any, sqlite_url: str) -> None:
    services = make_services(sqlite_url, public_base_url=PUBLIC)
    services.sender = FakeSender()
    client = TestClient(create_app(services), raise_server_exceptions=False)
    _, sid = sent_reminder(services)

    assert post(client, services, status(sid, "delivered")).status_code == 403  # signed over the local URL
    assert post(client, services, status(sid, "delivered"), url=PUBLIC + PATH).status_code == 200


def test_a_callback_without_sid_or_status_is_a_client_error(services: Services, client: TestClient) -> None:
    assert post(client, services, {"MessageSid": "SMx"}).status_code == 400
