"""Barbers' time off: blocks that no booking may overlap (part of the booking service)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.db import Database, savepoint
from bot.errors import InvalidBooking
from bot.models import Barber, Booking, BookingStatus, TimeOff
from bot.shop import Shop

Interval = tuple[dt.datetime, dt.datetime]
# Longer than any booking (a shop's services last at most 480 minutes): a booking overlapping
# [lo, hi) starts after lo - LONGEST_BOOKING, which bounds the index scan on (barber, start_at)
LONGEST_BOOKING = dt.timedelta(days=1)


BOOKING = Booking.__table__  # type: ignore[attr-defined]
TIME_OFF = TimeOff.__table__  # type: ignore[attr-defined]


def _busy_statement(by_barber: bool, excluding: bool) -> sa.CompoundSelect:
    b, t = BOOKING.c, TIME_OFF.c
    lo, hi = sa.bindparam("lo", type_=b.start_at.type), sa.bindparam("hi", type_=b.start_at.type)
    bq = sa.select(sa.literal("booking"), b.barber, b.start_at, b.end_at).where(
        b.status == BookingStatus.CONFIRMED, b.start_at < hi, b.end_at > lo,
        b.start_at > sa.bindparam("floor", type_=b.start_at.type))
    tq = sa.select(sa.literal("time_off"), t.barber, t.start_at, t.end_at).where(t.start_at < hi, t.end_at > lo)
    if by_barber:
        bq, tq = bq.where(b.barber == sa.bindparam("barber")), tq.where(t.barber == sa.bindparam("barber"))
    if excluding:
        bq = bq.where(b.id != sa.bindparam("exclude"))
    return bq.union_all(tq)


# built once, run with each call's values: (by one barber, excluding one booking) -> statement
_BUSY = {(by, ex): _busy_statement(by, ex) for by in (False, True) for ex in (False, True)}


def busy_intervals(s: Session, lo: dt.datetime, hi: dt.datetime, *, barber: str | None = None,
                   exclude_booking: int | None = None, split: bool = False) -> dict[str, list[Interval]]:
    """Confirmed bookings and time off overlapping [lo, hi): by barber key, or with `split` by
    kind ("booking", "time_off")."""
    stmt = _BUSY[bool(barber), exclude_booking is not None]
    params = {"lo": lo, "hi": hi, "floor": lo - LONGEST_BOOKING, "barber": barber, "exclude": exclude_booking}
    busy: dict[str, list[Interval]] = {}
    for kind, key, start, end in s.execute(stmt, params):
        busy.setdefault(kind if split else key, []).append((start, end))
    return busy


class TimeOffMixin:
    """block / unblock / time_off, sharing the booking service's database, clock and barber lock."""

    db: Database
    clock: Clock
    _shop: Callable[[], Shop]

    @property
    def shop(self) -> Shop:
        return self._shop()

    @contextmanager
    def _write(self, session: Session | None) -> Iterator[Session]:
        """A write transaction of its own, or a savepoint in the caller's `session`."""
        if session is None:
            with self.db.write() as s:
                yield s
        else:
            with savepoint(session) as s:
                yield s

    def block(self, *, barber: str, start: dt.datetime, end: dt.datetime,
              reason: str | None = None, session: Session | None = None) -> tuple[TimeOff, list[Booking]]:
        """Add time off; returns it with the confirmed bookings that clash (left for the barber to decide)."""
        if self.shop.barber(barber) is None:
            raise InvalidBooking(f"unknown barber: {barber}", code="unknown_barber")
        if end <= start:
            raise InvalidBooking("the end must be after the start", code="invalid_range")
        now = self.clock()
        with self._write(session) as s:
            q = select(Barber.key).where(Barber.key == barber)
            if s.get_bind().dialect.name == "postgresql":
                q = q.with_for_update()
            s.exec(q).first()
            off = TimeOff(barber=barber, start_at=start.astimezone(dt.UTC), end_at=end.astimezone(dt.UTC),
                          reason=reason, created_at=now)
            s.add(off)
            clashes = list(s.exec(select(Booking).where(
                Booking.barber == barber, Booking.status == BookingStatus.CONFIRMED,
                Booking.start_at < off.end_at, Booking.end_at > off.start_at,
            ).order_by(col(Booking.start_at))).all())
        return off, clashes

    def unblock(self, *, barber: str, start: dt.datetime, end: dt.datetime,
                session: Session | None = None) -> int:
        """Free [start, end) of `barber`'s time off: blocks inside it go, a block that reaches into
        it is cut back to what lies outside (split in two if it lies in the middle); how many
        blocks changed."""
        start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
        with self._write(session) as s:
            rows = s.exec(select(TimeOff).where(
                TimeOff.barber == barber, TimeOff.start_at < end, TimeOff.end_at > start)).all()
            for r in rows:
                before, after = r.start_at < start, r.end_at > end
                if before and after:  # the middle of a block: keep the tail as a block of its own
                    s.add(TimeOff(barber=barber, start_at=end, end_at=r.end_at, reason=r.reason,
                                  created_at=r.created_at))
                if before:
                    r.end_at = start
                    s.add(r)
                elif after:
                    r.start_at = end
                    s.add(r)
                else:
                    s.delete(r)
        return len(rows)

    def time_off(self, *, barber: str, start: dt.datetime, end: dt.datetime,
                 session: Session | None = None) -> list[TimeOff]:
        """`barber`'s time off overlapping [start, end), read in `session` when given."""
        if session is not None:
            return self._time_off(session, barber, start, end)
        with self.db.session() as s:
            return self._time_off(s, barber, start, end)

    @staticmethod
    def _time_off(s: Session, barber: str, start: dt.datetime, end: dt.datetime) -> list[TimeOff]:
            return list(s.exec(select(TimeOff).where(
                TimeOff.barber == barber, TimeOff.start_at < end, TimeOff.end_at > start,
            ).order_by(col(TimeOff.start_at))).all())
