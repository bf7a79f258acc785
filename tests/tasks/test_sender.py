"""TwilioSender through the Twilio SDK on httpx: the exact request Twilio receives, and how refusals map
to SendFailed. respx stands in for api.twilio.com (or TWILIO_API_BASE_URL)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from bot.errors import SendFailed
from tasks.sender import OutgoingMessage, TwilioSender, make_sender, status_callback_url
from tests.conftest import make_settings

SID = "ACtest"
MESSAGES = f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages.json"
CREATED = {"sid": "SM" + "a" * 32, "status": "queued", "account_sid": SID}


@pytest.fixture
def twilio() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


def sender(**kwargs: object) -> TwilioSender:
    return TwilioSender(account_sid=SID, auth_token="test-auth-token", from_="+14155238886", **kwargs)  # type: ignore[arg-type]


def form(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


def test_free_text_goes_as_body_between_whatsapp_addresses(twilio: respx.MockRouter) -> None:
    route = twilio.post(MESSAGES).respond(201, json=CREATED)

    sid = sender().send(OutgoingMessage(to="+447700900123", body="Reminder: your Haircut"))

    assert sid == CREATED["sid"]
    request = route.calls.last.request
    assert form(request) == {"To": "whatsapp:+447700900123", "From": "whatsapp:+14155238886",
                             "Body": "Reminder: your Haircut"}
    assert request.headers["Authorization"].startswith("Basic ")
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_a_template_goes_as_content_sid_and_json_variables(twilio: respx.MockRouter) -> None:
    route = twilio.post(MESSAGES).respond(201, json=CREATED)

    sender().send(OutgoingMessage(to="+447700900123", content_sid="HX123",
                                  content_variables={"1": "Haircut", "2": "Sam"}))

    sent = form(route.calls.last.request)
    assert "Body" not in sent and sent["ContentSid"] == "HX123"
    assert json.loads(sent["ContentVariables"]) == {"1": "Haircut", "2": "Sam"}


def test_status_callback_is_public_base_url_plus_the_status_path(twilio: respx.MockRouter) -> None:
    route = twilio.post(MESSAGES).respond(201, json=CREATED)
    settings = make_settings(twilio_account_sid=SID, public_base_url="https://barber.ngrok.app/")

    s = make_sender(settings)
    assert isinstance(s, TwilioSender)
    s.send(OutgoingMessage(to="+447700900123", body="hi"))

    assert form(route.calls.last.request)["StatusCallback"] == "https://barber.ngrok.app/webhooks/twilio/status"


def test_no_status_callback_without_public_base_url(twilio: respx.MockRouter) -> None:
    route = twilio.post(MESSAGES).respond(201, json=CREATED)
    assert status_callback_url(make_settings()) is None

    make_sender(make_settings(twilio_account_sid=SID)).send(OutgoingMessage(to="+447700900123", body="hi"))

    assert "StatusCallback" not in form(route.calls.last.request)


def test_api_base_url_sends_to_the_configured_host(twilio: respx.MockRouter) -> None:
    route = twilio.post(f"http://127.0.0.1:9/2010-04-01/Accounts/{SID}/Messages.json").respond(201, json=CREATED)

    make_sender(make_settings(twilio_account_sid=SID, twilio_api_base_url="http://127.0.0.1:9")).send(
        OutgoingMessage(to="+447700900123", body="hi"))

    assert route.called


@pytest.mark.parametrize(("status", "code", "expected"), [
    (500, None, "http_500"), (503, 20503, "20503"), (429, None, "http_429"), (429, 20429, "20429"),
    (400, 30001, "30001"), (400, 63018, "63018"),
])
def test_transient_refusals_are_retryable(twilio: respx.MockRouter, status: int, code: int | None,
                                          expected: str) -> None:
    twilio.post(MESSAGES).respond(status, json={"code": code, "message": "nope", "status": status})

    with pytest.raises(SendFailed) as err:
        sender().send(OutgoingMessage(to="+447700900123", body="hi"))

    assert (err.value.retryable, err.value.error_code) == (True, expected)


@pytest.mark.parametrize("code", [21211, 21610, 63003, 21614])
def test_permanent_refusals_are_not_retryable_and_carry_the_code(twilio: respx.MockRouter, code: int) -> None:
    twilio.post(MESSAGES).respond(400, json={"code": code, "message": "nope", "status": 400})

    with pytest.raises(SendFailed) as err:
        sender().send(OutgoingMessage(to="+447700900123", body="hi"))

    assert (err.value.retryable, err.value.error_code) == (False, str(code))


def test_a_network_error_is_retryable(twilio: respx.MockRouter) -> None:
    twilio.post(MESSAGES).mock(side_effect=httpx.ConnectError("refused"))

    with pytest.raises(SendFailed) as err:
        sender().send(OutgoingMessage(to="+447700900123", body="hi"))

    assert (err.value.retryable, err.value.error_code) == (True, "network")
