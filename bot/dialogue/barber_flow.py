"""A barber's turn as a pure step: `barber_step(convo, command, ctx, now)` -> replies, next convo, actions.

Like the customer dialogue (`flow.step`) it does no I/O: what it knows of the world comes through
`BarberContext` (read callbacks), and what it wants done comes back as `BarberAction` values that
`bot.dialogue.barber_engine` carries out through the BookingService. Each action carries the line to
say once it has happened, so nothing claims a change (or a notice) that did not happen.

Rules: a barber acts on their own bookings and time, an owner on anyone's; no-show and done only
once the appointment has started; time off is added at once (it touches no customer) and its
clashing bookings wait for a second word (move them / cancel them / keep them; YES cancels them
for a day off) kept in the conversation row (states BARBER_CLASH and BARBER_CONFIRM).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.availability import Slot, covered, local_date, local_instant
from bot.phones import InvalidPhone, normalize_phone
from bot.shop import Barber, Shop

from . import barber as cmd
from . import replies as r
from .barber import BookingInfo, CustomerRecord
from .model import IDLE, Convo, Draft, Option, State

OFFERS = 3  # free times offered to a customer whose booking a barber cancelled
LOOK_AHEAD_DAYS = 14  # how far "next free slot" and the offers look


@dataclass(frozen=True)
class BarberContext:
    """What a barber's turn may read (read-only callbacks, each a plain function)."""

    shop: Shop
    barber: Barber  # the sender
    now: dt.datetime
    bookings_on: Callable[[dt.date, str], Sequence[BookingInfo]]  # a barber's bookings that local day, every status
    by_code: Callable[[str], BookingInfo | None]
    time_off: Callable[[str, dt.datetime, dt.datetime], Sequence[tuple[dt.datetime, dt.datetime]]]
    free: Callable[[dt.date, str, str | None], Sequence[Slot]]  # free starts (any barber when None)
    customer: Callable[[str], CustomerRecord]
    handed_off: Callable[[], Sequence[str]] = tuple  # the customers handed to a person now, by phone


# -- what the step asks the edge to do -----------------------------------------


@dataclass(frozen=True)
class AddTimeOff:
    barber: str
    start: dt.datetime
    end: dt.datetime
    reason: str | None
    said: str


@dataclass(frozen=True)
class RemoveTimeOff:
    barber: str
    start: dt.datetime
    end: dt.datetime
    day: dt.date


@dataclass(frozen=True)
class CancelAndTell:
    booking_id: int
    code: str
    reason: str | None
    notice: str  # the customer's message
    said: str
    phone: str = ""  # the customer's
    then: Convo | None = None  # the customer's conversation after the notice: its times to pick from


@dataclass(frozen=True)
class MoveAndTell:
    booking_id: int
    code: str
    start: dt.datetime
    barber: str
    said: str
    notice: str | None = None  # the customer's message (else the standard one)


@dataclass(frozen=True)
class SetOutcome:
    booking_id: int
    code: str
    status: str
    said: str


@dataclass(frozen=True)
class Tell:
    booking_id: int
    code: str
    notice: str
    said: str


@dataclass(frozen=True)
class HandBackTo:
    """The customer `phone`, handed to a person, answered by the bot again (as `resume +…`)."""

    phone: str
    said: str


BarberAction = AddTimeOff | RemoveTimeOff | CancelAndTell | MoveAndTell | SetOutcome | Tell | HandBackTo


@dataclass(frozen=True)
class BarberOutcome:
    convo: Convo
    replies: tuple[str, ...] = ()
    actions: tuple[BarberAction, ...] = ()


# -- the pending block (kept in the conversation row) --------------------------


@dataclass(frozen=True)
class Pending:
    """Time off just added whose clashing bookings wait for the barber's word; `others`: the same
    time off added for more barbers in the same message ("me and jo off fri"), each (barber, start, end);
    `cover`: the barber asked to take the bookings ("can lee take my people"), whom YES moves them to."""

    barber: str
    start: dt.datetime
    end: dt.datetime
    whole_day: bool
    reason: str | None
    cancel: bool  # a day off / sick day: YES cancels them
    others: tuple[tuple[str, dt.datetime, dt.datetime], ...] = ()
    cover: str | None = None

    def spans(self) -> list[tuple[str, dt.datetime, dt.datetime]]:
        """Every barber's block of this time off, the first one's first."""
        return [(self.barber, self.start, self.end), *self.others]

    def to_text(self) -> str:
        return json.dumps({"barber": self.barber, "start": self.start.isoformat(), "end": self.end.isoformat(),
                           "whole_day": self.whole_day, "reason": self.reason, "cancel": self.cancel,
                           "others": [[k, a.isoformat(), z.isoformat()] for k, a, z in self.others],
                           "cover": self.cover})

    @classmethod
    def from_text(cls, text: str) -> Pending:
        d: dict[str, Any] = json.loads(text)
        others = tuple((str(k), dt.datetime.fromisoformat(a), dt.datetime.fromisoformat(z)) for k, a, z in d.get("others", []))
        return cls(str(d["barber"]), dt.datetime.fromisoformat(d["start"]), dt.datetime.fromisoformat(d["end"]),
                   bool(d["whole_day"]), d.get("reason"), bool(d.get("cancel")), others, d.get("cover"))


def _pending(convo: Convo) -> Pending | None:
    if convo.state not in (State.BARBER_CLASH, State.BARBER_CONFIRM) or not convo.draft.barber_pending:
        return None
    try:
        return Pending.from_text(convo.draft.barber_pending)
    except (ValueError, KeyError, TypeError):
        return None


def just_blocked(convo: Convo) -> Pending | None:
    """The block the barber's last message added, while a correction of it may follow."""
    if convo.state != State.UNCLEAR or not convo.draft.barber_pending:
        return None
    try:
        return Pending.from_text(convo.draft.barber_pending)
    except (ValueError, KeyError, TypeError):
        return None


def last_block(convo: Convo) -> Pending | None:
    """The time off the barber's last message added, whether its clashes wait for a word or not
    ("and friday!" may add a day to it)."""
    return just_blocked(convo) or _pending(convo)


@dataclass(frozen=True)
class LastAgenda:
    """The day and barber of the agenda just shown (barber None: who is in that day), kept for the
    barber's next message: a follow-up naming only another barber or another day ("and sam?",
    "what about friday") asks the same of it."""

    day: dt.date
    barber: str | None
    own: bool = False  # the sender's own agenda: a block naming no day that follows is on its day

    def to_text(self) -> str:
        return json.dumps({"agenda": self.day.isoformat(), "barber": self.barber, "own": self.own})


def last_agenda(convo: Convo) -> LastAgenda | None:
    """The agenda the barber's last message asked for, while a follow-up of it may come."""
    if convo.state != State.UNCLEAR or not convo.draft.barber_pending:
        return None
    try:
        d = json.loads(convo.draft.barber_pending)
        return LastAgenda(dt.date.fromisoformat(d["agenda"]), str(d["barber"]) if d["barber"] else None,
                          bool(d.get("own")))
    except (ValueError, KeyError, TypeError):
        return None


def in_barber_state(convo: Convo) -> bool:
    return convo.state in (State.BARBER_CLASH, State.BARBER_CONFIRM)


# -- the step ------------------------------------------------------------------


def barber_step(convo: Convo, command: cmd.Command, ctx: BarberContext,
                now: dt.datetime | None = None) -> BarberOutcome:
    """One barber turn. `now` defaults to `ctx.now` (the injected clock)."""
    if now is not None and now != ctx.now:
        ctx = dataclasses.replace(ctx, now=now)
    pending = _pending(convo)
    if isinstance(command, cmd.Answer):
        if pending is None:
            if command.word in ("yes", "no", "unclear"):
                return _say(IDLE, r.barber_nothing_waiting())
            return _say(IDLE, r.barber_usage(command.word))
        if command.reason:  # "cancel them, tell them sorry": these words, not the block's
            pending = dataclasses.replace(pending, reason=command.reason)
        return _answer(pending, command.word, ctx, convo, command.to, command.day, command.at_min, command.to_me)
    handler = _HANDLERS[type(command)]
    return handler(command, ctx)  # a new command drops anything that was waiting


def _say(convo: Convo, *replies: str, actions: Sequence[BarberAction] = ()) -> BarberOutcome:
    return BarberOutcome(convo, tuple(x for x in replies if x), tuple(actions))


def _whose(ctx: BarberContext, named: str | None, doing: str) -> tuple[Barber | None, str | None]:
    """The barber a command acts on, or the one-line refusal."""
    if named is None or named == ctx.barber.key:
        return ctx.barber, None
    other = ctx.shop.barber(named)
    if other is None:
        return None, r.barber_unknown(ctx.shop, named)
    if not ctx.barber.is_owner:
        return None, r.barber_not_yours(ctx.shop, other.key, doing)
    return other, None


def _may_touch(ctx: BarberContext, b: BookingInfo) -> bool:
    return ctx.barber.is_owner or b.barber == ctx.barber.key


def _working(ctx: BarberContext, barber: Barber, day: dt.date) -> tuple[int, int] | None:
    """The barber's hours that day, None when they are off (their day off, the shop closed)."""
    return ctx.shop.barber_hours(barber, day.weekday())


def _blocked_all_day(ctx: BarberContext, barber: Barber, day: dt.date) -> bool:
    hours = _working(ctx, barber, day)
    if hours is None:
        return True
    start, end = local_instant(ctx.shop, day, hours[0]), local_instant(ctx.shop, day, hours[1])
    return covered((start, end), ctx.time_off(barber.key, start, end))


# -- questions -----------------------------------------------------------------


def _agenda(c: cmd.Agenda, ctx: BarberContext) -> BarberOutcome:
    if c.everyone:
        return _shop_agenda(c.day, ctx, others=c.others)
    who, refusal = _whose(ctx, c.barber, "see the agenda of")
    if who is None:
        return _say(IDLE, refusal or "")
    rows = [b for b in ctx.bookings_on(c.day, who.key) if b.status != "cancelled"]
    hours = _working(ctx, who, c.day)
    lo, hi = local_instant(ctx.shop, c.day, 0), local_instant(ctx.shop, c.day, 1440)
    blocks = list(ctx.time_off(who.key, lo, hi))
    off = hours is None or _blocked_all_day(ctx, who, c.day)
    seen = Convo(State.UNCLEAR, Draft(barber_pending=LastAgenda(c.day, who.key, who.key == ctx.barber.key).to_text()))  # "and sam?" may follow
    return _say(seen, r.barber_agenda(ctx.shop, c.day, who, rows, off=off, blocks=blocks,
                                      own=who.key == ctx.barber.key))


def _shop_agenda(day: dt.date, ctx: BarberContext, *, others: bool = False) -> BarberOutcome:
    """Every barber's agenda of `day`, each named (the owner only); `others`: but the sender's."""
    if not ctx.barber.is_owner:
        return _say(IDLE, r.barber_owner_only("see every barber's bookings"))
    parts = []
    lo, hi = local_instant(ctx.shop, day, 0), local_instant(ctx.shop, day, 1440)
    for who in ctx.shop.barbers:
        if others and who.key == ctx.barber.key and len(ctx.shop.barbers) > 1:
            continue
        rows = [b for b in ctx.bookings_on(day, who.key) if b.status != "cancelled"]
        off = _working(ctx, who, day) is None or _blocked_all_day(ctx, who, day)
        parts.append(r.barber_agenda(ctx.shop, day, who, rows, off=off, blocks=list(ctx.time_off(who.key, lo, hi)), own=False))
    if day in ctx.shop.closed and len(set(parts)) == 1:
        parts = parts[:1]  # "The shop is closed ...", once
    seen = Convo(State.UNCLEAR, Draft(barber_pending=LastAgenda(day, None).to_text()))  # "and fri?" may follow
    return _say(seen, "\n\n".join(parts))


def _week(c: cmd.Week, ctx: BarberContext) -> BarberOutcome:
    who, refusal = _whose(ctx, c.barber, "see the week of")
    if who is None:
        return _say(IDLE, refusal or "")
    days = []
    for i in range(7):
        day = c.start + dt.timedelta(days=i)
        rows = [b for b in ctx.bookings_on(day, who.key) if b.status == "confirmed"]
        days.append((day, _blocked_all_day(ctx, who, day), rows))
    return _say(IDLE, r.barber_week(ctx.shop, who, days, own=who.key == ctx.barber.key))


def _who_at(c: cmd.WhoAt, ctx: BarberContext) -> BarberOutcome:
    """The booking under way at the time asked (the sender's, or the barber named); when the sender
    is the owner with nobody then, the shop's one booking then; else nobody, and that day's agenda."""
    who, refusal = _whose(ctx, c.barber, "see the bookings of")
    if who is None:
        return _say(IDLE, refusal or "")
    at = local_instant(ctx.shop, c.day, c.at_min)

    def then(key: str) -> list[BookingInfo]:
        return [b for b in ctx.bookings_on(c.day, key) if b.status != "cancelled" and b.start <= at < b.end]

    found = then(who.key)
    if not found and ctx.barber.is_owner and c.barber is None:
        others = [(x, b) for x in ctx.shop.barbers if x.key != who.key for b in then(x.key)]
        if len(others) == 1:
            return _say(IDLE, r.barber_who_at(ctx.shop, others[0][0], others[0][1], own=False))
    if found:
        return _say(IDLE, *(r.barber_who_at(ctx.shop, who, b, own=who.key == ctx.barber.key) for b in found))
    agenda = _agenda(cmd.Agenda(c.day, c.barber), ctx)
    return dataclasses.replace(agenda, replies=(r.barber_nobody_at(ctx.shop, who, at, own=who.key == ctx.barber.key)
                                                + "\n" + "\n".join(agenda.replies),))


def _who_is_in(c: cmd.WhoIsIn, ctx: BarberContext) -> BarberOutcome:
    rows = []
    for b in ctx.shop.barbers:
        off = _blocked_all_day(ctx, b, c.day)
        count = len([x for x in ctx.bookings_on(c.day, b.key) if x.status == "confirmed"])
        rows.append((b, None if off else _working(ctx, b, c.day), count))
    seen = Convo(State.UNCLEAR, Draft(barber_pending=LastAgenda(c.day, None).to_text()))  # "and sat?" may follow
    return _say(seen, r.barber_who_is_in(ctx.shop, c.day, rows))


def _next_free(c: cmd.NextFree, ctx: BarberContext) -> BarberOutcome:
    who, refusal = _whose(ctx, c.barber, "look at the free times of")
    if who is None:
        return _say(IDLE, refusal or "")
    services = [s for s in ctx.shop.services if s.key in who.services]
    if not services:
        return _say(IDLE, r.barber_no_free(ctx.shop, who))
    shortest = min(services, key=lambda s: s.minutes)
    today = local_date(ctx.shop, ctx.now)
    for i in range(LOOK_AHEAD_DAYS):
        slots = [s for s in ctx.free(today + dt.timedelta(days=i), shortest.key, who.key) if s.start > ctx.now]
        if slots:
            return _say(IDLE, r.barber_next_free(ctx.shop, who, slots[0].start, own=who.key == ctx.barber.key))
    return _say(IDLE, r.barber_no_free(ctx.shop, who))


def _free_on(c: cmd.FreeOn, ctx: BarberContext) -> BarberOutcome:
    """The barber's free spans on the day, within the part of it said: their hours less their
    confirmed bookings and time off (and, today, what has gone by)."""
    who, refusal = _whose(ctx, c.barber, "look at the free times of")
    if who is None:
        return _say(IDLE, refusal or "")
    hours = _working(ctx, who, c.day)
    if hours is None:
        return _say(IDLE, r.barber_free_on(ctx.shop, who, c.day, c.label, [], own=who.key == ctx.barber.key, off=True))
    start = local_instant(ctx.shop, c.day, max(hours[0], c.start_min))
    end = local_instant(ctx.shop, c.day, min(hours[1], c.end_min))
    start = max(start, ctx.now)
    busy = sorted([(b.start, b.end) for b in ctx.bookings_on(c.day, who.key) if b.status == "confirmed"]
                  + list(ctx.time_off(who.key, start, end)) if start < end else [])
    spans: list[tuple[dt.datetime, dt.datetime]] = []
    at = start
    for a, z in busy:
        if a > at and at < end:
            spans.append((at, min(a, end)))
        at = max(at, z)
    if at < end:
        spans.append((at, end))
    return _say(IDLE, r.barber_free_on(ctx.shop, who, c.day, c.label, spans, own=who.key == ctx.barber.key))


def _customer(c: cmd.CustomerInfo, ctx: BarberContext) -> BarberOutcome:
    if not ctx.barber.is_owner:
        return _say(IDLE, r.barber_owner_only("look up a customer"))
    return _say(IDLE, r.barber_customer(ctx.shop, ctx.customer(c.phone)))


def _help(c: cmd.BarberHelp, ctx: BarberContext) -> BarberOutcome:
    return _say(IDLE, r.barber_help(ctx.shop, owner=ctx.barber.is_owner))


def _usage(c: cmd.Usage, ctx: BarberContext) -> BarberOutcome:
    return _say(IDLE, r.barber_usage(c.text))


def _day_question(c: cmd.DayQuestion, ctx: BarberContext) -> BarberOutcome:
    return _say(IDLE, r.barber_which_day(c.weekday, c.day))


# -- a booking by code ---------------------------------------------------------


def _by_code(code: str, ctx: BarberContext, doing: str) -> tuple[BookingInfo | None, str | None]:
    b = ctx.by_code(code)
    if b is None:
        return None, r.unknown_code(code)
    if not _may_touch(ctx, b):
        return None, r.barber_not_yours(ctx.shop, b.barber, doing)
    return b, None


def _cancel_code(c: cmd.CancelCode, ctx: BarberContext) -> BarberOutcome:
    b, refusal = _by_code(c.code, ctx, "cancel a booking of")
    if b is None:
        return _say(IDLE, refusal or "")
    if b.status != "confirmed":
        return _say(IDLE, r.booking_not_open(b.code, b.status))
    if b.start <= ctx.now:
        return _say(IDLE, r.barber_already_started(ctx.shop, b))
    if cmd.customer_asked(c.reason):  # "he messaged me, cant make it": their own cancel, said as theirs
        notice = r.barber_cancel_asked_notice(ctx.shop, b, by=ctx.barber.name)
        return _say(IDLE, actions=[CancelAndTell(b.id, b.code, c.reason, notice,
                                                 r.barber_cancelled(ctx.shop, b, offered=False), b.customer_phone)])
    offers = _offers(ctx, b, blocked=None)
    notice = r.barber_cancel_notice(ctx.shop, b, c.reason, offers, by=ctx.barber.name)
    return _say(IDLE, actions=[CancelAndTell(b.id, b.code, c.reason, notice, r.barber_cancelled(ctx.shop, b, offered=bool(offers)),
                                             b.customer_phone, _choosing(ctx, b, offers))])


def _cancel_at(c: cmd.CancelAt, ctx: BarberContext) -> BarberOutcome:
    """Cancel the booking starting at the time said, as `cancel CODE reason` would: the sender's
    (or the barber named); an owner's with none of their own then, the shop's one booking then."""
    who, refusal = _whose(ctx, c.barber, "cancel a booking of")
    if who is None:
        return _say(IDLE, refusal or "")
    at = local_instant(ctx.shop, c.day, c.at_min)
    own = [b for b in ctx.bookings_on(c.day, who.key) if b.status == "confirmed"]
    found = [b for b in own if b.start == at]
    if not found and ctx.barber.is_owner and c.barber is None:
        found = [b for x in ctx.shop.barbers if x.key != who.key for b in ctx.bookings_on(c.day, x.key)
                 if b.status == "confirmed" and b.start == at]
        if len(found) > 1:
            return _say(IDLE, r.barber_which_to_cancel(ctx.shop, found))
    if not found:
        return _say(IDLE, r.barber_no_booking_to_cancel(ctx.shop, at, own, who, mine=who.key == ctx.barber.key))
    return _cancel_code(cmd.CancelCode(found[0].code, c.reason), ctx)


def _move_booking(c: cmd.MoveBooking, ctx: BarberContext) -> BarberOutcome:
    """Move one booking, as `cancel CODE` cancels one: the sender's own (an owner: anyone's), to
    the day, time and barber said (each its own when not said), when that barber is free then; the
    customer is told the new time. Nothing changes otherwise, and the reply says why."""
    if c.code is not None:
        b, refusal = _by_code(c.code, ctx, "move a booking of")
        if b is None:
            return _say(IDLE, refusal or "")
    else:
        assert c.at_day is not None
        who, refusal = _whose(ctx, c.barber, "move a booking of")
        if who is None:
            return _say(IDLE, refusal or "")
        own = [x for x in ctx.bookings_on(c.at_day, who.key) if x.status == "confirmed"]
        if c.at_min is None:  # "my guy on the 19th": that day's only booking
            own = [x for x in own if x.start > ctx.now]
            at = own[0].start if own else local_instant(ctx.shop, c.at_day, 0)
            found = own if len(own) == 1 else []
        else:
            at = local_instant(ctx.shop, c.at_day, c.at_min)
            found = [x for x in own if x.start == at]
        if not found and ctx.barber.is_owner and c.barber is None and c.at_min is not None:
            found = [x for k in ctx.shop.barbers if k.key != who.key for x in ctx.bookings_on(c.at_day, k.key)
                     if x.status == "confirmed" and x.start == at]
        if len(found) != 1:
            return _say(IDLE, r.barber_no_booking_to_move(ctx.shop, at, found or own, who, mine=who.key == ctx.barber.key,
                                                          any_time=c.at_min is None))
        b = found[0]
    if b.status != "confirmed":
        return _say(IDLE, r.booking_not_open(b.code, b.status))
    if b.start <= ctx.now:
        return _say(IDLE, r.barber_already_started(ctx.shop, b, doing="moved"))
    to, refusal = _whose(ctx, ctx.barber.key if c.to_me else c.to_barber or b.barber, "move a booking to")
    if to is None:
        return _say(IDLE, refusal or "")
    local = b.start.astimezone(ctx.shop.tz)
    day = c.to_day or local.date()
    start = local_instant(ctx.shop, day, c.to_min if c.to_min is not None else local.hour * 60 + local.minute)
    if start == b.start and to.key == b.barber:
        return _say(IDLE, r.barber_move_same(ctx.shop, b))
    if start <= ctx.now:
        return _say(IDLE, r.barber_move_past(ctx.shop, start))
    slot = Slot(start, to.key)
    free = {(s.start, s.barber) for s in ctx.free(day, b.service, to.key)}
    own_time = to.key == b.barber and start < b.end and start + (b.end - b.start) > b.start  # overlaps itself
    if (start, to.key) not in free and not own_time:
        offers = [s for s in _nearby(ctx, dataclasses.replace(b, start=start), None, days=1) if s.barber == to.key][:OFFERS]
        return _say(IDLE, r.barber_not_free_then(ctx.shop, b, slot, offers))
    # "carlos wife called": the customer's own ask, told to them as theirs
    notice = r.barber_move_asked_notice(ctx.shop, b, slot, by=ctx.barber.name) if cmd.customer_asked(c.reason) else None
    return _say(IDLE, actions=[MoveAndTell(b.id, b.code, start, to.key, r.barber_moved(ctx.shop, b, slot), notice)])


def _hand_back(c: cmd.HandBack, ctx: BarberContext) -> BarberOutcome:
    """The customer named handed back to the bot; "him" (no number): the one customer handed to a
    person, or, with several, which (their numbers listed), with none, says so."""
    if c.phone is None:
        waiting = list(ctx.handed_off())
        if len(waiting) != 1:
            return _say(IDLE, r.barber_which_hand_back(waiting))
        return _say(IDLE, actions=[HandBackTo(waiting[0], r.barber_handed_back(waiting[0]))])
    try:
        phone = normalize_phone(c.phone)
    except InvalidPhone:
        return _say(IDLE, r.barber_usage("resume"))
    return _say(IDLE, actions=[HandBackTo(phone, r.barber_handed_back(phone))])


def _outcome(c: cmd.MarkOutcome, ctx: BarberContext) -> BarberOutcome:
    b, refusal = _by_code(c.code, ctx, "mark a booking of")
    if b is None:
        return _say(IDLE, refusal or "")
    if b.status != "confirmed":
        return _say(IDLE, r.booking_not_open(b.code, b.status))
    if b.start > ctx.now:
        return _say(IDLE, r.barber_not_started(ctx.shop, b, c.status))
    said = r.barber_outcome(ctx.shop, b, c.status)
    return _say(IDLE, actions=[SetOutcome(b.id, b.code, c.status, said)])


def _outcome_at(c: cmd.MarkOutcomeAt, ctx: BarberContext) -> BarberOutcome:
    """Mark the booking starting at the time said, as `noshow CODE` / `done CODE` would: the
    sender's (or the barber named); an owner's with none of their own then, the shop's one booking
    then. No booking (or several) then: says so with that day's bookings and marks nothing."""
    who, refusal = _whose(ctx, c.barber, "mark a booking of")
    if who is None:
        return _say(IDLE, refusal or "")
    at = local_instant(ctx.shop, c.day, c.at_min)
    own = [b for b in ctx.bookings_on(c.day, who.key) if b.status != "cancelled"]
    found = [b for b in own if b.start == at]
    if not found and ctx.barber.is_owner and c.barber is None:
        found = [b for x in ctx.shop.barbers if x.key != who.key for b in ctx.bookings_on(c.day, x.key)
                 if b.status != "cancelled" and b.start == at]
    if len(found) != 1:
        return _say(IDLE, r.barber_no_booking_to_mark(ctx.shop, at, found or own, who, mine=who.key == ctx.barber.key,
                                                      status=c.status))
    return _outcome(cmd.MarkOutcome(found[0].code, c.status), ctx)


# -- time off ------------------------------------------------------------------


def _window(ctx: BarberContext, who: Barber, c: cmd.Block) -> tuple[dt.datetime, dt.datetime]:
    """The block's instants: a whole day is the whole local day; "after 3" ends at closing time."""
    if c.whole_day:
        return local_instant(ctx.shop, c.day, 0), local_instant(ctx.shop, c.day, 1440)
    end = c.end_min
    hours = _working(ctx, who, c.day)
    if end >= 1440 and hours is not None and hours[1] > c.start_min:
        end = hours[1]
    start = c.start_min
    if start == 0 and hours is not None and hours[0] < end:
        start = hours[0]
    return local_instant(ctx.shop, c.day, start), local_instant(ctx.shop, c.day, end)


def _clashes(ctx: BarberContext, barber: str, start: dt.datetime, end: dt.datetime) -> list[BookingInfo]:
    day = local_date(ctx.shop, start)
    days = {day, local_date(ctx.shop, end - dt.timedelta(seconds=1))}
    found = [b for d in sorted(days) for b in ctx.bookings_on(d, barber)]
    # one already under way is the barber's to finish (or mark): never cancelled or moved by a block
    return [b for b in found if b.status == "confirmed" and b.start < end and b.end > start and b.start > ctx.now]


def _everyone(ctx: BarberContext, named: Sequence[str | None], doing: str) -> tuple[list[Barber], str | None]:
    """The barbers a command naming several acts on ("me and jo": the sender and Jo), each once, or
    the refusal for the first the sender may not act on (then none is acted on)."""
    found: list[Barber] = []
    for key in named:
        who, refusal = _whose(ctx, key, doing)
        if who is None:
            return [], refusal
        if who not in found:
            found.append(who)
    return found, None


def _block(c: cmd.Block, ctx: BarberContext) -> BarberOutcome:
    """Time off for the barber named (the sender when none), and for each other barber named beside
    ("me and jo off fri"): added at once; the clashing bookings of all of them wait for one word."""
    whos, refusal = _everyone(ctx, [c.barber, *c.also], "block the time of")
    if not whos:
        return _say(IDLE, refusal or "")
    notes: list[str] = []
    actions: list[BarberAction] = []
    if c.replaces:
        for key, a, z in [(whos[0].key, *c.replaces), *c.replaces_others]:
            actions.append(RemoveTimeOff(key, a, z, local_date(ctx.shop, a)))
    if (c.until is not None and c.until > c.day) or c.days:  # "off till saturday incl.", "off fri and sat": each day, whole
        return _block_days(c, whos, ctx)
    spans: list[tuple[str, dt.datetime, dt.datetime]] = []
    clashes: list[BookingInfo] = []
    for who in whos:
        start, end = _window(ctx, who, c)
        if end <= start:
            return _say(IDLE, r.bad_range())
        if end <= ctx.now:
            return _say(IDLE, r.barber_block_past(ctx.shop, start, end, c.whole_day))
        theirs = _clashes(ctx, who.key, start, end)
        own = who.key == ctx.barber.key
        hours = _working(ctx, who, c.day)
        works = hours is not None and start < local_instant(ctx.shop, c.day, hours[1]) \
            and end > local_instant(ctx.shop, c.day, hours[0])
        if not works and not theirs and c.replaces is None:  # their day off, or outside their hours: nothing to block
            notes.append(r.barber_not_working(ctx.shop, who, start, end, c.whole_day, hours, own=own))
            continue
        actions.append(AddTimeOff(who.key, start, end, c.reason,
                                  r.blocked(ctx.shop, who, start, end, c.whole_day, own=own)))
        spans.append((who.key, start, end))
        clashes.extend(theirs)
    if not spans:
        return _say(IDLE, *notes)
    cover = c.cover if c.cover and c.cover not in (k for k, _, _ in spans) else None
    pending = Pending(spans[0][0], spans[0][1], spans[0][2], c.whole_day, c.reason, c.cancel, tuple(spans[1:]), cover)
    if not clashes:  # "actually make that 3:30 to 4:30" may follow
        return _say(Convo(State.UNCLEAR, Draft(barber_pending=pending.to_text())), *notes, actions=actions)
    state = State.BARBER_CONFIRM if c.cancel else State.BARBER_CLASH
    convo = Convo(state).to(state, barber_pending=pending.to_text())
    return _say(convo, *notes, r.barber_clashes(ctx.shop, clashes, cancel=c.cancel, by_barber=len(spans) > 1,
                                                cover=_cover_name(ctx, cover)),
                actions=actions)


def _block_days(c: cmd.Block, whos: Sequence[Barber], ctx: BarberContext) -> BarberOutcome:
    """Whole days off from `c.day` to `c.until`, both included, or on `c.day` and each of `c.days`,
    for each barber, on the days they work (one block a day); one line says each run of days, and the
    clashes of every day wait for one word."""
    actions: list[BarberAction] = []
    spans: list[tuple[str, dt.datetime, dt.datetime]] = []
    clashes: list[BookingInfo] = []
    if c.days:
        dates = sorted({c.day, *c.days})
    else:
        assert c.until is not None
        dates = [c.day + dt.timedelta(days=i) for i in range((c.until - c.day).days + 1)]
    for who in whos:
        worked: list[dt.date] = []
        for day in dates:
            start, end = local_instant(ctx.shop, day, 0), local_instant(ctx.shop, day, 1440)
            theirs = _clashes(ctx, who.key, start, end)
            if end > ctx.now and (_working(ctx, who, day) is not None or theirs):
                actions.append(AddTimeOff(who.key, start, end, c.reason, ""))
                spans.append((who.key, start, end))
                clashes.extend(theirs)
                worked.append(day)
        runs: list[list[dt.date]] = []  # a run of days is one line; days listed apart, a line each
        for day in worked:
            if runs and (not c.days or day - runs[-1][-1] == dt.timedelta(days=1)):
                runs[-1].append(day)
            else:
                runs.append([day])
        for run in runs:
            first = next(i for i, a in enumerate(actions) if isinstance(a, AddTimeOff) and a.barber == who.key
                         and local_date(ctx.shop, a.start) == run[0])
            actions[first] = dataclasses.replace(actions[first], said=r.blocked_days(  # type: ignore[arg-type]
                ctx.shop, who, run, own=who.key == ctx.barber.key))
    if not spans:
        return _say(IDLE, r.barber_not_working(ctx.shop, whos[0], local_instant(ctx.shop, c.day, 0),
                                               local_instant(ctx.shop, c.day, 1440), True, None, own=whos[0].key == ctx.barber.key))
    pending = Pending(spans[0][0], spans[0][1], spans[0][2], True, c.reason, c.cancel, tuple(spans[1:]), c.cover)
    if not clashes:  # "undo", "scrap that" may follow
        return _say(Convo(State.UNCLEAR, Draft(barber_pending=pending.to_text())), actions=actions)
    state = State.BARBER_CONFIRM if c.cancel else State.BARBER_CLASH
    return _say(Convo(state).to(state, barber_pending=pending.to_text()),
                r.barber_clashes(ctx.shop, clashes, cancel=c.cancel, by_barber=len(whos) > 1,
                                 cover=_cover_name(ctx, c.cover)), actions=actions)


def _cover_name(ctx: BarberContext, cover: str | None) -> str | None:
    """Whom YES moves the clashing bookings to, as the reply names them (`ANY_BARBER`: "another barber")."""
    if cover is None:
        return None
    if cover == cmd.ANY_BARBER:
        return r.ANOTHER_BARBER
    who = ctx.shop.barber(cover)
    return who.name if who else None


def _unblock(c: cmd.Unblock, ctx: BarberContext) -> BarberOutcome:
    whos, refusal = _everyone(ctx, [c.barber, *c.also], "unblock the time of")
    if not whos:
        return _say(IDLE, refusal or "")
    start, end = local_instant(ctx.shop, c.day, c.start_min), local_instant(ctx.shop, c.day, c.end_min)
    return _say(IDLE, actions=[RemoveTimeOff(who.key, start, end, c.day) for who in whos])


def _next_booking(c: cmd.NextBooking, ctx: BarberContext) -> BarberOutcome:
    """The barber's next booking not yet started: today's, else the first day ahead with one."""
    who, refusal = _whose(ctx, c.barber, "see the bookings of")
    if who is None:
        return _say(IDLE, refusal or "")
    today = local_date(ctx.shop, ctx.now)
    for i in range(LOOK_AHEAD_DAYS):
        rows = sorted((b for b in ctx.bookings_on(today + dt.timedelta(days=i), who.key)
                       if b.status == "confirmed" and b.start >= ctx.now), key=lambda b: b.start)
        if rows:
            return _say(IDLE, r.barber_next_booking(ctx.shop, who, rows[0], today=i == 0,
                                                    own=who.key == ctx.barber.key))
    return _say(IDLE, r.barber_no_next_booking(who, own=who.key == ctx.barber.key))


def _answer(p: Pending, word: str, ctx: BarberContext, convo: Convo, to: str | None = None,
            day: dt.date | None = None, at_min: int | None = None, to_me: bool = False) -> BarberOutcome:
    """The barber's second word about the bookings that clash with `p` (`to`: the barber a move
    names; `day`, `at_min`, `to_me`: the day, time and the sender a move names)."""
    if word == "unclear":
        return _say(convo, r.barber_move_cancel_or_keep())
    if word == "undo":
        return _say(IDLE, actions=[RemoveTimeOff(k, a, z, local_date(ctx.shop, a)) for k, a, z in p.spans()])
    clashes = [b for k, a, z in p.spans() for b in _clashes(ctx, k, a, z)]
    if word == "no" or word == "keep" or not clashes:
        return _say(IDLE, r.barber_kept(ctx.shop, clashes))
    if p.cover and (word == "yes" or word == "move" and to is None):
        # "can lee take my people": YES moves them to Lee; "shift them to the other guys": to whoever is free
        word, to = "move", (None if p.cover == cmd.ANY_BARBER else p.cover)
    if word == "yes" and not p.cancel:
        return _say(convo, r.barber_move_cancel_or_keep())
    blocked = p.spans()
    if word in ("yes", "cancel"):
        actions: list[BarberAction] = []
        for b in clashes:
            offers = _offers(ctx, b, blocked=blocked)
            actions.append(CancelAndTell(b.id, b.code, p.reason, r.barber_cancel_notice(ctx.shop, b, p.reason, offers, by=ctx.barber.name),
                                         r.barber_cancelled(ctx.shop, b, offered=bool(offers)), b.customer_phone,
                                         _choosing(ctx, b, offers)))
        return _say(IDLE, actions=actions)
    if day is not None or at_min is not None or to_me:  # "move him to thursday same time w me": there
        return _move_there(p, clashes, ctx, convo, to, day, at_min, to_me)
    # move: the same time with another barber if one is free, else the nearest free time that day
    taken: set[tuple[str, dt.datetime]] = set()
    moves: list[BarberAction] = []
    stuck: list[BookingInfo] = []
    for b in clashes:
        free = [s for s in _nearby(ctx, b, blocked, days=1) if (s.barber, s.start) not in taken]
        # "move him to sam": with that barber when they are free, else the nearest as ever
        slot = next((s for s in free if s.barber == to), None) if to else None
        slot = slot or next(iter(free), None)
        if slot is None:
            stuck.append(b)
            continue
        taken.add((slot.barber, slot.start))
        moves.append(MoveAndTell(b.id, b.code, slot.start, slot.barber, r.barber_moved(ctx.shop, b, slot),
                                 r.barber_move_notice(ctx.shop, b, slot, p.reason)))
    if not stuck:
        return _say(IDLE, actions=moves)
    # nobody free that day: the nearest free times on other days, and the question stays open
    return _say(convo, r.barber_not_moved(ctx.shop, [(b, _offers(ctx, b, blocked)) for b in stuck]), actions=moves)


def _move_there(p: Pending, clashes: Sequence[BookingInfo], ctx: BarberContext, convo: Convo, to: str | None,
                day: dt.date | None, at_min: int | None, to_me: bool) -> BarberOutcome:
    """Each clashing booking moved to the day and time said (each its own when not said): with the
    sender (`to_me`) or the barber named, else its own barber, else whoever is free then; one with
    nobody free then stays, with the nearest free times, and the question stays open."""
    moves: list[BarberAction] = []
    stuck: list[BookingInfo] = []
    taken: set[tuple[str, dt.datetime]] = set()
    for b in clashes:
        local = b.start.astimezone(ctx.shop.tz)
        on = day or local.date()
        start = local_instant(ctx.shop, on, at_min if at_min is not None else local.hour * 60 + local.minute)
        free = [s for s in ctx.free(on, b.service, None) if s.start == start and (s.barber, s.start) not in taken
                and not any(s.barber == k and a < s.start + (b.end - b.start) and s.start < z for k, a, z in p.spans())]
        wanted = ctx.barber.key if to_me else to
        order = [wanted] if wanted else [b.barber, *sorted({s.barber for s in free} - {b.barber})]
        slot = next((s for k in order for s in free if s.barber == k), None)
        if slot is None or start <= ctx.now:
            stuck.append(b)
            continue
        taken.add((slot.barber, slot.start))
        moves.append(MoveAndTell(b.id, b.code, slot.start, slot.barber, r.barber_moved(ctx.shop, b, slot),
                                 None if slot.barber == b.barber else r.barber_move_notice(ctx.shop, b, slot, p.reason)))
    if not stuck:
        return _say(IDLE, actions=moves)
    notes = [r.barber_not_free_then(ctx.shop, b, Slot(local_instant(ctx.shop, day or local_date(ctx.shop, b.start),
                                                                    at_min if at_min is not None else _minutes(ctx, b.start)),
                                                     (ctx.barber.key if to_me else to) or b.barber), _offers(ctx, b, p.spans()))
             for b in stuck]
    return _say(convo, *notes, actions=moves)


def _minutes(ctx: BarberContext, at: dt.datetime) -> int:
    local = at.astimezone(ctx.shop.tz)
    return local.hour * 60 + local.minute


def _nearby(ctx: BarberContext, b: BookingInfo, blocked: Sequence[tuple[str, dt.datetime, dt.datetime]] | None,
            days: int) -> list[Slot]:
    """Free starts for `b`'s service from its day on, with any barber (not inside any of `blocked`,
    each (barber, start, end)), nearest to `b`'s start first."""
    first = max(local_date(ctx.shop, b.start), local_date(ctx.shop, ctx.now))
    svc = ctx.shop.service(b.service)
    length = dt.timedelta(minutes=svc.minutes if svc else 0)
    found: list[Slot] = []
    for i in range(days):
        for s in ctx.free(first + dt.timedelta(days=i), b.service, None):
            if s.start <= ctx.now:
                continue
            if any(s.barber == k and s.start < z and s.start + length > a for k, a, z in blocked or ()):
                continue
            if s.barber == b.barber and s.start == b.start:
                continue
            found.append(s)
    found.sort(key=lambda s: (abs((s.start - b.start).total_seconds()), s.barber != b.barber, s.barber))
    return found


def _offers(ctx: BarberContext, b: BookingInfo,
            blocked: Sequence[tuple[str, dt.datetime, dt.datetime]] | None) -> list[Slot]:
    """The nearest free times for the customer of a cancelled booking, with any barber but its own
    on its own day (the barber it was with cannot make that day)."""
    day = local_date(ctx.shop, b.start)
    return [s for s in _nearby(ctx, b, blocked, days=3)
            if not (s.barber == b.barber and local_date(ctx.shop, s.start) == day)][:OFFERS]


def _choosing(ctx: BarberContext, b: BookingInfo, offers: Sequence[Slot]) -> Convo | None:
    """The customer's conversation once told of the cancellation: no flow, the service talked about
    and the notice's times kept for a reply that picks one by its place ("the first one", "2nd")."""
    if not offers:
        return None
    options = tuple(Option("slot", s.start, s.barber, b.service) for s in offers)
    return Convo(State.UNCLEAR, Draft(service=b.service, options=options))


# -- running late --------------------------------------------------------------


BEHIND_HORIZON = dt.timedelta(hours=1)  # "running late" with nobody in the chair delays a booking this soon


def _late(c: cmd.Late, ctx: BarberContext) -> BarberOutcome:
    """Tell the customers the lateness delays, and only them (a named booking is told as asked).

    The barber can take the next booking from `ready`: the time they get in when they said it
    ("wont be in till 10 tmrw"); on another day, their start that day (or their first booking, when
    it is within `BEHIND_HORIZON` of it: they come in for that one) + the lateness; now + the
    lateness when still on the way in; else the end of the booking under way (or the start of the
    next one, if it is within `BEHIND_HORIZON`) + the lateness. Each
    booking really starts at max(its start, `ready`) and moves `ready` to its real end, so
    back-to-back bookings pass the delay on and a gap absorbs it."""
    today = c.day or local_date(ctx.shop, ctx.now)
    rows = sorted((b for b in ctx.bookings_on(today, ctx.barber.key) if b.status == "confirmed" and b.end > ctx.now),
                  key=lambda b: b.start)
    if c.at_min is not None:
        at = local_instant(ctx.shop, today, c.at_min)
        if c.day is None and at <= ctx.now:  # "tell my 11 oclock", said late at night: tomorrow's 11:00
            today += dt.timedelta(days=1)
            at = local_instant(ctx.shop, today, c.at_min)
            rows = [b for b in ctx.bookings_on(today, ctx.barber.key) if b.status == "confirmed"]
        target = next((b for b in rows if b.start == at), None)
        if target is None:
            return _say(IDLE, r.barber_no_booking_at(ctx.shop, at))
        return _say(IDLE, actions=[_tell_late(ctx, target, c.minutes)])
    part = local_instant(ctx.shop, today, c.from_min) if c.from_min is not None else None
    ahead = [b for b in rows if b.start >= max(ctx.now, part or ctx.now)]  # "behind tmrw evening": that evening's
    if not ahead:
        return _say(IDLE, r.barber_nobody_next(ctx.shop, c.day))
    late = dt.timedelta(minutes=c.minutes)
    under_way = [b.end for b in rows if b.start < ctx.now]
    hours = _working(ctx, ctx.barber, today)
    not_in_yet = hours is not None and ctx.now < local_instant(ctx.shop, today, hours[0])  # "behind today", said at dawn
    if c.until_min is not None:  # "in late tmrw like 11ish": from the time they get in
        ready = max(local_instant(ctx.shop, today, c.until_min), ctx.now)
    elif c.first:  # "20 min late for my first one tmrw": that one starts that late
        ready = ahead[0].start + late
    elif c.day is not None or not_in_yet or (part is not None and part > ctx.now):
        # "running 20 late tmrw", "20 behind today" before their day starts, "behind this evening": they get
        # in that late, from their start that day (or that part of it)
        due = local_instant(ctx.shop, today, hours[0]) if hours else ahead[0].start
        if part is not None:
            due = max(due, part)
        if ahead[0].start - due <= BEHIND_HORIZON:  # "20 min late wed morning", first in at 09:30: in for that one
            due = max(due, ahead[0].start)
        ready = due + late
    elif under_way and not c.arriving:
        ready = max(under_way) + late
    elif not c.arriving and ahead[0].start - ctx.now <= BEHIND_HORIZON:
        ready = ahead[0].start + late  # "running 15 min late" before the next one: that one starts late
    else:
        ready = ctx.now + late
    tells: list[BarberAction] = []
    for b in ahead:
        if b.start >= ready:
            break  # a gap absorbs what is left of the delay
        tells.append(_tell_late(ctx, b, int((ready - b.start).total_seconds() // 60)))
        ready += b.end - b.start
    if not tells:
        return _say(IDLE, r.barber_nobody_delayed(ctx.shop, ahead[0], dated=c.day is not None))
    return _say(IDLE, actions=tells)


def _tell_late(ctx: BarberContext, b: BookingInfo, minutes: int) -> Tell:
    dated = local_date(ctx.shop, b.start) != local_date(ctx.shop, ctx.now)
    return Tell(b.id, b.code, r.barber_late_notice(ctx.shop, b, minutes, dated=dated),
                r.barber_told_late(ctx.shop, b, minutes, dated=dated))


_HANDLERS: dict[type, Callable[[Any, BarberContext], BarberOutcome]] = {
    cmd.Agenda: _agenda,
    cmd.Week: _week,
    cmd.WhoIsIn: _who_is_in,
    cmd.WhoAt: _who_at,
    cmd.NextFree: _next_free,
    cmd.FreeOn: _free_on,
    cmd.NextBooking: _next_booking,
    cmd.CustomerInfo: _customer,
    cmd.BarberHelp: _help,
    cmd.Usage: _usage,
    cmd.DayQuestion: _day_question,
    cmd.CancelCode: _cancel_code,
    cmd.CancelAt: _cancel_at,
    cmd.MoveBooking: _move_booking,
    cmd.HandBack: _hand_back,
    cmd.MarkOutcome: _outcome,
    cmd.MarkOutcomeAt: _outcome_at,
    cmd.Block: _block,
    cmd.Unblock: _unblock,
    cmd.Late: _late,
}
