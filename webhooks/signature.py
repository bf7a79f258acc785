"""What every Twilio webhook does first: read the form within the size limit and check
X-Twilio-Signature with twilio's own `RequestValidator`.

The signature is computed over PUBLIC_BASE_URL + path + query when that is set (ngrok, reverse
proxies: the URL Twilio called), else over the URL the request came to.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from twilio.request_validator import RequestValidator

from bot.settings import Settings

log = logging.getLogger(__name__)


def signed_url(public_base_url: str | None, request: Request) -> str:
    """The URL Twilio signed: PUBLIC_BASE_URL + path + query when set, else the request's URL."""
    if public_base_url:
        query = request.url.query
        return public_base_url.rstrip("/") + request.url.path + (f"?{query}" if query else "")
    return str(request.url)


def sign(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """The signature Twilio would send (tests, the bench and `barberbot chat` use this)."""
    return str(RequestValidator(auth_token).compute_signature(url, dict(params)))


async def verified_form(request: Request, settings: Settings) -> dict[str, str] | Response:
    """The request's form fields, or the 4xx response for a request that is not a signed Twilio
    form: 413 past MAX_BODY_BYTES, 400 for a body that is not a form, 403 for a missing or wrong
    signature. Without TWILIO_AUTH_TOKEN (development only; warned at start) nothing is checked."""
    limit = settings.max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        return PlainTextResponse("body too large", status_code=413)
    if len(await request.body()) > limit:
        return PlainTextResponse("body too large", status_code=413)
    try:
        form = {key: str(value) for key, value in (await request.form()).items()}
    except Exception:  # noqa: BLE001 - whatever the parser makes of a malformed body: the caller's problem
        return PlainTextResponse("bad form body", status_code=400)
    token = settings.auth_token
    if not token:
        if settings.barberbot_env == "production":
            return PlainTextResponse("invalid signature", status_code=403)
        return form
    url = signed_url(settings.public_base_url, request)
    signature = request.headers.get("x-twilio-signature", "")
    if signature and RequestValidator(token).validate(url, form, signature):
        return form
    log.warning("rejected a webhook with a %s signature (validated against %s)",
                "wrong" if signature else "missing", url)
    return PlainTextResponse("invalid signature", status_code=403)
