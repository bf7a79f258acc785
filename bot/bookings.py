"""The booking service: the one way bookings are created, moved, cancelled and closed.

The API, the chat and the barbers' commands all come through here, so the rules
(and the reminders and notices that follow a change) hold for every caller.
A use case is one write transaction; the queue is told after it commits.
"""

from __future__ import annotations

import builtins
import datetime as dt
import functools
import logging
import re
import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from types import TracebackType

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot import booking_sql as sql
from bot import messages
from bot.availability import Interval, Slot, check_start, day_bounds, free_starts
from bot.clock import Clock
from bot.customers import add_customer
from bot.db import Database
from bot.dispatch import Dispatcher, PlannedReminder
from bot.errors import Conflict, InvalidBooking, NotFound, SlotTaken
from bot.models import Booking, BookingStatus, Reminder, TimeOff
from bot.phones import InvalidPhone, normalize_phone
from bot.prepared import Savepoint, Tx
from bot.reminders.plan import PLAN_AHEAD, PLAN_BATCH, job_id, next_reminders
from bot.shop import Shop
from bot.timeoff import TimeOffMixin

log = logging.getLogger(__name__)

CODE_LENGTH = 4
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: easy to read and type
assert len(CODE_ALPHABET) == 32  # new_code draws 5 bits a symbol
_SHIFTS = tuple(range(0, 5 * CODE_LENGTH, 5))
# the same customers book again and again; phonenumbers takes 60 us to parse a number
_normalize_phone = functools.lru_cache(maxsize=4096)(normalize_phone)


# a code a customer would write as a day of the month ("the 25th") is never drawn
_ORDINAL_LIKE = re.compile(r"^\d{1,2}(?:ST|ND|RD|TH)$")


def new_code() -> str:
    """Four symbols drawn uniformly from CODE_ALPHABET (32 of them: 5 random bits each).

    One `secrets.randbits(20)` read as four symbols, the first in the low bits: the same
    distribution as four `secrets.choice` calls, which cost 6.7 us (two random reads each on
    average, 6 bits read to draw below 32), this 1.5 us (timeit)."""
    while True:
        n = secrets.randbits(5 * CODE_LENGTH)
        code = "".join([CODE_ALPHABET[n >> shift & 31] for shift in _SHIFTS])
        if not _ORDINAL_LIKE.match(code):
            return code


@dataclass
class _AfterCommit:
    """What to tell the queue once the transaction has committed."""

    schedule: list[PlannedReminder] = field(default_factory=list)
    revoke: list[str] = field(default_factory=list)
    messages: list[int] = field(default_factory=list)

    def extend(self, other: _AfterCommit) -> None:
        self.schedule.extend(other.schedule)
        self.revoke.extend(other.revoke)
        self.messages.extend(other.messages)


@dataclass
class Joint:
    """A write transaction of the caller's that booking changes join instead of opening their own.

    The webhook books or cancels in the same transaction as the message claim and the reply, so a
    turn commits once. Each change runs in a savepoint on `tx` (a refused or failed change undoes
    only itself); what to tell the queue waits here until the caller has committed and calls
    `BookingService.committed(joint)`.
    """

    tx: Tx
    after: _AfterCommit = field(default_factory=_AfterCommit)
    # the customer the caller has already written in `tx` (created if new, name filled in), as
    # `add_customer` would: a booking for them skips its two statements (11 us of a 1 ms turn)
    customer: str | None = None


class _JointChange:
    """A change inside the caller's `joint` transaction: a savepoint of its own, and what to tell
    the queue handed to the joint only if the change went through. (A class: the two generator
    context managers it replaces cost 4 us of each chat booking and cancel, timeit.)"""

    __slots__ = ("joint", "after", "savepoint")

    def __init__(self, joint: Joint) -> None:
        self.joint = joint
        self.after = _AfterCommit()
        self.savepoint = Savepoint(joint.tx, "booking_change")

    def __enter__(self) -> tuple[Tx, _AfterCommit]:
        return self.savepoint.__enter__(), self.after

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.savepoint.__exit__(kind, exc, tb)
        if exc is None:
            self.joint.after.extend(self.after)


class BookingService(TimeOffMixin):
    def __init__(
        self,
        db: Database,
        shop: Callable[[], Shop],
        *,
        clock: Clock,
        dispatcher: Dispatcher,
        reminder_interval_seconds: int,
        reconcile_interval_seconds: int = 60,
    ) -> None:
        self.db = db
        self._shop = shop
        self.clock = clock
        self.dispatcher = dispatcher
        self.interval = reminder_interval_seconds
        self.reconcile_seconds = reconcile_interval_seconds

    # -- reads -------------------------------------------------------------

    def get(self, booking_id: int) -> Booking:
        with self.db.session() as s:
            b = s.get(Booking, booking_id)
        if b is None:
            raise NotFound(f"no booking {booking_id}")
        return b

    def get_by_code(self, code: str) -> Booking:
        with self.db.session() as s:
            b = s.exec(select(Booking).where(Booking.code == code.strip().upper())).first()
        if b is None:
            raise NotFound(f"no booking with code {code}")
        return b

    def list(
        self,
        *,
        date: dt.date | None = None,
        barber: str | None = None,
        status: str | None = None,
        customer_phone: str | None = None,
        upcoming_only: bool = False,
        limit: int = 500,
    ) -> builtins.list[Booking]:
        q = select(Booking)
        if date is not None:
            start, end = day_bounds(self.shop, date)
            q = q.where(Booking.start_at >= start, Booking.start_at < end)
        if barber:
            q = q.where(Booking.barber == barber)
        if status:
            q = q.where(Booking.status == status)
        if customer_phone:
            q = q.where(Booking.customer_phone == customer_phone)
        if upcoming_only:
            q = q.where(Booking.start_at > self.clock())
        q = q.order_by(col(Booking.start_at), col(Booking.id)).limit(limit)
        with self.db.session() as s:
            return list(s.exec(q).all())

    def reminders(self, booking_id: int) -> builtins.list[Reminder]:
        """The booking's reminder rows; NotFound if there is no such booking."""
        self.get(booking_id)
        return self.reminder_rows(booking_id)

    def reminder_rows(self, booking_id: int) -> builtins.list[Reminder]:
        with self.db.session() as s:
            q = select(Reminder).where(Reminder.booking_id == booking_id).order_by(col(Reminder.id))
            return list(s.exec(q).all())

    def availability(self, *, day: dt.date, service: str, barber: str | None = None) -> builtins.list[Slot]:
        shop = self.shop
        if shop.service(service) is None:
            raise InvalidBooking(f"unknown service: {service}", code="unknown_service")
        if barber is not None and shop.barber(barber) is None:
            raise InvalidBooking(f"unknown barber: {barber}", code="unknown_barber")
        start, end = day_bounds(shop, day)
        with self.db.session() as s:
            busy = self._busy(s, start - dt.timedelta(hours=12), end + dt.timedelta(hours=12), barber=barber)
        return free_starts(shop, service=service, day=day, now=self.clock(), busy=busy, barber=barber)

    def _busy(self, s: Session, start: dt.datetime, end: dt.datetime, *, barber: str | None = None,
              exclude_booking: int | None = None) -> dict[str, builtins.list[Interval]]:
        busy: dict[str, builtins.list[Interval]] = {}
        bq = select(Booking.barber, Booking.start_at, Booking.end_at).where(
            Booking.status == BookingStatus.CONFIRMED, Booking.start_at < end, Booking.end_at > start)
        tq = select(TimeOff.barber, TimeOff.start_at, TimeOff.end_at).where(
            TimeOff.start_at < end, TimeOff.end_at > start)
        if barber:
            bq = bq.where(Booking.barber == barber)
            tq = tq.where(TimeOff.barber == barber)
        if exclude_booking is not None:
            bq = bq.where(Booking.id != exclude_booking)
        for key, a, b in list(s.exec(bq).all()) + list(s.exec(tq).all()):
            busy.setdefault(key, []).append((a, b))
        return busy

    @staticmethod
    def _intervals(tx: Tx, barber: str, start: dt.datetime, minutes: int,
                   exclude_booking: int | None = None) -> tuple[builtins.list[Interval], builtins.list[Interval]]:
        """The barber's bookings and time off that overlap [start, start + minutes): all that
        `check_start` looks at. (A day either side was read too: in the bench's run a booking's
        "yes" read 17 rows, 34 datetimes to parse, to find none of them in the way; 77 -> 26 us.)
        A naive `start` is refused by the bind, as before."""
        if start.tzinfo is not None:
            start = start.astimezone(dt.UTC)  # the span as check_start takes it, in absolute time
        return sql.intervals(tx, barber, start, start + dt.timedelta(minutes=minutes), exclude_booking)

    # -- writes ------------------------------------------------------------

    def create(
        self,
        *,
        customer_phone: str,
        service: str,
        start: dt.datetime,
        barber: str | None = None,
        customer_name: str | None = None,
        joint: Joint | None = None,
        guest_name: str | None = None,
    ) -> Booking:
        try:
            phone = _normalize_phone(customer_phone)
        except InvalidPhone as exc:
            raise InvalidBooking("customer_phone: not an E.164 number", code="invalid_phone") from exc
        shop = self.shop
        if shop.service(service) is None:
            raise InvalidBooking(f"unknown service: {service}", code="unknown_service")
        if barber is not None:
            return self._create_with(shop, phone, customer_name, service, barber, start, joint, guest_name)
        candidates = shop.barbers_for(service)
        if not candidates:
            raise InvalidBooking(f"no barber does {service}", code="service_not_offered")
        first_error: Exception | None = None
        taken: SlotTaken | None = None
        for b in candidates:
            try:
                return self._create_with(shop, phone, customer_name, service, b.key, start, joint, guest_name)
            except SlotTaken as exc:
                taken = taken or exc
            except InvalidBooking as exc:
                if exc.code not in ("outside_hours", "service_not_offered"):
                    raise
                first_error = first_error or exc
        if taken is not None:
            raise SlotTaken("no barber is free then", code="slot_taken")
        assert first_error is not None
        raise first_error

    def _create_with(self, shop: Shop, phone: str, name: str | None, service: str, barber: str,
                     start: dt.datetime, joint: Joint | None, guest_name: str | None = None) -> Booking:
        svc = shop.service(service)
        assert svc is not None
        for _attempt in range(8):
            now = self.clock()
            try:
                with self._change(joint) as (tx, after):
                    sql.lock_barber(tx, barber)
                    bookings, time_off = self._intervals(tx, barber, start, svc.minutes)
                    check_start(shop, service=service, barber=barber, start=start, now=now,
                                bookings=bookings, time_off=time_off)
                    start_utc = start.astimezone(dt.UTC)
                    if joint is None or joint.customer != phone:
                        add_customer(tx, phone=phone, now=now, name=name)
                    # the plan's first window is known before the row exists: one INSERT, no UPDATE after
                    due, next_at = self._window(now, start_utc, after_k=0, now=now)
                    row = {
                        "code": new_code(), "status": BookingStatus.CONFIRMED, "customer_phone": phone,
                        "customer_name": name, "guest_name": guest_name, "service": service, "barber": barber, "start_at": start_utc,
                        "end_at": start_utc + dt.timedelta(minutes=svc.minutes), "revision": 1,
                        "cancel_reason": None, "created_at": now, "updated_at": now, "planned_at": now,
                        "reminders_planned": due[-1][0] if due else 0, "next_reminder_at": next_at,
                    }
                    booking_id = sql.insert_booking(tx, row)
                    after.schedule = sql.insert_reminders(tx, booking_id=booking_id, revision=1, due=due, now=now)
                booking = sql.detached_booking({"id": booking_id, **row})
            except IntegrityError as exc:
                if sql.is_overlap(exc):
                    raise SlotTaken("that slot is already booked", code="slot_taken") from exc
                if sql.is_code_clash(exc):
                    continue
                raise
            if log.isEnabledFor(logging.INFO):  # its arguments cost more than the call when it is off
                log.info("booking %s created for %s at %s", booking.code, barber, booking.start_at.isoformat())
            return booking
        raise Conflict("could not allocate a booking code; try again")

    def reschedule(
        self,
        booking_id: int,
        *,
        start: dt.datetime | None = None,
        service: str | None = None,
        barber: str | None = None,
        notify: bool = False,
    ) -> Booking:
        shop = self.shop
        after = _AfterCommit()
        now = self.clock()
        try:
            with self.db.write() as s, sql.session_tx(s) as tx:
                booking = self._locked_booking(s, booking_id)
                if booking.status != BookingStatus.CONFIRMED:
                    raise Conflict(f"booking {booking.code} is {booking.status}", code="not_confirmed")
                new_service = service or booking.service
                new_barber = barber or booking.barber
                new_start = (start or booking.start_at).astimezone(dt.UTC)
                if (new_service, new_barber, new_start) == (booking.service, booking.barber, booking.start_at):
                    return booking
                svc = shop.service(new_service)
                if svc is None:
                    raise InvalidBooking(f"unknown service: {new_service}", code="unknown_service")
                assert booking.id is not None
                if new_barber != booking.barber:
                    sql.lock_barber(tx, new_barber)
                bookings, time_off = self._intervals(tx, new_barber, new_start, svc.minutes,
                                                     exclude_booking=booking.id)
                check_start(shop, service=new_service, barber=new_barber, start=new_start, now=now,
                            bookings=bookings, time_off=time_off)
                after.revoke = sql.revoke_pending(tx, booking.id, now)
                booking.service, booking.barber = new_service, new_barber
                booking.start_at = new_start
                booking.end_at = new_start + dt.timedelta(minutes=svc.minutes)
                booking.revision += 1
                booking.updated_at = booking.planned_at = now
                booking.reminders_planned = 0
                s.add(booking)
                s.flush()
                self._plan(tx, booking, now, after)
                if notify:
                    self._notice(tx, booking, "reschedule", messages.rescheduled_notice(
                        shop, service=booking.service, barber=booking.barber,
                        start=booking.start_at, code=booking.code), now, after)
        except IntegrityError as exc:
            if sql.is_overlap(exc):
                raise SlotTaken("that slot is already booked", code="slot_taken") from exc
            raise
        self._after_commit(after)
        log.info("booking %s moved to %s", booking.code, booking.start_at.isoformat())
        return booking

    def cancel(self, booking_id: int, *, reason: str | None = None, notify: bool = True,
               joint: Joint | None = None) -> Booking:
        return self._close(booking_id, BookingStatus.CANCELLED, reason=reason, notify=notify, joint=joint)

    def set_outcome(self, booking_id: int, status: str) -> Booking:
        if status not in (BookingStatus.COMPLETED, BookingStatus.NO_SHOW):
            raise InvalidBooking(f"not an outcome: {status}", code="invalid_status")
        return self._close(booking_id, status, reason=None, notify=False)

    def _close(self, booking_id: int, status: str, *, reason: str | None, notify: bool,
               joint: Joint | None = None) -> Booking:
        shop = self.shop
        now = self.clock()
        with self._change(joint) as (tx, after):
            # one UPDATE that takes the row lock (PostgreSQL) and changes it only if still confirmed
            closed = sql.close_booking(tx, booking_id, status, reason=reason, now=now)
            if closed is None:
                found = sql.locked_booking(tx, booking_id)
                if found is None:
                    raise NotFound(f"no booking {booking_id}")
                booking = found
                if booking.status == status:
                    return booking  # asking twice changes nothing
                raise Conflict(f"booking {booking.code} is already {booking.status}", code="not_confirmed")
            booking = closed
            after.revoke = sql.revoke_pending(tx, booking_id, now)
            if notify and status == BookingStatus.CANCELLED:
                self._notice(tx, booking, "cancellation", messages.cancelled_notice(
                    shop, service=booking.service, barber=booking.barber, start=booking.start_at,
                    code=booking.code, reason=reason), now, after)
        log.info("booking %s %s", booking.code, status)
        return booking

    # -- helpers -------------------------------------------------------------

    def _change(self, joint: Joint | None) -> AbstractContextManager[tuple[Tx, _AfterCommit]]:
        """One change's transaction: its own (the queue is told once it commits), or a savepoint
        in the caller's `joint` one (the queue is told when the caller says it committed)."""
        return self._own_change() if joint is None else _JointChange(joint)

    @contextmanager
    def _own_change(self) -> Iterator[tuple[Tx, _AfterCommit]]:
        after = _AfterCommit()
        with self.db.write() as s, sql.session_tx(s) as tx:
            yield tx, after
        self._after_commit(after)

    def committed(self, joint: Joint) -> None:
        """The caller's `joint` transaction has committed: tell the queue what its changes planned."""
        after, joint.after = joint.after, _AfterCommit()
        self._after_commit(after)

    def _locked_booking(self, s: Session, booking_id: int) -> Booking:
        q = select(Booking).where(Booking.id == booking_id)
        if s.get_bind().dialect.name == "postgresql":
            q = q.with_for_update()
        booking = s.exec(q).first()
        if booking is None:
            raise NotFound(f"no booking {booking_id}")
        return booking

    def _window(self, planned_at: dt.datetime, start_at: dt.datetime, *, after_k: int,
                now: dt.datetime) -> tuple[builtins.list[tuple[int, dt.datetime]], dt.datetime | None]:
        """The plan's next window to write as rows, and when the one after it is due."""
        # enough rows that the reconciler's next rounds always find the window filled
        limit = max(PLAN_BATCH, -(-3 * self.reconcile_seconds // self.interval))
        return next_reminders(planned_at, start_at, self.interval, after_k=after_k, until=now + PLAN_AHEAD,
                              limit=limit)

    def _plan(self, tx: Tx, booking: Booking, now: dt.datetime, after: _AfterCommit) -> None:
        """Write the next window of the booking's reminder plan as rows (to be enqueued after commit)."""
        assert booking.id is not None
        due, next_at = self._window(booking.planned_at, booking.start_at, after_k=booking.reminders_planned, now=now)
        after.schedule.extend(sql.insert_reminders(tx, booking_id=booking.id, revision=booking.revision,
                                                   due=due, now=now))
        if due:
            booking.reminders_planned = due[-1][0]
        booking.next_reminder_at = next_at

    def top_up_reminders(self, *, max_bookings: int = 500) -> int:
        """Write the next window of reminders for bookings whose plan runs out within PLAN_AHEAD.

        Run by the reconciler; returns how many reminder rows it added.
        """
        now = self.clock()
        after = _AfterCommit()
        with self.db.write() as s:
            q = select(Booking).where(
                Booking.status == BookingStatus.CONFIRMED,
                col(Booking.next_reminder_at).is_not(None),
                col(Booking.next_reminder_at) <= now + PLAN_AHEAD,
            ).order_by(col(Booking.next_reminder_at)).limit(max_bookings)
            if s.get_bind().dialect.name == "postgresql":
                q = q.with_for_update(skip_locked=True)
            found = s.exec(q).all()
            with sql.session_tx(s) as tx:
                for booking in found:
                    self._plan(tx, booking, now, after)
        self._after_commit(after)
        return len(after.schedule)

    def planned_reminders(self, booking: Booking, *, limit: int = 100) -> builtins.list[tuple[str, dt.datetime]]:
        """The rest of the current plan not yet written as rows: (job id, due time), at most `limit`."""
        if booking.status != BookingStatus.CONFIRMED or booking.next_reminder_at is None:
            return []
        assert booking.id is not None
        due, _ = next_reminders(booking.planned_at, booking.start_at, self.interval,
                                after_k=booking.reminders_planned, until=booking.start_at, limit=limit)
        return [(job_id(booking.id, booking.revision, k), at) for k, at in due]

    @staticmethod
    def _notice(tx: Tx, booking: Booking, kind: str, body: str, now: dt.datetime, after: _AfterCommit) -> None:
        after.messages.append(sql.insert_notice(tx, kind=kind, to_phone=booking.customer_phone, body=body,
                                                booking_id=booking.id, now=now))

    def _after_commit(self, after: _AfterCommit) -> None:
        # Best effort: the rows are committed, and the reconciler re-enqueues anything lost here.
        try:
            if after.revoke:
                self.dispatcher.revoke_reminders(after.revoke)
            if after.schedule:
                self.dispatcher.schedule_reminders(after.schedule)
            for mid in after.messages:
                self.dispatcher.send_message(mid)
        except Exception:  # noqa: BLE001 - the queue being down must not undo a committed booking
            log.exception("could not reach the queue; the reconciler will catch up")


def upcoming_for(bookings: Sequence[Booking], now: dt.datetime) -> builtins.list[Booking]:
    return [b for b in bookings if b.status == BookingStatus.CONFIRMED and b.start_at > now]
