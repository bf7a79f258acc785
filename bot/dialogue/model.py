"""The dialogue's values: named states, the draft being filled in, what the core is told and what it asks for.

Nothing here does I/O. A `Convo` round-trips through JSON (the Conversation table's `data`):
`read_convo(state, data)` and `convo_data(convo)`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.availability import Slot
from bot.shop import Shop


class State(enum.StrEnum):
    IDLE = "idle"
    ASK_SERVICE = "ask_service"      # a numbered list of services is showing
    ASK_DAY = "ask_day"              # waiting for a day (and maybe a time)
    ASK_TIME = "ask_time"            # the day is known, the time was unclear
    PICK_SLOT = "pick_slot"          # numbered free times are showing
    PICK_BOOKING = "pick_booking"    # numbered bookings are showing (which one to cancel/move?)
    CONFIRM = "confirm"              # the exact change was repeated; waiting for YES
    # a barber's (bot.dialogue.barber_flow): time off added, its clashing bookings showing
    BARBER_CLASH = "barber_clash"    # waiting for move them / cancel them / keep them
    BARBER_CONFIRM = "barber_confirm"  # a day off: waiting for YES to cancel them (or move / keep)
    UNCLEAR = "unclear"              # the last message was not understood (two in a row: a person)


class Goal(enum.StrEnum):
    BOOK = "book"
    RESCHEDULE = "reschedule"
    CANCEL = "cancel"


@dataclass(frozen=True)
class Option:
    """One numbered choice: a free slot, a service, or one of the customer's bookings."""

    kind: str  # "slot" | "service" | "booking"
    start: dt.datetime | None = None  # aware UTC (slots)
    barber: str | None = None
    service: str | None = None
    booking_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "start": self.start.isoformat() if self.start else None,
                "barber": self.barber, "service": self.service, "booking_id": self.booking_id}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Option:
        """The Option `d` holds (as `to_json` wrote it); KeyError, ValueError or TypeError if it
        holds none."""
        start = dt.datetime.fromisoformat(d["start"]) if d.get("start") else None
        return cls(kind=d["kind"], start=start, barber=d.get("barber"), service=d.get("service"),
                   booking_id=d.get("booking_id"))


@dataclass(frozen=True)
class Draft:
    """What the customer asked for so far in this flow."""

    goal: Goal | None = None
    service: str | None = None
    barber: str | None = None
    any_barber: bool = False
    date: dt.date | None = None
    time: dt.time | None = None
    window: tuple[int, int, str] | None = None
    date_range: tuple[dt.date, dt.date] | None = None
    browse: bool = False  # "any slots ...?": show times rather than ask for one
    booking_id: int | None = None  # the booking being moved or cancelled
    options: tuple[Option, ...] = ()
    pending: Option | None = None  # the exact change waiting for YES
    barber_pending: str | None = None  # a barber's block waiting for a word (barber_flow.Pending's text)
    guest: str | None = None  # who the chair is for, when not the customer ("for my son Jack")
    misses: int = 0  # messages in a row not understood
    menu: bool = False  # the last reply showed the service menu (never twice in a row)
    shift: int = 0  # "an hour later" before the booking was chosen: minutes to move it by, once chosen
    not_barbers: tuple[str, ...] = ()  # "not with jono": barbers never offered in this flow
    asked: str | None = None  # the question just answered ("hours", "who"): "and sunday?" asks it again
    latest: bool = False  # "latest he has": a day's free times are listed from its end

    def evolve(self, **changes: Any) -> Draft:
        """This draft with `changes` (TypeError for a field it does not have)."""
        return dataclasses.replace(self, **changes)

    def to_text(self) -> str:
        return json.dumps(self.to_json())

    def to_json(self) -> dict[str, Any]:
        return {
            "goal": self.goal.value if self.goal else None,
            "service": self.service, "barber": self.barber, "any_barber": self.any_barber,
            "date": self.date.isoformat() if self.date else None,
            "time": self.time.strftime("%H:%M") if self.time else None,
            "window": list(self.window) if self.window else None,
            "date_range": [d.isoformat() for d in self.date_range] if self.date_range else None,
            "browse": self.browse, "booking_id": self.booking_id,
            "options": [o.to_json() for o in self.options],
            "pending": self.pending.to_json() if self.pending else None,
            **({"barber_pending": self.barber_pending} if self.barber_pending else {}),
            "guest": self.guest, "misses": self.misses, "menu": self.menu,
            **({"shift": self.shift} if self.shift else {}),
            **({"not_barbers": list(self.not_barbers)} if self.not_barbers else {}),
            **({"asked": self.asked} if self.asked else {}),
            **({"latest": True} if self.latest else {}),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Draft:
        """The Draft `d` holds (as `to_json` wrote it)."""
        w = d.get("window")
        r = d.get("date_range")
        return cls(
            goal=Goal(d["goal"]) if d.get("goal") else None,
            service=d.get("service"), barber=d.get("barber"), any_barber=bool(d.get("any_barber")),
            date=dt.date.fromisoformat(d["date"]) if d.get("date") else None,
            time=dt.time.fromisoformat(d["time"]) if d.get("time") else None,
            window=(int(w[0]), int(w[1]), str(w[2])) if w else None,
            date_range=(dt.date.fromisoformat(r[0]), dt.date.fromisoformat(r[1])) if r else None,
            browse=bool(d.get("browse")), booking_id=d.get("booking_id"),
            options=tuple(Option.from_json(o) for o in d.get("options") or ()),
            pending=Option.from_json(d["pending"]) if d.get("pending") else None,
            barber_pending=d.get("barber_pending"),
            guest=d.get("guest"), misses=int(d.get("misses") or 0), menu=bool(d.get("menu")),
            shift=int(d.get("shift") or 0), not_barbers=tuple(d.get("not_barbers") or ()),
            asked=d.get("asked"), latest=bool(d.get("latest")),
        )




@dataclass(frozen=True)
class Convo:
    state: State = State.IDLE
    draft: Draft = field(default_factory=Draft)

    def to(self, state: State, **changes: Any) -> Convo:
        return Convo(state=state, draft=self.draft.evolve(**changes))


IDLE = Convo()


def read_convo(state: str, data: str) -> Convo:
    """The Convo a conversation row holds; ValueError, KeyError or TypeError for one that is unreadable."""
    return Convo(State(state), Draft.from_json(json.loads(data)))


def convo_data(convo: Convo) -> str:
    """The text a conversation row stores for `convo` (an idle one keeps no draft)."""
    return convo.draft.to_text() if convo.state != State.IDLE else "{}"




@dataclass(frozen=True)
class BookingView:
    """One of the customer's upcoming confirmed bookings, as the dialogue sees it."""

    id: int
    code: str
    service: str
    barber: str
    start: dt.datetime  # aware UTC
    guest_name: str | None = None  # who the chair is for, when not the customer (shown in lists)


# (day, service, barber or None, booking to ignore or None) -> free slots that day
FreeSlots = Callable[[dt.date, str, "str | None", "int | None"], list[Slot]]


def _nobody() -> int | None:
    return None


@dataclass(frozen=True)
class PastBooking:
    """One of the customer's recent bookings, whatever its status (to rebook, or find by a guest's name)."""

    id: int
    code: str
    service: str
    barber: str
    start: dt.datetime  # aware UTC
    status: str
    guest_name: str | None = None


def _no_history() -> Sequence[PastBooking]:
    return ()


def _not_paused() -> bool:
    return False


def no_time_off(barber: str, start: dt.datetime, end: dt.datetime) -> Sequence[tuple[dt.datetime, dt.datetime]]:
    """No barber has time off (a Context built without the database)."""
    return ()


# (barber, start, end) -> that barber's time off overlapping [start, end), aware UTC intervals
TimeOffReader = Callable[[str, dt.datetime, dt.datetime], Sequence[tuple[dt.datetime, dt.datetime]]]


@dataclass(frozen=True)
class CustomerFacts:
    """What the edge knows of the customer beyond their upcoming bookings, read on first use."""

    recent: Callable[[], Sequence[PastBooking]] = _no_history  # newest change first
    handoff_until: Callable[[], dt.datetime | None] = _nobody  # type: ignore[assignment]
    said: Callable[[], Sequence[str]] = _no_history  # type: ignore[assignment]  # their last messages, oldest first
    reminders_paused: Callable[[], bool] = _not_paused  # they sent STOP and not START since


@dataclass(frozen=True)
class Context:
    """What the core may know about the world for one turn (read-only).

    `bookings` may be a lazy sequence and `reminded` a lazy lookup: most turns ("hi", "any
    slots friday?") never look at the customer's bookings, so the edge loads them on first use.
    """

    shop: Shop
    now: dt.datetime
    phone: str
    bookings: Sequence[BookingView]
    free: FreeSlots
    reminded: Callable[[], int | None] = _nobody  # the booking a reminder was just sent about
    facts: CustomerFacts = field(default_factory=CustomerFacts)
    written: str = ""  # this message as the customer wrote it: what a barber is shown, word for word
    time_off: TimeOffReader = no_time_off  # a barber's blocks ("off sick tuesday"): who is in that day

    def words(self, u_text: str) -> str:
        """The message to quote to a person: as written, else (no edge told us) as read."""
        return self.written or u_text

    @property
    def reminded_booking_id(self) -> int | None:
        return self.reminded()


# -- what the core asks the edge to do --------------------------------------


@dataclass(frozen=True)
class Book:
    service: str
    barber: str
    start: dt.datetime
    guest_name: str | None = None  # the chair is for someone else ("for my son Jack")


@dataclass(frozen=True)
class Move:
    booking_id: int
    start: dt.datetime
    barber: str
    service: str


@dataclass(frozen=True)
class CancelBooking:
    booking_id: int


@dataclass(frozen=True)
class PauseReminders:
    paused: bool


@dataclass(frozen=True)
class NotifyStaff:
    """Send `text` to a barber's phone (a customer running late)."""

    phone: str
    text: str


@dataclass(frozen=True)
class Handoff:
    """The customer wants a person: tell `staff_phone`, and stay quiet for `customer` until `until`."""

    customer: str
    staff_phone: str
    text: str
    until: dt.datetime


@dataclass(frozen=True)
class Resume:
    """The owner hands `customer` back to the bot."""

    customer: str


Action = Book | Move | CancelBooking | PauseReminders | NotifyStaff | Handoff | Resume


@dataclass(frozen=True)
class Outcome:
    convo: Convo
    replies: tuple[str, ...] = ()
    actions: tuple[Action, ...] = ()
