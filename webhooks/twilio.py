"""POST /webhooks/twilio: verify, parse, deduplicate by MessageSid, run one chat turn, answer TwiML.

Thin on purpose: the conversation lives in `bot.dialogue`. Whatever breaks inside, Twilio gets a
200 with a polite apology (never a 500 or a traceback); bad requests get 4xx and change nothing.
"""

from __future__ import annotations

import logging
import re
import time
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.customers import touch_inbound
from bot.dialogue import ChatEngine
from bot.dialogue import replies as r
from bot.models import InboundMessage
from bot.phones import InvalidPhone, mask_phone, normalize_phone
from bot.services import Services

from .signature import is_valid, signed_url

log = logging.getLogger(__name__)
XML = "application/xml"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
REPLAY_WAIT_SECONDS = 15.0


def twiml(messages: list[str]) -> str:
    body = "".join(f"<Message>{escape(_NOT_XML.sub('', m))}</Message>" for m in messages if m)
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>'


class TooLarge(Exception):
    pass


async def read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise TooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def parse_form(raw: bytes) -> dict[str, str]:
    """application/x-www-form-urlencoded -> dict; ValueError when it is not that."""
    text = raw.decode("utf-8")  # UnicodeDecodeError is a ValueError
    return dict(parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text), errors="strict"))


class TwilioWebhook:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.engine = ChatEngine(services)
        settings = services.settings
        if not settings.auth_token:
            log.warning("TWILIO_AUTH_TOKEN is not set: webhook signatures are NOT checked (development only)")

    async def endpoint(self, request: Request) -> Response:
        settings = self.services.settings
        try:
            raw = await read_limited(request, settings.max_body_bytes)
        except TooLarge:
            return Response("body too large", status_code=413, media_type="text/plain")
        try:
            form = parse_form(raw)
        except ValueError:
            return Response("bad form body", status_code=400, media_type="text/plain")
        if not self._signature_ok(request, form):
            return Response("invalid signature", status_code=403, media_type="text/plain")
        sid, sender = form.get("MessageSid") or form.get("SmsMessageSid"), form.get("From", "")
        if not sid or len(sid) > 64:
            return Response("MessageSid is required", status_code=400, media_type="text/plain")
        try:
            phone = normalize_phone(sender)
        except InvalidPhone:
            return Response("From is not a phone number", status_code=400, media_type="text/plain")
        body = form.get("Body", "") or form.get("ButtonPayload", "") or form.get("ButtonText", "")
        name = (form.get("ProfileName") or "").strip()[:80] or None
        try:
            xml = await run_in_threadpool(self._handle, sid, phone, body, name)
        except Exception:  # noqa: BLE001 - Twilio must always get a polite answer
            log.exception("webhook turn failed for %s (%s)", mask_phone(phone), sid)
            xml = twiml([r.APOLOGY])
        return Response(xml, media_type=XML)

    def _signature_ok(self, request: Request, form: dict[str, str]) -> bool:
        settings = self.services.settings
        token = settings.auth_token
        if not token:
            # development without a token: accepted (warned at start-up); production never
            return settings.barberbot_env != "production"
        url = signed_url(settings.public_base_url, str(request.url), request.url.path, request.url.query)
        if is_valid(token, url, form, request.headers.get("x-twilio-signature")):
            return True
        log.warning("rejected a webhook with a %s signature (validated against %s)",
                    "missing" if not request.headers.get("x-twilio-signature") else "wrong", url)
        return False

    def _handle(self, sid: str, phone: str, body: str, name: str | None) -> str:
        """Claim the MessageSid (insert first), run the turn once, store and return the TwiML."""
        db, now = self.services.db, self.services.now()
        try:
            with db.write() as s:
                s.add(InboundMessage(message_sid=sid, phone=phone, body=body[:4000], created_at=now))
                s.flush()
                touch_inbound(s, phone=phone, now=now, name=name)
        except IntegrityError:
            log.info("redelivery of %s from %s: replaying", sid, mask_phone(phone))
            return self._replay(sid)
        try:
            xml = twiml(self.engine.turn(phone=phone, text=body, name=name))
        except Exception:  # noqa: BLE001
            log.exception("chat turn failed for %s (%s)", mask_phone(phone), sid)
            xml = twiml([r.APOLOGY])
        with db.write() as s:
            row = s.get(InboundMessage, sid)
            if row is not None:
                row.reply = xml
                s.add(row)
        return xml

    def _replay(self, sid: str) -> str:
        deadline = time.monotonic() + REPLAY_WAIT_SECONDS
        delay = 0.01
        while True:
            with self.services.db.session() as s:
                row = s.get(InboundMessage, sid)
                reply = row.reply if row else None
            if reply is not None:
                return reply
            if time.monotonic() > deadline:
                return twiml([])  # the first delivery is still working; it will answer
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


def twilio_routes(services: Services) -> list[Route]:
    return [Route("/webhooks/twilio", TwilioWebhook(services).endpoint, methods=["POST"])]
