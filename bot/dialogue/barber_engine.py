"""A barber's turn at the edge: reads for `barber_step` and its actions, through the BookingService.

`barber_command(convo, text, ...)` (reads nothing) says whether a barber's message is a barber
command; `run_barber_turn(bookings, ...)` builds the step's context from the BookingService's
public reads, runs the pure step and carries out its actions. Each action's line is said only
once the BookingService has done it; a refused one says why instead.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Sequence

from sqlmodel import Session

from bot.availability import Slot, local_date
from bot.bookings import BookingService
from bot.dialogue import barber as cmd
from bot.dialogue import everyday
from bot.dialogue import replies as r
from bot.dialogue.barber import BookingInfo, CustomerRecord
from bot.dialogue.barber_flow import (
    AddTimeOff,
    BarberAction,
    BarberContext,
    CancelAndTell,
    HandBackTo,
    MoveAndTell,
    Pending,
    RemoveTimeOff,
    SetOutcome,
    Tell,
    barber_step,
    in_barber_state,
    just_blocked,
    last_agenda,
    last_block,
)
from bot.dialogue.model import Convo
from bot.dialogue.staff import hand_back, handed_off, in_conversation, save_conversation
from bot.errors import BarberbotError, Conflict, InvalidBooking, NotFound, SlotTaken
from bot.models import Booking, BookingStatus
from bot.nlu import Intent
from bot.nlu.understand import understand
from bot.phones import InvalidPhone, normalize_phone
from bot.shop import Barber, Shop

log = logging.getLogger(__name__)


def barber_command(convo: Convo, text: str, *, shop: Shop, now: dt.datetime,
                   bookings: BookingService | None = None, session: Session | None = None) -> cmd.Command | None:
    """The barber command `text` is, or None for the customer flow ("book me a beard trim").
    `bookings` (in `session`), when given, is asked only whether a booking has a code written in
    lower case ("cancel qtwy")."""
    seen = last_agenda(convo)
    if seen is not None:
        asked = cmd.agenda_follow_up(text, seen.day, shop=shop, now=now)
        if cmd.shop_follow_up(text, shop):  # "and the whole shop?": every barber's agenda that day
            return cmd.Agenda(seen.day, None, everyone=True, others=cmd.crew_said(text))
        if asked is not None and seen.barber is None and asked[1] is None:  # "whos in fri" then "and sat?"
            return cmd.WhoIsIn(asked[0] or seen.day)
        if asked is not None:  # "and sam?", "what about friday": the agenda just shown, of that barber or day
            return cmd.Agenda(asked[0] or seen.day, asked[1] or seen.barber)
    block = last_block(convo)
    more = cmd.added_days(text, shop=shop, now=now) if block is not None else []
    if block is not None and more:  # "off sick thursday" then "and friday!": the same time off on that day too
        return more_of(block, more, shop)
    command = cmd.parse_command(text, shop=shop, now=now, is_code=_code_lookup(bookings, session))
    if seen is not None and seen.own and isinstance(command, cmd.Usage) and command.text in ("block", "off", "unblock"):
        command = cmd.on_day(text, seen.day, shop=shop, now=now) or command  # "block 12-1 for lunch": that day's
    waiting = in_barber_state(convo)
    one_booking = (cmd.MoveBooking, cmd.CancelCode, cmd.CancelAt, cmd.MarkOutcome, cmd.MarkOutcomeAt, cmd.HandBack)  # "just move X7UR to 18:00": that booking
    if waiting and not isinstance(command, (cmd.Answer, cmd.Block, *one_booking)):
        cover = cmd.cover_answer(text, shop)
        if cover is not None:  # "can jono take them", "can lee take it": move them to that barber
            return cmd.Answer("move", cover, cmd.passed_on(text))
    if waiting and not isinstance(command, (cmd.Answer, *one_booking)):
        answer = cmd.answer_in(cmd.strip_opening(text, shop))
        if answer is not None:  # "ok move them", "hmm nah just cancel them", "dont cancel pete, move them"
            if answer.word == "move":  # "move him to thursday same time w me": there
                return cmd.move_answer(text, shop, now)
            return dataclasses.replace(answer, reason=cmd.passed_on(text))  # "cancel it, tell him sorry"
    last = just_blocked(convo)
    if last is not None and (command is None or isinstance(command, (cmd.Usage, cmd.Answer))):
        fixed = cmd.corrected_block(text, local_date(shop, last.start), shop=shop, now=now)
        if fixed is not None:  # "actually make that 3:30 to 4:30": the block just added, changed
            return dataclasses.replace(fixed, barber=fixed.barber or last.barber, reason=fixed.reason or last.reason,
                                       replaces=(last.start, last.end), also=fixed.also or tuple(k for k, _, _ in last.others),
                                       replaces_others=last.others)
        if cmd.undoes_block(text):  # "scrap that, ill work it", "never mind", "undo": the block just added, gone
            return taken_back(last, shop)
    if isinstance(command, cmd.Answer) and not waiting:
        return None  # "yes" to the customer flow (a barber booking for themselves)
    if command is not None:
        return command
    if everyday.is_resume(text):
        return None  # handing a customer back to the bot, even with a question open: the conversation's
    if waiting:
        return cmd.Answer("unclear")
    own = cmd.own_day_usage(text)
    if own is not None:  # "push my 10:30 sometime later": their own bookings, never the customer's menu
        return own
    if understand(text, now=now, shop=shop).intent == Intent.UNKNOWN:
        return cmd.Usage("unknown")
    return None


def _code_lookup(bookings: BookingService | None, session: Session | None) -> Callable[[str], bool] | None:
    """Whether a booking has a code, through `bookings` (None when there is none to ask)."""
    if bookings is None:
        return None
    service = bookings

    def is_code(code: str) -> bool:
        try:
            service.get_by_code(code, session=session)
        except NotFound:
            return False
        return True

    return is_code


def more_of(last: Pending, days: Sequence[dt.date], shop: Shop) -> cmd.Block:
    """The time off `last` (its window or whole day, reason, barbers, and whether YES cancels) on `days`."""
    a, z = last.start.astimezone(shop.tz), last.end.astimezone(shop.tz)
    start_min, end_min = (0, 1440) if last.whole_day else (a.hour * 60 + a.minute,
                                                           z.hour * 60 + z.minute if z.date() == a.date() else 1440)
    others = tuple(dict.fromkeys(k for k, _, _ in last.others if k != last.barber))
    return cmd.Block(days[0], start_min, end_min, last.whole_day, last.reason, last.barber, cancel=last.cancel,
                     also=others, cover=last.cover, days=tuple(days[1:]) if last.whole_day else ())


def taken_back(last: Pending, shop: Shop) -> cmd.Unblock:
    """The Unblock that removes exactly the block `last` (a whole day, or its window), for every
    barber it was added for."""
    day = local_date(shop, last.start)
    others = tuple(k for k, _, _ in last.others if k != last.barber)
    if last.whole_day:  # a run of days ("off till saturday"): every day of it
        end = max([last.end, *(z for k, _, z in last.others if k == last.barber)])
        return cmd.Unblock(day, 0, 1440 * max(1, (local_date(shop, end - dt.timedelta(seconds=1)) - day).days + 1),
                           last.barber, others)
    start, end = last.start.astimezone(shop.tz), last.end.astimezone(shop.tz)
    end_min = 1440 if end.date() > day else end.hour * 60 + end.minute
    return cmd.Unblock(day, start.hour * 60 + start.minute, end_min, last.barber, others)


def info(b: Booking) -> BookingInfo:
    assert b.id is not None
    return BookingInfo(b.id, b.code, str(b.status), b.barber, b.service, b.start_at, b.end_at,
                       b.customer_phone, b.customer_name, b.guest_name)


def context(bookings: BookingService, barber: Barber, shop: Shop, now: dt.datetime,
            session: Session | None = None) -> BarberContext:
    """What the barber step may read, through the BookingService's public methods, in `session`
    (the turn's transaction) when given; free times are kept for the turn."""
    free_seen: dict[tuple[dt.date, str, str | None], list[Slot]] = {}

    def bookings_on(day: dt.date, key: str) -> list[BookingInfo]:
        return [info(b) for b in bookings.list(date=day, barber=key, session=session)]

    def by_code(code: str) -> BookingInfo | None:
        try:
            return info(bookings.get_by_code(code, session=session))
        except NotFound:
            return None

    def time_off(key: str, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
        return [(t.start_at, t.end_at) for t in bookings.time_off(barber=key, start=start, end=end, session=session)]

    def free(day: dt.date, service: str, key: str | None) -> list[Slot]:
        if (day, service, key) not in free_seen:
            try:
                free_seen[(day, service, key)] = bookings.availability(day=day, service=service, barber=key, session=session)
            except InvalidBooking:
                free_seen[(day, service, key)] = []
        return free_seen[(day, service, key)]

    def customer(phone: str) -> CustomerRecord:
        try:
            phone = normalize_phone(phone)
        except InvalidPhone:
            return CustomerRecord(phone, None, 0, 0)
        rows = bookings.list(customer_phone=phone, session=session)
        name = next((b.customer_name for b in reversed(rows) if b.customer_name), None)
        upcoming = tuple(info(b) for b in rows if b.status == BookingStatus.CONFIRMED and b.start_at > now)[:3]
        return CustomerRecord(phone, name, len(rows), sum(b.status == BookingStatus.NO_SHOW for b in rows), upcoming)

    def waiting() -> list[str]:
        if session is not None:
            return handed_off(session, now)
        with bookings.db.session() as s:
            return handed_off(s, now)

    return BarberContext(shop=shop, barber=barber, now=now, bookings_on=bookings_on, by_code=by_code,
                         time_off=time_off, free=free, customer=customer, handed_off=waiting)


def run_barber_turn(bookings: BookingService, barber: Barber, shop: Shop, convo: Convo, command: cmd.Command,
                    now: dt.datetime, *, session: Session | None = None) -> tuple[list[str], Convo]:
    """Run the step and carry out its actions (in `session`, the turn's transaction, when given);
    the replies and the conversation to keep."""
    ctx = context(bookings, barber, shop, now, session)
    out = barber_step(convo, command, ctx, now)
    replies = list(out.replies)
    done = [carry_out(bookings, shop, a, ctx, session) for a in out.actions]
    log.info("barber %s: %s (%s)", barber.key, type(command).__name__,
             ",".join(type(a).__name__ for a in out.actions) or "-")
    return _ordered(done, replies, out.actions), out.convo


def _ordered(done: list[str], replies: list[str], actions: Sequence[BarberAction]) -> list[str]:
    """Time off first (what was blocked), then the question or note, then each booking's line."""
    first = [line for line, a in zip(done, actions, strict=True) if isinstance(a, (AddTimeOff, RemoveTimeOff))]
    rest = [line for line, a in zip(done, actions, strict=True) if not isinstance(a, (AddTimeOff, RemoveTimeOff))]
    text = "\n".join(line for line in rest if line)
    return [x for x in [*first, *replies, text] if x]


def carry_out(bookings: BookingService, shop: Shop, action: BarberAction, ctx: BarberContext,
              session: Session | None = None) -> str:
    """One action through the BookingService (in `session` when given); the line to say (its own,
    or why it did not happen)."""
    try:
        if isinstance(action, AddTimeOff):
            bookings.block(barber=action.barber, start=action.start, end=action.end, reason=action.reason,
                           session=session)
            return action.said
        if isinstance(action, RemoveTimeOff):
            n = bookings.unblock(barber=action.barber, start=action.start, end=action.end, session=session)
            return r.unblocked(shop, action.day, n)
        if isinstance(action, CancelAndTell):
            bookings.cancel(action.booking_id, reason=action.reason, notify=True, notice=action.notice,
                            session=session)
            if action.then is not None and session is not None and not in_conversation(session, action.phone):
                save_conversation(session, action.phone, action.then, ctx.now)  # they may pick from its times
            return action.said
        if isinstance(action, MoveAndTell):
            bookings.reschedule(action.booking_id, start=action.start, barber=action.barber, notify=True,
                                notice=action.notice,
                                session=session)
            return action.said
        if isinstance(action, SetOutcome):
            b = bookings.set_outcome(action.booking_id, action.status, session=session)
            if action.status == BookingStatus.NO_SHOW:
                facts = ctx.customer(b.customer_phone)
                return f"{action.said} {r.barber_no_show_count(facts)}"
            return action.said
        if isinstance(action, HandBackTo):
            if session is None:
                with bookings.db.write() as s:
                    hand_back(s, action.phone, ctx.now)
            else:
                hand_back(session, action.phone, ctx.now)
            return action.said
        if isinstance(action, Tell):
            bookings.tell(action.booking_id, action.notice, kind="late", session=session)
            return action.said
    except (SlotTaken, InvalidBooking) as exc:
        log.info("barber action %s refused: %s", type(action).__name__, exc.code)
        return r.barber_action_refused(getattr(action, "code", ""), exc.code)
    except Conflict:
        code = getattr(action, "code", "")
        try:
            status = str(bookings.get_by_code(code, session=session).status)
        except NotFound:
            return r.unknown_code(code)
        return r.booking_not_open(code, status)
    except NotFound:
        return r.unknown_code(getattr(action, "code", ""))
    except BarberbotError as exc:
        log.info("barber action %s failed: %s", type(action).__name__, exc)
        return r.bad_range()
    raise AssertionError(f"unknown barber action {action!r}")
