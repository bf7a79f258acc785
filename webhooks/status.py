"""POST /webhooks/twilio/status: Twilio's delivery callbacks, recorded on the reminder or notice sent.

Signature-checked like every Twilio webhook: over PUBLIC_BASE_URL + path + query
when set, else the request URL; a missing or wrong signature gets 403 and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlmodel import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.models import OutboundMessage, Reminder
from bot.services import Services
from webhooks.signature import verified_form

log = logging.getLogger(__name__)

PATH = "/webhooks/twilio/status"
# A late callback must not move a message backwards (Twilio may deliver them out of order).
RANK = {"accepted": 0, "queued": 1, "sending": 2, "sent": 3, "delivered": 4, "read": 5,
        "undelivered": 6, "failed": 6}


def record_status(services: Services, *, sid: str, status: str, error_code: str | None,
                  now: dt.datetime) -> bool:
    """Record a delivery status on whichever row carries that MessageSid; False if none does."""
    with services.db.write() as s:
        row: Any = s.exec(select(Reminder).where(Reminder.message_sid == sid)).first()
        if row is None:
            row = s.exec(select(OutboundMessage).where(OutboundMessage.message_sid == sid)).first()
        if row is None:
            return False
        if RANK.get(status, 0) >= RANK.get(row.delivery_status or "", -1):
            row.delivery_status = status
            if error_code:
                row.error = error_code
            if isinstance(row, Reminder):
                row.updated_at = now
            s.add(row)
        return True


def status_routes(services: Services) -> list[Route]:
    settings = services.settings

    async def status_callback(request: Request) -> Response:
        params = await verified_form(request, settings)
        if isinstance(params, Response):
            return params
        sid = params.get("MessageSid") or params.get("SmsSid")
        status = (params.get("MessageStatus") or params.get("SmsStatus") or "").lower()
        if not sid or not status:
            return PlainTextResponse("MessageSid and MessageStatus are required", status_code=400)
        found = await run_in_threadpool(record_status, services, sid=sid, status=status,
                                        error_code=params.get("ErrorCode") or None, now=services.now())
        if not found:
            log.info("status %s for unknown message %s", status, sid)
        return Response(status_code=200)  # unknown SIDs too: Twilio would only retry in vain

    return [Route(PATH, status_callback, methods=["POST"])]
