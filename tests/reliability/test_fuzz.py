"""The API fuzzed from its own /openapi.json (schemathesis) and the webhook fuzzed with signed and
unsigned random forms (hypothesis), against the live server: no 5xx, nothing let in unsigned."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from livestack import API_KEY, Stack

from webhooks.signature import sign


@pytest.fixture
def api_schema(stack: Stack) -> Any:
    return schemathesis.openapi.from_url(stack.url + "/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_answers_5xx(case: Any, stack: Stack) -> None:
    response = case.call(base_url=stack.url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30)
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:300])


text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=200)
forms = st.fixed_dictionaries(
    {"From": st.one_of(text, st.just("whatsapp:+447700900321"), st.from_regex(r"whatsapp:\+[0-9]{6,15}",
                                                                               fullmatch=True)),
     "Body": text,
     "MessageSid": st.one_of(st.from_regex(r"SM[0-9a-f]{32}", fullmatch=True), text)},
    optional={"To": text, "ProfileName": text, "WaId": text, "ButtonPayload": text, "NumMedia": text})


@given(form=forms, signed=st.booleans())
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_webhook_random_forms_never_5xx_and_unsigned_never_accepted(stack: Stack, form: dict[str, str],
                                                                    signed: bool) -> None:
    headers = {"X-Twilio-Signature": sign("reliability-auth-token", stack.url + "/webhooks/twilio", form)
               if signed else sign("wrong-token", stack.url + "/webhooks/twilio", form)}
    r = httpx.post(stack.url + "/webhooks/twilio", data=form, headers=headers, timeout=30)
    assert r.status_code < 500, r.text[:300]
    if not signed:
        assert r.status_code == 403
