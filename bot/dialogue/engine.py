"""The edge of the dialogue: loads the conversation and facts, runs one turn, carries out its actions.

`ChatEngine.turn(phone=..., text=...)` runs a whole turn and returns the reply texts (`barberbot
chat`, tests). The webhook splits it so that a turn costs as few write transactions as possible:
`decide` only reads (one read transaction, the customer's bookings loaded only if the turn looks
at them); a decision with nothing to carry out is saved together with the message claim in one
transaction (`save_conversation` in the webhook's write transaction); otherwise `carry_out`
performs the actions through the BookingService. Booking changes go through the BookingService only.

The turn's own statements are Core, compiled once and run on the driver's cursor (`prepared`):
through `Connection.execute` their bookkeeping cost more than the rest of a short turn.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
import weakref
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any, cast, overload

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from bot.availability import Slot, day_bounds, free_starts, local_date, local_instant
from bot.booking_sql import LONGEST_BOOKING
from bot.bookings import Joint
from bot.customers import set_reminders_paused
from bot.errors import BarberbotError, Conflict, InvalidBooking, NotFound, SlotTaken
from bot.models import Barber as BarberRow
from bot.models import Booking, BookingStatus, Conversation, Reminder, TimeOff
from bot.nlu.understand import understand_often
from bot.phones import mask_phone
from bot.prepared import TurnConnection, Tx
from bot.services import Services
from bot.shop import Barber, Shop

from . import barber as cmd
from . import replies as r
from . import staff
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
    convo_data,
    read_convo,
)

log = logging.getLogger(__name__)
MAX_TEXT = 2000
RECENT_LOCKS = 1024  # phones' locks kept alive after their turns (see ChatEngine.lock)

BARBER = cast(sa.Table, BarberRow.__table__)  # type: ignore[attr-defined]
BOOKING = cast(sa.Table, Booking.__table__)  # type: ignore[attr-defined]
TIME_OFF = cast(sa.Table, TimeOff.__table__)  # type: ignore[attr-defined]
REMINDER = cast(sa.Table, Reminder.__table__)  # type: ignore[attr-defined]
CONVERSATION = cast(sa.Table, Conversation.__table__)  # type: ignore[attr-defined]


@dataclass
class Decision:
    """What one turn decided before anything was written."""

    phone: str
    now: dt.datetime
    replies: list[str]
    convo: Convo = IDLE
    before: Convo | None = None  # the conversation as loaded; None when the turn did not touch it
    actions: tuple[Action, ...] = ()
    command: cmd.Command | None = None  # a barber's command, carried out by `carry_out`
    barber: Barber | None = None
    intent: str = "-"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def pure(self) -> bool:
        """Nothing to carry out: the replies and the conversation row are the whole effect."""
        return not self.actions and self.command is None

    @property
    def joinable(self) -> bool:
        """Its actions (bookings, cancellations) can run inside the turn's own write transaction."""
        return self.command is None and all(isinstance(a, (Book, CancelBooking)) for a in self.actions)

    @property
    def keep(self) -> bool:
        """Whether the conversation row must be written (an idle chat that stays idle has nothing to keep)."""
        return self.before is not None and (self.convo != self.before or self.convo.state != State.IDLE)


class LazyBookings(Sequence[BookingView]):
    """The customer's upcoming confirmed bookings, read on first use."""

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
        self._locks: weakref.WeakValueDictionary[str, threading.Lock] = weakref.WeakValueDictionary()
        self._recent: deque[threading.Lock] = deque(maxlen=RECENT_LOCKS)
        self._guard = threading.Lock()

    def lock(self, phone: str) -> threading.Lock:
        """One turn at a time per phone in this process (the conversation row).

        A phone's lock lives while anyone holds it, and while it is one of the last RECENT_LOCKS
        made: a customer's next message usually comes while it is, and finds it (a new lock, its
        weak reference and that reference's removal when the lock died cost 1.5 us a turn)."""
        with self._guard:
            lock = self._locks.get(phone)
            if lock is None:
                lock = threading.Lock()
                self._locks[phone] = lock
                self._recent.append(lock)
            return lock

    def turn(self, *, phone: str, text: str, name: str | None = None) -> list[str]:
        """One incoming message from `phone` (E.164); the replies to send back."""
        with self.lock(phone), self.connection() as conn:
            d = self.decide(phone=phone, text=text, conn=conn)
            if not d.pure:
                self.carry_out(d, name=name, conn=conn)
            if d.keep:
                with conn.write() as tx:
                    save_conversation(tx, d.phone, d.convo, d.now)
            return d.replies

    def connection(self) -> TurnConnection:
        """One pooled connection for a turn's reads and writes (close it, or use it in `with`)."""
        return TurnConnection(self.services.db)

    # -- deciding (reads only) ---------------------------------------------------------

    def decide(self, *, phone: str, text: str, conn: TurnConnection | None = None) -> Decision:
        """Understand the message and run the transition table; reads, never writes."""
        services = self.services
        now, shop = services.now(), services.shop
        text = (text or "").strip()
        if not text:
            return Decision(phone, now, [r.NOT_TEXT])
        if len(text) > MAX_TEXT:
            return Decision(phone, now, [r.TOO_LONG])
        barber = shop.barber_by_phone(phone)
        if barber is not None:
            command = cmd.parse_command(text, today=local_date(shop, now))
            if command is not None:
                return Decision(phone, now, [], command=command, barber=barber, intent=type(command).__name__)
        u = understand_often(text, now=now, shop=shop)
        with _turn_connection(conn, services) as turn, turn.read() as tx:
            before = self._load(tx, phone, now)
            out = step(before, u, self._context(tx, phone, shop, now), now)
        d = Decision(phone, now, list(out.replies), out.convo, before, out.actions, intent=u.intent.value)
        if d.pure and log.isEnabledFor(logging.INFO):  # mask_phone and the arguments only when logged
            log.info("turn from %s: %s -> %s (-)", mask_phone(phone), d.intent, d.convo.state.value)
        return d

    def carry_out(self, d: Decision, *, name: str | None, conn: TurnConnection | None = None,
                  joint: Joint | None = None) -> None:
        """Perform the decision's actions (or the barber's command); updates its replies and conversation.

        With `joint` (only for a `joinable` decision) the actions run inside the caller's write
        transaction, and the caller tells the BookingService once it has committed."""
        shop = self.services.shop
        if d.command is not None:
            assert d.barber is not None
            log.info("barber %s: %s", d.barber.key, d.intent)
            d.replies = [self._barber(d.command, d.barber, shop, d.now)]
            return
        for action in d.actions:
            more, d.convo = self._act(action, d.convo, d.phone, name, shop, d.now, conn, joint)
            d.replies.extend(more)
        if log.isEnabledFor(logging.INFO):
            log.info("turn from %s: %s -> %s (%s)", mask_phone(d.phone), d.intent, d.convo.state.value,
                     ",".join(type(a).__name__ for a in d.actions))

    # -- facts for the core ------------------------------------------------------

    def _context(self, tx: Tx, phone: str, shop: Shop, now: dt.datetime) -> Context:
        def load() -> list[BookingView]:
            rows = tx.all(_statements(tx.dialect.name)["bookings"], {"phone": phone, "now": now})
            return [BookingView(i or 0, code, service, barber, start) for i, code, service, barber, start in rows]

        bookings = LazyBookings(load)

        def reminded() -> int | None:
            if not bookings:
                return None
            since = now - dt.timedelta(seconds=self.services.settings.reminder_interval_seconds)
            ids = {f"id{i}": x.id for i, x in enumerate(bookings)}
            return cast(int | None, tx.scalar(_reminded_statement(len(ids)), {**ids, "since": since}))

        cache: dict[tuple[object, ...], list[Slot]] = {}
        today = local_date(shop, now)

        def free(day: dt.date, service: str, barber: str | None, exclude: int | None) -> list[Slot]:
            key = (day, service, barber, exclude)
            found = cache.get(key)
            if found is None:
                found = cache[key] = self._free(tx, shop, now, today, day, service, barber, exclude)
            return found

        return Context(shop=shop, now=now, phone=phone, bookings=bookings, free=free, reminded=reminded,
                       facts=staff.customer_facts(self.services, phone))

    def _free(self, tx: Tx, shop: Shop, now: dt.datetime, today: dt.date, day: dt.date, service: str,
              barber: str | None, exclude: int | None) -> list[Slot]:
        # a later day's free times depend on `now` only through its date (the booking horizon), so
        # the round's turns share them, as they share the busy times; their readers never change
        # the list (a full Friday afternoon's nearest times read eleven days a turn)
        memo = tx.memo if day > today else None
        later = ("free", day, service, barber, exclude, today)
        if memo is not None and later in memo:
            return cast(list[Slot], memo[later])
        if shop.service(service) is None:
            return []
        start, end = day_bounds(shop, day)
        lo, hi = start - dt.timedelta(hours=12), end + dt.timedelta(hours=12)

        def read() -> dict[str, list[tuple[dt.datetime, dt.datetime]]]:
            params: dict[str, object] = {"lo": lo, "hi": hi, "floor": lo - LONGEST_BOOKING,
                                         "barber": barber, "exclude": exclude}
            busy: dict[str, list[tuple[dt.datetime, dt.datetime]]] = {}
            for key, a, z in tx.all(_busy_statement(bool(barber), exclude is not None), params):
                busy.setdefault(key, []).append((a, z))
            return busy

        # the turns of one round share a read snapshot (bot.prepared.SharedReads): the first one
        # to ask about a day reads its busy times for all of them
        busy = tx.remember(("busy", lo, hi, barber, exclude), read)
        found = free_starts(shop, service=service, day=day, now=now, busy=busy, barber=barber)
        if memo is not None:  # (today's: which starts have gone by depends on the moment)
            memo[later] = found
        return found

    # -- the conversation row ------------------------------------------------------

    def _load(self, tx: Tx, phone: str, now: dt.datetime) -> Convo:
        row = tx.first(_statements(tx.dialect.name)["load"], {"phone": phone})
        if row is None:
            return IDLE
        state, data, updated_at = row
        ttl = dt.timedelta(seconds=self.services.settings.conversation_ttl_seconds)
        if now - updated_at > ttl:
            return IDLE
        try:
            return read_convo(state, data)
        except (ValueError, KeyError, TypeError):
            log.warning("unreadable conversation for %s; starting afresh", mask_phone(phone))
            return IDLE

    # -- carrying out the core's actions ---------------------------------------------

    def _act(self, action: Action, convo: Convo, phone: str, name: str | None, shop: Shop,
             now: dt.datetime, conn: TurnConnection | None,
             joint: Joint | None = None) -> tuple[list[str], Convo]:
        bookings = self.services.bookings
        try:
            if isinstance(action, Book):
                b = bookings.create(customer_phone=phone, service=action.service, barber=action.barber,
                                    start=action.start, customer_name=name, joint=joint,
                                    guest_name=action.guest_name)
                return [r.booked(shop, b.service, b.barber, b.start_at, b.code)], convo
            if isinstance(action, Move):
                b = bookings.reschedule(action.booking_id, start=action.start, barber=action.barber,
                                        service=action.service)
                return [r.moved(shop, b.service, b.barber, b.start_at, b.code)], convo
            if isinstance(action, CancelBooking):
                b = bookings.cancel(action.booking_id, notify=False, joint=joint)
                return [r.cancelled(shop, b.service, b.start_at, b.code)], convo
            if isinstance(action, (NotifyStaff, Handoff, Resume)):
                return staff.carry_out(self.services, None, action, now), convo
            if isinstance(action, PauseReminders):
                with self.services.db.write() as s:
                    set_reminders_paused(s, phone=phone, paused=action.paused, now=now)
                return [], convo
        except (SlotTaken, InvalidBooking) as exc:
            log.info("action %s refused for %s: %s", type(action).__name__, mask_phone(phone), exc.code)
            with _reading(conn, joint, self.services) as tx:
                out = recover(convo, action, exc.code, self._context(tx, phone, shop, now))
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


def save_conversation(tx: Tx, phone: str, convo: Convo, now: dt.datetime) -> None:
    """Upsert the conversation row inside the caller's write transaction."""
    tx.execute(_statements(tx.dialect.name)["save"], _conversation_row(phone, convo, now), keys=True)


def save_conversations(tx: Tx, conversations: list[tuple[str, Convo, dt.datetime]]) -> None:
    """`save_conversation` for many (phone, convo, now) at once (the phones all different)."""
    tx.execute_many(_statements(tx.dialect.name)["save"], [_conversation_row(*c) for c in conversations])


def _conversation_row(phone: str, convo: Convo, now: dt.datetime) -> dict[str, Any]:
    return {"phone": phone, "state": convo.state.value, "data": convo_data(convo), "updated_at": now}


def _turn_connection(conn: TurnConnection | None, services: Services) -> Any:
    """The turn's connection (left open for the caller), or one of our own closed after use."""
    return nullcontext(conn) if conn is not None else TurnConnection(services.db)


@contextmanager
def _reading(conn: TurnConnection | None, joint: Joint | None, services: Services) -> Iterator[Tx]:
    """Where an action's follow-up reads run: the joint write transaction, else a read transaction."""
    if joint is not None:
        yield joint.tx
        return
    with _turn_connection(conn, services) as turn, turn.read() as tx:
        yield tx


@functools.cache
def _statements(dialect: str) -> dict[str, Any]:
    """Built once per dialect: building a statement costs more than running it (values are bound at execute)."""
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    upsert = insert(CONVERSATION)
    c, b = CONVERSATION.c, BOOKING.c
    return {
        "save": upsert.on_conflict_do_update(index_elements=["phone"], set_={
            "state": upsert.excluded.state, "data": upsert.excluded.data, "updated_at": upsert.excluded.updated_at}),
        "load": sa.select(c.state, c.data, c.updated_at).where(c.phone == sa.bindparam("phone")),
        "bookings": sa.select(b.id, b.code, b.service, b.barber, b.start_at).where(
            b.customer_phone == sa.bindparam("phone"), b.status == BookingStatus.CONFIRMED,
            b.start_at > sa.bindparam("now", type_=b.start_at.type),
        ).order_by(b.start_at).limit(20),
    }


@functools.lru_cache(maxsize=32)
def _reminded_statement(n: int) -> sa.Select[Any]:
    """The latest of bookings id0..id{n-1} reminded since `since` (a plain IN list of n parameters:
    the customer's upcoming bookings are at most 20, so there are at most 20 of these)."""
    rc = REMINDER.c
    ids = [sa.bindparam(f"id{i}", type_=rc.booking_id.type) for i in range(n)]
    return sa.select(rc.booking_id).where(
        rc.booking_id.in_(ids), rc.sent_at.is_not(None),
        rc.sent_at >= sa.bindparam("since", type_=rc.sent_at.type),
    ).order_by(rc.sent_at.desc()).limit(1)


@functools.cache
def _busy_statement(by_barber: bool, excluding: bool) -> sa.CompoundSelect:
    """Confirmed bookings and time off overlapping [lo, hi) (of one barber; without one booking)."""
    b, t = BOOKING.c, TIME_OFF.c
    lo, hi = sa.bindparam("lo", type_=b.start_at.type), sa.bindparam("hi", type_=b.start_at.type)
    # `start_at > floor` (lo - bot.booking_sql.LONGEST_BOOKING) changes no answer; it bounds the
    # index scan from below, which otherwise reads every booking the barber ever had
    floor = sa.bindparam("floor", type_=b.start_at.type)
    bq = sa.select(b.barber, b.start_at, b.end_at).where(
        b.status == BookingStatus.CONFIRMED, b.start_at < hi, b.end_at > lo, b.start_at > floor)
    tq = sa.select(t.barber, t.start_at, t.end_at).where(t.start_at < hi, t.end_at > lo)
    if by_barber:
        bq, tq = bq.where(b.barber == sa.bindparam("barber")), tq.where(t.barber == sa.bindparam("barber"))
    else:
        # every booking's barber is a barber row (a foreign key), so this changes no answer; it lets
        # SQLite walk ix_booking_barber_start one barber at a time instead of scanning the whole
        # table, every booking ever made. Measured on SQLite: 58 -> 42 us at 768 bookings, 129 ->
        # 41 us at 2,768, 851 -> 46 us at 10,768; in the bench's run (a few hundred bookings,
        # mostly on other days) 19-21 -> 24-25 us
        bq = bq.where(b.barber.in_(sa.select(BARBER.c.key)))
    if excluding:
        bq = bq.where(b.id != sa.bindparam("exclude"))
    return bq.union_all(tq)
