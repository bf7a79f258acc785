"""Sending OutboundMessage rows (cancellation and reschedule notices): claim, send, record.

Like reminders: the claim is a conditional UPDATE (queued/retrying -> sending,
claimed_at=now) that returns the row, so of two workers holding the same id only
one sends; a retry waits in `retrying` until `next_attempt_at`, and a job that
arrives before then does nothing. The reconciler takes back notices stuck in
`sending` (claimed_at too old) and re-enqueues those whose time has come.
"""

from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa
from sqlmodel import col

from bot.errors import SendFailed
from bot.models import OutboundMessage
from bot.phones import mask_phone
from bot.services import Services
from tasks.reminders import EARLY_TOLERANCE, retry_delay
from tasks.sender import OutgoingMessage

log = logging.getLogger(__name__)

QUEUED, SENDING, RETRYING, SENT, FAILED = "queued", "sending", "retrying", "sent", "failed"
CLAIMABLE = (QUEUED, RETRYING)


def send_message_task(outbound_id: int) -> str:
    from tasks import runtime

    return send_message(runtime.current(), outbound_id, limiter=runtime.limiter())


def _finish(services: Services, outbound_id: int, **values: object) -> bool:
    """Record an outcome, only while we still hold the claim (the reconciler may have taken it back)."""
    with services.db.write() as s:
        result = s.exec(  # type: ignore[call-overload]
            sa.update(OutboundMessage)
            .where(col(OutboundMessage.id) == outbound_id, col(OutboundMessage.state) == SENDING)
            .values(**values))
        return bool(result.rowcount == 1)


def _claim(services: Services, outbound_id: int, now: dt.datetime) -> tuple[str, str, str, int] | None:
    """queued/retrying (and not early) -> sending; returns (to_phone, body, kind, attempts) for the winner."""
    not_early = sa.or_(col(OutboundMessage.state) == QUEUED,
                       col(OutboundMessage.next_attempt_at).is_(None),
                       col(OutboundMessage.next_attempt_at) <= now + EARLY_TOLERANCE)
    with services.db.write() as s:
        row = s.exec(  # type: ignore[call-overload]
            sa.update(OutboundMessage)
            .where(col(OutboundMessage.id) == outbound_id, col(OutboundMessage.state).in_(CLAIMABLE),
                   not_early)
            .values(state=SENDING, attempts=OutboundMessage.attempts + 1,  # type: ignore[operator]
                    claimed_at=now)
            .returning(col(OutboundMessage.to_phone), col(OutboundMessage.body), col(OutboundMessage.kind),
                       col(OutboundMessage.attempts))).first()
    return None if row is None else (row[0], row[1], row[2], row[3])


def send_message(services: Services, outbound_id: int, *, limiter: object | None = None) -> str:
    """Send one queued message if this job wins its claim; what happened ("sent", "retrying",
    "failed", or "noop" when there was nothing to do). A job with nothing to do takes no send slot."""
    claimed = _claim(services, outbound_id, services.now())
    if claimed is None:
        return "noop"  # sent, claimed elsewhere, or a retry whose time has not come
    to_phone, body, kind, attempts = claimed
    if limiter is not None:
        limiter.acquire()  # type: ignore[attr-defined]
    try:
        sid = services.sender.send(OutgoingMessage(to=to_phone, body=body))
    except SendFailed as exc:
        return _failed(services, outbound_id, to_phone, attempts, exc)
    except Exception as exc:  # noqa: BLE001 - unknown: assume it may pass, bounded by attempts
        log.exception("message %s: unexpected send error", outbound_id)
        return _failed(services, outbound_id, to_phone, attempts,
                       SendFailed(str(exc), retryable=True, error_code="unexpected"))
    now: dt.datetime = services.now()
    if not _finish(services, outbound_id, state=SENT, message_sid=sid, sent_at=now, error=None,
                   next_attempt_at=None):
        log.error("message %s sent as %s but its claim was taken back", outbound_id, sid)
    log.info("message %s (%s) sent to %s as %s", outbound_id, kind, mask_phone(to_phone), sid)
    return "sent"


def _failed(services: Services, outbound_id: int, to_phone: str, attempts: int, exc: SendFailed) -> str:
    code = exc.error_code or "unknown"
    if exc.retryable and attempts < services.settings.reminder_max_attempts:
        delay = retry_delay(services.settings, attempts)
        next_at = services.now() + dt.timedelta(seconds=delay)
        _finish(services, outbound_id, state=RETRYING, next_attempt_at=next_at, error=code)
        try:
            services.dispatcher.send_message_later(outbound_id, delay, attempts + 1)
        except Exception:  # noqa: BLE001 - the reconciler re-enqueues due retries
            log.exception("could not enqueue the retry of message %s", outbound_id)
        log.info("message %s attempt %d failed (%s); retrying in %.1fs", outbound_id, attempts, code, delay)
        return "retrying"
    _finish(services, outbound_id, state=FAILED, error=code)
    log.warning("message %s to %s failed: %s", outbound_id, mask_phone(to_phone), code)
    return "failed"
