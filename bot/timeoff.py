"""Barbers' time off: blocks that no booking may overlap (part of the booking service)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlmodel import col, select

from bot.booking_sql import lock_barber, session_tx
from bot.clock import Clock
from bot.db import Database
from bot.errors import InvalidBooking
from bot.models import Booking, BookingStatus, TimeOff
from bot.shop import Shop


class TimeOffMixin:
    """block / unblock / time_off, sharing the booking service's database, clock and barber lock."""

    db: Database
    clock: Clock
    _shop: Callable[[], Shop]

    @property
    def shop(self) -> Shop:
        return self._shop()

    def block(self, *, barber: str, start: dt.datetime, end: dt.datetime,
              reason: str | None = None) -> tuple[TimeOff, list[Booking]]:
        """Add time off; returns it with the confirmed bookings that clash (left for the barber to decide)."""
        if self.shop.barber(barber) is None:
            raise InvalidBooking(f"unknown barber: {barber}", code="unknown_barber")
        if end <= start:
            raise InvalidBooking("the end must be after the start", code="invalid_range")
        now = self.clock()
        with self.db.write() as s, session_tx(s) as tx:
            lock_barber(tx, barber)
            off = TimeOff(barber=barber, start_at=start.astimezone(dt.UTC), end_at=end.astimezone(dt.UTC),
                          reason=reason, created_at=now)
            s.add(off)
            clashes = list(s.exec(select(Booking).where(
                Booking.barber == barber, Booking.status == BookingStatus.CONFIRMED,
                Booking.start_at < off.end_at, Booking.end_at > off.start_at,
            ).order_by(col(Booking.start_at))).all())
        return off, clashes

    def unblock(self, *, barber: str, start: dt.datetime, end: dt.datetime) -> int:
        """Remove time off of `barber` lying inside [start, end); returns how many went."""
        with self.db.write() as s:
            rows = s.exec(select(TimeOff).where(
                TimeOff.barber == barber, TimeOff.start_at >= start, TimeOff.end_at <= end)).all()
            for r in rows:
                s.delete(r)
        return len(rows)

    def time_off(self, *, barber: str, start: dt.datetime, end: dt.datetime) -> list[TimeOff]:
        with self.db.session() as s:
            return list(s.exec(select(TimeOff).where(
                TimeOff.barber == barber, TimeOff.start_at < end, TimeOff.end_at > start,
            ).order_by(col(TimeOff.start_at))).all())

