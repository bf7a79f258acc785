"""POST /webhooks/twilio: signatures, deduplication, limits, and never a 500 or a traceback."""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select
from starlette.testclient import TestClient

from bot.app import create_app
from bot.models import Booking, Conversation, Customer, InboundMessage
from bot.services import Services
from webhooks.inbound import twiml
from webhooks.signature import sign

PATH = "/webhooks/twilio"
LOCAL_URL = f"http://testserver{PATH}"
CUSTOMER = "+447700900123"
_n = iter(range(1, 10**9))


def params(body: str, *, sid: str | None = None, phone: str = CUSTOMER) -> dict[str, str]:
    return {"From": f"whatsapp:{phone}", "To": "whatsapp:+14155238886", "Body": body,
            "MessageSid": sid or f"SM{next(_n):032x}", "ProfileName": "Ana", "WaId": phone[1:]}


def post(client: TestClient, services: Services, p: dict[str, str], *, url: str = LOCAL_URL,
         signature: str | None = None) -> Any:
    sig = sign(services.settings.auth_token, url, p) if signature is None else signature
    headers = {"X-Twilio-Signature": sig} if sig else {}
    return client.post(PATH, data=p, headers=headers)


def messages(xml: str) -> list[str]:
    root = ET.fromstring(xml)
    assert root.tag == "Response"
    return [m.text or "" for m in root.findall("Message")]


def count(services: Services, model: Any) -> int:
    with services.db.session() as s:
        return int(s.exec(select(func.count()).select_from(model)).one())


@pytest.fixture
def services(make_services: Callable[..., Services], sqlite_url: str) -> Services:
    return make_services(sqlite_url)


@pytest.fixture
def client(services: Services) -> TestClient:
    return TestClient(create_app(services), raise_server_exceptions=False)


def test_signed_message_gets_a_twiml_reply(client: TestClient, services: Services) -> None:
    resp = post(client, services, params("help"))
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/xml")
    assert any("book" in m for m in messages(resp.text))


def test_missing_signature_is_forbidden_and_changes_nothing(client: TestClient, services: Services) -> None:
    resp = post(client, services, params("haircut tomorrow at 3pm"), signature="")
    assert resp.status_code == 403
    assert (count(services, InboundMessage), count(services, Customer), count(services, Conversation)) == (0, 0, 0)


def test_wrong_signature_is_forbidden_and_changes_nothing(client: TestClient, services: Services) -> None:
    p = params("haircut tomorrow at 3pm")
    forged = sign("not-the-token", LOCAL_URL, p)
    assert post(client, services, p, signature=forged).status_code == 403
    tampered = sign(services.settings.auth_token, LOCAL_URL, {**p, "Body": "help"})
    assert post(client, services, p, signature=tampered).status_code == 403
    assert count(services, InboundMessage) == 0 and count(services, Customer) == 0


def test_signature_for_the_ngrok_url_validates_when_public_base_url_is_set(
        make_services: Callable[..., Services], sqlite_url: str) -> None:
    ngrok = "https://4f3a-81-2-69-160.ngrok-free.app"
    services = make_services(sqlite_url, public_base_url=ngrok)
    client = TestClient(create_app(services), raise_server_exceptions=False)
    p = params("help")
    assert post(client, services, p, url=f"{ngrok}{PATH}").status_code == 200
    # the URL the request reached locally is not what Twilio signed
    assert post(client, services, params("help"), url=LOCAL_URL).status_code == 403


def test_ngrok_url_with_a_query_string_is_signed_with_it(
        make_services: Callable[..., Services], sqlite_url: str) -> None:
    ngrok = "https://abc.ngrok.app/"
    services = make_services(sqlite_url, public_base_url=ngrok)
    client = TestClient(create_app(services), raise_server_exceptions=False)
    p = params("help")
    sig = sign(services.settings.auth_token, "https://abc.ngrok.app/webhooks/twilio?shop=1", p)
    resp = client.post(f"{PATH}?shop=1", data=p, headers={"X-Twilio-Signature": sig})
    assert resp.status_code == 200


def test_development_without_a_token_accepts_unsigned_requests(
        make_services: Callable[..., Services], sqlite_url: str, caplog: pytest.LogCaptureFixture) -> None:
    services = make_services(sqlite_url, twilio_auth_token=None, barberbot_env="development")
    client = TestClient(create_app(services), raise_server_exceptions=False)
    assert "NOT checked" in caplog.text
    assert client.post(PATH, data=params("help")).status_code == 200


def test_same_message_sid_posted_three_times_concurrently_books_once(
        client: TestClient, services: Services) -> None:
    first = messages(post(client, services, params("haircut with sam tomorrow at 3pm")).text)
    assert "YES" in first[-1]
    p = params("yes", sid="SM" + "d" * 32)
    results: list[Any] = []
    start = threading.Barrier(3)

    def deliver() -> None:
        own = TestClient(client.app, raise_server_exceptions=False)
        start.wait()
        results.append(post(own, services, p))

    threads = [threading.Thread(target=deliver) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert [r.status_code for r in results] == [200, 200, 200]
    assert len({r.text for r in results}) == 1, [r.text for r in results]
    assert "Booked" in messages(results[0].text)[0]
    assert count(services, Booking) == 1
    # and a redelivery much later still replays the same answer and books nothing
    again = post(client, services, p)
    assert again.text == results[0].text and count(services, Booking) == 1


def test_oversized_body_is_413_and_changes_nothing(client: TestClient, services: Services) -> None:
    p = params("x" * (services.settings.max_body_bytes + 10))
    assert post(client, services, p).status_code == 413
    assert count(services, InboundMessage) == 0


@pytest.mark.parametrize("raw", [b"\xff\xfe\x00bad", b"From=%FF%FE&Body=hi", b"no-equals-sign"])
def test_a_body_that_is_not_a_signed_form_is_refused_and_changes_nothing(
        client: TestClient, services: Services, raw: bytes) -> None:
    resp = client.post(PATH, content=raw, headers={"content-type": "application/x-www-form-urlencoded",
                                                   "X-Twilio-Signature": "x"})
    assert resp.status_code in (400, 403)
    assert (count(services, InboundMessage), count(services, Customer)) == (0, 0)


def test_a_sender_that_is_not_a_phone_number_is_400(client: TestClient, services: Services) -> None:
    p = {**params("hi"), "From": "whatsapp:hello"}
    assert post(client, services, p).status_code == 400


def test_an_internal_error_still_answers_politely(client: TestClient, services: Services,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.dialogue import engine

    def boom(*a: Any, **k: Any) -> Any:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(engine.ChatEngine, "handle", boom)
    resp = post(client, services, params("haircut tomorrow at 3pm"))
    assert resp.status_code == 200
    text = " ".join(messages(resp.text))
    assert "Sorry" in text and "fire" not in text and "Traceback" not in resp.text


def test_inbound_message_opens_the_24_hour_window(client: TestClient, services: Services) -> None:
    post(client, services, params("hello"))
    with services.db.session() as s:
        cust = s.get(Customer, CUSTOMER)
    assert cust is not None and cust.last_inbound_at == services.now() and cust.name == "Ana"


def test_twiml_escapes_markup_and_drops_characters_xml_cannot_carry() -> None:
    xml = twiml(["<b>Tom & Jerry</b> \x00\x07ok"])
    assert messages(xml) == ["<b>Tom & Jerry</b> ok"]


def test_an_empty_message_gets_a_clear_reply(client: TestClient, services: Services) -> None:
    resp = post(client, services, params(""))
    assert resp.status_code == 200 and "text" in messages(resp.text)[0]


bodies = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=300),
    st.text(st.characters(codec="utf-8", min_codepoint=0, max_codepoint=0x1F), max_size=50),
    st.sampled_from(["", " ", "👍", "🙂💈✂️", "\x00", "yes" * 3000, "1" * 5000, "<Response>&amp;",
                     "haircut 99:99 on the 45th", "cancel ZZZZ", "0", "-1", "999999999999999999999"]),
    st.builds(lambda a, b: a * b, st.sampled_from(["💈", "x", "\n", "ä"]), st.integers(1, 30000)),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies)
def test_any_body_never_gives_a_500_or_a_traceback(client: TestClient, services: Services, body: str) -> None:
    resp = post(client, services, params(body))
    assert resp.status_code < 500
    assert "Traceback" not in resp.text and "Error" not in resp.text
    if resp.status_code == 200:
        assert all(m for m in messages(resp.text))
    else:
        assert resp.status_code == 413


def test_a_booking_that_fails_half_way_leaves_nothing_behind_and_apologises_once(
        client: TestClient, services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.bookings import BookingService
    from bot.models import Reminder

    assert "YES" in messages(post(client, services, params("haircut with sam tomorrow at 3pm")).text)[-1]

    def boom(*a: Any, **k: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(BookingService, "_plan", boom)  # after the booking row is written
    p = params("yes")
    first = post(client, services, p)
    assert first.status_code == 200 and "Sorry" in " ".join(messages(first.text))
    assert count(services, Booking) == 0 and count(services, Reminder) == 0
    assert services.dispatcher.scheduled == []  # type: ignore[attr-defined]
    monkeypatch.undo()
    again = post(client, services, p)  # Twilio redelivers: the same apology, still no booking
    assert again.text == first.text and count(services, Booking) == 0


def test_a_confirmed_booking_is_stored_with_its_reminders_queued(client: TestClient, services: Services) -> None:
    from bot.models import Reminder

    post(client, services, params("haircut with sam tomorrow at 3pm"))
    reply = messages(post(client, services, params("yes")).text)
    assert "Booked" in reply[0]
    with services.db.session() as s:
        booking = s.exec(select(Booking)).one()
        reminders = s.exec(select(Reminder)).all()
    assert booking.code in reply[0] and reminders
    assert sorted(r.job_id for r in services.dispatcher.scheduled) == sorted(  # type: ignore[attr-defined]
        r.job_id for r in reminders)


def test_the_webhook_keeps_request_ids_metrics_and_the_routers_answers(
        client: TestClient, services: Services) -> None:
    from bot.metrics import registry_for

    r = client.post(PATH, data=params("hi"), headers={
        "X-Twilio-Signature": sign(services.settings.auth_token, LOCAL_URL, params("hi", sid="SMx")),
        "X-Request-Id": "req-7"})
    assert r.status_code == 403 and r.headers["x-request-id"] == "req-7"  # signed for another sid
    ok = post(client, services, params("hi"))
    assert ok.status_code == 200 and len(ok.headers["x-request-id"]) == 16
    assert ok.headers["content-type"] == "application/xml"
    got = client.get(PATH)  # not the webhook's method: the router answers, as before
    assert got.status_code == 405 and got.json()["error"]["code"] == "method_not_allowed"
    assert "x-request-id" in got.headers
    reg = registry_for(services)
    labels = {"method": "POST", "route": PATH}
    assert reg.get_sample_value("barberbot_http_requests_total", {**labels, "status": "200"}) == 1
    assert reg.get_sample_value("barberbot_http_requests_total", {**labels, "status": "403"}) == 1
    assert reg.get_sample_value("barberbot_http_requests_total", {"method": "GET", "route": PATH, "status": "405"}) == 1
    assert reg.get_sample_value("barberbot_http_request_duration_seconds_count", labels) == 2
