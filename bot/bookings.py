"""The booking service: the one way bookings are created, moved, cancelled and closed.

The API, the chat and the barbers' commands all come through here, so the rules (and the
reminders and notices that follow a change) hold for every caller. Each change is one write
transaction of its own, or, given `session=`, a savepoint inside the caller's transaction (a chat
turn books in the same transaction as the message it answers). The queue is told once the
transaction has committed (`bot.db.after_commit`).

Concurrency: on SQLite a write transaction holds the write lock from its start. On PostgreSQL a
change locks the barber's row before it reads that barber's bookings, so two changes for one
barber run one after the other; the exclusion constraint `booking_no_overlap` is the last line.
"""

from __future__ import annotations

import builtins
import datetime as dt
import logging
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot import messages
from bot.availability import Interval, Slot, check_start, day_bounds, free_starts
from bot.clock import Clock
from bot.customers import ensure_customer
from bot.db import Database, after_commit, savepoint
from bot.dispatch import Dispatcher, PlannedReminder
from bot.errors import Conflict, InvalidBooking, NotFound, SlotTaken
from bot.models import Barber, Booking, BookingStatus, OutboundMessage, Reminder, ReminderState
from bot.phones import InvalidPhone, normalize_phone
from bot.reminders.plan import PLAN_AHEAD, PLAN_BATCH, job_id, next_reminders
from bot.shop import Shop
from bot.timeoff import TimeOffMixin, busy_intervals

log = logging.getLogger(__name__)

CODE_LENGTH = 4
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: easy to read and type
CODE_ATTEMPTS = 8
# a code a customer would write as a day of the month ("the 25th") is never drawn
_ORDINAL_LIKE = re.compile(r"^\d{1,2}(?:ST|ND|RD|TH)$")


def new_code() -> str:
    """Four symbols drawn uniformly from CODE_ALPHABET, never one that reads as a day ("25TH")."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not _ORDINAL_LIKE.match(code):
            return code


@dataclass
class QueueWork:
    """What a change asks of the queue once its transaction has committed."""

    schedule: list[PlannedReminder] = field(default_factory=list)
    revoke: list[str] = field(default_factory=list)
    messages: list[int] = field(default_factory=list)


def is_overlap(exc: IntegrityError) -> bool:
    return "booking_no_overlap" in str(exc.orig) or "exclusion" in str(exc.orig).lower()


def is_code_clash(exc: IntegrityError) -> bool:
    text = str(exc.orig).lower()
    return "code" in text and ("unique" in text or "duplicate" in text)


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

    @contextmanager
    def _read(self, session: Session | None) -> Iterator[Session]:
        """The caller's session (reads see its uncommitted changes), or a read session of our own."""
        if session is not None:
            yield session
            return
        with self.db.session() as s:
            yield s

    def get(self, booking_id: int, *, session: Session | None = None) -> Booking:
        with self._read(session) as s:
            b = s.get(Booking, booking_id)
        if b is None:
            raise NotFound(f"no booking {booking_id}")
        return b

    def get_by_code(self, code: str, *, session: Session | None = None) -> Booking:
        with self._read(session) as s:
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
        session: Session | None = None,
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
        with self._read(session) as s:
            return list(s.exec(q).all())

    def reminders(self, booking_id: int) -> builtins.list[Reminder]:
        """The booking's reminder rows; NotFound if there is no such booking."""
        self.get(booking_id)
        return self.reminder_rows(booking_id)

    def reminder_rows(self, booking_id: int) -> builtins.list[Reminder]:
        with self.db.session() as s:
            q = select(Reminder).where(Reminder.booking_id == booking_id).order_by(col(Reminder.id))
            return list(s.exec(q).all())

    def availability(self, *, day: dt.date, service: str, barber: str | None = None,
                     session: Session | None = None) -> builtins.list[Slot]:
        """Free start times of `service` on the local `day` (with `barber`, or any)."""
        shop = self.shop
        if shop.service(service) is None:
            raise InvalidBooking(f"unknown service: {service}", code="unknown_service")
        if barber is not None and shop.barber(barber) is None:
            raise InvalidBooking(f"unknown barber: {barber}", code="unknown_barber")
        with self._read(session) as s:
            return self.free(s, day=day, service=service, barber=barber)

    def free(self, s: Session, *, day: dt.date, service: str, barber: str | None = None,
             exclude_booking: int | None = None) -> builtins.list[Slot]:
        """`availability` read in the caller's session; `exclude_booking` counts as not there
        (the booking being moved)."""
        shop = self.shop
        if shop.service(service) is None:
            return []
        start, end = day_bounds(shop, day)
        busy = busy_intervals(s, start - dt.timedelta(hours=12), end + dt.timedelta(hours=12),
                              barber=barber, exclude_booking=exclude_booking)
        return free_starts(shop, service=service, day=day, now=self.clock(), busy=busy, barber=barber)

    # -- writes ------------------------------------------------------------

    def create(
        self,
        *,
        customer_phone: str,
        service: str,
        start: dt.datetime,
        barber: str | None = None,
        customer_name: str | None = None,
        guest_name: str | None = None,
        session: Session | None = None,
    ) -> Booking:
        """Book `service` at `start` with `barber` (or the first barber free then, in shop order),
        for the customer or, with `guest_name`, for someone they book for.

        Raises InvalidBooking (a rule broken), SlotTaken (someone is there) or Conflict."""
        try:
            phone = normalize_phone(customer_phone)
        except InvalidPhone as exc:
            raise InvalidBooking("customer_phone: not an E.164 number", code="invalid_phone") from exc
        shop = self.shop
        if shop.service(service) is None:
            raise InvalidBooking(f"unknown service: {service}", code="unknown_service")
        candidates = [barber] if barber is not None else [b.key for b in shop.barbers_for(service)]
        if not candidates:
            raise InvalidBooking(f"no barber does {service}", code="service_not_offered")
        refused: Exception | None = None
        taken: SlotTaken | None = None
        for key in candidates:
            try:
                return self._create_with(phone, customer_name, guest_name, service, key, start, session)
            except SlotTaken as exc:
                taken = taken or exc
            except InvalidBooking as exc:
                if barber is not None or exc.code not in ("outside_hours", "service_not_offered"):
                    raise
                refused = refused or exc
        if taken is not None:
            raise SlotTaken("no barber is free then", code="slot_taken") if barber is None else taken
        assert refused is not None
        raise refused

    def _create_with(self, phone: str, name: str | None, guest_name: str | None, service: str, barber: str,
                     start: dt.datetime, session: Session | None) -> Booking:
        shop = self.shop
        svc = shop.service(service)
        assert svc is not None
        start = start.astimezone(dt.UTC) if start.tzinfo is not None else start
        for _attempt in range(CODE_ATTEMPTS):
            now = self.clock()
            try:
                with self._change(session) as (s, after):
                    _lock_barber(s, barber)
                    bookings, time_off = self._intervals(s, barber, start, svc.minutes)
                    check_start(shop, service=service, barber=barber, start=start, now=now,
                                bookings=bookings, time_off=time_off)
                    ensure_customer(s, phone=phone, now=now, name=name)
                    booking = Booking(
                        code=new_code(), status=BookingStatus.CONFIRMED, customer_phone=phone,
                        customer_name=name, guest_name=guest_name, service=service, barber=barber, start_at=start,
                        end_at=start + dt.timedelta(minutes=svc.minutes), revision=1,
                        created_at=now, updated_at=now, planned_at=now)
                    s.add(booking)
                    s.flush()
                    self._plan(s, booking, now, after)
            except IntegrityError as exc:
                if is_overlap(exc):
                    raise SlotTaken("that slot is already booked", code="slot_taken") from exc
                if is_code_clash(exc):
                    continue
                raise
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
        notice: str | None = None,
        session: Session | None = None,
    ) -> Booking:
        """Move a confirmed booking: its pending reminders are revoked and a new plan is made
        under new job ids; the customer told (`notify`) with `notice`, or the standard message.
        Asking for what it already is changes nothing."""
        shop = self.shop
        now = self.clock()
        try:
            with self._change(session) as (s, after):
                booking = _locked_booking(s, booking_id)
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
                    _lock_barber(s, new_barber)
                bookings, time_off = self._intervals(s, new_barber, new_start, svc.minutes,
                                                     exclude_booking=booking.id)
                check_start(shop, service=new_service, barber=new_barber, start=new_start, now=now,
                            bookings=bookings, time_off=time_off)
                after.revoke = _revoke_pending(s, booking.id, now)
                booking.service, booking.barber = new_service, new_barber
                booking.start_at = new_start
                booking.end_at = new_start + dt.timedelta(minutes=svc.minutes)
                booking.revision += 1
                booking.updated_at = booking.planned_at = now
                booking.reminders_planned = 0
                s.add(booking)
                s.flush()
                self._plan(s, booking, now, after)
                if notify:
                    self._notice(s, booking, "reschedule", notice or messages.rescheduled_notice(
                        shop, service=booking.service, barber=booking.barber,
                        start=booking.start_at, code=booking.code), now, after)
        except IntegrityError as exc:
            if is_overlap(exc):
                raise SlotTaken("that slot is already booked", code="slot_taken") from exc
            raise
        log.info("booking %s moved to %s", booking.code, booking.start_at.isoformat())
        return booking

    def cancel(self, booking_id: int, *, reason: str | None = None, notify: bool = True,
               notice: str | None = None, session: Session | None = None) -> Booking:
        """Cancel a confirmed booking: pending reminders revoked, the customer told (`notify`) with
        `notice`, or the standard cancellation message. Cancelling a cancelled booking again changes
        nothing; Conflict if it was closed otherwise."""
        return self._close(booking_id, BookingStatus.CANCELLED, reason=reason, notify=notify, notice=notice,
                           session=session)

    def tell(self, booking_id: int, body: str, *, kind: str = "notice", session: Session | None = None) -> int:
        """Send the booking's customer `body` (sent by the worker once the transaction commits); its
        message id. Changes nothing else; NotFound if there is no such booking."""
        booking = self.get(booking_id, session=session)
        return self.notify(to_phone=booking.customer_phone, body=body, kind=kind, booking_id=booking_id,
                           session=session)

    def set_outcome(self, booking_id: int, status: str, *, session: Session | None = None) -> Booking:
        """Mark a confirmed booking completed or no_show (its pending reminders are revoked)."""
        if status not in (BookingStatus.COMPLETED, BookingStatus.NO_SHOW):
            raise InvalidBooking(f"not an outcome: {status}", code="invalid_status")
        return self._close(booking_id, status, reason=None, notify=False, session=session)

    def _close(self, booking_id: int, status: str, *, reason: str | None, notify: bool,
               session: Session | None, notice: str | None = None) -> Booking:
        shop = self.shop
        now = self.clock()
        with self._change(session) as (s, after):
            booking = _locked_booking(s, booking_id)
            if booking.status != BookingStatus.CONFIRMED:
                if booking.status == status:
                    return booking  # asking twice changes nothing
                raise Conflict(f"booking {booking.code} is already {booking.status}", code="not_confirmed")
            booking.status = status
            booking.next_reminder_at = None
            booking.cancel_reason = reason if status == BookingStatus.CANCELLED else None
            booking.revision += 1
            booking.updated_at = now
            s.add(booking)
            s.flush()
            assert booking.id is not None
            after.revoke = _revoke_pending(s, booking.id, now)
            if notify and status == BookingStatus.CANCELLED:
                self._notice(s, booking, "cancellation", notice or messages.cancelled_notice(
                    shop, service=booking.service, barber=booking.barber, start=booking.start_at,
                    code=booking.code, reason=reason), now, after)
        log.info("booking %s %s", booking.code, status)
        return booking

    def notify(self, *, to_phone: str, body: str, kind: str = "notice", booking_id: int | None = None,
               session: Session | None = None) -> int:
        """Queue a message to `to_phone` (sent by the worker once the transaction commits); its id."""
        now = self.clock()
        with self._change(session) as (s, after):
            message_id = _queue_message(s, to_phone, body, kind, booking_id, now)
            after.messages.append(message_id)
        return message_id

    # -- helpers -------------------------------------------------------------

    @contextmanager
    def _change(self, session: Session | None) -> Iterator[tuple[Session, QueueWork]]:
        """One change: a write transaction of its own, or a savepoint in the caller's `session`.
        What to tell the queue is handed over only if the change went through."""
        after = QueueWork()
        if session is None:
            with self.db.write() as s:
                yield s, after
                after_commit(s, lambda: self._tell_queue(after))
        else:
            with savepoint(session):
                yield session, after
                after_commit(session, lambda: self._tell_queue(after))

    @staticmethod
    def _intervals(s: Session, barber: str, start: dt.datetime, minutes: int,
                   exclude_booking: int | None = None) -> tuple[builtins.list[Interval], builtins.list[Interval]]:
        """The barber's confirmed bookings and time off overlapping [start, start + minutes)."""
        if start.tzinfo is None:
            raise InvalidBooking("start needs a time zone offset", code="invalid_start")
        busy = busy_intervals(s, start, start + dt.timedelta(minutes=minutes), barber=barber,
                              exclude_booking=exclude_booking, split=True)
        return busy.get("booking", []), busy.get("time_off", [])

    def _window(self, planned_at: dt.datetime, start_at: dt.datetime, *, after_k: int,
                now: dt.datetime) -> tuple[builtins.list[tuple[int, dt.datetime]], dt.datetime | None]:
        """The plan's next window to write as rows, and when the one after it is due."""
        # enough rows that the reconciler's next rounds always find the window filled
        limit = max(PLAN_BATCH, -(-3 * self.reconcile_seconds // self.interval))
        return next_reminders(planned_at, start_at, self.interval, after_k=after_k, until=now + PLAN_AHEAD,
                              limit=limit)

    def _plan(self, s: Session, booking: Booking, now: dt.datetime, after: QueueWork) -> None:
        """Write the next window of the booking's reminder plan as rows (enqueued after commit)."""
        assert booking.id is not None
        due, next_at = self._window(booking.planned_at, booking.start_at, after_k=booking.reminders_planned, now=now)
        rows = [Reminder(booking_id=booking.id, job_id=job_id(booking.id, booking.revision, k), k=k,
                         revision=booking.revision, due_at=at, state=ReminderState.SCHEDULED, updated_at=now)
                for k, at in due]
        s.add_all(rows)
        if due:
            booking.reminders_planned = due[-1][0]
        booking.next_reminder_at = next_at
        s.add(booking)
        s.flush()
        after.schedule.extend(PlannedReminder(r.id, r.job_id, r.due_at) for r in rows if r.id is not None)

    def top_up_reminders(self, *, max_bookings: int = 500) -> int:
        """Write the next window of reminders for bookings whose plan runs out within PLAN_AHEAD.

        Run by the reconciler; returns how many reminder rows it added.
        """
        now = self.clock()
        after = QueueWork()
        with self.db.write() as s:
            q = select(Booking).where(
                Booking.status == BookingStatus.CONFIRMED,
                col(Booking.next_reminder_at).is_not(None),
                col(Booking.next_reminder_at) <= now + PLAN_AHEAD,
            ).order_by(col(Booking.next_reminder_at)).limit(max_bookings)
            if s.get_bind().dialect.name == "postgresql":
                q = q.with_for_update(skip_locked=True)
            for booking in s.exec(q).all():
                self._plan(s, booking, now, after)
            after_commit(s, lambda: self._tell_queue(after))
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
    def _notice(s: Session, booking: Booking, kind: str, body: str, now: dt.datetime, after: QueueWork) -> None:
        after.messages.append(_queue_message(s, booking.customer_phone, body, kind, booking.id, now))

    def _tell_queue(self, after: QueueWork) -> None:
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


def _lock_barber(s: Session, barber: str) -> None:
    """Refuse a barber who is unknown or inactive (`unknown_barber`), and serialise writers per
    barber: a row lock on PostgreSQL until the transaction ends; SQLite already holds the write lock."""
    q = select(Barber.key).where(Barber.key == barber, col(Barber.active).is_(True))
    if s.get_bind().dialect.name == "postgresql":
        q = q.with_for_update()
    if s.exec(q).first() is None:
        raise InvalidBooking(f"unknown barber: {barber}", code="unknown_barber")


def _locked_booking(s: Session, booking_id: int) -> Booking:
    """The booking, row-locked on PostgreSQL until the transaction ends; NotFound if there is none."""
    booking = s.get(Booking, booking_id, with_for_update=s.get_bind().dialect.name == "postgresql",
                    populate_existing=True)
    if booking is None:
        raise NotFound(f"no booking {booking_id}")
    return booking


def _revoke_pending(s: Session, booking_id: int, now: dt.datetime) -> builtins.list[str]:
    """Revoke the booking's reminders not yet claimed by a worker (one already claimed is the
    worker's to finish); their job ids, in plan order."""
    result = s.execute(
        sa.update(Reminder)
        .where(col(Reminder.booking_id) == booking_id,
               col(Reminder.state).in_((ReminderState.SCHEDULED, ReminderState.RETRYING)))
        .values(state=ReminderState.REVOKED, updated_at=now)
        .returning(col(Reminder.k), col(Reminder.job_id)),
        execution_options={"synchronize_session": False})
    return [job for _, job in sorted(result.all())]


def _queue_message(s: Session, to_phone: str, body: str, kind: str, booking_id: int | None, now: dt.datetime) -> int:
    """An outbound message row, queued; its id (the worker sends it once the transaction commits)."""
    msg = OutboundMessage(kind=kind, to_phone=to_phone, body=body, booking_id=booking_id, state="queued",
                          created_at=now)
    s.add(msg)
    s.flush()
    assert msg.id is not None
    return msg.id
