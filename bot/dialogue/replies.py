"""Every word the chat sends, in one place (so it can be translated later).

Short, friendly, and always in the shop's local time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import phonenumbers

from bot.availability import Slot
from bot.messages import (
    barber_name,
    fmt_date,
    fmt_day,
    fmt_slot,
    fmt_time,
    money,
    possessive,
    service_name,
)
from bot.nlu.dates import WEEKDAYS
from bot.shop import Barber, Shop, format_hours

from .barber import BookingInfo, CustomerRecord
from .model import BookingView, Option

APOLOGY = "Sorry, something went wrong on our side. Please try again in a minute."
NOT_TEXT = "Sorry, I can only read text messages. What would you like to do?"
TOO_LONG = "That message is a bit long for me. Could you send it in a few words?"


def _what(shop: Shop, service: str, barber: str | None) -> str:
    who = f" with {barber_name(shop, barber)}" if barber else ""
    return f"{service_name(shop, service)}{who}"


def option_line(shop: Shop, n: int, o: Option, bookings: Sequence[BookingView] = ()) -> str:
    if o.kind == "service":
        svc = shop.service(o.service or "")
        return f"{n}) {svc.name} ({svc.minutes} min, {money(shop, svc.price)})" if svc else f"{n}) {o.service}"
    if o.kind == "booking":
        b = next((b for b in bookings if b.id == o.booking_id), None)
        return f"{n}) {booking_line(shop, b)}" if b else f"{n}) booking {o.booking_id}"
    assert o.start is not None
    who = f" with {barber_name(shop, o.barber)}" if o.barber else ""
    return f"{n}) {fmt_slot(shop, o.start)}{who}"


def numbered(shop: Shop, options: Sequence[Option], bookings: Sequence[BookingView] = ()) -> str:
    return "\n".join(option_line(shop, i, o, bookings) for i, o in enumerate(options, start=1))


def booking_line(shop: Shop, b: BookingView) -> str:
    guest = f" for {b.guest_name}" if b.guest_name else ""
    return f"{fmt_slot(shop, b.start)} {_what(shop, b.service, b.barber)}{guest} ({b.code})"


# -- questions ---------------------------------------------------------------


def ask_service(shop: Shop, options: Sequence[Option]) -> str:
    return f"Sure! Which service would you like?\n{numbered(shop, options)}\nReply with a number or the name."


def ask_service_again(shop: Shop, options: Sequence[Option]) -> str:
    names = [service_name(shop, o.service or "").lower() for o in options[:3]]
    return f"Which service? Reply with a number from 1 to {len(options)}, or the name (e.g. {', '.join(names)})."


def ask_day(shop: Shop, service: str | None, moving: bool = False) -> str:
    if moving:
        return "When would you like to move it to? (e.g. friday at 2pm)"
    what = f"your {service_name(shop, service)}" if service else "it"
    return f"What day and time would you like {what}? (e.g. tomorrow at 3pm)"


def ask_day_only(shop: Shop, time: dt.time) -> str:
    return f"Which day would you like to come in at {time.strftime('%H:%M')}? (e.g. tomorrow, friday, 10 Dec)"


def ask_time(shop: Shop, day: dt.date) -> str:
    return f"What time on {fmt_date(day)}? (e.g. 10:30 or 4pm)"


def slot_options(shop: Shop, options: Sequence[Option], intro: str) -> str:
    return f"{intro}\n{numbered(shop, options)}\nReply with a number, or tell me another time."


def free_on(shop: Shop, day: dt.date | None, window_label: str | None) -> str:
    when = fmt_date(day) if day else "soon"
    part = f" ({window_label})" if window_label else ""
    return f"Here's what's free {when}{part}:" if day else f"Here are the next free times{part}:"


def none_free_on(shop: Shop, day: dt.date, window_label: str | None) -> str:
    part = f" in the {window_label}" if window_label and window_label.isalpha() else (
        f" {window_label}" if window_label else "")
    return f"Sorry, nothing is free on {fmt_date(day)}{part}. The nearest free times:"


def window_outside_hours(shop: Shop, day: dt.date, window: tuple[int, int, str], barber: str | None) -> str | None:
    """Why nothing is free in `window` on `day` when the shop (or `barber`) is not open then at all:
    "Sorry, we close at 15:00 on Sundays, so nothing is free on Sun 13 Dec after work."; None when
    the window and the day's hours overlap."""
    b = shop.barber(barber) if barber else None
    span = shop.barber_hours(b, day.weekday()) if b is not None else shop.hours.get(day.weekday())
    if span is None or (window[0] < span[1] and window[1] > span[0]):
        return None
    who, verbs = (b.name, ("finishes", "starts")) if b is not None else ("we", ("close", "open"))
    verb, at = (verbs[0], span[1]) if window[0] >= span[1] else (verbs[1], span[0])
    label = window[2]
    part = f" in the {label}" if label.isalpha() else (f" {label}" if label else "")
    return (f"Sorry, {who} {verb} at {at // 60:02d}:{at % 60:02d} on {day.strftime('%A')}s, "
            f"so nothing is free on {fmt_date(day)}{part}. The nearest free times:")


def one_at_a_time(shop: Shop, service: str | None) -> str:
    what = service_name(shop, service).lower() if service else "appointment"
    return (f"I book one person at a time: once this one's booked, say \"another {what} straight after\" "
            f"and I'll book the next one.")


def then_the_other(shop: Shop, first: str, other: str) -> str:
    return (f"That's the {service_name(shop, first).lower()} first: once it's booked, say "
            f"\"{service_name(shop, other).lower()} straight after\" and I'll add it.")


def does_service(shop: Shop, barber: str | None, service: str) -> str:
    """The answer to "does she do beards?" asked along with a booking: whether that barber (or
    the shop) does that service."""
    b = shop.barber(barber) if barber else None
    name = services_word(shop, service)
    if b is None:
        return f"Yes, we do {name}."
    if service in b.services:
        return f"Yes, {b.name} does {name}."
    return f"{b.name} doesn't do {name}, but others here do."


def services_word(shop: Shop, service: str) -> str:
    """A service as running text says it of the kind: "fades", "classic cuts", "designs"."""
    name = service_name(shop, service).lower()
    return name if name.endswith("s") else name + "s"


def beyond_horizon(shop: Shop, day: dt.date, now: dt.datetime) -> str:
    last = now.astimezone(shop.tz).date() + dt.timedelta(days=shop.horizon_days)
    return (f"Sorry, {fmt_date(day)} is more than {shop.horizon_days} days ahead, and I can only book up to "
            f"{fmt_date(last)}. Which day before then would suit you?")


def other_barber_free(shop: Shop, barber: str, other: str, start: dt.datetime) -> str:
    return (f"{barber_name(shop, barber)} isn't free at {fmt_slot(shop, start)}, but {barber_name(shop, other)} is. "
            f"Or the nearest times with {barber_name(shop, barber)}:")


def booking_again(shop: Shop, service: str, barber: str | None) -> str:
    return f"Let's book your {_what(shop, service, barber)} again."


def already_booked(shop: Shop, b: BookingView) -> str:
    return (f"You're already booked then: {booking_line(shop, b)}. If this one's for someone else, "
            f"say who it's for (e.g. \"for my son Jack\"); or tell me another time.")


def not_done_yet(goal: str | None) -> str:
    verb = {"cancel": "cancelled", "reschedule": "moved"}.get(goal or "", "booked")
    return f"One more step: it isn't {verb} yet."


def more_times(direction: str) -> str:
    return f"Here are some {direction} times:"


def nothing_more(shop: Shop, direction: str, than: dt.datetime) -> str:
    if direction == "earlier":
        return f"Sorry, nothing is free earlier than {fmt_slot(shop, than)}."
    return f"Sorry, nothing is free later than {fmt_slot(shop, than)} within the next {shop.horizon_days} days."


def nothing_soon() -> str:
    return "Sorry, I can't find a free time around then. Try another day?"


def which_booking(shop: Shop, options: Sequence[Option], bookings: Sequence[BookingView], verb: str) -> str:
    return f"Which booking would you like to {verb}?\n{numbered(shop, options, bookings)}\nReply with a number."


def which_one() -> str:
    return "Which one do you mean?"


def noted_guest(guest: str) -> str:
    return f"Got it, it's for {guest}."


def with_barber(shop: Shop, barber: str) -> str:
    return f"It's with {barber_name(shop, barber)}."


def pick_a_number(n: int) -> str:
    return f"Please reply with a number from 1 to {n}."


# -- why a time will not do --------------------------------------------------


def reason(shop: Shop, why: str, start: dt.datetime | None, barber: str | None, service: str | None) -> str:
    when = fmt_slot(shop, start) if start else "that time"
    who = barber_name(shop, barber) if barber else "we"
    return {
        "in_past": f"{when} has already passed.",
        "past_date": "That date has already passed.",
        "closed": f"Sorry, we're closed on {fmt_day(shop, start) if start else 'that day'}.",
        "barber_off": f"Sorry, {who} isn't working on {fmt_day(shop, start) if start else 'that day'}.",
        "outside_hours": _shop_shut_then(shop, start) if not barber and start else (
            f"Sorry, {when} is outside {'our' if not barber else possessive(who)} opening hours"
            f"{_hours_that_day(shop, start, barber)}."),
        "runs_past_close": _runs_past_close(shop, start, barber, service),
        "closed_date": f"Sorry, we're closed on {_closure(shop, start)}.",
        "beyond_horizon": f"Sorry, I can only book up to {shop.horizon_days} days ahead.",
        "slot_taken": f"Sorry, {when} isn't free.",
        "barber_unavailable": f"Sorry, {who} isn't available at {fmt_time(shop, start) if start else 'that time'}.",
        "off_grid": f"Appointments start every {shop.slot_minutes} minutes.",
        "service_not_offered": (f"{who} doesn't do {services_word(shop, service)}." if barber and service
                                else "Sorry, we don't offer that."),
    }.get(why, f"Sorry, {when} isn't possible.")


def _shop_shut_then(shop: Shop, start: dt.datetime) -> str:
    """"Sorry, 17:00 is after our opening hours: we close at 15:00 on Sundays." (or before, open)."""
    local = start.astimezone(shop.tz)
    hours = shop.hours.get(local.weekday())
    if not hours:
        return f"Sorry, we're closed on {local.strftime('%A')}s."
    minute = local.hour * 60 + local.minute
    verb, at, word = ("close", hours[1], "after") if minute >= hours[1] else ("open", hours[0], "before")
    return (f"Sorry, {fmt_time(shop, start)} is {word} our opening hours: "
            f"we {verb} at {at // 60:02d}:{at % 60:02d} on {local.strftime('%A')}s.")


def _hours_that_day(shop: Shop, start: dt.datetime | None, barber: str | None) -> str:
    """" (08:00–16:00 that day)": the hours the time fell outside, when known."""
    if start is None:
        return ""
    day = start.astimezone(shop.tz).date()
    b = shop.barber(barber) if barber else None
    hours = shop.barber_hours(b, day.weekday()) if b is not None else shop.hours.get(day.weekday())
    if not hours:
        return ""
    return f" ({hours[0] // 60:02d}:{hours[0] % 60:02d}–{hours[1] // 60:02d}:{hours[1] % 60:02d} that day)"


def _runs_past_close(shop: Shop, start: dt.datetime | None, barber: str | None, service: str | None) -> str:
    svc = shop.service(service or "")
    if start is None or svc is None:
        return "Sorry, that would run past closing time."
    day = start.astimezone(shop.tz).date()
    b = shop.barber(barber) if barber else None
    hours = shop.barber_hours(b, day.weekday()) if b is not None else shop.hours.get(day.weekday())
    close = f"{hours[1] // 60:02d}:{hours[1] % 60:02d}" if hours else "closing"
    who = f"{b.name} finishes" if b is not None else "we close"
    return f"Sorry, a {svc.name.lower()} takes {svc.minutes} min, and {who} at {close} on {fmt_date(day)}."


_NAMED_DAYS = {(12, 25): "Christmas Day", (12, 26): "Boxing Day", (1, 1): "New Year's Day",
               (12, 24): "Christmas Eve", (12, 31): "New Year's Eve"}


def local_instant_noon(shop: Shop, day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 12, tzinfo=shop.tz)


def _closure(shop: Shop, start: dt.datetime | None) -> str:
    if start is None:
        return "that day"
    day = start.astimezone(shop.tz).date()
    name = _NAMED_DAYS.get((day.month, day.day))
    return f"{name} ({fmt_date(day)})" if name else fmt_date(day)


def not_offered_switch(shop: Shop, barber: str, service: str) -> str:
    return f"{barber_name(shop, barber)} doesn't do {services_word(shop, service)}, so I'll look at the other barbers."


# -- confirmations -----------------------------------------------------------


def confirm_book(shop: Shop, service: str, barber: str, start: dt.datetime) -> str:
    return (f"{_what(shop, service, barber)} on {fmt_slot(shop, start)}.\n"
            f"Reply YES to book it, or NO to stop.")


def confirm_move(shop: Shop, old: BookingView, service: str, barber: str, start: dt.datetime) -> str:
    if start == old.start and barber != old.barber and service == old.service:  # the barber only
        return (f"Move your {service_name(shop, old.service)} on {fmt_slot(shop, old.start)} from "
                f"{barber_name(shop, old.barber)} to {barber_name(shop, barber)}, same time?\n"
                "Reply YES to move it, or NO to keep it.")
    return (f"Move your {service_name(shop, old.service)} from {fmt_slot(shop, old.start)} to "
            f"{fmt_slot(shop, start)} with {barber_name(shop, barber)}"
            + (f" ({service_name(shop, service)})" if service != old.service else "")
            + "?\nReply YES to move it, or NO to keep it.")


def confirm_cancel(shop: Shop, b: BookingView) -> str:
    return (f"Cancel your {_what(shop, b.service, b.barber)} on {fmt_slot(shop, b.start)} ({b.code})?\n"
            f"Reply YES to cancel it, or NO to keep it.")


def booked(shop: Shop, service: str, barber: str, start: dt.datetime, code: str) -> str:
    return (f"Booked ✅ {_what(shop, service, barber)} on {fmt_slot(shop, start)} at {shop.name.rstrip('.')}. "
            f"Your code is {code}. Reply CANCEL or MOVE any time.")


def moved(shop: Shop, service: str, barber: str, start: dt.datetime, code: str) -> str:
    return f"Done ✅ Your {_what(shop, service, barber)} is now {fmt_slot(shop, start)} ({code})."


def cancelled(shop: Shop, service: str, start: dt.datetime, code: str) -> str:
    return (f"Cancelled: your {service_name(shop, service)} on {fmt_slot(shop, start)} ({code}). "
            f"Reply BOOK any time to choose a new time.")


def abandoned(goal: str | None) -> str:
    if goal == "cancel":
        return "OK, I've kept your booking."
    if goal == "reschedule":
        return "OK, your booking stays as it was."
    return "No problem, I haven't booked anything. Just message me when you'd like to."


def nothing_to_confirm() -> str:
    return "There's nothing waiting for a yes right now. Would you like to book? Tell me the service, day and time."


def nothing_to_drop() -> str:
    return "OK! Message me any time you'd like to book."


# -- bookings, help, reminders ---------------------------------------------


def your_bookings(shop: Shop, bookings: Sequence[BookingView]) -> str:
    lines = "\n".join(f"• {booking_line(shop, b)}" for b in bookings)
    return f"Your bookings:\n{lines}\nReply CANCEL or MOVE to change one."


def no_bookings() -> str:
    return "You have no upcoming bookings. Want one? e.g. \"haircut friday at 3pm\"."


def no_booking_to(verb: str) -> str:
    return f"You have no upcoming bookings to {verb}. Want to book one? e.g. \"haircut friday at 3pm\"."


def next_weekday(day: dt.date, week_later: dt.date) -> str:
    return (f"I've taken “next {day.strftime('%A')}” as {fmt_date(day)}; "
            f"say {fmt_date(week_later)} if you meant the week after.")


def move_target_gone() -> str:
    return ("The booking you were moving isn't there any more (it may have been cancelled). "
            "Reply LIST to see your bookings, or tell me when you'd like to come in.")


def no_such_booking(code: str | None) -> str:
    if code:
        return f"I can't find a booking {code} of yours. Reply LIST to see your bookings."
    return "I can't find a booking like that. Reply LIST to see your bookings."


_EXAMPLE_DAYS = (4, 3, 2, 1, 0, 5, 6)  # friday first, as the examples always said


def _example_request(shop: Shop, *, barber: bool = False) -> str:
    """"haircut with mia friday at 2pm": the shop's own first service (and a barber who does it),
    on a day and at an hour it is open."""
    svc = shop.services[0] if shop.services else None
    what = svc.name.lower() if svc else "haircut"
    who = next((b for b in shop.barbers if svc is None or svc.key in b.services), None) if barber else None
    open_days = [(wd, span) for wd in _EXAMPLE_DAYS if (span := shop.hours.get(wd)) is not None]
    when = f"{WEEKDAYS[open_days[0][0]]} at {_an_hour_inside(open_days[0][1])}" if open_days else "friday at 3pm"
    return f"{what}{f' with {who.name}' if who else ''} {when}"




def help_text(shop: Shop) -> str:
    names = ", ".join(s.name.lower() for s in shop.services)
    return (f"Hi, I'm {possessive(shop.name)} booking assistant. You can write things like:\n"
            f"• book a {_example_request(shop, barber=True)}\n"
            f"• any times tomorrow afternoon?\n"
            f"• move my booking to 4.30\n"
            f"• cancel my booking\n"
            f"• my bookings\n"
            f"• prices, opening hours\n"
            f"• STOP / START for reminders\n"
            f"Services: {names}.")


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _an_hour_inside(span: tuple[int, int]) -> str:
    """An o'clock the shop is open, to suggest ("2pm"): the middle of the day's hours."""
    hour = ((span[0] + span[1]) // 2) // 60
    return f"{hour % 12 or 12}{'am' if hour < 12 else 'pm'}"


def _span(hours: tuple[int, int] | None) -> str:
    return format_hours(hours).replace("-", "–")  # the shop file's "09:00-18:00", typeset


def prices(shop: Shop, services: Sequence[str], *, suggest: bool = True) -> str:
    """What the named services cost (all of them when none is named); `suggest`: how to book one."""
    named = [svc for key in services if (svc := shop.service(key)) is not None]
    if len(named) == 1:
        svc = named[0]
        tail = f" Want to book one? (e.g. {svc.name.lower()} friday at 3pm)" if suggest else ""
        article = "An" if svc.name[:1].lower() in "aeiou" else "A"
        return f"{article} {svc.name.lower()} is {money(shop, svc.price)} ({svc.minutes} min).{tail}"
    lines = "\n".join(f"• {svc.name}: {money(shop, svc.price)} ({svc.minutes} min)" for svc in (named or shop.services))
    if len(named) > 1:  # "the fade plus the part, what does that come to": the sum too
        total = sum((svc.price for svc in named), start=named[0].price * 0)
        lines += f"\nTogether: {money(shop, total)} ({sum(svc.minutes for svc in named)} min)."
    return f"Our prices:\n{lines}" + ("\nTell me which one and when, and I'll book it." if suggest else "")


def opening_hours(shop: Shop, day: dt.date | None, barber: str | None, *, suggest: bool = True,
                  every: bool = False) -> str:
    """The shop's (or one barber's) hours on `day` (`every`: on that weekday every week, "on
    Mondays"), or for the week (consecutive days alike grouped); `suggest`: how to go on from there."""
    b = shop.barber(barber) if barber else None
    def on(weekday: int) -> tuple[int, int] | None:
        return shop.barber_hours(b, weekday) if b is not None else shop.hours.get(weekday)
    who = f"{b.name} works" if b is not None else "We're open"
    if day is not None and day in shop.closed and not every:
        closure = _closure(shop, local_instant_noon(shop, day))
        usual = on(day.weekday())
        # "what time do you close on saturday" when this Saturday is closed: the usual hours too
        # (not for a day called by its holiday's name, "are you open on christmas day")
        other = f" Other {day.strftime('%A')}s: {_span(usual)}." if usual and closure == fmt_date(day) else ""
        return f"Sorry, we're closed on {closure}.{other}"
    if day is not None:
        span = on(day.weekday())
        when = day.strftime("%A") + "s" if every else fmt_date(day)
        if span is None:
            closed = f"{b.name} isn't working on {when}." if b is not None else f"We're closed on {when}."
            return closed + (" Ask me for another day, e.g. \"any times saturday?\"" if suggest else "")
        tail = f" Want me to find you a time? (e.g. {day.strftime('%A').lower()} at {_an_hour_inside(span)})" \
            if suggest else ""
        return f"{who} {_span(span)} on {when}.{tail}"
    groups: list[tuple[int, int, tuple[int, int] | None]] = []
    for wd in range(7):
        span = on(wd)
        if groups and groups[-1][2] == span:
            groups[-1] = (groups[-1][0], wd, span)
        else:
            groups.append((wd, wd, span))
    lines = "\n".join(f"• {_DAYS[a]}{'' if a == z else '–' + _DAYS[z]}: {_span(span)}" for a, z, span in groups)
    return f"{who}:\n{lines}"


def greeting(shop: Shop) -> str:
    return (f"Hi! 👋 This is {shop.name.rstrip('.')}. I can book, move or cancel appointments. "
            f"What would you like? (e.g. haircut tomorrow at 3pm)")


def thanks() -> str:
    return "You're welcome! 😊"


def unknown(shop: Shop) -> str:
    return (f"Sorry, I didn't quite get that. You can say e.g. \"{_example_request(shop)}\", "
            "\"my bookings\", \"cancel\" or \"help\".")


def reminders_stopped() -> str:
    return "OK, I've stopped reminders. Your bookings stay as they are. Reply START to get reminders again."


def stop_hint() -> str:
    return "(Your reminders are still on; send STOP on its own to turn them off.)"


def see_you(shop: Shop, b: BookingView) -> str:
    return f"Great, see you {fmt_slot(shop, b.start)} with {barber_name(shop, b.barber)} 👍"


def start_again() -> str:
    return "OK, let's start again."


def reminders_started() -> str:
    return "Reminders are back on ✅. Reply STOP to stop them."


def ambiguous_time() -> str:
    return "What time exactly? (e.g. 10:30 or 4pm)"


# -- barbers -----------------------------------------------------------------
# (the wording of bot.dialogue.barber_flow; a barber's own bookings are "your", another's are named)


def barber_help(shop: Shop, *, owner: bool = False) -> str:
    lines = [
        "Barber commands:",
        "• today / tomorrow / agenda fri / agenda yesterday / am I busy sunday? / what's my week",
        "• who's in saturday? / next free slot",
        "• cancel CODE [reason] (the customer is told, with other free times)",
        "• move CODE fri 10:00 / move CODE to 1pm / move my 3pm to 4 (the customer is told the new time)",
        "• block fri 13:00-15:00 / block tomorrow afternoon / off 2026-12-24 / unblock fri 13:00-15:00",
        "• sick today, cancel all my bookings (asks YES first)",
        "• running 15 min late / tell my 10am I'm 10 min late",
        "• noshow CODE / done CODE (once the appointment has started)",
    ]
    if owner:
        other = next((b for b in shop.barbers if not b.is_owner), shop.barbers[0] if shop.barbers else None)
        name = other.name.lower() if other else "them"
        lines.append(f"• as the owner, for anyone: agenda {name} / everyone's bookings tomorrow / block {name} fri 13:00-15:00 / "
                     f"cancel CODE / move CODE / customer {_example_phone(shop)} / resume {_example_phone(shop)}")
    else:
        lines.append("You act on your own bookings and time; the owner can act on anyone's.")
    lines.append("Anything else, and I'll treat you as a customer.")
    return "\n".join(lines)


def _example_phone(shop: Shop) -> str:
    """A mobile number written as the shop's own are (its barbers' country), for examples."""
    for b in shop.barbers:
        try:
            region = phonenumbers.region_code_for_country_code(phonenumbers.parse(b.phone, None).country_code or 0)
        except phonenumbers.NumberParseException:
            continue
        example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
        if example is not None:
            return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
    return "+" + "0" * 11


def barber_usage(word: str) -> str:
    if word == "unknown":
        return "Sorry, I didn't get that. Send help to see what you can do."
    examples = {
        "agenda": "agenda fri, agenda 16 dec, agenda yesterday",
        "block": "block fri 13:00-15:00, block tomorrow afternoon, off 2026-12-24",
        "off": "off 2026-12-24, off fri",
        "unblock": "unblock fri 13:00-15:00, unblock 2026-12-24",
        "noshow": "noshow K7Q2, done K7Q2, or by its time: my 10:15 was a no show, my 11am is done",
        "move": "move K7Q2 fri 10:00, move K7Q2 to 1pm, move my 3pm to 4, or move them after a block that clashes",
        "resume": "resume +61491570102",
        "cancel": "cancel K7Q2, cancel my 2pm, cancel my 10am tomorrow, or cancel them after a block that clashes",
        "keep": "keep them (after a block that clashes)",
        "undo": "unblock fri 13:00-15:00",
    }
    return f"I couldn't read that. Try: {examples.get(word, word + ' K7Q2')}"


def barber_no_show_count(facts: CustomerRecord) -> str:
    n = facts.no_shows
    return f"{facts.name or facts.phone} has {n} no-show{'s' if n != 1 else ''} in all."


def barber_action_refused(code: str, why: str) -> str:
    if why == "slot_taken":
        return f"Couldn't move {code}: that time was just taken. It is still booked."
    return f"Couldn't change {code} ({why.replace('_', ' ')}). Nothing was sent."


def barber_nothing_waiting() -> str:
    return "There's nothing waiting for a yes or no. Send help for the commands."


def barber_which_day(weekday: str, day: dt.date) -> str:
    names = {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday", "fri": "Friday",
             "sat": "Saturday", "sun": "Sunday"}
    return (f"{fmt_date(day)} is a {names[fmt_date(day)[:3].lower()]}, not a {names[weekday]}. "
            f"Which day did you mean? Send it again with the date or the weekday.")


def _whose(shop: Shop, barber: str, own: bool) -> str:
    return "You're" if own else f"{barber_name(shop, barber)} is"


def barber_agenda(shop: Shop, day: dt.date, barber: Barber, rows: Sequence[BookingInfo], *, off: bool,
                  blocks: Sequence[tuple[dt.datetime, dt.datetime]], own: bool) -> str:
    """A barber's day: their bookings (rows of barber_flow.BookingInfo), blocks, or that they are off."""
    key = barber.key
    head = fmt_date(day) if own else f"{barber_name(shop, key)}, {fmt_date(day)}"
    lines = []
    for b in rows:
        name = b.customer_name
        phone = b.customer_phone
        who = f"{name} {phone}" if name else phone
        if b.guest_name:
            who += f" (for {b.guest_name})"
        status = b.status
        tag = "" if status == "confirmed" else f" [{status.replace('_', ' ')}]"
        lines.append(f"{fmt_time(shop, b.start)} {service_name(shop, b.service)} "
                     f"– {who} ({b.code}){tag}")
    if day in shop.closed:  # [closed]: a shop-wide closure, whoever asks
        if not rows:
            return f"The shop is closed {fmt_date(day)}; nothing is booked."
        return f"The shop is closed {fmt_date(day)}, but these are still booked:\n" + "\n".join(lines)
    if off and not rows:
        return f"{_whose(shop, key, own)} off {fmt_date(day)}; nothing is booked."
    text = f"{head}: no bookings." if not rows else f"{head}:\n" + "\n".join(lines)
    if off:
        text = f"{_whose(shop, key, own)} off {fmt_date(day)}, but these are still booked:\n" + "\n".join(lines)
    elif blocks:
        spans = ", ".join(f"{fmt_time(shop, a)}-{fmt_time(shop, z)}" for a, z in blocks)
        text += f"\nBlocked: {spans}."
    return text


def barber_week(shop: Shop, barber: Barber, days: Sequence[tuple[dt.date, bool, Sequence[BookingInfo]]], *,
                own: bool) -> str:
    key = barber.key
    lines = []
    for day, off, rows in days:
        if day in shop.closed:  # [closed]: a shop-wide closure
            n = len(rows)
            lines.append(f"{fmt_date(day)}: shop closed" + (f", {n} booking{'s' if n != 1 else ''} still on" if n else ""))
        elif off and not rows:
            lines.append(f"{fmt_date(day)}: off")
        elif not rows:
            lines.append(f"{fmt_date(day)}: no bookings")
        else:
            first, last = rows[0].start, rows[-1].start
            n = len(rows)
            span = fmt_time(shop, first) if n == 1 else f"{fmt_time(shop, first)}-{fmt_time(shop, last)}"
            lines.append(f"{fmt_date(day)}: {n} booking{'s' if n != 1 else ''} ({span})"
                         f"{' (marked off)' if off else ''}")
    head = "Your week:" if own else f"{barber_name(shop, key)}'s week:"
    return head + "\n" + "\n".join(lines)


def barber_who_is_in(shop: Shop, day: dt.date, rows: Sequence[tuple[Barber, tuple[int, int] | None, int]]) -> str:
    if day in shop.closed and not any(count for _, _, count in rows):
        return f"{fmt_date(day)}: the shop is closed."
    lines = []
    for barber, hours, count in rows:
        name = barber.name
        if hours is None:
            lines.append(f"{name}: off" + (f" ({count} booking{'s' if count != 1 else ''} still on)" if count else ""))
        else:
            lines.append(f"{name}: {format_hours(hours)}, {count} booking{'s' if count != 1 else ''}")
    return f"{fmt_date(day)}:\n" + "\n".join(lines)


def barber_who_at(shop: Shop, barber: Barber, b: BookingInfo, *, own: bool) -> str:
    """"who got the 11 tmrw": the booking then, as the agenda shows it (its start, service, customer, code)."""
    head = fmt_slot(shop, b.start) if own else f"{barber.name}, {fmt_slot(shop, b.start)}"
    phone = f" {b.customer_phone}" if b.customer_name else ""  # a nameless customer is their number
    return f"{head}: {service_name(shop, b.service)} – {_customer_of(b)}{phone} ({b.code})."


def barber_nobody_at(shop: Shop, barber: Barber, at: dt.datetime, *, own: bool) -> str:
    """Nobody is booked with the barber at `at` (the day's agenda follows)."""
    who = "You have" if own else f"{barber.name} has"
    return f"{who} nobody booked at {fmt_time(shop, at)} on {fmt_date(at.astimezone(shop.tz).date())}."


def barber_free_on(shop: Shop, barber: Barber, day: dt.date, part: str | None,
                   spans: Sequence[tuple[dt.datetime, dt.datetime]], *, own: bool, off: bool = False) -> str:
    """"when am i free thursday afternoon": the free spans of that day (and part of it)."""
    when = fmt_date(day) + (f" {part}" if part else "")
    who = "You're" if own else f"{barber.name} is"
    if off:
        return f"{who} off {fmt_date(day)}."
    if not spans:
        return f"{when}: you're fully booked." if own else f"{when}: {barber.name} is fully booked."
    free = ", ".join(f"{fmt_time(shop, a)}–{fmt_time(shop, z)}" for a, z in spans)
    return f"{when}: free {free}." if own else f"{when}: {barber.name} is free {free}."


def barber_next_free(shop: Shop, barber: Barber, start: dt.datetime, *, own: bool) -> str:
    who = "Your" if own else f"{barber.name}'s"
    return f"{who} next free slot: {fmt_slot(shop, start)}."


def barber_next_booking(shop: Shop, barber: Barber, b: BookingInfo, *, today: bool, own: bool) -> str:
    """"who's next": the barber's next booking (its time only when it is today)."""
    when = fmt_time(shop, b.start) if today else fmt_slot(shop, b.start)
    who = "Your" if own else f"{barber.name}'s"
    phone = f" {b.customer_phone}" if b.customer_name else ""  # a nameless customer is their number
    return f"{who} next booking: {when} {service_name(shop, b.service)} – {_customer_of(b)}{phone} ({b.code})."


def barber_no_next_booking(barber: Barber, *, own: bool) -> str:
    return "You have no bookings in the next two weeks." if own else f"{barber.name} has no bookings in the next two weeks."


def barber_no_free(shop: Shop, barber: Barber) -> str:
    return f"No free time for {barber.name} in the next two weeks."


def barber_customer(shop: Shop, facts: CustomerRecord) -> str:
    phone, name = facts.phone, facts.name
    n, noshows = facts.bookings, facts.no_shows
    if not n:
        return f"No bookings from {phone}."
    who = f"{name} ({phone})" if name else phone
    text = (f"{who}: {n} booking{'s' if n != 1 else ''}, "
            f"{noshows} no-show{'s' if noshows != 1 else ''}.")
    upcoming = facts.upcoming
    if upcoming:
        text += "\nNext: " + "; ".join(
            f"{fmt_slot(shop, b.start)} {_what(shop, b.service, b.barber)} "
            f"({b.code})" for b in upcoming)
    return text


def barber_unknown(shop: Shop, name: str) -> str:
    names = ", ".join(b.name for b in shop.barbers)
    return f"There's no barber called {name} (barbers: {names})."


def barber_not_yours(shop: Shop, barber: str, doing: str) -> str:
    return f"Only the owner can {doing} {barber_name(shop, barber)}; you can act on your own bookings and time."


def barber_owner_only(doing: str) -> str:
    return f"Only the owner can {doing}."


def _customer_of(b: BookingInfo) -> str:
    """Who a barber's line names: the customer, and who the chair is for when not them ("Ana for son")."""
    who = b.customer_name or b.customer_phone
    return f"{who} for {b.guest_name}" if b.guest_name else who


def _booking_of(shop: Shop, b: BookingInfo) -> str:
    return (f"{b.code} ({fmt_slot(shop, b.start)} "
            f"{service_name(shop, b.service)}, {_customer_of(b)})")


def barber_cancelled(shop: Shop, b: BookingInfo, *, offered: bool = True) -> str:
    told = "sent a message with other free times" if offered else "told"
    return f"Cancelled {_booking_of(shop, b)}. {_customer_of(b)} has been {told}."


def barber_no_booking_to_cancel(shop: Shop, at: dt.datetime, that_day: Sequence[BookingInfo], barber: Barber, *,
                                mine: bool) -> str:
    """A cancel by time with no booking then: that day's bookings, so the right one can be named."""
    who = "You have" if mine else f"{barber.name} has"
    text = f"{who} no booking at {fmt_slot(shop, at)}; nothing was cancelled."
    text += _that_day(shop, that_day)
    return text


def barber_which_to_cancel(shop: Shop, found: Sequence[BookingInfo]) -> str:
    lines = "\n".join(f"• {fmt_slot(shop, b.start)} {service_name(shop, b.service)} with {barber_name(shop, b.barber)} "
                      f"– {_customer_of(b)} ({b.code})" for b in found)
    return f"More than one booking then:\n{lines}\nSend cancel CODE for the one to cancel."


def barber_cancel_asked_notice(shop: Shop, b: BookingInfo, *, by: str) -> str:
    """The customer's message when a barber cancels for them (they asked the barber directly)."""
    return (f"Your {service_name(shop, b.service)} with {barber_name(shop, b.barber)} on {fmt_slot(shop, b.start)} "
            f"({b.code}) is cancelled, as you asked {by}. Reply BOOK any time to book again.")


def barber_already_started(shop: Shop, b: BookingInfo, *, doing: str = "cancelled") -> str:
    return (f"{b.code} started at {fmt_slot(shop, b.start)}, so it can't be {doing}; "
            f"mark it with done {b.code} or noshow {b.code}.")


def barber_no_booking_to_move(shop: Shop, at: dt.datetime, that_day: Sequence[BookingInfo], barber: Barber, *,
                              mine: bool, any_time: bool = False) -> str:
    """A move by time with no one booking then: that day's bookings, so the right one can be named
    (`any_time`: no time was said, so that day has none or several)."""
    who = "You have" if mine else f"{barber.name} has"
    if any_time:
        text = (f"{who} {'more than one booking' if that_day else 'no booking'} on {fmt_date(at.astimezone(shop.tz).date())}; "
                "nothing was moved.")
    elif len([b for b in that_day if b.start == at]) > 1:
        text = f"More than one booking at {fmt_slot(shop, at)}; nothing was moved."
    else:
        text = f"{who} no booking at {fmt_slot(shop, at)}; nothing was moved."
    text += _that_day(shop, that_day)
    return text + " Send move CODE fri 10:00 for the one to move."


def _that_day(shop: Shop, that_day: Sequence[BookingInfo]) -> str:
    """" That day: 10:00 Ana (K7Q2), ..." (empty when there are none): the bookings to name one from."""
    if not that_day:
        return ""
    return " That day: " + ", ".join(f"{fmt_time(shop, b.start)} {_customer_of(b)} ({b.code})" for b in that_day) + "."


def barber_move_same(shop: Shop, b: BookingInfo) -> str:
    return f"{b.code} is already {fmt_slot(shop, b.start)} with {barber_name(shop, b.barber)}; nothing was changed."


def barber_move_past(shop: Shop, start: dt.datetime) -> str:
    return f"{fmt_slot(shop, start)} has already gone; nothing was moved."


def barber_not_free_then(shop: Shop, b: BookingInfo, slot: Slot, offers: Sequence[Slot]) -> str:
    """A booking not moved: the barber it would go to isn't free then; the nearest free times instead."""
    text = (f"{barber_name(shop, slot.barber)} isn't free {fmt_slot(shop, slot.start)} for {_booking_of(shop, b)}; "
            f"nothing was moved and nobody was told.")
    if offers:
        text += " Free nearby: " + ", ".join(f"{fmt_slot(shop, s.start)} with {barber_name(shop, s.barber)}" for s in offers) + "."
    return text


def barber_which_hand_back(phones: Sequence[str]) -> str:
    """"u can take him back over" with no one, or several, handed to a person."""
    if not phones:
        return "Nobody is waiting for a person right now; I'm answering everyone."
    return ("Which customer? Handed to a person: " + ", ".join(phones)
            + f". Send resume {phones[0]} (or the other number) to hand them back to me.")


def barber_handed_back(phone: str) -> str:
    return f"OK, I'm answering {phone} again."


def barber_outcome(shop: Shop, b: BookingInfo, status: str) -> str:
    what = "done" if status == "completed" else "a no-show"
    return f"{_booking_of(shop, b)} marked as {what}."


def barber_no_booking_to_mark(shop: Shop, at: dt.datetime, that_day: Sequence[BookingInfo], barber: Barber, *,
                              mine: bool, status: str) -> str:
    """A no-show or done by time with no one booking then: that day's bookings, so the right one can be named."""
    who = "You have" if mine else f"{barber.name} has"
    word = "done" if status == "completed" else "noshow"
    if len([b for b in that_day if b.start == at]) > 1:
        text = f"More than one booking at {fmt_slot(shop, at)}; nothing was marked."
    else:
        text = f"{who} no booking at {fmt_slot(shop, at)}; nothing was marked."
    text += _that_day(shop, that_day)
    return text + f" Send {word} CODE for the one to mark."


def barber_not_started(shop: Shop, b: BookingInfo, status: str) -> str:
    word = "done" if status == "completed" else "a no-show"
    return (f"{b.code} starts {fmt_slot(shop, b.start)}; "
            f"you can mark it {word} from then.")


def unknown_code(code: str) -> str:
    return f"No booking with code {code}."


def booking_not_open(code: str, status: str) -> str:
    word = {"cancelled": "cancelled", "completed": "marked done", "no_show": "marked a no-show"}.get(status, status)
    return f"{code} is already {word}; nothing was changed and nobody was told."


def _block_span(shop: Shop, start: dt.datetime, end: dt.datetime, whole_day: bool) -> str:
    if whole_day:
        return f"{fmt_day(shop, start)} (all day)"
    return f"{fmt_slot(shop, start)}-{fmt_time(shop, end)}"


def blocked_days(shop: Shop, barber: Barber, days: Sequence[dt.date], *, own: bool = True) -> str:
    """A run of whole days off (the days the barber works in it)."""
    who = "" if own else f" for {barber.name}"
    if len(days) == 1:
        return f"Blocked {fmt_date(days[0])} (all day){who}. No new bookings then."
    return (f"Blocked {fmt_date(days[0])} to {fmt_date(days[-1])} (all day, {len(days)} working days){who}. "
            f"No new bookings then.")


def blocked(shop: Shop, barber: Barber, start: dt.datetime, end: dt.datetime, whole_day: bool, *,
            own: bool = True) -> str:
    who = "" if own else f" for {barber.name}"
    return f"Blocked {_block_span(shop, start, end, whole_day)}{who}. No new bookings then."


def barber_not_working(shop: Shop, barber: Barber, start: dt.datetime, end: dt.datetime, whole_day: bool,
                       hours: tuple[int, int] | None, *, own: bool) -> str:
    """A block on a day, or at hours, the barber doesn't work anyway (`hours`: theirs that day)."""
    who = "You're not" if own else f"{barber.name} isn't"
    if hours is None:
        return f"{who} working {fmt_date(start.astimezone(shop.tz).date())} anyway; nothing was blocked."
    return (f"{who} working {_block_span(shop, start, end, whole_day)} anyway (hours that day "
            f"{format_hours(hours)}); nothing was blocked.")


def barber_block_past(shop: Shop, start: dt.datetime, end: dt.datetime, whole_day: bool) -> str:
    return f"{_block_span(shop, start, end, whole_day)} is already over; nothing blocked."


ANOTHER_BARBER = "another barber"  # a clash's cover that is no one barber: whoever is free then


def barber_clashes(shop: Shop, clashes: Sequence[BookingInfo], *, cancel: bool, by_barber: bool = False,
                   cover: str | None = None) -> str:
    """The bookings a block clashes with, and the word they wait for (`by_barber`: the block is for
    several barbers, so each line says whose; `cover`: the barber asked to take them, whom YES moves them to)."""
    lines = "\n".join(f"• {fmt_slot(shop, b.start)} {service_name(shop, b.service)} "
                      f"{f'with {barber_name(shop, b.barber)} ' if by_barber else ''}"
                      f"– {_customer_of(b)} ({b.code})" for b in clashes)
    n = len(clashes)
    head = f"{'This booking clashes' if n == 1 else f'These {n} bookings clash'} (still on):\n{lines}\n"
    if cover == ANOTHER_BARBER:
        return head + ("Reply YES to move them to another barber (each customer is told; if nobody is free then, the "
                       "nearest free time that day), CANCEL THEM (each customer is told, with other free times), or KEEP THEM.")
    if cover:
        return head + (f"Reply YES to move them to {cover} (each customer is told; if {cover} isn't free, the nearest "
                       "free time that day), CANCEL THEM (each customer is told, with other free times), or KEEP THEM.")
    if cancel:
        return head + ("Reply YES to cancel them (each customer is told, with other free times), "
                       "MOVE THEM to move them to another barber or time, or KEEP THEM.")
    return head + ("Reply MOVE THEM (to another barber or time), CANCEL THEM (each customer is told, "
                   "with other free times), or KEEP THEM.")


def barber_move_cancel_or_keep() -> str:
    return "Move them, cancel them, or keep them? Reply MOVE THEM, CANCEL THEM or KEEP THEM."


def barber_kept(shop: Shop, clashes: Sequence[BookingInfo]) -> str:
    if not clashes:
        return "Nothing clashes any more; the block stays."
    return "OK, the block stays and those bookings are kept; nobody was told."


def barber_moved(shop: Shop, b: BookingInfo, slot: Slot) -> str:
    return (f"Moved {_booking_of(shop, b)} to {fmt_slot(shop, slot.start)} with "
            f"{barber_name(shop, slot.barber)}; {_customer_of(b)} has been told.")


def barber_move_asked_notice(shop: Shop, b: BookingInfo, slot: Slot, *, by: str) -> str:
    """The customer's message when a barber moves their booking for them (they asked the barber directly)."""
    return (f"Your booking {b.code} has moved, as you asked {by}: {service_name(shop, b.service)} with "
            f"{barber_name(shop, slot.barber)} on {fmt_slot(shop, slot.start)}. Reply CANCEL to cancel.")


def barber_move_notice(shop: Shop, b: BookingInfo, slot: Slot, reason: str | None) -> str:
    """The customer's message when a barber's time off moved their booking: who it was with and
    why, then where it is now."""
    was = barber_name(shop, b.barber)
    why = f' {was} says: "{reason}".' if reason else ""
    return (f"Sorry, {was} can't make your {service_name(shop, b.service)} on {fmt_slot(shop, b.start)} "
            f"({b.code}), so it has moved to {fmt_slot(shop, slot.start)} with "
            f"{barber_name(shop, slot.barber)}.{why} Reply CANCEL to cancel.")


def barber_not_moved(shop: Shop, stuck: Sequence[tuple[BookingInfo, Sequence[Slot]]]) -> str:
    """The bookings no barber is free to take that day, each with the nearest free times on other
    days (any barber who does the service), and what the barber may answer."""
    lines = []
    for b, offers in stuck:
        head = (f"No free time that day for {fmt_slot(shop, b.start)} {service_name(shop, b.service)} "
                f"– {_customer_of(b)} ({b.code}); still booked.")
        if offers:
            times = "\n".join(f"• {fmt_slot(shop, s.start)} with {barber_name(shop, s.barber)}" for s in offers)
            head += f" Nearest free times:\n{times}"
        else:
            head += " No free time for it in the next few days."
        lines.append(head)
    return "\n".join(lines) + ("\nReply CANCEL THEM (each customer is told, with these times) or KEEP THEM.")


def barber_cancel_notice(shop: Shop, b: BookingInfo, reason: str | None, offers: Sequence[Slot], *,
                         by: str) -> str:
    """The customer's message when a barber (`by`, their name) cancels their booking: their words, other times."""
    barber = barber_name(shop, b.barber)
    why = f' {by} says: "{reason}".' if reason else ""
    text = (f"Sorry, your {service_name(shop, b.service)} with {barber} on "
            f"{fmt_slot(shop, b.start)} ({b.code}) has been cancelled.{why}")
    if offers:
        times = "\n".join(f"• {fmt_slot(shop, s.start)} with {barber_name(shop, s.barber)}"
                          for s in offers)
        text += f"\nFree times nearby:\n{times}\nReply with the one you'd like (e.g. \"{_offer_words(shop, b, offers[0])}\"), or BOOK for others."
    else:
        text += " Reply BOOK to choose a new time."
    return text


def _offer_words(shop: Shop, b: BookingInfo, s: Slot) -> str:
    start = s.start
    return (f"{service_name(shop, b.service).lower()} {fmt_day(shop, start).lower()} at "
            f"{fmt_time(shop, start)} with {barber_name(shop, s.barber)}")


def barber_late_notice(shop: Shop, b: BookingInfo, minutes: int, *, dated: bool = False) -> str:
    """The customer's notice; `dated`: the booking is on another day than today, which it names."""
    barber = barber_name(shop, b.barber)
    when = f"on {fmt_slot(shop, b.start)}" if dated else f"at {fmt_time(shop, b.start)}"
    return (f"Heads up: {barber} is running about {minutes} minutes late. Your "
            f"{service_name(shop, b.service)} {when} "
            f"({b.code}) will start a little later. Sorry for the wait!")


def barber_told_late(shop: Shop, b: BookingInfo, minutes: int, *, dated: bool = False) -> str:
    when = fmt_slot(shop, b.start) if dated else fmt_time(shop, b.start)
    return f"Told {_customer_of(b)} ({when}, {b.code}) you're {minutes} min late."


def barber_no_booking_at(shop: Shop, at: dt.datetime) -> str:
    return f"You have no booking at {fmt_slot(shop, at)}; nobody was told."


def barber_nobody_next(shop: Shop, day: dt.date | None = None) -> str:
    """Running late with no booking left (`day`: that day's, when not today)."""
    if day is not None:
        return f"You have no bookings on {fmt_date(day)}; nobody was told."
    return "You have no more bookings today; nobody was told."


def barber_nobody_delayed(shop: Shop, b: BookingInfo, *, dated: bool = False) -> str:
    """Running late, with time to spare before the next booking (`dated`: on another day, named)."""
    return f"Nobody to tell: your next booking is {fmt_slot(shop, b.start) if dated else fmt_time(shop, b.start)}."


def unblocked(shop: Shop, day: dt.date, count: int) -> str:
    if not count:
        return f"There was no block to remove on {fmt_date(day)}."
    return f"Removed {count} block{'s' if count != 1 else ''} on {fmt_date(day)}."


def bad_range() -> str:
    return "The end must be after the start, e.g. block fri 13:00-15:00."


def unknown_barber(shop: Shop, name: str) -> str:
    names = ", ".join(b.name for b in shop.barbers)
    return f"We don't have a barber called {name} (our barbers: {names}), so I looked at everyone."
