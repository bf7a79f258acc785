"""Sending OutboundMessage rows (cancellation and reschedule notices): claim, send, record."""

from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa
from sqlmodel import col

from bot.errors import SendFailed
from bot.models import OutboundMessage
from bot.phones import mask_phone
from bot.services import Services
from tasks.reminders import retry_delay, write
from tasks.sender import OutgoingMessage

log = logging.getLogger(__name__)

QUEUED, SENDING, SENT, FAILED = "queued", "sending", "sent", "failed"


def send_message_task(outbound_id: int) -> str:
    from tasks import runtime

    return send_message(runtime.current(), outbound_id, limiter=runtime.limiter())


def _update(services: Services, outbound_id: int, from_state: str, **values: object) -> bool:
    with write(services) as s:
        result = s.exec(  # type: ignore[call-overload]
            sa.update(OutboundMessage)
            .where(col(OutboundMessage.id) == outbound_id, col(OutboundMessage.state) == from_state)
            .values(**values))
        return bool(result.rowcount == 1)


def send_message(services: Services, outbound_id: int, *, limiter: object | None = None) -> str:
    with services.db.session() as s:
        m = s.get(OutboundMessage, outbound_id)
    if m is None or m.state != QUEUED:
        return "noop"
    if limiter is not None:
        limiter.acquire()  # type: ignore[attr-defined]
    if not _update(services, outbound_id, QUEUED, state=SENDING,
                   attempts=OutboundMessage.attempts + 1):  # type: ignore[operator]
        return "noop"
    attempts = m.attempts + 1
    try:
        sid = services.sender.send(OutgoingMessage(to=m.to_phone, body=m.body))
    except SendFailed as exc:
        code = exc.error_code or "unknown"
        if exc.retryable and attempts < services.settings.reminder_max_attempts:
            delay = retry_delay(services.settings, attempts)
            _update(services, outbound_id, SENDING, state=QUEUED, error=code)
            later = getattr(services.dispatcher, "send_message_later", None)
            if later is not None:
                later(outbound_id, delay, attempts + 1)
            log.info("message %s attempt %d failed (%s); retrying in %.1fs", outbound_id, attempts, code, delay)
            return "retrying"
        _update(services, outbound_id, SENDING, state=FAILED, error=code)
        log.warning("message %s to %s failed: %s", outbound_id, mask_phone(m.to_phone), code)
        return "failed"
    now: dt.datetime = services.now()
    _update(services, outbound_id, SENDING, state=SENT, message_sid=sid, sent_at=now, error=None)
    log.info("message %s (%s) sent to %s as %s", outbound_id, m.kind, mask_phone(m.to_phone), sid)
    return "sent"
