"""POST /webhooks/twilio: an incoming WhatsApp message, answered with TwiML.

Verify (`signature.verified_form`), parse into an `Inbound`, and run `inbound.answer` in the
threadpool. Bad requests get 4xx and change nothing; whatever breaks inside, Twilio gets a 200
with a polite apology, never a 500 or a traceback.
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.dialogue import ChatEngine
from bot.dialogue import replies as r
from bot.phones import InvalidPhone, mask_phone, normalize_phone
from bot.services import Services

from .inbound import Inbound, answer, twiml
from .signature import verified_form

log = logging.getLogger(__name__)
PATH = "/webhooks/twilio"
MAX_SID = 64


def twilio_routes(services: Services) -> list[Route]:
    engine = ChatEngine(services)
    if not services.settings.auth_token:
        log.warning("TWILIO_AUTH_TOKEN is not set: webhook signatures are NOT checked (development only)")

    async def incoming_message(request: Request) -> Response:
        form = await verified_form(request, services.settings)
        if isinstance(form, Response):
            return form
        sid = form.get("MessageSid") or form.get("SmsMessageSid")
        if not sid or len(sid) > MAX_SID:
            return PlainTextResponse("MessageSid is required", status_code=400)
        try:
            phone = normalize_phone(form.get("From", ""))
        except InvalidPhone:
            return PlainTextResponse("From is not a phone number", status_code=400)
        body = form.get("Body") or form.get("ButtonPayload") or form.get("ButtonText") or ""
        name = (form.get("ProfileName") or "").strip()[:80] or None
        try:
            xml = await run_in_threadpool(answer, services, engine, Inbound(sid, phone, body, name))
        except Exception:  # noqa: BLE001 - Twilio must always get a polite answer
            log.exception("webhook turn failed for %s (%s)", mask_phone(phone), sid)
            xml = twiml([r.APOLOGY])
        return Response(xml, media_type="application/xml")

    return [Route(PATH, incoming_message, methods=["POST"])]
