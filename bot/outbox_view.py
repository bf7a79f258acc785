"""What we sent to one number on our own initiative: `GET /api/messages?to=+E164&after=<cursor>`.

Sent `OutboundMessage` rows (cancellation and reschedule notices) and sent
`Reminder` rows, merged in the order they went out. Reminders store no text, so
theirs is rendered again here from the booking, with `now` = the time it was
sent — the same function the worker used, so the words match (a reminder sent
before the booking was moved is described, not re-rendered: the old time is gone).

The cursor is the `sentAt` of the last item seen. A row's `sent_at` is stamped a
moment before its transaction commits, so each page re-reads a short overlap
before the cursor; items carry a stable `id` and clients skip the ones they have.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot import messages
from bot.api import Api, error, iso_local
from bot.models import Booking, OutboundMessage, Reminder, ReminderState, as_utc
from bot.phones import InvalidPhone, normalize_phone
from bot.services import Services
from bot.shop import Shop

OVERLAP = dt.timedelta(seconds=10)
DEFAULT_LIMIT = 100
MAX_LIMIT = 500
SENT = "sent"


@dataclass(frozen=True)
class SentItem:
    id: str
    kind: str
    to: str
    body: str
    sent_at: dt.datetime
    message_sid: str | None
    delivery_status: str | None
    booking_id: int | None

    def to_json(self, shop: Shop) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "to": self.to, "body": self.body,
                "sentAt": iso_local(shop, self.sent_at), "messageSid": self.message_sid,
                "deliveryStatus": self.delivery_status, "bookingId": self.booking_id}


def reminder_text(shop: Shop, reminder: Reminder, booking: Booking) -> str:
    sent = reminder.sent_at or reminder.due_at
    if reminder.revision != booking.revision:
        return (f"Reminder about booking {booking.code} (sent before it was changed; "
                f"now {messages.fmt_slot(shop, booking.start_at)}).")
    return messages.reminder(shop, service=booking.service, barber=booking.barber,
                             start=booking.start_at, code=booking.code, now=sent)


def sent_to(s: Session, shop: Shop, *, phone: str, after: dt.datetime | None,
            limit: int = DEFAULT_LIMIT) -> list[SentItem]:
    """Sent messages to `phone`, oldest first: after `after` (minus the overlap), or the latest `limit`."""
    notices = select(OutboundMessage).where(col(OutboundMessage.to_phone) == phone,
                                            col(OutboundMessage.state) == SENT,
                                            col(OutboundMessage.sent_at).is_not(None))
    reminders = (select(Reminder, Booking).join(Booking, col(Booking.id) == col(Reminder.booking_id))
                 .where(col(Booking.customer_phone) == phone, col(Reminder.state) == ReminderState.SENT,
                        col(Reminder.sent_at).is_not(None)))
    if after is not None:
        since = after - OVERLAP
        notices = notices.where(col(OutboundMessage.sent_at) > since).order_by(col(OutboundMessage.sent_at))
        reminders = reminders.where(col(Reminder.sent_at) > since).order_by(col(Reminder.sent_at))
    else:
        notices = notices.order_by(col(OutboundMessage.sent_at).desc())
        reminders = reminders.order_by(col(Reminder.sent_at).desc())
    items = [SentItem(f"message-{m.id}", m.kind, m.to_phone, m.body, m.sent_at, m.message_sid,  # type: ignore[arg-type]
                      m.delivery_status, m.booking_id)
             for m in s.exec(notices.limit(limit)).all()]
    for r, b in s.exec(reminders.limit(limit)).all():
        items.append(SentItem(f"reminder-{r.id}", "reminder", b.customer_phone, reminder_text(shop, r, b),
                              r.sent_at, r.message_sid, r.delivery_status, b.id))  # type: ignore[arg-type]
    items.sort(key=lambda i: (i.sent_at, i.id))
    return items[:limit] if after is not None else items[-limit:] if limit else []


def latest_sent_at(s: Session, *, phone: str) -> dt.datetime | None:
    a = s.exec(select(func.max(OutboundMessage.sent_at)).where(
        col(OutboundMessage.to_phone) == phone, col(OutboundMessage.state) == SENT)).one()
    b = s.exec(select(func.max(Reminder.sent_at)).join(Booking, col(Booking.id) == col(Reminder.booking_id))
               .where(col(Booking.customer_phone) == phone, col(Reminder.state) == ReminderState.SENT)).one()
    # func.max bypasses the column type on some dialects: normalise to aware UTC
    found = [as_utc(x) for x in (a, b) if x is not None]
    return max(found) if found else None


def _cursor(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat(timespec="microseconds")


def page(services: Services, *, phone: str, after: dt.datetime | None, limit: int) -> dict[str, Any]:
    shop = services.shop
    with services.db.session() as s:
        items = sent_to(s, shop, phone=phone, after=after, limit=limit)
        if items:
            cursor = max(items[-1].sent_at, after) if after else items[-1].sent_at
        elif after is not None:
            cursor = after
        else:
            # nothing newer has been sent: "now" is a safe start (the overlap covers late commits)
            cursor = latest_sent_at(s, phone=phone) or services.now()
    return {"to": phone, "cursor": _cursor(cursor), "messages": [i.to_json(shop) for i in items]}


def message_routes(services: Services) -> list[Route]:
    api = Api(services)

    async def list_messages(request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool

        q = request.query_params
        try:
            phone = normalize_phone(q.get("to", ""))
        except InvalidPhone:
            return error(422, "validation_error", "to: an E.164 number is required, e.g. %2B447700900123")
        after = None
        if q.get("after"):
            try:
                after = as_utc(dt.datetime.fromisoformat(q["after"].replace(" ", "+")))
            except ValueError:
                return error(422, "validation_error", "after: a cursor from a previous response")
        raw_limit = q.get("limit", str(DEFAULT_LIMIT))
        if not raw_limit.isdigit() or int(raw_limit) > MAX_LIMIT:
            return error(422, "validation_error", f"limit: a number from 0 to {MAX_LIMIT}")
        body = await run_in_threadpool(page, services, phone=phone, after=after, limit=int(raw_limit))
        return JSONResponse(body)

    return [Route("/api/messages", api.guard(list_messages), methods=["GET"])]
