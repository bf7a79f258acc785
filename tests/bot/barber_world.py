"""An in-memory day of bookings for the barber step's tests: a BarberContext over plain lists, and
the step's actions applied to them as the BookingService would."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

from bot.availability import Slot, free_starts, local_date
from bot.dialogue.barber import BookingInfo, CustomerRecord
from bot.dialogue.barber_flow import (
    AddTimeOff,
    BarberAction,
    BarberContext,
    CancelAndTell,
    MoveAndTell,
    RemoveTimeOff,
    SetOutcome,
    Tell,
)
from bot.shop import Barber, Shop


@dataclass
class World:
    shop: Shop
    now: dt.datetime
    bookings: list[BookingInfo] = field(default_factory=list)
    time_off: list[tuple[str, dt.datetime, dt.datetime]] = field(default_factory=list)
    sent: list[tuple[str, str]] = field(default_factory=list)  # (customer phone, body)

    def context(self, barber: Barber) -> BarberContext:
        shop = self.shop

        def bookings_on(day: dt.date, key: str) -> list[BookingInfo]:
            return sorted((b for b in self.bookings if b.barber == key and local_date(shop, b.start) == day),
                          key=lambda b: b.start)

        def by_code(code: str) -> BookingInfo | None:
            return next((b for b in self.bookings if b.code == code), None)

        def time_off(key: str, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
            return [(a, z) for who, a, z in self.time_off if who == key and a < end and z > start]

        def free(day: dt.date, service: str, key: str | None) -> list[Slot]:
            busy: dict[str, list[tuple[dt.datetime, dt.datetime]]] = {}
            for b in self.bookings:
                if b.status == "confirmed":
                    busy.setdefault(b.barber, []).append((b.start, b.end))
            for who, a, z in self.time_off:
                busy.setdefault(who, []).append((a, z))
            return free_starts(shop, service=service, day=day, now=self.now, busy=busy, barber=key)

        def customer(phone: str) -> CustomerRecord:
            rows = [b for b in self.bookings if b.customer_phone == phone]
            return CustomerRecord(phone, None, len(rows), sum(b.status == "no_show" for b in rows))

        return BarberContext(shop=shop, barber=barber, now=self.now, bookings_on=bookings_on, by_code=by_code,
                             time_off=time_off, free=free, customer=customer)

    def apply(self, action: BarberAction) -> None:
        """Carry out `action` as the BookingService would (a closed booking is left alone)."""
        if isinstance(action, AddTimeOff):
            self.time_off.append((action.barber, action.start, action.end))
        elif isinstance(action, RemoveTimeOff):
            self.time_off = [t for t in self.time_off
                             if not (t[0] == action.barber and t[1] >= action.start and t[2] <= action.end)]
        elif isinstance(action, (CancelAndTell, MoveAndTell, SetOutcome, Tell)):
            i = next(i for i, b in enumerate(self.bookings) if b.id == action.booking_id)
            b = self.bookings[i]
            if isinstance(action, Tell):
                self.sent.append((b.customer_phone, action.notice))
            elif b.status == "confirmed":
                if isinstance(action, CancelAndTell):
                    self.bookings[i] = dataclasses.replace(b, status="cancelled")
                    self.sent.append((b.customer_phone, action.notice))
                elif isinstance(action, MoveAndTell):
                    self.bookings[i] = dataclasses.replace(b, start=action.start, barber=action.barber,
                                                           end=action.start + (b.end - b.start))
                    self.sent.append((b.customer_phone, "moved"))
                else:
                    self.bookings[i] = dataclasses.replace(b, status=action.status)
