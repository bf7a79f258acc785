"""The edge of the dialogue: one turn inside the caller's write transaction.

`ChatEngine.handle(s, phone=..., text=...)` loads the customer's conversation, understands the
message, runs the transition table (`flow.step`, pure), carries out the actions it asks for
through the BookingService in the same transaction, and saves the conversation; it returns the
replies. A barber's message (their phone is in the shop file) that is a command goes to
`barber_engine.run_barber_turn` instead.
`ChatEngine.turn(...)` does the same in a transaction of its own, with no MessageSid (tests).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import overload

import sqlalchemy as sa
from sqlmodel import Session

from bot.availability import Slot
from bot.customers import set_reminders_paused
from bot.errors import Conflict, InvalidBooking, NotFound, SlotTaken
from bot.models import Booking, BookingStatus, Conversation, Reminder
from bot.nlu.understand import understand
from bot.phones import mask_phone
from bot.services import Services
from bot.shop import Shop

from . import replies as r
from . import staff
from .barber_engine import barber_command, run_barber_turn
from .flow import recover, step
from .model import (
    IDLE,
    Action,
    Book,
    BookingView,
    CancelBooking,
    Context,
    Convo,
    Handoff,
    Move,
    NotifyStaff,
    PauseReminders,
    Resume,
    State,
    read_convo,
)
from .staff import save_conversation

log = logging.getLogger(__name__)
MAX_TEXT = 2000
UPCOMING_LIMIT = 20


class LazyBookings(Sequence[BookingView]):
    """The customer's upcoming confirmed bookings, read on first use (most turns never look)."""

    def __init__(self, load: Callable[[], list[BookingView]]) -> None:
        self._load = load
        self._rows: list[BookingView] | None = None

    @property
    def rows(self) -> list[BookingView]:
        if self._rows is None:
            self._rows = self._load()
        return self._rows

    @overload
    def __getitem__(self, i: int) -> BookingView: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[BookingView]: ...
    def __getitem__(self, i: int | slice) -> BookingView | Sequence[BookingView]:
        return self.rows[i]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[BookingView]:
        return iter(self.rows)

    def __bool__(self) -> bool:
        return bool(self.rows)


class ChatEngine:
    def __init__(self, services: Services) -> None:
        self.services = services

    def turn(self, *, phone: str, text: str, name: str | None = None) -> list[str]:
        """One incoming message from `phone` (E.164) in a write transaction of its own; the replies."""
        with self.services.db.write() as s:
            return self.handle(s, phone=phone, text=text, name=name)

    def handle(self, s: Session, *, phone: str, text: str, name: str | None = None) -> list[str]:
        """One incoming message, inside the caller's write transaction `s`: the conversation is
        read and saved, and bookings are changed, in `s`; the queue hears of them after it commits.
        Returns the replies to send back."""
        services = self.services
        now, shop = services.now(), services.shop
        text = (text or "").strip()
        if not text:
            return [r.NOT_TEXT]
        if len(text) > MAX_TEXT:
            return [r.TOO_LONG]
        before = self._load(s, phone, now)
        barber = shop.barber_by_phone(phone)
        if barber is not None:
            command = barber_command(before, text, shop=shop, now=now, bookings=services.bookings, session=s)
            if command is not None:
                log.info("barber %s: %s", barber.key, type(command).__name__)
                replies, convo = run_barber_turn(services.bookings, barber, shop, before, command, now, session=s)
                if convo != before or convo.state != State.IDLE:
                    save_conversation(s, phone, convo, now)
                return replies
        u = understand(text, now=now, shop=shop)
        out = step(before, u, dataclasses.replace(self._context(s, phone, shop, now), written=text), now)
        replies, convo = list(out.replies), out.convo
        for action in out.actions:
            more, convo = self._act(s, action, convo, phone, name, shop, now)
            replies.extend(more)
        if convo != before or convo.state != State.IDLE:
            save_conversation(s, phone, convo, now)
        log.info("turn from %s: %s -> %s (%s)", mask_phone(phone), u.intent.value, convo.state.value,
                 ",".join(type(a).__name__ for a in out.actions) or "-")
        return replies

    # -- facts for the core ------------------------------------------------------

    def _context(self, s: Session, phone: str, shop: Shop, now: dt.datetime) -> Context:
        bookings_service = self.services.bookings

        def load() -> list[BookingView]:
            return [BookingView(*row) for row in s.execute(_UPCOMING, {"phone": phone, "now": now})]

        bookings = LazyBookings(load)

        def reminded() -> int | None:
            """The booking of theirs a reminder was sent about within the last interval."""
            if not bookings:
                return None
            since = now - dt.timedelta(seconds=self.services.settings.reminder_interval_seconds)
            return s.execute(_REMINDED, {"ids": [b.id for b in bookings], "since": since}).scalar()

        found: dict[tuple[dt.date, str, str | None, int | None], list[Slot]] = {}

        def free(day: dt.date, service: str, barber: str | None, exclude: int | None) -> list[Slot]:
            key = (day, service, barber, exclude)
            if key not in found:  # a turn may ask about the same day more than once
                found[key] = bookings_service.free(s, day=day, service=service, barber=barber,
                                                   exclude_booking=exclude)
            return found[key]

        def time_off(barber: str, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
            return [(t.start_at, t.end_at) for t in bookings_service.time_off(barber=barber, start=start, end=end, session=s)]

        return Context(shop=shop, now=now, phone=phone, bookings=bookings, free=free, reminded=reminded,
                       time_off=time_off,
                       facts=staff.customer_facts(self.services, phone, s))

    # -- the conversation row ------------------------------------------------------

    def _load(self, s: Session, phone: str, now: dt.datetime) -> Convo:
        row = s.execute(_LOAD, {"phone": phone}).first()
        if row is None:
            return IDLE
        state, data, updated_at = row
        if now - updated_at > dt.timedelta(seconds=self.services.settings.conversation_ttl_seconds):
            return IDLE
        try:
            return read_convo(state, data)
        except (ValueError, KeyError, TypeError):
            log.warning("unreadable conversation for %s; starting afresh", mask_phone(phone))
            return IDLE

    # -- carrying out the core's actions ---------------------------------------------

    def _act(self, s: Session, action: Action, convo: Convo, phone: str, name: str | None, shop: Shop,
             now: dt.datetime) -> tuple[list[str], Convo]:
        bookings = self.services.bookings
        try:
            if isinstance(action, Book):
                b = bookings.create(customer_phone=phone, service=action.service, barber=action.barber,
                                    start=action.start, customer_name=name,
                                    guest_name=action.guest_name, session=s)
                return [r.booked(shop, b.service, b.barber, b.start_at, b.code)], convo
            if isinstance(action, Move):
                b = bookings.reschedule(action.booking_id, start=action.start, barber=action.barber,
                                        service=action.service, session=s)
                return [r.moved(shop, b.service, b.barber, b.start_at, b.code)], convo
            if isinstance(action, CancelBooking):
                b = bookings.cancel(action.booking_id, notify=False, session=s)
                return [r.cancelled(shop, b.service, b.start_at, b.code)], convo
            if isinstance(action, (NotifyStaff, Handoff, Resume)):
                return staff.carry_out(self.services, s, action, now), convo
            if isinstance(action, PauseReminders):
                set_reminders_paused(s, phone=phone, paused=action.paused, now=now)
                return [], convo
        except (SlotTaken, InvalidBooking) as exc:
            log.info("action %s refused for %s: %s", type(action).__name__, mask_phone(phone), exc.code)
            out = recover(convo, action, exc.code, self._context(s, phone, shop, now))
            return list(out.replies), out.convo
        except (NotFound, Conflict) as exc:
            log.info("action %s on a changed booking: %s", type(action).__name__, exc.code)
            return [r.no_such_booking(None)], IDLE
        raise AssertionError(f"unknown action {action!r}")


CONVERSATION = Conversation.__table__  # type: ignore[attr-defined]
BOOKING = Booking.__table__  # type: ignore[attr-defined]
REMINDER = Reminder.__table__  # type: ignore[attr-defined]


_LOAD = sa.select(CONVERSATION.c.state, CONVERSATION.c.data, CONVERSATION.c.updated_at).where(
    CONVERSATION.c.phone == sa.bindparam("phone"))
_UPCOMING = (sa.select(BOOKING.c.id, BOOKING.c.code, BOOKING.c.service, BOOKING.c.barber, BOOKING.c.start_at)
             .where(BOOKING.c.customer_phone == sa.bindparam("phone"), BOOKING.c.status == BookingStatus.CONFIRMED,
                    BOOKING.c.start_at > sa.bindparam("now", type_=BOOKING.c.start_at.type))
             .order_by(BOOKING.c.start_at).limit(UPCOMING_LIMIT))
_REMINDED = (sa.select(REMINDER.c.booking_id)
             .where(REMINDER.c.booking_id.in_(sa.bindparam("ids", expanding=True)), REMINDER.c.sent_at.is_not(None),
                    REMINDER.c.sent_at >= sa.bindparam("since", type_=REMINDER.c.sent_at.type))
             .order_by(REMINDER.c.sent_at.desc()).limit(1))
