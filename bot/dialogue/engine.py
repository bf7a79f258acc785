"""The edge of the dialogue: loads the conversation and facts, runs one turn, carries out its actions.

`ChatEngine.turn(phone=..., text=...)` is what the webhook (and `barberbot chat`) calls; it
returns the reply texts. Booking changes go through the BookingService only.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import weakref

from sqlmodel import col, select

from bot.availability import Slot, day_bounds, free_starts, local_date, local_instant
from bot.customers import set_reminders_paused
from bot.errors import BarberbotError, Conflict, InvalidBooking, NotFound, SlotTaken
from bot.models import Booking, BookingStatus, Conversation, Customer, Reminder, TimeOff
from bot.nlu import understand
from bot.phones import mask_phone
from bot.services import Services
from bot.shop import Barber, Shop

from . import barber as cmd
from . import replies as r
from .flow import recover, step
from .model import (
    IDLE,
    Action,
    Book,
    BookingView,
    CancelBooking,
    Context,
    Convo,
    Draft,
    Move,
    PauseReminders,
    State,
)

log = logging.getLogger(__name__)
MAX_TEXT = 2000


class ChatEngine:
    def __init__(self, services: Services) -> None:
        self.services = services
        self._locks: weakref.WeakValueDictionary[str, threading.Lock] = weakref.WeakValueDictionary()
        self._guard = threading.Lock()

    def _lock(self, phone: str) -> threading.Lock:
        with self._guard:
            lock = self._locks.get(phone)
            if lock is None:
                lock = threading.Lock()
                self._locks[phone] = lock
            return lock

    def turn(self, *, phone: str, text: str, name: str | None = None) -> list[str]:
        """One incoming message from `phone` (E.164); the replies to send back."""
        lock = self._lock(phone)  # one turn at a time per phone (the conversation row)
        with lock:
            return self._turn(phone, text, name)

    def _turn(self, phone: str, text: str, name: str | None) -> list[str]:
        services = self.services
        now, shop = services.now(), services.shop
        text = (text or "").strip()
        if not text:
            return [r.NOT_TEXT]
        if len(text) > MAX_TEXT:
            return [r.TOO_LONG]
        barber = shop.barber_by_phone(phone)
        if barber is not None:
            command = cmd.parse_command(text, today=local_date(shop, now))
            if command is not None:
                log.info("barber %s: %s", barber.key, type(command).__name__)
                return [self._barber(command, barber, shop, now)]
        u = understand(text, now=now, shop=shop)
        convo = before = self._load(phone, now)
        ctx = self._context(phone, shop, now)
        out = step(convo, u, ctx, now)
        replies, convo = list(out.replies), out.convo
        for action in out.actions:
            more, convo = self._act(action, convo, phone, name, shop, now)
            replies.extend(more)
        if convo != before or convo.state != State.IDLE:
            self._save(phone, convo, now)  # an idle chat that stays idle has nothing to keep
        log.info("turn from %s: %s -> %s (%s)", mask_phone(phone), u.intent.value, convo.state.value,
                 ",".join(type(a).__name__ for a in out.actions) or "-")
        return replies

    # -- facts for the core ------------------------------------------------------

    def _context(self, phone: str, shop: Shop, now: dt.datetime) -> Context:
        db = self.services.db
        with db.session() as s:
            rows = s.exec(select(Booking).where(
                Booking.customer_phone == phone, Booking.status == BookingStatus.CONFIRMED,
                Booking.start_at > now).order_by(col(Booking.start_at)).limit(20)).all()
            bookings = [BookingView(b.id or 0, b.code, b.service, b.barber, b.start_at) for b in rows]
            paused = bool(s.exec(select(Customer.reminders_paused).where(Customer.phone == phone)).first())
            reminded = None
            if bookings:
                since = now - dt.timedelta(seconds=self.services.settings.reminder_interval_seconds)
                reminded = s.exec(select(Reminder.booking_id).where(
                    col(Reminder.booking_id).in_([b.id for b in bookings]),
                    col(Reminder.sent_at).is_not(None), col(Reminder.sent_at) >= since,
                ).order_by(col(Reminder.sent_at).desc())).first()
        cache: dict[tuple[object, ...], list[Slot]] = {}

        def free(day: dt.date, service: str, barber: str | None, exclude: int | None) -> list[Slot]:
            key = (day, service, barber, exclude)
            if key not in cache:
                cache[key] = self._free(shop, now, day, service, barber, exclude)
            return cache[key]

        return Context(shop=shop, now=now, phone=phone, bookings=bookings, free=free,
                       reminded_booking_id=reminded, reminders_paused=paused)

    def _free(self, shop: Shop, now: dt.datetime, day: dt.date, service: str, barber: str | None,
              exclude: int | None) -> list[Slot]:
        if shop.service(service) is None:
            return []
        start, end = day_bounds(shop, day)
        lo, hi = start - dt.timedelta(hours=12), end + dt.timedelta(hours=12)
        bq = select(Booking.barber, Booking.start_at, Booking.end_at).where(
            Booking.status == BookingStatus.CONFIRMED, Booking.start_at < hi, Booking.end_at > lo)
        tq = select(TimeOff.barber, TimeOff.start_at, TimeOff.end_at).where(
            TimeOff.start_at < hi, TimeOff.end_at > lo)
        if barber:
            bq, tq = bq.where(Booking.barber == barber), tq.where(TimeOff.barber == barber)
        if exclude is not None:
            bq = bq.where(Booking.id != exclude)
        busy: dict[str, list[tuple[dt.datetime, dt.datetime]]] = {}
        with self.services.db.session() as s:
            for key, a, b in list(s.exec(bq).all()) + list(s.exec(tq).all()):
                busy.setdefault(key, []).append((a, b))
        return free_starts(shop, service=service, day=day, now=now, busy=busy, barber=barber)

    # -- the conversation row ------------------------------------------------------

    def _load(self, phone: str, now: dt.datetime) -> Convo:
        with self.services.db.session() as s:
            row = s.get(Conversation, phone)
        if row is None:
            return IDLE
        ttl = dt.timedelta(seconds=self.services.settings.conversation_ttl_seconds)
        if now - row.updated_at > ttl:
            return IDLE
        try:
            return Convo(State(row.state), Draft.from_json(json.loads(row.data)))
        except (ValueError, KeyError, TypeError):
            log.warning("unreadable conversation for %s; starting afresh", mask_phone(phone))
            return IDLE

    def _save(self, phone: str, convo: Convo, now: dt.datetime) -> None:
        data = json.dumps(convo.draft.to_json() if convo.state != State.IDLE else {})
        with self.services.db.write() as s:
            row = s.get(Conversation, phone)
            if row is None:
                row = Conversation(phone=phone, state=convo.state.value, data=data, updated_at=now)
            else:
                row.state, row.data, row.updated_at = convo.state.value, data, now
            s.add(row)

    # -- carrying out the core's actions ---------------------------------------------

    def _act(self, action: Action, convo: Convo, phone: str, name: str | None, shop: Shop,
             now: dt.datetime) -> tuple[list[str], Convo]:
        bookings = self.services.bookings
        try:
            if isinstance(action, Book):
                b = bookings.create(customer_phone=phone, service=action.service, barber=action.barber,
                                    start=action.start, customer_name=name)
                return [r.booked(shop, b.service, b.barber, b.start_at, b.code)], convo
            if isinstance(action, Move):
                b = bookings.reschedule(action.booking_id, start=action.start, barber=action.barber,
                                        service=action.service)
                return [r.moved(shop, b.service, b.barber, b.start_at, b.code)], convo
            if isinstance(action, CancelBooking):
                b = bookings.cancel(action.booking_id, notify=False)
                return [r.cancelled(shop, b.service, b.start_at, b.code)], convo
            if isinstance(action, PauseReminders):
                with self.services.db.write() as s:
                    set_reminders_paused(s, phone=phone, paused=action.paused, now=now)
                return [], convo
        except (SlotTaken, InvalidBooking) as exc:
            log.info("action %s refused for %s: %s", type(action).__name__, mask_phone(phone), exc.code)
            out = recover(convo, action, exc.code, self._context(phone, shop, now))
            return list(out.replies), out.convo
        except (NotFound, Conflict) as exc:
            log.info("action %s on a changed booking: %s", type(action).__name__, exc.code)
            return [r.no_such_booking(None)], IDLE
        raise AssertionError(f"unknown action {action!r}")

    # -- barbers ---------------------------------------------------------------------

    def _barber(self, command: cmd.Command, barber: Barber, shop: Shop, now: dt.datetime) -> str:
        svc = self.services.bookings
        if isinstance(command, cmd.BarberHelp):
            return r.barber_help(shop)
        if isinstance(command, cmd.Usage):
            return r.barber_usage(command.text)
        if isinstance(command, cmd.Agenda):
            rows = [(b.start_at, b.service, b.customer_name, b.customer_phone, b.code, b.status)
                    for b in svc.list(date=command.day, barber=barber.key)
                    if b.status != BookingStatus.CANCELLED]
            return r.agenda(shop, command.day, rows)
        if isinstance(command, (cmd.CancelCode, cmd.MarkOutcome)):
            try:
                found = svc.get_by_code(command.code)
                assert found.id is not None
                if isinstance(command, cmd.CancelCode):
                    done = svc.cancel(found.id, reason=command.reason, notify=True)
                    return r.barber_cancelled(shop, done.code, done.start_at)
                svc.set_outcome(found.id, command.status)
                booking = found
                return r.barber_outcome(booking.code, command.status)
            except NotFound:
                return r.unknown_code(command.code)
            except Conflict:
                return r.booking_not_open(command.code, svc.get_by_code(command.code).status)
        if isinstance(command, cmd.Block):
            start = local_instant(shop, command.day, command.start_min)
            end = local_instant(shop, command.day, command.end_min)
            try:
                _off, clashes = svc.block(barber=barber.key, start=start, end=end, reason=command.reason)
            except BarberbotError:
                return r.bad_range()
            return r.blocked(shop, start, end, command.whole_day,
                             [(b.start_at, b.service, b.code) for b in clashes])
        if isinstance(command, cmd.Unblock):
            start = local_instant(shop, command.day, command.start_min)
            end = local_instant(shop, command.day, command.end_min)
            return r.unblocked(shop, command.day, svc.unblock(barber=barber.key, start=start, end=end))
        raise AssertionError(f"unknown command {command!r}")
