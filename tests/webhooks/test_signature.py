"""Our signature check accepts exactly what Twilio's own RequestValidator accepts."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from webhooks.signature import is_valid, sign

TOKEN = "test-auth-token"
urls = st.sampled_from([
    "http://testserver/webhooks/twilio", "http://127.0.0.1:8000/webhooks/twilio",
    "https://abc.ngrok.app/webhooks/twilio?shop=1", "https://abc.ngrok.app:443/webhooks/twilio",
    "http://example.com:80/webhooks/twilio", "HTTPS://Shop.example/webhooks/twilio#x",
])
forms = st.dictionaries(st.sampled_from(["From", "To", "Body", "MessageSid", "ProfileName", "WaId", "é"]),
                        st.text(max_size=40), max_size=7)


def _twilio_says(url: str, params: dict[str, str], signature: str) -> bool:
    return bool(RequestValidator(TOKEN).validate(url, dict(params), signature))


@settings(max_examples=300, deadline=None)
@given(url=urls, signed_over=urls, params=forms, tamper=st.booleans())
def test_signature_check_agrees_with_twilios_validator(url: str, signed_over: str, params: dict[str, str],
                                                       tamper: bool) -> None:
    signature = sign(TOKEN, signed_over, params)
    if tamper:
        signature = signature[:-2] + ("AA=" if not signature.endswith("AA=") else "BB=")[-2:]
    assert is_valid(TOKEN, url, params, signature) == _twilio_says(url, params, signature)


def test_a_signature_over_the_url_without_its_port_is_accepted_as_twilio_does() -> None:
    params = {"Body": "hi", "MessageSid": "SM1"}
    signature = sign(TOKEN, "https://abc.ngrok.app/webhooks/twilio", params)
    assert is_valid(TOKEN, "https://abc.ngrok.app:443/webhooks/twilio", params, signature)


def test_no_signature_or_no_token_is_never_valid() -> None:
    params = {"Body": "hi"}
    assert not is_valid(TOKEN, "http://testserver/webhooks/twilio", params, None)
    assert not is_valid("", "http://testserver/webhooks/twilio", params, sign(TOKEN, "http://testserver/", params))
