"""The REST API (SPEC §6): thin handlers — verify, parse into a typed value, call one service, render."""

from __future__ import annotations

import datetime as dt
import hmac
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import func
from sqlmodel import col, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.errors import BarberbotError, InvalidBooking, NotFound
from bot.models import Booking, BookingStatus, Reminder, ReminderState
from bot.phones import InvalidPhone, normalize_phone
from bot.services import Services
from bot.shop import Shop

MAX_ID = 2**31 - 1  # booking ids are INTEGER columns


def error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


# dates a query may name (the shop's local days around them must be representable)
MIN_DATE, MAX_DATE = dt.date(2000, 1, 1), dt.date(2999, 12, 31)


class BookingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    customer_phone: str = Field(max_length=40)
    customer_name: str | None = Field(default=None, max_length=100)
    service: str = Field(min_length=1, max_length=40)
    barber: str | None = Field(default=None, max_length=40)
    start: dt.datetime

    @field_validator("start")
    @classmethod
    def _aware(cls, v: dt.datetime) -> dt.datetime:
        if v.tzinfo is None:
            raise ValueError("start needs a time zone offset, e.g. 2026-12-01T15:00:00+00:00")
        return v


class BookingPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    start: dt.datetime | None = None
    service: str | None = Field(default=None, min_length=1, max_length=40)
    barber: str | None = Field(default=None, min_length=1, max_length=40)

    @field_validator("start")
    @classmethod
    def _aware(cls, v: dt.datetime | None) -> dt.datetime | None:
        if v is not None and v.tzinfo is None:
            raise ValueError("start needs a time zone offset")
        return v


def iso_local(shop: Shop, when: dt.datetime | None) -> str | None:
    return when.astimezone(shop.tz).isoformat() if when else None


def booking_json(shop: Shop, b: Booking) -> dict[str, Any]:
    return {
        "id": b.id, "code": b.code, "status": b.status,
        "customer_phone": b.customer_phone, "customer_name": b.customer_name, "guest_name": b.guest_name,
        "service": b.service, "barber": b.barber,
        "start": iso_local(shop, b.start_at), "end": iso_local(shop, b.end_at),
        "revision": b.revision, "cancel_reason": b.cancel_reason,
        "created_at": iso_local(shop, b.created_at), "updated_at": iso_local(shop, b.updated_at),
    }


def reminder_json(shop: Shop, r: Reminder) -> dict[str, Any]:
    """A reminder row as the API shows it; one still waiting whose time falls in the shop's quiet
    hours is shown as it will end: `skipped`, error "quiet hours"."""
    state, error = r.state, r.error
    if state == ReminderState.SCHEDULED and shop.in_quiet_hours(r.due_at):
        state, error = ReminderState.SKIPPED, "quiet hours"
    return {
        "jobId": r.job_id, "state": state, "scheduledFor": iso_local(shop, r.due_at),
        "attempts": r.attempts, "sentAt": iso_local(shop, r.sent_at), "messageSid": r.message_sid,
        "deliveryStatus": r.delivery_status, "error": error,
    }


def planned_json(shop: Shop, job_id: str, due: dt.datetime) -> dict[str, Any]:
    """A reminder of the plan not yet written as a row: `planned`, or `skipped` in quiet hours."""
    quiet = shop.in_quiet_hours(due)
    return {"jobId": job_id, "state": ReminderState.SKIPPED if quiet else "planned",
            "scheduledFor": iso_local(shop, due), "attempts": 0, "sentAt": None, "messageSid": None,
            "deliveryStatus": None, "error": "quiet hours" if quiet else None}


def _validation_message(exc: ValidationError) -> str:
    parts = []
    for e in exc.errors():
        loc = ".".join(str(x) for x in e["loc"]) or "body"
        parts.append(f"{loc}: {e['msg'].removeprefix('Value error, ')}")
    return "; ".join(parts)


class Api:
    def __init__(self, services: Services) -> None:
        self.s = services
        key = services.settings.api_key
        self._key = key.get_secret_value() if key else None

    # -- plumbing -------------------------------------------------------------

    def _authorised(self, request: Request) -> bool:
        if self._key is None:
            return self.s.settings.barberbot_env != "production"
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), self._key.encode())

    async def _body(self, request: Request, model: type[BaseModel]) -> Any:
        raw = await request.body()
        if len(raw) > self.s.settings.max_body_bytes:
            raise BarberbotError("request body too large", code="too_large")
        try:
            data = json.loads(raw or b"null")
        except (ValueError, UnicodeDecodeError) as exc:
            raise BarberbotError("body is not valid JSON", code="bad_json") from exc
        if not isinstance(data, dict):
            raise BarberbotError("body must be a JSON object", code="bad_json")
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise InvalidBooking(_validation_message(exc), code="validation_error") from exc

    def guard(self, handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            if not self._authorised(request):
                return error(401, "unauthorized", "missing or wrong bearer token")
            try:
                return await handler(request)
            except BarberbotError as exc:
                status = 413 if exc.code == "too_large" else exc.status
                return error(status, exc.code, exc.message)
        return endpoint

    def _booking_id(self, request: Request) -> int:
        raw = request.path_params["id"]
        # ids are 32-bit INTEGER columns: a larger number is no booking (PostgreSQL would raise)
        if not raw.isdigit() or len(raw) > 10 or int(raw) > MAX_ID:
            raise NotFound(f"no booking {raw[:40]}")
        return int(raw)

    # -- endpoints ------------------------------------------------------------

    async def create_booking(self, request: Request) -> Response:
        body: BookingCreate = await self._body(request, BookingCreate)
        b = await _run(self.s.bookings.create, customer_phone=body.customer_phone,
                       customer_name=body.customer_name, service=body.service,
                       barber=body.barber, start=body.start)
        return JSONResponse(booking_json(self.s.shop, b), status_code=201)

    async def get_booking(self, request: Request) -> Response:
        """The booking, with `customer_no_shows`: how many of its customer's bookings were no-shows."""
        b = await _run(self.s.bookings.get, self._booking_id(request))
        no_shows = await _run(self.s.bookings.list, customer_phone=b.customer_phone, status=BookingStatus.NO_SHOW)
        return JSONResponse({**booking_json(self.s.shop, b), "customer_no_shows": len(no_shows)})

    async def list_bookings(self, request: Request) -> Response:
        q = request.query_params
        date = None
        if q.get("date"):
            try:
                date = dt.date.fromisoformat(q["date"])
            except ValueError as exc:
                raise InvalidBooking("date: expected YYYY-MM-DD", code="validation_error") from exc
        status = q.get("status") or None
        if status and status not in BookingStatus.ALL:
            raise InvalidBooking(f"status: one of {', '.join(BookingStatus.ALL)}", code="validation_error")
        phone = None
        if q.get("customer_phone"):
            try:
                phone = normalize_phone(q["customer_phone"])
            except InvalidPhone as exc:
                raise InvalidBooking("customer_phone: not an E.164 number", code="validation_error") from exc
        shop = self.s.shop
        barber = q.get("barber") or None
        if barber is not None and shop.barber(barber) is None:
            raise InvalidBooking(f"barber: not one of {', '.join(b.key for b in shop.barbers)}", code="validation_error")
        if date is not None and not MIN_DATE <= date <= MAX_DATE:
            raise InvalidBooking(f"date: between {MIN_DATE} and {MAX_DATE}", code="validation_error")
        items = await _run(self.s.bookings.list, date=date, barber=barber, status=status, customer_phone=phone)
        return JSONResponse([booking_json(shop, b) for b in items])

    async def patch_booking(self, request: Request) -> Response:
        bid = self._booking_id(request)
        body: BookingPatch = await self._body(request, BookingPatch)
        b = await _run(self.s.bookings.reschedule, bid, start=body.start, service=body.service,
                       barber=body.barber, notify=True)
        return JSONResponse(booking_json(self.s.shop, b))

    async def delete_booking(self, request: Request) -> Response:
        bid = self._booking_id(request)
        reason = request.query_params.get("reason")
        b = await _run(self.s.bookings.cancel, bid, reason=reason[:200] if reason else None, notify=True)
        return JSONResponse(booking_json(self.s.shop, b))

    async def booking_reminders(self, request: Request) -> Response:
        bid = self._booking_id(request)
        booking = await _run(self.s.bookings.get, bid)
        rows = await _run(self.s.bookings.reminder_rows, bid)
        shop = self.s.shop
        out = [reminder_json(shop, r) for r in rows]
        # the rest of the plan, not yet written as rows (the reconciler writes it six hours ahead)
        out += [planned_json(shop, job, due)
                for job, due in self.s.bookings.planned_reminders(booking, limit=max(0, 200 - len(out)))]
        return JSONResponse(out)

    async def availability(self, request: Request) -> Response:
        q = request.query_params
        try:
            day = dt.date.fromisoformat(q.get("date", ""))
        except ValueError as exc:
            raise InvalidBooking("date: expected YYYY-MM-DD", code="validation_error") from exc
        service = q.get("service")
        if not service:
            raise InvalidBooking("service: required", code="validation_error")
        if not MIN_DATE <= day <= MAX_DATE:
            raise InvalidBooking(f"date: between {MIN_DATE} and {MAX_DATE}", code="validation_error")
        slots = await _run(self.s.bookings.availability, day=day, service=service,
                           barber=q.get("barber") or None)
        shop = self.s.shop
        return JSONResponse({
            "date": day.isoformat(), "service": service, "timezone": shop.timezone,
            "slots": [{"start": iso_local(shop, sl.start), "barber": sl.barber} for sl in slots],
        })

    async def queue_stats(self, request: Request) -> Response:
        return JSONResponse(await _run(queue_stats, self.s))

    def routes(self) -> list[Route]:
        g = self.guard
        return [
            Route("/api/bookings", g(self.create_booking), methods=["POST"]),
            Route("/api/bookings", g(self.list_bookings), methods=["GET"]),
            Route("/api/bookings/{id}", g(self.get_booking), methods=["GET"]),
            Route("/api/bookings/{id}", g(self.patch_booking), methods=["PATCH"]),
            Route("/api/bookings/{id}", g(self.delete_booking), methods=["DELETE"]),
            Route("/api/bookings/{id}/reminders", g(self.booking_reminders), methods=["GET"]),
            Route("/api/availability", g(self.availability), methods=["GET"]),
            Route("/api/queue/stats", g(self.queue_stats), methods=["GET"]),
        ]


async def _run(fn: Any, *args: Any, **kwargs: Any) -> Any:
    return await run_in_threadpool(fn, *args, **kwargs)


def queue_stats(services: Services) -> dict[str, int]:
    """Reminder counts by where they stand, from the database (the source of truth)."""
    now = services.clock()
    pending = (ReminderState.SCHEDULED, ReminderState.RETRYING)
    with services.db.session() as s:
        by_state = dict(s.exec(select(Reminder.state, func.count()).group_by(Reminder.state)).all())
        due = s.exec(select(func.count()).select_from(Reminder).where(
            col(Reminder.state).in_(pending), Reminder.due_at <= now)).one()
    waiting_all = sum(by_state.get(p, 0) for p in pending)
    out = {
        "waiting": due,
        "active": by_state.get(ReminderState.SENDING, 0),
        "completed": by_state.get(ReminderState.SENT, 0),
        "failed": by_state.get(ReminderState.FAILED, 0),
        "delayed": waiting_all - due,
    }
    return out
