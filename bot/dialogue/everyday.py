"""What a shop is asked every day, and a person when one is wanted: pure functions of the
understanding, the context and `now`, giving the reply text and the actions for the edge.

- shop facts: the address and map link, and any [shop.info] key, answered by name;
- who works when: "is Jono in saturday?", "who's on sunday?", "when is Mia next in?";
- a person: the owner (else the barber of the customer's next booking, else the first barber) is
  sent the customer's number and last words, and the bot stays quiet for them for `QUIET`;
- running late: the customer's barber is told.
"""

from __future__ import annotations

import datetime as dt
import re

from bot.availability import covered, local_date, working_window
from bot.messages import fmt_date, fmt_slot, possessive
from bot.nlu import Understanding
from bot.phones import InvalidPhone, normalize_phone
from bot.shop import Barber, Shop, format_hours

from .model import BookingView, Context, Handoff, NotifyStaff, Resume, TimeOffReader, no_time_off

QUIET = dt.timedelta(hours=24)
# "resume +447911000010", also inside a sentence ("sorted the voucher fella, resume +4479...")
_RESUME_RE = re.compile(r"(?:^|[\s,.;:!-])(?:resume|unpause|hand\s+back|bot\s+on)\s+(?P<phone>\+?[\d][\d\s()-]{6,20}\d)(?!\d)")


# -- shop facts ----------------------------------------------------------------------


def info_answer(shop: Shop, topic: str | None) -> str:
    """The shop file's answer to `topic` ("address" or a [shop.info] key); says so when it has none."""
    if topic == "address":
        if shop.address is None:
            return f"Sorry, I don't have {possessive(shop.name)} address to hand. Say \"speak to someone\" and a barber will reply."
        where = f"We're at {shop.address}."
        return where + (f"\nMap: {shop.map_url}" if shop.map_url else "")
    answer = dict(shop.info).get(topic or "")
    if answer is not None:
        return answer
    return "Sorry, I don't know that one. Say \"speak to someone\" and a barber will reply."


def not_offered(shop: Shop, thing: str) -> str:
    """"do you do eyebrows?" when no service is that: said, with what the shop does do."""
    names = ", ".join(s.name.lower() for s in shop.services)
    return f"Sorry, we don't do {thing}; we do: {names}."


# -- who works when --------------------------------------------------------------------


def _hours(span: tuple[int, int]) -> str:
    return format_hours(span).replace("-", "–")


def _works(shop: Shop, b: Barber, day: dt.date, off: TimeOffReader = no_time_off) -> tuple[int, int] | None:
    """`b`'s hours on `day`, None when they are not in: the shop is closed, it is their day off, or
    their time off covers the whole of their hours (off sick all day)."""
    if day in shop.closed:
        return None
    hours = shop.barber_hours(b, day.weekday())
    window = working_window(shop, b, day)
    if hours is None or window is None:
        return None
    return None if covered(window, off(b.key, *window)) else hours


def who_answer(shop: Shop, u: Understanding, barber_key: str | None, now: dt.datetime,
               off: TimeOffReader = no_time_off, *, every: bool = False) -> str:
    """"Jono works 08:00–15:00 on Sat 5 Dec." / "On Sun 6 Dec: Mia (10:00–14:00)." / when next in.
    A barber whose time off (`off`) covers all their hours that day is not working. `every`: the
    weekday of `u.date` in every week ("who works mondays?"), by the roster."""
    today = local_date(shop, now)
    b = shop.barber(barber_key) if barber_key else None
    if every and u.date is not None:
        wd, weekly = u.date.weekday(), u.date.strftime("%A") + "s"
        if b is not None:
            span = shop.barber_hours(b, wd)
            return f"Yes, {b.name} works {_hours(span)} on {weekly}." if span else f"No, {b.name} doesn't work on {weekly}."
        on = [(x, span) for x in shop.barbers if (span := shop.barber_hours(x, wd)) is not None]
        if not on:
            return f"We're closed on {weekly}."
        return f"On {weekly}: " + ", ".join(f"{x.name} ({_hours(span)})" for x, span in on) + "."
    if b is None:
        day = u.date or today
        if day in shop.closed:
            return f"We're closed on {fmt_date(day)}."
        on = [(x, span) for x in shop.barbers if (span := _works(shop, x, day, off)) is not None]
        if not on:
            return f"We're closed on {fmt_date(day)}."
        names = ", ".join(f"{x.name} ({_hours(span)})" for x, span in on)
        return f"On {fmt_date(day)}: {names}."
    if u.date is None and u.date_range is not None:  # "is kai on this weekend"
        first, last = u.date_range
        days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
        working = [(d, span) for d in days if (span := _works(shop, b, d, off)) is not None]
        if working:
            return f"Yes, {b.name} works " + ", ".join(f"{fmt_date(d)} ({_hours(sp)})" for d, sp in working) + "."
        nxt = _next_in(shop, b, off, last + dt.timedelta(days=1))
        tail = f" {b.name} is next in on {fmt_date(nxt[0])} ({_hours(nxt[1])})." if nxt else ""
        return f"No, {b.name} isn't working {fmt_date(first)}–{fmt_date(last)}.{tail}"
    if u.date is not None:
        span = _works(shop, b, u.date, off)
        if span is None:
            nxt = _next_in(shop, b, off, u.date)
            tail = f" {b.name} is next in on {fmt_date(nxt[0])} ({_hours(nxt[1])})." if nxt else ""
            return f"No, {b.name} isn't working on {fmt_date(u.date)}.{tail}"
        if u.time is not None and not span[0] <= u.time.hour * 60 + u.time.minute < span[1]:
            # "is tyler there in the afternoon? like 3ish" when he leaves at 14:00
            return f"No, {b.name} works {_hours(span)} on {fmt_date(u.date)}, so not at {u.time:%H:%M}."
        if u.time is None and u.window is not None and not (span[0] < u.window.end_min and u.window.start_min < span[1]):
            return f"No, {b.name} works {_hours(span)} on {fmt_date(u.date)}, so not in the {u.window.label}."
        return f"Yes, {b.name} works {_hours(span)} on {fmt_date(u.date)}."
    start = today
    local = now.astimezone(shop.tz)
    span = _works(shop, b, today, off)
    if span is None or local.hour * 60 + local.minute >= span[1]:
        start = today + dt.timedelta(days=1)
    nxt = _next_in(shop, b, off, start)
    if nxt is None:
        return f"{b.name} isn't on the roster in the next few weeks."
    when = "today" if nxt[0] == today else fmt_date(nxt[0])
    return f"{b.name} is next in {'' if when == 'today' else 'on '}{when} ({_hours(nxt[1])})."


def next_in(shop: Shop, barber_key: str, now: dt.datetime, off: TimeOffReader = no_time_off) -> dt.date | None:
    """The day `barber_key` is next in (today when they are still working), as `who_answer` says it."""
    b = shop.barber(barber_key)
    if b is None:
        return None
    today = local_date(shop, now)
    span = _works(shop, b, today, off)
    local = now.astimezone(shop.tz)
    start = today if span is not None and local.hour * 60 + local.minute < span[1] else today + dt.timedelta(days=1)
    found = _next_in(shop, b, off, start)
    return found[0] if found else None


def _next_in(shop: Shop, b: Barber, off: TimeOffReader, day: dt.date) -> tuple[dt.date, tuple[int, int]] | None:
    for i in range(shop.horizon_days + 1):
        d = day + dt.timedelta(days=i)
        span = _works(shop, b, d, off)
        if span is not None:
            return d, span
    return None


# -- people ------------------------------------------------------------------------------


def staff_for(shop: Shop, bookings: list[BookingView]) -> Barber:
    """Who a customer is handed to: the owner, else the barber of their next booking, else the first."""
    owner = shop.owner()
    if owner is not None:
        return owner
    if bookings:
        b = shop.barber(bookings[0].barber)
        if b is not None:
            return b
    return shop.barbers[0]


def handoff(ctx: Context, said: list[str]) -> Handoff:
    """Hand the customer to a person: their number and last words go to `staff_for`."""
    staff = staff_for(ctx.shop, list(ctx.bookings))
    words = "\n".join(f"“{t}”" for t in said[-3:])
    text = (f"{ctx.phone} would like a person to reply. Their last messages:\n{words}\n"
            f"I'll stay quiet for them for 24 h; send `resume {ctx.phone}` to hand them back to me.")
    return Handoff(customer=ctx.phone, staff_phone=staff.phone, text=text, until=ctx.now + QUIET)


def handed_off(shop: Shop) -> str:
    return f"OK, I've asked a barber at {shop.name} to reply to you here personally, as soon as they can."


def forward(ctx: Context, text: str) -> NotifyStaff:
    """While handed off: the customer's message, passed to the same person."""
    staff = staff_for(ctx.shop, list(ctx.bookings))
    return NotifyStaff(staff.phone, f"{ctx.phone} wrote: “{text}” (send `resume {ctx.phone}` to hand them back to me)")


def is_resume(text: str) -> bool:
    """Whether `text` is a barber's "resume +61…" (handing a customer back to the bot)."""
    return _RESUME_RE.search(text) is not None


def resume(ctx: Context, text: str) -> tuple[str, Resume] | None:
    """A barber's "resume +61…": the customer is the bot's again; None when it is not that."""
    if ctx.shop.barber_by_phone(ctx.phone) is None:
        return None
    m = _RESUME_RE.search(text)
    if m is None:
        return None
    raw = re.sub(r"[\s()-]", "", m["phone"])
    try:
        phone = normalize_phone(raw if raw.startswith("+") else "+" + raw)
    except InvalidPhone:
        return None
    return f"OK, I'm answering {phone} again.", Resume(phone)


LATE_AHEAD = dt.timedelta(hours=3)  # "running late" reaches the barber of a booking this soon, or today's


def running_late(ctx: Context, text: str, day: dt.date | None = None) -> tuple[str, NotifyStaff | None]:
    """The customer's booking on `day` when they name one ("late tmrw"), else their next one when it
    is today or within a few hours: their barber is told, and the reply says so. A booking on a later day is named and nobody is told (they are not late
    for it yet)."""
    shop = ctx.shop
    upcoming = sorted(ctx.bookings, key=lambda b: b.start)
    if not upcoming:
        return ("I can't see a booking of yours coming up. If you'd like one, tell me the service, day and time.",
                None)
    named = [b for b in upcoming if day is not None and local_date(shop, b.start) == day]  # "late tmrw"
    b = named[0] if named else upcoming[0]
    if not named and local_date(shop, b.start) != local_date(shop, ctx.now) and b.start - ctx.now > LATE_AHEAD:
        return (f"No rush: your next booking is {fmt_slot(shop, b.start)}, so nobody has been told. "
                "If it's about another day, tell me which.", None)
    barber = shop.barber(b.barber)
    if barber is None:
        return "Thanks for letting us know.", None
    note = NotifyStaff(barber.phone, f"{ctx.phone} ({fmt_slot(shop, b.start)}, {b.code}) says: “{text}”")
    return (f"Thanks for letting us know. I've passed that on to {barber.name} "
            f"(your booking {fmt_slot(shop, b.start)}).", note)
