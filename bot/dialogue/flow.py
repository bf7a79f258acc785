"""The conversation: one transition table from (state, intent) to a handler.

`step(convo, u, ctx, now)` is a plain function: it returns the next `Convo`, the replies and the
actions for the edge to carry out (book, move, cancel, pause reminders, message a barber, hand the
customer to a person or back). It does no I/O; the only outside knowledge comes through `ctx` (the
customer's bookings, a free-slot reader, and `ctx.facts`: recent bookings, hand-off, last messages).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Sequence

from bot.availability import Slot, last_bookable_day, local_date, local_instant
from bot.nlu import Intent, Understanding, understand
from bot.nlu.dates import WEEKDAYS
from bot.nlu.intents import (
    BOOK_RE,
    HOURS_RE,
    LAST_CHOICE,
    NEED_TO_BOOK_RE,
    PRICES_RE,
    RESTART_RE,
    THANKS,
    YES,
    YES_PHRASES,
    info_topics,
)
from bot.nlu.times import day_window
from bot.nlu.understand import combined_service
from bot.nlu.words import ShopLexicon
from bot.shop import Shop

from . import everyday, references
from . import replies as r
from .model import (
    IDLE,
    Book,
    BookingView,
    CancelBooking,
    Context,
    Convo,
    Draft,
    Goal,
    Move,
    Option,
    Outcome,
    PauseReminders,
    State,
)
from .planning import (
    LISTED,
    Ask,
    day_options,
    exact,
    first_options,
    nearest_options,
    slot_option,
    why_not,
)

Handler = Callable[[Convo, Understanding, Context], Outcome]
ANY = "*"


def step(convo: Convo, u: Understanding, ctx: Context, now: dt.datetime | None = None) -> Outcome:
    """One turn. `now` defaults to `ctx.now` (the injected clock).

    A barber's `resume +61…` hands a customer back; a customer handed to a person gets no reply
    (their message goes to that person) until then or for `everyday.QUIET`."""
    if now is not None and now != ctx.now:
        ctx = dataclasses.replace(ctx, now=now)
    back = everyday.resume(ctx, u.text)
    if back is not None:
        return _say(convo, back[0], actions=[back[1]])
    until = ctx.facts.handoff_until()
    if until is not None and until > ctx.now:
        return _say(convo, actions=[everyday.forward(ctx, ctx.words(u.text))])
    if u.bare_weekday and u.date and _in_flow(convo) and convo.draft.date and (convo.draft.date - u.date).days >= 7:
        # "what about the tues then" while Mon 28 Dec is talked about: Tue 29 Dec, not this week's
        about = convo.draft.date
        u = dataclasses.replace(u, date=about + dt.timedelta(days=(u.date.weekday() - about.weekday()) % 7))
    again = _asked_again(convo, u)
    if again is not None:
        return again(convo, u, ctx)
    if convo.state == State.UNCLEAR and convo.draft.asked == "who" and convo.draft.date and _WHO_THEN_RE.match(u.text or ""):
        return on_who(Convo(State.UNCLEAR, dataclasses.replace(convo.draft, barber=None)),
                      dataclasses.replace(u, intent=Intent.WHO, date=convo.draft.date, barber=None, pronoun=False), ctx)
    at_prompt = _at_confirm(convo, u, ctx) if convo.state == State.CONFIRM else None
    if at_prompt is not None:
        return at_prompt
    picks = u.intent == Intent.CHOICE and bool(convo.draft.options)  # kept: a cancellation notice's times
    if u.intent != Intent.UNKNOWN and not picks and (convo.state == State.UNCLEAR or convo.draft.misses):
        if convo.state != State.UNCLEAR:
            convo = Convo(convo.state, convo.draft.evolve(misses=0))
        else:  # understood: only the barber and service talked about are kept ("when is she next in?")
            d = convo.draft
            convo = (Convo(State.UNCLEAR, Draft(barber=d.barber, service=d.service, date=d.date, asked=d.asked))
                     if d.barber or d.service or d.date else IDLE)
    if (convo.state == State.PICK_SLOT and u.intent == Intent.UNKNOWN and convo.draft.date and not convo.draft.latest
            and _LATEST_RE.search(u.text or "")):  # "whats the latest u got" at a day's list: its last times
        return advance(Convo(State.IDLE, convo.draft.evolve(latest=True, options=(), time=None)), ctx)
    if u.intent == Intent.UNKNOWN and not _in_flow(convo) and (nxt := _next_chair(convo, u, ctx)) is not None:
        return on_book(convo, nxt, ctx)  # "and the other one with another barber same time"
    handler = TABLE.get((convo.state, u.intent)) or TABLE.get((ANY, u.intent)) or on_unknown
    return handler(convo, u, ctx)


# "and sunday?", "what about christmas eve", "how about mia": the question just answered, asked
# of another day or barber
_FOLLOW_UP_RE = re.compile(r"^(?:(?:ok|okay|right|hmm+|so|cool|thanks|cheers)\b[\s,.!]*)*"
                           r"(?:(?:and|n|&|or|also|what\s+about|how\s+about|what\s+abt|how\s+abt|wbu)\b"
                           r"|[^\s?]+(?:\s+[^\s?]+){0,3}\s*\?+$)")


def _asked_again(convo: Convo, u: Understanding) -> Handler | None:
    """The handler of the question answered last (opening hours, who works when) when this message
    asks it again of another day or barber and asks for nothing to be booked; None otherwise."""
    asked = convo.draft.asked
    if convo.state != State.UNCLEAR or asked is None or u.intent != Intent.BOOK or u.explicit_intent:
        return None
    if u.time or not _FOLLOW_UP_RE.search(u.text or ""):
        return None
    if asked == "prices":  # "how much for a beard tidy" -> "and a kids cut?"
        return on_prices if u.service and not (u.date or u.window or u.date_range or u.barber) else None
    if u.service or not (u.date or u.date_range or u.barber):
        return None
    return {"hours": on_hours, "who": on_who}.get(asked)


# "yes that is fine.", "ok perfect,": a yes said first, as its own sentence
_YES_FIRST_RE = re.compile(r"^(?:(?:yes|yeah|yep|yup|ok|okay|sure|perfect|great|lovely|grand|sound|cool|brilliant)\b[\s,]*)+"
                           r"(?:(?:that'?s|thats|that\s+is|it'?s|its|sounds)\s+(?:fine|good|great|perfect|grand|lovely|ok|okay)"
                           r"(?:\s+(?:thanks|thank\s+you|please))?\s*)?[.,!]")
# "keep it", "don't cancel", "wait actually dont": the booking stays as it is
_KEEP_IT_RE = re.compile(r"\bkeep\s+(?:it|that|the\s+booking|my\s+booking|the\s+appointment|my\s+appointment)\b"
                         r"|\b(?:don't|do\s+not)\s+(?:cancel|move|change)\b|\b(?:wait|actually|no)[\s,]+(?:actually\s+)?don't\b")


def _at_confirm(convo: Convo, u: Understanding, ctx: Context) -> Outcome | None:
    """Replies to "Reply YES to …, or NO to …" that say more than yes or no; None for the rest.

    - "yes that is fine. is it still £12?": the yes, and the price or shop fact asked after it.
    - "ah ok Dev's fine, yes please": a yes that only repeats what was offered.
    - "wait actually dont … keep it" at a cancel or a move: a no.
    - "rather with kagiso if he's free": the time offered, with the barber named."""
    d, p = convo.draft, convo.draft.pending
    if p is None:
        return None
    text = u.text or ""
    if d.goal in (Goal.CANCEL, Goal.RESCHEDULE) and _KEEP_IT_RE.search(text) and not _has_slots(u):
        return on_no(convo, u, ctx)
    if (u.intent == Intent.AVAILABILITY and u.barber and u.barber != p.barber and u.service in (None, p.service)
            and not (u.date or u.time or u.window or u.date_range)):
        return on_book(convo, dataclasses.replace(u, intent=Intent.BOOK), ctx)  # "rather with kagiso if he's free": that time with him
    if u.intent in (Intent.PRICES, Intent.INFO) and _YES_FIRST_RE.match(text):
        if u.intent == Intent.PRICES:
            answer = r.prices(ctx.shop, u.services or ((p.service,) if p.service else ()), suggest=False)
        elif u.topic is not None:
            answer = "\n".join((everyday.info_answer(ctx.shop, u.topic), *_other_facts(u, ctx.shop)))
        else:
            return None
        out = on_yes(convo, u, ctx)
        return dataclasses.replace(out, replies=(answer, *out.replies))
    if (u.intent == Intent.BOOK and "?" not in text and _says_yes(text) and not (u.window or u.date_range or u.choice)
            and u.service in (None, p.service) and u.barber in (None, p.barber) and not u.not_barbers
            and (u.date is None or (p.start is not None and u.date == local_date(ctx.shop, p.start)))
            and (u.time is None or (p.start is not None and u.time == p.start.astimezone(ctx.shop.tz).time()))):
        return on_yes(convo, u, ctx)
    return None


def _says_yes(text: str) -> bool:
    """Whether a word or phrase of the message is a yes ("Dev's fine, yes please")."""
    return any(w in YES for w in re.findall(r"[a-z]+|[^\sa-z]", text)) or any(ph in text for ph in YES_PHRASES)


# -- helpers -------------------------------------------------------------------


def _say(convo: Convo, *replies: str, actions: Sequence[object] = ()) -> Outcome:
    return Outcome(convo=convo, replies=tuple(x for x in replies if x), actions=tuple(actions))  # type: ignore[arg-type]


def _in_flow(convo: Convo) -> bool:
    return convo.state != State.IDLE and convo.draft.goal is not None


def _has_slots(u: Understanding) -> bool:
    return bool(u.service or u.barber or u.any_barber or u.date or u.time or u.window
                or u.date_range or u.past_date or "time" in u.ambiguous)


# "latest he has", "as late as possible", "last slot of the day": the end of the day asked about
_LATEST_RE = re.compile(r"\b(?:(?:the\s+)?latest\s+(?:(?:he|she|they|you|u)\s+(?:has|have|got|can)|one|slot|time|possible|available)"
                        r"|as\s+late\s+as\s+(?:possible|poss|you\s+can)|last\s+(?:slot|appointment|one)\s+of\s+the\s+day)\b")


def _merge(d: Draft, u: Understanding, shop: Shop) -> Draft:
    c: dict[str, object] = {"options": (), "pending": None}
    guest = references.guest_of(u.text)
    if guest:
        c["guest"] = guest
    if _LATEST_RE.search(u.text or "") and not u.time:
        c["latest"] = True  # "friday afternoon? latest he has"
    if u.service:
        c["service"] = u.service
    if u.not_barbers or (u.barber and u.barber in d.not_barbers):  # ruled out now, or named again
        c["not_barbers"] = tuple(b for b in dict.fromkeys((*d.not_barbers, *u.not_barbers)) if b != u.barber)
    if u.barber:
        c["barber"], c["any_barber"] = u.barber, False
    elif u.any_barber:
        c["barber"], c["any_barber"] = None, True
    if u.past_date:
        c["date"] = None  # never moved silently: the customer is told and asked again
    elif u.date:
        c["date"], c["date_range"] = u.date, None
    elif u.date_range:
        c["date"], c["date_range"] = None, u.date_range
    if u.time:
        c["time"], c["window"] = u.time, None
    elif u.window:
        end = u.window.end_min
        svc = shop.service(u.service or d.service or "") if u.window.done_by else None
        if svc is not None:  # "i start work at 10": done by 10, so it starts a service's length before
            end = max(u.window.start_min + 1, end - svc.minutes + 1)
        c["time"], c["window"] = None, (u.window.start_min, end, u.window.label)
    elif "time" in u.ambiguous:
        c["time"] = None
    elif u.date and d.window and u.date != d.date:  # "friday morning", then "saturday": Saturday's morning
        again = day_window(shop, u.date, d.window[2])
        if again is not None:
            c["window"] = (again.start_min, again.end_min, again.label)
    return d.evolve(**c)


def _booking(ctx: Context, booking_id: int | None) -> BookingView | None:
    return next((b for b in ctx.bookings if b.id == booking_id), None)


def _with_guests(ctx: Context) -> list[BookingView]:
    """The customer's bookings, each with the name of who it is for (shown in lists)."""
    guests = references.guests(ctx)
    return [dataclasses.replace(b, guest_name=guests.get(b.id)) for b in ctx.bookings]


def _minute(t: dt.time) -> int:
    return t.hour * 60 + t.minute


# -- deciding what to ask next -------------------------------------------------


def advance(convo: Convo, ctx: Context, *notes: str) -> Outcome:
    d = convo.draft
    if d.goal == Goal.CANCEL:
        b = _booking(ctx, d.booking_id)
        if b is None:
            return _say(IDLE, *notes, r.no_such_booking(None))
        pending = Option(kind="booking", booking_id=b.id, start=b.start, barber=b.barber, service=b.service)
        return _say(convo.to(State.CONFIRM, pending=pending), *notes, r.confirm_cancel(ctx.shop, b))
    shop = ctx.shop
    old = _booking(ctx, d.booking_id) if d.goal == Goal.RESCHEDULE else None
    if d.goal == Goal.RESCHEDULE and old is None:
        return _say(IDLE, *notes, r.move_target_gone())
    if old is not None and d.shift:  # "an hour later", said before they picked which booking
        moved = _shifted(old, d.shift, shop) if d.date is None and d.time is None else {}
        convo = convo.to(convo.state, shift=0, **moved)
        d = convo.draft
    service = d.service or (old.service if old else None)
    if service is None:
        hours = shop.hours.get(d.date.weekday()) if d.date and d.time and not d.barber else None
        if hours is not None and d.date and d.time and not hours[0] <= _minute(d.time) < hours[1]:
            # "7am fri before work?": said before anything else
            notes = (*notes, r.reason(shop, "outside_hours", local_instant(shop, d.date, _minute(d.time)), None, None))
            convo = convo.to(convo.state, time=None)
            d = convo.draft
        named = shop.barber(d.barber) if d.barber else None
        keys = named.services if named else tuple(s.key for s in shop.services)
        if len(keys) == 1:
            return advance(convo.to(State.IDLE, service=keys[0]), ctx, *notes)
        services = tuple(Option(kind="service", service=k) for k in keys)
        if convo.state == State.ASK_SERVICE and d.menu:  # the menu was the last reply: not again
            return _say(convo.to(State.ASK_SERVICE, options=services, menu=False), *notes,
                        r.ask_service_again(shop, services))
        return _say(convo.to(State.ASK_SERVICE, options=services, menu=True), *notes, r.ask_service(shop, services))
    barber_key = d.barber or (old.barber if old and not d.any_barber else None)
    if barber_key in d.not_barbers:  # "not with jono": anyone else
        barber_key = None
    named = shop.barber(barber_key) if barber_key else None
    if barber_key and service not in (named.services if named else ()):
        notes = (*notes, r.not_offered_switch(shop, barber_key, service))
        convo, barber_key = convo.to(convo.state, barber=None, any_barber=True), None
        d = convo.draft
    exclude = old.id if old else None
    day = d.date
    if day is None and old is not None and (d.time or d.window):
        day = local_date(shop, old.start)  # "move it to 4.30": same day
    if day is None:
        if d.date_range:
            ask = Ask(service, d.date_range[0], None, barber_key, d.window, exclude, d.not_barbers)
            return _offer(convo, ctx, first_options(ctx, ask, last=d.date_range[1]),
                          r.free_on(shop, None, d.window[2] if d.window else None), notes)
        if d.browse or d.window:
            ask = Ask(service, local_date(shop, ctx.now), None, barber_key, d.window, exclude, d.not_barbers)
            return _offer(convo, ctx, first_options(ctx, ask),
                          r.free_on(shop, None, d.window[2] if d.window else None), notes)
        text = r.ask_day_only(shop, d.time) if d.time else r.ask_day(shop, service, moving=old is not None)
        return _say(convo.to(State.ASK_DAY), *notes, text)
    if day > last_bookable_day(shop, ctx.now):  # said so, not "nothing is free"
        return _say(convo.to(State.ASK_DAY, date=None), *notes, r.beyond_horizon(shop, day, ctx.now))
    if d.time is None:
        ask = Ask(service, day, None, barber_key, d.window, exclude, d.not_barbers, d.latest)
        if day < local_date(shop, ctx.now):
            return _say(convo.to(State.ASK_DAY, date=None), *notes, r.reason(shop, "past_date", None, None, None))
        options = day_options(ctx, ask)
        label = d.window[2] if d.window else None
        if options:
            return _offer(convo, ctx, options, r.free_on(shop, day, label), notes)
        off = _day_off(shop, day, barber_key)
        if off == "barber_off" and old is not None and not d.barber:  # a move to a day their barber is off
            others = day_options(ctx, dataclasses.replace(ask, barber=None))
            if others:
                intro = r.reason(shop, off, local_instant(shop, day, 12 * 60), barber_key, service)
                return _offer(convo, ctx, others, intro + " " + r.free_on(shop, day, label), notes)
        if off is not None:  # "with sam this saturday": Sam's day off, not a busy window
            near = nearest_options(ctx, ask)
            intro = r.reason(shop, off, local_instant(shop, day, 12 * 60), barber_key, service)
            return _offer(convo, ctx, near, intro + (" The nearest free times:" if near else ""), notes)
        outside = r.window_outside_hours(shop, day, d.window, barber_key) if d.window else None
        return _offer(convo, ctx, nearest_options(ctx, ask), outside or r.none_free_on(shop, day, label), notes)
    ask = Ask(service, day, _minute(d.time), barber_key, None, exclude, d.not_barbers)
    slot = exact(ctx, ask)
    if slot is None and old is not None and not d.barber and not d.any_barber:
        other = exact(ctx, dataclasses.replace(ask, barber=None))  # a move looks at every barber
        if other is not None:  # the asked time with another barber, or the nearest with theirs: asked
            near = [o for o in nearest_options(ctx, ask) if o.start not in (old.start, other.start)]
            options = [slot_option(other, service), *near[:3]]
            return _offer(convo, ctx, options, r.other_barber_free(shop, old.barber, other.barber, other.start), notes)
    if slot is not None:
        pending = Option(kind="slot", start=slot.start, barber=slot.barber, service=service,
                         booking_id=exclude)
        return _confirm(convo.to(State.CONFIRM, date=day, pending=pending), ctx, notes)
    start = local_instant(shop, day, ask.minute or 0)
    if d.goal == Goal.BOOK and not d.guest:
        clash = _own_clash(ctx, service, start)
        if clash is not None:  # their own booking there: said as such, not "not free"
            return _say(convo.to(State.ASK_DAY, date=None, time=None), *notes, r.already_booked(shop, clash))
    why = why_not(ctx, ask)
    intro = r.reason(shop, why, start, barber_key, service)
    if why in ("past_date",):
        return _say(convo.to(State.ASK_DAY, date=None), *notes, intro + " " + r.ask_day(shop, service, old is not None))
    options = nearest_options(ctx, ask)
    if old is not None:  # never the booking's own time offered as a change
        options = [o for o in options if o.start != old.start]
    if options:
        intro += " The nearest free times:"
    return _offer(convo, ctx, options, intro, notes)


def _ends(ctx: Context, service: str, start: dt.datetime) -> dt.datetime:
    svc = ctx.shop.service(service)
    return start + dt.timedelta(minutes=svc.minutes if svc else 30)


def _own_clash(ctx: Context, service: str | None, start: dt.datetime) -> BookingView | None:
    """The customer's own booking (not one for a guest) that a new one at `start` would overlap."""
    guests = references.guests(ctx) if ctx.bookings else {}
    end = _ends(ctx, service, start) if service else start + dt.timedelta(minutes=1)
    for b in ctx.bookings:
        if b.id not in guests and b.start < end and start < _ends(ctx, b.service, b.start):
            return b
    return None


def _day_off(shop: Shop, day: dt.date, barber_key: str | None) -> str | None:
    """"closed_date", "closed" or "barber_off" when nobody (or the named barber) works that day, else None."""
    if day in shop.closed:
        return "closed_date"
    if barber_key is None:
        return "closed" if shop.hours.get(day.weekday()) is None else None
    b = shop.barber(barber_key)
    return "barber_off" if b is not None and shop.barber_hours(b, day.weekday()) is None else None


def _offer(convo: Convo, ctx: Context, options: Sequence[Option], intro: str, notes: Sequence[str]) -> Outcome:
    if not options:
        return _say(convo.to(State.ASK_DAY, options=()), *notes, intro if intro.endswith(".") else "",
                    r.nothing_soon())
    opts = tuple(options)
    return _say(convo.to(State.PICK_SLOT, options=opts), *notes, r.slot_options(ctx.shop, opts, intro))


def _confirm(convo: Convo, ctx: Context, notes: Sequence[str] = ()) -> Outcome:
    p = convo.draft.pending
    assert p is not None and p.start is not None and p.barber and p.service
    if convo.draft.goal == Goal.RESCHEDULE:
        old = _booking(ctx, convo.draft.booking_id)
        if old is None:  # cancelled (by the barber, say) or over while the customer was deciding
            return _say(IDLE, *notes, r.move_target_gone())
        if (old.start, old.barber, old.service) == (p.start, p.barber, p.service):  # "leave it with aoife so"
            return _say(IDLE, *notes, r.abandoned("reschedule"))
        text = r.confirm_move(ctx.shop, old, p.service, p.barber, p.start)
    else:
        text = r.confirm_book(ctx.shop, p.service, p.barber, p.start)
    return _say(convo, *notes, text)


# -- choosing a booking to cancel or move ----------------------------------------


def _names_weekday(u: Understanding) -> bool:
    """Whether the day was said as a bare weekday ("my monday one"), not as a date ("the 14th")."""
    assert u.date is not None
    text = u.text or ""
    return (WEEKDAYS[u.date.weekday()] in text or WEEKDAYS[u.date.weekday()][:3] in text.split()) \
        and not re.search(r"\d|\bnext\b|\bthis\b", text)




# "cancel mine", "my own one", "the one for me": the customer's own chair, not a guest's
_MINE_RE = re.compile(r"\bmine\b|\bmy\s+own\b|\bthe\s+one\s+for\s+me\b|\bfor\s+myself\b")
# "keep tylers", "leave jack's": the guest's booking stays
_KEEP_RE = re.compile(r"\b(?:keep|leave)\s+([a-z]{2,20})(?:'s|s)?\b(?:\s+(?:one|cut|booking|appointment))?")


def _targets(ctx: Context, u: Understanding, moving: bool) -> list[BookingView]:
    bs = list(ctx.bookings)
    if u.code:
        return [b for b in bs if b.code == u.code]
    shop = ctx.shop
    old_date = getattr(u, "old_date", None)
    filters: list[Callable[[BookingView], bool]] = []
    text = u.text or ""
    kept = _KEEP_RE.findall(text)
    if _MINE_RE.search(text) or kept:  # "cancel mine, keep tylers": theirs, not the one for Tyler
        guests = references.guests(ctx)
        keep = {b.id for b in bs if (g := guests.get(b.id, "").lower()) and any(k in (g, g + "s") for k in kept)}
        own = [b for b in bs if b.id not in keep and (b.id not in guests or not _MINE_RE.search(text))]
        days = {local_date(shop, b.start) for b in bs if b.id in keep}
        same_day = [b for b in own if local_date(shop, b.start) in days]
        bs = same_day if len(own) > 1 and len(same_day) == 1 else own
        theirs = None
    else:
        theirs = references.for_guest(ctx, u.text, bs)
    week = _week_named(u, ctx)
    if week is not None:  # "the one next week": the bookings that week
        bs = [b for b in bs if week[0] <= local_date(shop, b.start) <= week[1]] or bs
    if theirs is not None:  # "jack's cut": Jack's bookings, whatever the service word
        bs = theirs
    elif u.service:
        filters.append(lambda b: b.service == u.service)
    if moving and u.date and not old_date and len(bs) > 1:
        on_day = [b for b in bs if local_date(shop, b.start) == u.date and all(f(b) for f in filters)
                  and u.time in (None, b.start.astimezone(shop.tz).time())]
        if len(on_day) == 1 and (on_day[0].barber != u.barber if u.barber
                                 else references.SAME_TIME_RE.search(u.text or "")):
            return on_day  # "switch to marco friday, same time": the friday booking, on that day
    if u.barber:
        filters.append(lambda b: b.barber == u.barber)
    day = old_date or (u.date if not moving else None)

    def is_that_day(b: BookingView) -> bool:
        return local_date(shop, b.start) == day

    if day is not None:
        filters.append(is_that_day)
    if u.time and not moving:
        filters.append(lambda b: b.start.astimezone(shop.tz).time() == u.time)
    picked = [b for b in bs if all(f(b) for f in filters)]
    if not picked and u.date and not moving and not old_date and _names_weekday(u):
        # "cancel my monday one" said on a Monday about next Monday's: the booking on that weekday
        picked = [b for b in bs if local_date(shop, b.start).weekday() == u.date.weekday()
                  and all(f(b) for f in filters if f is not is_that_day)]
    if moving and not picked:
        picked = bs  # "move it to alex": the named things are the new values
    if not filters or (moving and len(picked) > 1 and not old_date):
        reminded_id = ctx.reminded_booking_id if picked else None  # a query: once, and only if needed
        reminded = [b for b in picked if b.id == reminded_id]
        if reminded:
            return reminded
    return picked


# "make it a fade instead", "change it to a kids cut", "switch to the works": the service itself changed
_SERVICE_CHANGE_RE = re.compile(r"\b(?:make\s+it|change\s+(?:it|that|the\s+service)\s+to|switch\s+(?:it\s+)?to|instead\s+of\s+(?:a|the))\s+(?:a|an|the|just\s+a)?\s*\w")


def _choose_target(convo: Convo, u: Understanding, ctx: Context, goal: Goal) -> Outcome:
    verb = "cancel" if goal == Goal.CANCEL else "move"
    if goal == Goal.RESCHEDULE and (not ctx.bookings or references.REBOOK_RE.search(u.text or "")):
        again = references.just_cancelled(ctx)
        if again is not None:  # "actually can i rebook for sat 1pm" after a cancel: book it again
            return _rebook(u, ctx, again.service, again.barber)
    if not ctx.bookings:
        return _say(IDLE, r.no_booking_to(verb))
    moving = goal == Goal.RESCHEDULE
    found = _targets(ctx, u, moving)
    draft = Draft(goal=goal)
    if moving:
        draft = _merge(draft, u, ctx.shop)
        if u.service and not _SERVICE_CHANGE_RE.search(u.text or ""):
            # a move keeps its service: "move my sons cut", "move Oisín's cut to friday" name the booking;
            # only "make it a fade", "change it to ...", "switch to ..." change what is booked
            draft = draft.evolve(service=None)
        if u.barber and any(b.barber == u.barber for b in found) and len(ctx.bookings) > 1:
            draft = draft.evolve(barber=None)
        draft = draft.evolve(shift=_shift_minutes(u))  # applied to the booking they pick
    if len(found) == 1:
        if moving and not u.time and references.SAME_TIME_RE.search(u.text or ""):  # "friday same time"
            local = found[0].start.astimezone(ctx.shop.tz)
            draft = draft.evolve(time=local.time().replace(second=0, microsecond=0), window=None)
        return advance(Convo(State.IDLE, draft.evolve(booking_id=found[0].id)), ctx)
    said = None
    if not found:  # none like that: all of them, to pick from ("the wednesday one")
        said, found = r.no_such_booking(u.code), list(ctx.bookings)
        draft = draft.evolve(date=None, time=None, window=None, date_range=None) if moving else draft
    options = tuple(Option(kind="booking", booking_id=b.id) for b in found)
    convo = Convo(State.PICK_BOOKING, draft.evolve(options=options))
    return _say(convo, *((said,) if said else ()), r.which_booking(ctx.shop, options, _with_guests(ctx), verb))


# -- handlers --------------------------------------------------------------------


_ADD_ON_RE = re.compile(r"\b(?:add|throw\s+in|tack\s+on)\b.*\b(?:too|as\s+well|aswell|also)\b|\b(?:add|throw\s+in|tack\s+on)\s+(?:a|an|the|on)\b")
_STRAIGHT_AFTER_RE = re.compile(
    r"\b(?:straight|right|just|directly|immediately)\s+after(?:wards)?\b"
    r"|\b(?:after|when)\s+(?:my|the|that|this|his|her|our)\s+(?!other\b)[a-z]"
    r"|\b(?:back\s+to\s+back|same\s+visit)\b")
# the booking it follows, named: "after my cut", "right after the skin fade", "when my cut finishes"
_AFTER_MINE_RE = re.compile(
    r"\b(?:after|when)\s+(?:my|the|that|this|his|her|our)\s+(?P<ref>[a-z']+(?:\s+[a-z']+){0,2})")
_BOOKING_WORDS = frozenset(("one", "booking", "appointment", "appt", "slot", "session", "visit"))


def _follows(u: Understanding, shop: Shop) -> tuple[bool, str | None]:
    """Whether the message asks for a time straight after one of their bookings, and the service
    of the booking it names ("after my cut" -> haircut; "right after my appointment" -> None)."""
    text = u.text or ""
    if not _STRAIGHT_AFTER_RE.search(text):
        # "can i add a design too", "throw in a beard trim as well": no day or time of its own, so
        # at the visit they have booked
        return (u.date is None and u.time is None and u.date_range is None and _ADD_ON_RE.search(text) is not None), None
    m = _AFTER_MINE_RE.search(text)
    if m is None:
        return True, None  # "a shave straight after", "back to back"
    ref = m["ref"]
    named = ShopLexicon.for_shop(shop).find(ref, ref)[0]
    if named:
        return True, named[0]
    if ref.split()[0] in _BOOKING_WORDS:
        return True, None
    # "after my work": no booking of theirs; only "straight after" elsewhere in it still counts
    plain = text[:m.start()] + text[m.end():]
    return re.search(r"\b(?:straight|right|just|directly|immediately)\s+after|\bback\s+to\s+back|\bsame\s+visit",
                     plain) is not None, None


def _straight_after(u: Understanding, ctx: Context) -> Understanding:
    """"a beard trim straight after (my haircut)": the day and time one of their bookings ends (the
    one the message names, "after my cut"; else of all, the one made last: what "another haircut
    straight after", which the bot suggests itself, follows), for the service the message asks for
    (not the one it names as the booking before it), with that booking's barber when free."""
    if u.time or u.window or not ctx.bookings:
        return u
    follows, ref = _follows(u, ctx.shop)
    if not follows:
        return u
    on_day = [b for b in ctx.bookings if u.date is None or local_date(ctx.shop, b.start) == u.date]
    if not on_day:
        return u  # "straight after" on a day they have nothing: that day, asked as usual
    service = u.service
    if ref is not None:  # "straight after my haircut can i get a shave": the shave; the haircut is theirs
        said = ShopLexicon.for_shop(ctx.shop).find(u.text, u.text)[0]
        wanted = [k for k in said if k != ref]
        service = wanted[0] if wanted else (ref if said.count(ref) > 1 else None)
        named = [b for b in on_day if b.service == ref]
    else:
        others = [k for k in u.services if k != u.service]
        named = [b for b in on_day if b.service in others]
    b = max(named or on_day, key=lambda b: b.id)  # the one made last ("another ... straight after")
    svc = ctx.shop.service(b.service)
    ends = b.start + dt.timedelta(minutes=svc.minutes if svc else 0)
    end = ends.astimezone(ctx.shop.tz)
    barber = u.barber
    if barber is None and service and not u.any_barber \
            and any(s.start == ends for s in ctx.free(end.date(), service, b.barber, None)):
        barber = b.barber  # the same barber, when they are free then
    return dataclasses.replace(u, date=end.date(), time=end.time().replace(second=0, microsecond=0), barber=barber,
                               service=service, services=(service,) if service else ())


def _first_start_after(said: Understanding, u: Understanding, ctx: Context) -> Understanding:
    """After `_straight_after` read `said` as `u` (the time one of their bookings ends): the first
    free start at or after that end, on the slot grid, with that booking's barber when they are
    free then (a 25-minute cut ending at 13:40 is followed at 13:45, never at 13:15)."""
    if u.time is None or u.date is None or u.time == said.time or not u.service:
        return u
    shop = ctx.shop
    ends = dt.datetime.combine(u.date, u.time, tzinfo=shop.tz)
    after = [s for s in ctx.free(u.date, u.service, u.barber, None) if s.start >= ends]
    if not after:
        return u  # nothing free after it that day: the time, answered as usual
    first = [s for s in after if s.start == after[0].start]
    before = [b.barber for b in ctx.bookings if b.start + dt.timedelta(minutes=_length(shop, b.service)) == ends]
    barber = u.barber or (None if u.any_barber else next((s.barber for s in first if s.barber in before), None))
    at = first[0].start.astimezone(shop.tz)
    return dataclasses.replace(u, date=at.date(), time=at.time().replace(second=0, microsecond=0), barber=barber)


def _length(shop: Shop, service: str) -> int:
    svc = shop.service(service)
    return svc.minutes if svc else 0


# "for me and my son", "2 haircuts", "for the two of us": one booking is one person's chair
_ANOTHER_CHAIR_RE = re.compile(r"\b(?:too|also|as\s+well|aswell|after|afterwards|next|same\s+time)\b")
_PARTY_RE = re.compile(
    r"\bme\s+and\s+(?:my\s+|me\s+)?(?:" + references.RELATIONS + r"|boys|kids|lads|mates|pals)\b"
    r"|\bmy\s+(?:" + references.RELATIONS + r")\s+and\s+(?:my\s+|our\s+)?(?:" + references.RELATIONS + r")\b"
    r"|\b(?:and|&)\s+(?:one|another)\s+for\s+(?:me|myself|him|her)\b|\bfor\s+(?:me|myself)\s+(?:and|&)\s+(?:my|our)\s+\w+"
    r"|\b(?:two|2|three|3|both)\s+(?:boys|girls|kids|sons|daughters|children|lads)\b"
    r"|\b(?:the\s+)?(?:two|2|three|3|both|all)\s+of\s+us\b|\b(?:two|2|three|3|four|4)\s+(?:people|persons|of\s+us"
    r"|haircuts|cuts|fades|skin\s+fades|trims|beard\s+trims|appointments|bookings|slots)\b")


# an amount of time as people write it: "an hour", "2 hours and a half", "half an hour", "45 mins"
_AMOUNT = (r"(?:an?|one|two|three|four|half\s+an?|\d{1,3})\s*(?:hours?|hrs?|h|mins?|minutes)\b"
           r"(?:\s+and\s+a\s+half)?")
_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4}


def _minutes(amount: str) -> int:
    """An `_AMOUNT` phrase in minutes."""
    number, unit = re.match(r"(half\s+an?|[a-z]+|\d+)\s*([a-z]+)", amount).groups()  # type: ignore[union-attr]
    if number.startswith("half"):
        return 30
    hours = unit.startswith("h")
    minutes = (_NUMBER_WORDS.get(number) or int(number)) * (60 if hours else 1)
    return minutes + (30 if hours and amount.endswith("half") else 0)


# "in 2 hours", "in an hour", "in 45 mins": today, that long from now (on the slot grid)
_IN_RE = re.compile(r"\bin\s+(?P<a>" + _AMOUNT + r")")
# "asap", "now", "first available": the next free times
_ASAP_RE = re.compile(r"\b(?:asap|a\.s\.a\.p|as\s+soon\s+as\s+(?:possible|poss|you\s+can)|soonest|right\s+now|now"
                      r"|next\s+(?:available|free)|first\s+(?:available|free)|whenever)\b")


# "a skin fade instead of a haircut", "not a haircut, a beard trim": one service for another
_SWAP_RE = re.compile(r"\b(?:instead|rather\s+than|not\s+(?:an?|the)|no\s+longer)\b")


def _relative(u: Understanding, ctx: Context) -> Understanding:
    """"haircut in 2 hours": today at now + 2 h, up to the next slot; "haircut asap": the next free times."""
    if u.date or u.time or u.window or u.date_range:
        return u
    text = u.text or ""
    m = _IN_RE.search(text)
    if m:
        minutes = _minutes(m["a"])
        if 0 < minutes <= 12 * 60:
            shop = ctx.shop
            at = (ctx.now + dt.timedelta(minutes=minutes)).astimezone(shop.tz)
            step = shop.slot_minutes
            past = (at.hour * 60 + at.minute) % step
            if past or at.second or at.microsecond:
                at = (at + dt.timedelta(minutes=step - past)).replace(second=0, microsecond=0)
            return dataclasses.replace(u, date=at.date(), time=at.time())
    if _ASAP_RE.search(text):
        return dataclasses.replace(u, date_range=(local_date(ctx.shop, ctx.now), last_bookable_day(ctx.shop, ctx.now)))
    return u


def _rebook(u: Understanding, ctx: Context, service: str, barber: str) -> Outcome:
    """Book `service` with `barber` again, at the day and time the message names (or ask for them)."""
    keep = ctx.shop.barber(barber)
    if u.date is not None and keep is not None and ctx.shop.barber_hours(keep, u.date.weekday()) is None:
        barber = ""  # their barber is off that day: anyone (the customer never chose again)
    u = dataclasses.replace(u, intent=Intent.BOOK, explicit_intent=True, correction=False,
                            service=u.service or service, barber=u.barber or barber or None)
    out = on_book(IDLE, u, ctx)
    if out.convo.state in (State.ASK_DAY, State.ASK_TIME):
        note = r.booking_again(ctx.shop, u.service or service, u.barber)
        return dataclasses.replace(out, replies=(note, *out.replies))
    return out


# a message that corrects itself part way: "tomorrow at 4 actually no make it friday at 4 with kai"
_MID_CORRECTION_RE = re.compile(
    r"\b(?:actually(?:\s+no)?|no\s+wait|wait\s+no|wait|no\s+make\s+it|make\s+it|scratch\s+that|sorry\s+i\s+meant"
    r"|i\s+mean|or\s+rather|on\s+second\s+thoughts?)\b[\s,.!]*")


def _self_corrected(u: Understanding, ctx: Context) -> Understanding:
    """What a message says after correcting itself wins over what it said before: its words
    from the last correction on are read again, and the day, time, barber and service they name
    replace the earlier ones (the rest is kept)."""
    found = [m for m in _MID_CORRECTION_RE.finditer(u.text or "") if m.start() > 0]
    if not found:
        return u
    tail = u.text[found[-1].start():]  # with its marker: "make it 1" is a time, "1" alone is not
    later = understand(tail, now=ctx.now, shop=ctx.shop)
    changes: dict[str, object] = {}
    if later.date or later.date_range:
        changes.update(date=later.date, date_range=later.date_range, week_later=later.week_later, past_date=later.past_date)
    if later.time or later.window:
        changes.update(time=later.time, window=later.window)
    if later.barber:
        changes.update(barber=later.barber, any_barber=False)
    if later.service:
        changes.update(service=later.service, services=later.services)
    return dataclasses.replace(u, **changes) if changes else u  # type: ignore[arg-type]


def _references(convo: Convo, u: Understanding, ctx: Context) -> Understanding:
    """The words that point elsewhere, read: a message correcting itself, the day under
    discussion, "same time", "the usual", "this sat or sun"."""
    u = _self_corrected(u, ctx)
    if _in_flow(convo):
        u = references.day_under_discussion(u, convo.draft, ctx.shop.tz)
    u = references.either_day(references.same_time(u, ctx))
    if not u.service and references.USUAL_RE.search(u.text or ""):
        last = references.just_cancelled(ctx) or references.last_visit(ctx)
        if last is not None:
            u = dataclasses.replace(u, service=last.service, services=(last.service,), barber=u.barber or last.barber)
    return u


# a bare hour ("the 11", "11:30 with aoife"): no day, no count, no length after it
_BARE_HOUR_RE = re.compile(r"(?<![\d:.£$€])\b(\d{1,2}(?:[:.][0-5]\d)?)\b(?![:.]?\d|\s*(?:st|nd|rd|th|mins?|minutes|hours?|hrs?|days?|weeks?|people)\b)")


def _after_a_cancel(convo: Convo, u: Understanding, ctx: Context) -> Understanding:
    """A time, day or barber with no service, said just after a booking was cancelled ("ill take
    the 4pm w marco then", in reply to a barber's notice of other times): that booking's service,
    and its day when none is said (the notice's times are around it). A bare hour is a time then
    ("the 11 with aoife", one of the notice's times)."""
    if _in_flow(convo) or u.service or not (u.time or u.window or u.date or u.date_range or u.barber):
        return u
    again = references.just_cancelled(ctx)
    if again is None:
        return u
    bare = None if (u.time or u.window or u.date or u.date_range) else _BARE_HOUR_RE.search(u.text or "")
    if bare is not None:  # "the 11 with aoife ye sent me there": an hour of the notice's times
        u = dataclasses.replace(u, time=understand(f"at {bare.group(1)}", now=ctx.now, shop=ctx.shop).time)
    day: dt.date | None = local_date(ctx.shop, again.start)
    if u.date or u.date_range or not (u.time or u.window) or (day and day < local_date(ctx.shop, ctx.now)):
        day = u.date
    return dataclasses.replace(u, service=again.service, services=(again.service,), date=day)


# "switch to marco", "switch me over to dee", "switch it to saturday": a booking they have, changed
_SWITCH_RE = re.compile(r"\bswitch(?:ing)?\s+(?:(?:it|me|that|this|us|my\s+\w+)\s+)?(?:over\s+)?to\b"
                        # "can u do it w kev instead": their booking, with another barber
                        r"|\b(?:do|have|move|put)\s+(?:it|me|that)\s+(?:w|with)\s+(?P<to>[a-z]+)\s+instead\b")


# "and also does she do beards", "do you guys do fades too": a question about the other service named
_DOES_RE = re.compile(r"\b(?:does|do|can)\s+(?:she|he|they|you(?:\s+guys)?|[a-z]+)\s+(?:also\s+)?do\b")


def _next_chair(convo: Convo, u: Understanding, ctx: Context) -> Understanding | None:
    """Right after a booking, the next chair asked for without naming the service: "and flynn
    straight after", "and the other one straight after" (the same service as that one ends), "now
    my friend same time with ramon" (the same service and time in another chair); None otherwise."""
    text = u.text or ""
    if _in_flow(convo) or u.service or not (references.guest_of(text) or _THE_OTHER_RE.search(text)) or not ctx.bookings:
        return None
    last = max(ctx.bookings, key=lambda b: b.id)
    if _STRAIGHT_AFTER_RE.search(text):
        return dataclasses.replace(u, intent=Intent.BOOK, service=last.service, services=(last.service,))
    other_barber = references.SOMEONE_ELSE_RE.search(text) is not None  # "with another barber same time"
    if references.SAME_TIME_RE.search(text) and (u.barber or other_barber):
        local = last.start.astimezone(ctx.shop.tz)
        who = {} if u.barber else {"not_barbers": (last.barber,), "any_barber": True, "unknown_barber": None}
        return dataclasses.replace(u, intent=Intent.BOOK, service=last.service, services=(last.service,), date=local.date(),
                                   time=local.time().replace(second=0, microsecond=0), ambiguous=(), **who)  # type: ignore[arg-type]
    return None


_YES_LEAD_RE = re.compile(r"^(?:yes|yeah|yep|yup|aye|ok|okay|sure|fine|grand|sound|cool|perfect)\b")


def on_book(convo: Convo, u: Understanding, ctx: Context) -> Outcome:
    p = convo.draft.pending
    if (convo.state == State.CONFIRM and p is not None and u.barber == p.barber and _YES_LEAD_RE.match(u.text or "")
            and not (u.service or u.date or u.time or u.window)):
        return on_yes(convo, u, ctx)  # "aye fine callums grand": yes, with the barber offered
    nxt = _next_chair(convo, u, ctx)
    if nxt is not None:
        u = nxt
    if not u.service and ctx.bookings and _SHIFT_RE.search(u.text or ""):
        return on_reschedule(convo, u, ctx)  # "bring my appointment forward half an hour"
    switch = _SWITCH_RE.search(u.text or "")
    if switch and ctx.bookings and not _in_flow(convo) and (not u.service or any(b.service == u.service for b in ctx.bookings)):
        to = next((b.key for b in ctx.shop.barbers if switch["to"] and b.name.lower() == switch["to"]), None)
        if to is not None:  # "i got a fade w dante, can u do it w kev instead": to Kev
            u = dataclasses.replace(u, barber=to)
        return on_reschedule(convo, u, ctx)  # "can i switch to marco friday": their booking, to marco
    if (u.old_date and (u.date or u.time) and not _in_flow(convo)
            and any(local_date(ctx.shop, b.start) == u.old_date and u.service in (None, b.service) for b in ctx.bookings)):
        return on_reschedule(convo, u, ctx)  # "can't do thursday anymore, sat at 11?": their Thursday booking
    if RESTART_RE.match(u.text or ""):  # "start again, a fade friday at 10": a fresh booking
        convo = IDLE
    u = _references(convo, u, ctx)
    if (u.bare_weekday and u.date and u.correction and convo.state == State.CONFIRM and convo.draft.date
            and 3 < (convo.draft.date - u.date).days < 7):
        # Mon 14 offered, "monday i have a meeting, make it tuesday": Tue 15, the one nearer the day talked about
        u = dataclasses.replace(u, date=u.date + dt.timedelta(days=7))
    if not _in_flow(convo) and not u.service and not _has_slots(u) and u.explicit_intent:
        again = references.just_cancelled(ctx)
        if again is not None:  # BOOK in reply to a cancellation: the same service and barber
            return _rebook(u, ctx, again.service, again.barber)
    u = _after_a_cancel(convo, u, ctx)
    d = convo.draft
    if (_in_flow(convo) and d.goal == Goal.BOOK and d.service and u.services and _adds_a_service(u.text or "")
            and not _STRAIGHT_AFTER_RE.search(u.text or "")
            and not (u.service != d.service and _SERVICE_CHANGE_RE.search(u.text or ""))):  # not "make it combo w beard also"
        # "and the fade too tho", "i want both": the booking being made stays (its day, time and
        # barber), its service first; the other is said to follow
        others = [k for k in u.services if k != d.service]
        both = next((k for k in others for x in others if x != k and combined_service(ctx.shop, d.service, x) == k), None)
        if both is None and len(others) == 1:  # "my beard as well, the cut and beard one": the combo it names
            both = combined_service(ctx.shop, d.service, others[0])
        if both is not None:  # "and throw the beard in too" while a haircut is offered: the cut and beard combo
            return _on_book(convo, dataclasses.replace(u, service=both, services=(both,), correction=True), ctx)
        out = _on_book(convo, dataclasses.replace(u, service=d.service, correction=True), ctx)
        if not others:
            return out
        said = (r.does_service(ctx.shop, out.convo.draft.barber, others[0]),) if _DOES_RE.search(u.text or "") else ()
        return dataclasses.replace(out, replies=(*said, *out.replies, r.then_the_other(ctx.shop, d.service, others[0])))
    asked = _asked_about(u, ctx.shop)
    if asked is not None:  # "does keisha do designs? want a hard part with my fade": the fade first
        rest = tuple(k for k in u.services if k != asked)
        u = dataclasses.replace(u, service=rest[0], services=(*rest, asked))
    out = _on_book(convo, _relative(_first_start_after(u, _straight_after(u, ctx), ctx), ctx), ctx)
    if out.convo.state in (State.CONFIRM, State.PICK_SLOT, State.ASK_DAY, State.ASK_TIME):
        service = out.convo.draft.service
        others = [k for k in u.services if k != service]
        if _PARTY_RE.search(u.text or ""):  # "me and my son, he needs a kids cut and i need the combo"
            note = r.then_the_other(ctx.shop, service, others[0]) if service and others else r.one_at_a_time(ctx.shop, service)
            return dataclasses.replace(out, replies=(*out.replies, note))
        if (service and others and not _in_flow(convo) and not u.correction
                and not _STRAIGHT_AFTER_RE.search(u.text or "") and not _SWAP_RE.search(u.text or "")):
            # "a haircut and beard trim saturday": one booking is one service; say how to add the other
            said = (r.does_service(ctx.shop, out.convo.draft.barber, others[0]),) if _DOES_RE.search(u.text or "") else ()
            return dataclasses.replace(out, replies=(*said, *out.replies, r.then_the_other(ctx.shop, service, others[0])))
    return out


# "and the fade too", "i want both", "the design as well": another service besides the one being booked
# "too" is "also" at the end of a clause ("the fade too tho"), never before the word it
# strengthens ("fades too dear", "too long")
_BOTH_RE = re.compile(r"\b(?:both|too(?!\s+(?!(?:tho|though|please|pls|thanks|cheers|mate|if|and|yeah)\b)[a-z])"
                      r"|as\s+well|aswell|also|plus)\b")


def _adds_a_service(text: str) -> bool:
    """Whether the message asks for a service besides the one being booked ("and the fade too"),
    not instead of it; a swap in an earlier clause is of something else ("friday instead same time,
    and throw the beard in too")."""
    both = list(_BOTH_RE.finditer(text))
    if not both:
        return False
    swaps = list(_SWAP_RE.finditer(text))
    return not swaps or (both[-1].start() > swaps[-1].end()
                         and re.search(r"[,;.]|\band\b", text[swaps[-1].end():both[-1].start()]) is not None)


def _asked_about(u: Understanding, shop: Shop) -> str | None:
    """The service a "does she do X?" asks about, when the message also names another it wants
    ("does keisha do designs? want a hard part with my fade": designs); None otherwise."""
    if len(u.services) < 2:
        return None
    m = _DOES_RE.search(u.text or "")
    if m is None:
        return None
    clause = re.split(r"[?.!]", (u.text or "")[m.end():], maxsplit=1)[0]
    for key in u.services:
        svc = shop.service(key)
        if svc is not None and any(re.search(r"\b" + re.escape(n) + r"s?\b", clause)
                                   for n in (svc.name.lower(), svc.key, *svc.aliases)):
            return key
    return None


def _on_book(convo: Convo, u: Understanding, ctx: Context) -> Outcome:
    d = convo.draft
    if (_in_flow(convo) and d.goal == Goal.RESCHEDULE and d.booking_id and _has_slots(u)
            and not (u.service and u.service != d.service)):
        # "can i do 7pm then" while a booking is being moved: the move's new time, not a new booking
        return _ask_or_advance(Convo(convo.state, _merge(d, u, ctx.shop)), u, ctx)
    if _in_flow(convo) and (not u.explicit_intent or u.correction):
        d = convo.draft
        if d.goal == Goal.CANCEL:
            return _choose_target(convo, u, ctx, Goal.CANCEL) if _has_slots(u) else reprompt(convo, u, ctx)
        if convo.state == State.PICK_BOOKING:
            return on_pick_booking_value(convo, u, ctx)
        if not _has_slots(u):
            return reprompt(convo, u, ctx)
        return _ask_or_advance(Convo(convo.state, _merge(d, u, ctx.shop)), u, ctx)
    if u.correction and not u.service and (u.date or u.time) and ctx.bookings:
        # "actually, can we do 11 instead?" after a booking: they mean to move it
        return on_reschedule(convo, u, ctx)
    draft = _merge(_talked_about(convo), u, ctx.shop)
    if (u.time and not (u.date or u.date_range) and convo.draft.date and _in_flow(convo)
            and convo.state in (State.PICK_SLOT, State.CONFIRM, State.ASK_TIME)):
        draft = draft.evolve(date=convo.draft.date)  # "5:30 works, can i get kenji tho" at a day's list: that day
    if _asks_soonest(u):
        draft = draft.evolve(date=None, time=None, browse=True)  # "whats the soonest she can do": from now, not the day talked about
    return _ask_or_advance(Convo(State.IDLE, draft), u, ctx)


def _talked_about(convo: Convo) -> Draft:
    """A new booking's draft, with the service and barber just asked about ("how much is a beard
    trim?", then "book me in tmrw at 10"), or of the booking being made ("do you do beard trims",
    then "ok can i get one with priya friday"): a request that names no service keeps that one."""
    d = convo.draft
    if convo.state == State.UNCLEAR:
        return Draft(goal=Goal.BOOK, service=d.service, barber=d.barber, date=d.date)
    if _in_flow(convo) and d.goal == Goal.BOOK:
        return Draft(goal=Goal.BOOK, service=d.service, barber=d.barber)
    return Draft(goal=Goal.BOOK)


def _ask_or_advance(convo: Convo, u: Understanding, ctx: Context) -> Outcome:
    notes = []
    if u.past_date:
        notes.append(r.reason(ctx.shop, "past_date", None, None, None))
    if u.unknown_barber and not u.barber:
        notes.append(r.unknown_barber(ctx.shop, u.unknown_barber))
    if u.week_later and u.date and convo.draft.date == u.date:
        notes.append(r.next_weekday(u.date, u.week_later))
    d = convo.draft
    if u.time_options and d.date and d.service and d.goal == Goal.BOOK:
        # "10 or 11 whatevers free": those times, the free ones offered (the first, when either will do)
        free = [slot for t in u.time_options
                if (slot := exact(ctx, Ask(d.service, d.date, _minute(t), d.barber, None, None, d.not_barbers))) is not None]
        if free and _EITHER_RE.search(u.text or ""):
            pending = Option(kind="slot", start=free[0].start, barber=free[0].barber, service=d.service)
            return _confirm(convo.to(State.CONFIRM, pending=pending), ctx, notes)
        if free:
            return _offer(convo, ctx, [slot_option(x, d.service) for x in free], r.free_on(ctx.shop, d.date, None), notes)
    if "time" in u.ambiguous and u.time is None and convo.draft.date and convo.draft.service:
        return _say(convo.to(State.ASK_TIME), *notes, r.ambiguous_time())
    return advance(convo, ctx, *notes)


_WHOEVER_RE = re.compile(r"\b(?:whoever|anyone|anybody|any\s+barber)\b")
_EITHER_RE = re.compile(r"\b(?:whatever'?s?|whichever'?s?|either|any|don'?t\s+mind|not\s+fussed)\b")


_SOONEST_RE = re.compile(r"\b(?:earliest|soonest|first\s+(?:available|free)|next\s+(?:available|free))\b")


def _asks_soonest(u: Understanding) -> bool:
    """Whether the message asks for the first free time ("whats the soonest", "next available")
    without naming a day."""
    return not (u.date or u.date_range) and _SOONEST_RE.search(u.text or "") is not None


def on_availability(convo: Convo, u: Understanding, ctx: Context) -> Outcome:
    if _in_flow(convo) and convo.draft.goal != Goal.CANCEL:
        if not u.explicit_intent:
            return on_book(convo, u, ctx)
        # "what's free on friday?" in the middle of a booking or a move: list times,
        # keeping the service, barber and booking already settled
        draft = _merge(convo.draft, u, ctx.shop).evolve(browse=True)
        if u.time is None:
            draft = draft.evolve(time=None)
        if not u.window and _asks_soonest(u):
            if draft.date and draft.date >= local_date(ctx.shop, ctx.now) and _day_off(ctx.shop, draft.date, draft.barber) is None:
                draft = draft.evolve(time=None)  # "whats the earliest" at saturday morning's times: that morning's first
            else:
                draft = draft.evolve(date=None, window=None, date_range=None)  # "whats the soonest then": from now on
        return _ask_or_advance(Convo(State.IDLE, draft), u, ctx)
    if u.service and u.date and u.time:  # "haircut ... 3 slots wednesday 10 am": a request for that time
        return on_book(convo, dataclasses.replace(u, intent=Intent.BOOK), ctx)
    u = _after_a_cancel(convo, u, ctx)
    draft = _merge(_talked_about(convo), u, ctx.shop).evolve(browse=True)
    if _asks_soonest(u):
        draft = draft.evolve(date=None, time=None)  # "whats the soonest she can do": from now, not the day talked about
    return _ask_or_advance(Convo(State.IDLE, draft), u, ctx)


# "yup cancel", "yes cancel it please": a yes word and the prompt's own verb
_YES_AND_CANCEL_RE = re.compile(
    r"^(?:yes|yeah|yep|yup|yea|yeh|ya|yah|ja|aye|ok|okay|sure|please|pls|go\s+ahead|do\s+it)[\s,.!]+(?:just\s+|please\s+)?cancel"
    r"(?:\s+(?:it|that|this|them|please|pls|thanks|mate))*[\s,.!]*$")


def on_cancel(convo: Convo, u: Understanding, ctx: Context) -> Outcome:
    if (convo.state == State.CONFIRM and convo.draft.goal == Goal.CANCEL and not u.code
            and _YES_AND_CANCEL_RE.match(u.text or "")):
        return on_yes(convo, u, ctx)
    if _in_flow(convo) and convo.draft.goal == Goal.BOOK and not (u.code or u.date or u.service or u.barber):
        return _say(IDLE, r.abandoned("book"))
    return _choose_target(convo, u, ctx, Goal.CANCEL)


# "an hour later", "push it back 30 mins", "bring it forward half an hour": the booking's own time, shifted
_SHIFT_RE = re.compile(
    r"\b(?P<a>" + _AMOUNT + r")\s+(?P<d>later|earlier|sooner|back|forward)\b"
    r"|\b(?:push|move|bring|put|shift)\s+(?:it|me|(?:my|his|her|their|the|[a-z]+'?s)\s+\w+(?:\s+\w+)?)\s+(?P<d2>back|forward|later|earlier)"
    r"\s+(?:by\s+)?(?:like\s+|about\s+|around\s+)?(?P<a2>" + _AMOUNT + r")\b")


def _shift_minutes(u: Understanding) -> int:
    """"an hour later" -> 60, "30 mins earlier" -> -30; 0 when the message names no shift (or
    names the new day or time itself)."""
    m = _SHIFT_RE.search(u.text or "")
    if m is None or u.date or u.time:
        return 0
    amount, direction = (m["a"], m["d"]) if m["a"] else (m["a2"], m["d2"])
    minutes = _minutes(amount)
    return -minutes if direction in ("earlier", "sooner", "forward") else minutes


def _shifted(b: BookingView, minutes: int, shop: Shop) -> dict[str, object]:
    """The draft's new date and time: booking `b` moved by `minutes`."""
    at = (b.start + dt.timedelta(minutes=minutes)).astimezone(shop.tz)
    return {"date": at.date(), "time": at.time().replace(second=0, microsecond=0)}


def _shift(u: Understanding, ctx: Context) -> Understanding:
    """"can I move it an hour later": the new day and time, from the one booking it can mean."""
    if (u.date and not u.time and _SHIFT_RE.search(u.text or "")
            and any(local_date(ctx.shop, b.start) == u.date for b in ctx.bookings)):
        u = dataclasses.replace(u, date=None, old_date=u.date)  # "my shave tmrw, push it back an hour": that one's day
    minutes = _shift_minutes(u)
    if minutes == 0:
        return u
    found = _targets(ctx, u, moving=True)
    if len(found) != 1:
        return u
    return dataclasses.replace(u, **_shifted(found[0], minutes, ctx.shop))  # type: ignore[arg-type]


# words that point a change at a booking already made rather than the one being made now
_OWN_BOOKING_RE = re.compile(r"\b(?:my|our|his|her|their)\s+(?:\w+\s+)?(?:booking|appointment|reservation|one)s?\b"
                             r"|\b(?:booking|appointment|reservation)s?\b")


def on_reschedule(convo: Convo, u: Understanding, ctx: Context) -> Outcome:
    d = convo.draft
    if _in_flow(convo) and d.goal == Goal.RESCHEDULE and d.booking_id and _has_slots(u):
        return _ask_or_advance(Convo(convo.state, _merge(d, u, ctx.shop)), u, ctx)
    if (_in_flow(convo) and d.goal == Goal.BOOK and _has_slots(u) and not u.code
            and not _OWN_BOOKING_RE.search(u.text or "")):  # "change the service to kids cut": the offer
        return on_book(convo, dataclasses.replace(u, intent=Intent.BOOK, correction=True), ctx)
    if u.date is None and u.date_range is not None:  # "push it to the same time next week"
        u = references.same_time(u, ctx)
    week = _week_named(u, ctx)
    if week is not None and u.bare_weekday and u.date is not None:
        # "move the one next week to the thursday": that week's thursday
        u = dataclasses.replace(u, date=week[0] + dt.timedelta(days=u.date.weekday()))
    return _choose_target(convo, _shift(u, ctx), ctx, Goal.RESCHEDULE)


# "the one next week", "my booking this week": a booking named by its week
_THE_ONE_WEEK_RE = re.compile(r"\b(?:the|my)\s+(?:one|booking|appointment|appt|cut)\s+(?:for\s+|on\s+|in\s+)?(?P<which>next|this)\s+week\b")


def _week_named(u: Understanding, ctx: Context) -> tuple[dt.date, dt.date] | None:
    """The week (Monday, Sunday) a message names one of its bookings by ("the one next week"), else None."""
    m = _THE_ONE_WEEK_RE.search(u.text or "")
    if m is None or re.search(r"\b(?:keep|leave|not|still)\s+$", (u.text or "")[:m.start()]):
        return None  # not "keep the one next week": that is the one that stays
    today = local_date(ctx.shop, ctx.now)
    monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=7 if m["which"] == "next" else 0)
    return monday, monday + dt.timedelta(days=6)


def on_yes(convo: Convo, u: Understanding, ctx: Context) -> Outcome:
    p, d = convo.draft.pending, convo.draft
    if p is None:
        return _say(IDLE, r.nothing_to_confirm())
    if d.goal == Goal.CANCEL:
        assert p.booking_id is not None
        return _say(IDLE, actions=[CancelBooking(p.booking_id)])
    assert p.start and p.barber and p.service
    if d.goal == Goal.RESCHEDULE:
        assert d.booking_id is not None
        return _say(IDLE, actions=[Move(d.booking_id, p.start, p.barber, p.service)])
    guest = references.guest_of(u.text) or d.guest  # "ok thats fine so, his name is padraig"
    clash = None if guest else _own_clash(ctx, p.service, p.start)
    if clash is not None:  # one customer, one chair at a time (unless it is for someone else)
        return _say(convo.to(State.ASK_DAY, date=None, time=None, pending=None), r.already_booked(ctx.shop, clash))
    return _say(IDLE, actions=[Book(p.service, p.barber, p.start, guest_name=guest)])


def on_no(convo: Convo, u: Understanding, ctx: Context) -> Outcome:
    if convo.state == State.IDLE:
        return _say(IDLE, r.nothing_to_drop())
    return _say(IDLE, r.abandoned(convo.draft.goal.value if convo.draft.goal else None))


def on_pick_yes(convo: Convo, u: Understanding, ctx: Context) -> Outcome:
    if len(convo.draft.options) == 1 or _WHOEVER_RE.search(u.text or ""):
        return _pick(convo, 1, ctx)  # "yeah whoever is fine" at "X isn't free at 11, but Y is": the first
    return _say(convo, r.pick_a_number(len(convo.draft.options)))


def on_choice(convo: Convo, u: Understanding, ctx: Context) -> Outcome:
    guest = references.guest_of(u.text) if convo.draft.goal == Goal.BOOK and not convo.draft.guest else None
    if guest is not None:  # "ok 9 is fine, his name is johannes"
        convo = Convo(convo.state, convo.draft.evolve(guest=guest))
    n = u.choice or 0
    if n == LAST_CHOICE:  # "the last one"
        n = len(convo.draft.options)
    if convo.state == State.UNCLEAR and convo.draft.options and 1 <= n <= len(convo.draft.options):
        return _pick(Convo(State.IDLE, convo.draft.evolve(goal=Goal.BOOK)), n, ctx)  # a cancellation notice's times
    d = convo.draft
    if convo.state == State.UNCLEAR and d.barber and not d.options and n == 1:
        # "when is he next in" ... "ok put me down for the first one": their first free times
        draft = Draft(goal=Goal.BOOK, barber=d.barber, service=d.service, date=d.date, browse=True)
        return advance(Convo(State.IDLE, draft), ctx)
    if convo.state in (State.PICK_SLOT, State.ASK_SERVICE, State.PICK_BOOKING):
        if 1 <= n <= len(convo.draft.options):
            same_hour = _option_at_hour(convo.draft.options, n, ctx) if _THE_N_ONE_RE.search(u.text or "") else None
            if same_hour is not None and same_hour != n:  # "the 4 one" after "after 4": 16:00, or option 4?
                both = [convo.draft.options[same_hour - 1], convo.draft.options[n - 1]]
                return _offer(convo, ctx, both, r.which_one(), ())
            return _pick(convo, n, ctx)
        if convo.state == State.PICK_SLOT and (n <= 23 or 100 <= n <= 2359):  # "10 please", "930"
            # "10 please" with six times offered: no option 10, but an hour, as the times show it
            again = understand(f"at {n}", now=ctx.now, shop=ctx.shop)
            if again.time:
                return on_pick_slot_value(
                    convo, dataclasses.replace(again, intent=Intent.BOOK, date=convo.draft.date,
                                               explicit_intent=False), ctx)
        return _say(convo, r.pick_a_number(len(convo.draft.options)))
    if convo.state == State.CONFIRM and convo.draft.date and 7 <= n <= 23:
        # "11" at "... 13:00. Reply YES": another hour that day ("1" could be an option or 1 pm: asked again)
        again = understand(f"at {n}", now=ctx.now, shop=ctx.shop)
        if again.time:
            return on_book(convo, dataclasses.replace(again, intent=Intent.BOOK, date=convo.draft.date,
                                                      explicit_intent=False, correction=True), ctx)
    if convo.state in (State.ASK_TIME, State.ASK_DAY):
        # "3" after "what time?" is an hour
        again = understand(f"at {u.text.strip()}", now=ctx.now, shop=ctx.shop)
        if again.time or again.window:
            return on_book(convo, dataclasses.replace(again, intent=Intent.BOOK, explicit_intent=False), ctx)
    return reprompt(convo, u, ctx) if _in_flow(convo) else _say(IDLE, r.unknown(ctx.shop))


# "the 4 one", "4 o'clock", "let's do 6", "at 6": a number that may be an hour as much as an option
_THE_N_ONE_RE = re.compile(r"\b(?:the\s+)?\d{1,2}\s+(?:one|slot|o'?clock)\b|\b(?:do|at|for|around|about)\s+\d{1,2}\b")


def _option_at_hour(options: Sequence[Option], n: int, ctx: Context) -> int | None:
    """The place of the option shown that starts at n o'clock (morning or afternoon), if any."""
    for i, o in enumerate(options, 1):
        if o.start is not None:
            local = o.start.astimezone(ctx.shop.tz)
            if local.minute == 0 and local.hour in (n, n + 12):
                return i
    return None


def _pick(convo: Convo, n: int, ctx: Context) -> Outcome:
    o = convo.draft.options[n - 1]
    if o.kind == "service":
        return advance(convo.to(State.IDLE, service=o.service, options=()), ctx)
    if o.kind == "booking":
        return advance(convo.to(State.IDLE, booking_id=o.booking_id, options=()), ctx)
    assert o.start is not None
    local = o.start.astimezone(ctx.shop.tz)
    convo = convo.to(State.CONFIRM, pending=dataclasses.replace(o, booking_id=convo.draft.booking_id),
                     date=local.date(), time=local.time().replace(second=0, microsecond=0), options=())
    return _confirm(convo, ctx)


def on_pick_slot_value(convo: Convo, u: Understanding, ctx: Context) -> Outcome:
    """'the 2:30 one', '15:00', 'saturday': pick the matching option, else treat it as a new ask."""
    if u.time and not u.correction:
        tz = ctx.shop.tz
        for i, o in enumerate(convo.draft.options, start=1):
            local = o.start.astimezone(tz) if o.start else None
            if local and local.time() == u.time and (u.date is None or local.date() == u.date) \
                    and (u.barber is None or u.barber == o.barber) \
                    and (u.service is None or o.service is None or u.service == o.service):
                return _pick(convo, i, ctx)  # a service named now that differs is a new ask, below
    return on_book(convo, u, ctx)


# "anything later?", "earlier?", "any other times?" while times are offered: more of them, not a
# reschedule ("later" reads as one) that forgot the offer; "anything else i need to know?" asks
# about something other than times
_EARLIER_RE = re.compile(r"\b(?:earlier|sooner|before\s+(?:that|those|these|then))\b")
_LATER_RE = re.compile(r"\b(?:later|after\s+(?:that|those|these|then))\b")
_OTHERS_RE = re.compile(
    r"\b(?:any\s*(?:thing|one)?\s+else(?!\s+(?:i|we|to|that|about)\b|\s+you\s+(?:need|want|should)\b)|(?:any\s+)?other\s+(?:times?|slots?|options?|days?)|more\s+(?:times?|slots?|options?)"
    r"|none\s+of\s+(?:those|these|them)|(?:those|these|they)\s+(?:don't|dont|do\s+not|won't|wont)\s+work"
    r"|something\s+else|different\s+(?:times?|slots?))\b")
_MOVE_WORDS_RE = re.compile(r"\b(?:move|moving|reschedul\w*|postpone\w*|push|bring|change|changing|cancel\w*)\b")


def _wants_more(u: Understanding) -> str | None:
    """"later" / "earlier" when the message asks for other offered times, else None."""
    text = u.text or ""
    if _MOVE_WORDS_RE.search(text) or u.time or u.window or u.service or u.barber:
        return None  # a move, or a new ask: handled as such (a day is allowed: "later on friday?")
    if _EARLIER_RE.search(text) and not _LATER_RE.search(text):
        return "earlier"
    if _LATER_RE.search(text) or _OTHERS_RE.search(text):
        return "later"
    return None


def on_pick_slot_more(convo: Convo, u: Understanding, ctx: Context) -> Outcome | None:
    """More times past (or before) the offered ones, with the same service, barber and booking;
    None when the message is not asking for that."""
    direction = _wants_more(u)
    if direction is None:
        return None
    d = convo.draft
    old = _booking(ctx, d.booking_id) if d.goal == Goal.RESCHEDULE else None
    service = d.service or (old.service if old else None)  # a move keeps the booking's service
    barber = d.barber or (old.barber if old and not d.any_barber else None)
    shown = d.options or ((d.pending,) if d.pending is not None and d.goal != Goal.CANCEL else ())
    offered = sorted(o.start for o in shown if o.kind == "slot" and o.start is not None)
    shop, now = ctx.shop, ctx.now
    if u.date is not None:  # "anything later on friday?": that day only, if it is one offered
        offered = [t for t in offered if local_date(shop, t) == u.date]
    if not offered or service is None:
        return None
    today, last_day = local_date(shop, now), last_bookable_day(shop, now)
    if u.date is not None:
        today = last_day = u.date
    seen: set[dt.datetime] = set()
    found: list[Slot] = []
    later = direction == "later"
    ref = offered[-1] if later else offered[0]
    day, step = local_date(shop, ref), dt.timedelta(days=1 if later else -1)
    while today <= day <= last_day and len(found) < LISTED:
        free = [s for s in ctx.free(day, service, barber, d.booking_id)
                if (s.start > ref if later else now < s.start < ref) and s.start not in seen
                and s.barber not in d.not_barbers]
        seen.update(s.start for s in free)  # one per start time (the first barber)
        picked = _three_across(free)
        found.extend(picked if later else reversed(picked))
        day += step
    found = sorted(found[:LISTED], key=lambda s: s.start)
    if not found:
        again = reprompt(convo, u, ctx)
        return dataclasses.replace(again, replies=(r.nothing_more(shop, direction, ref), *again.replies))
    options = tuple(slot_option(s, service) for s in found)
    return _say(convo.to(State.PICK_SLOT, options=options), r.slot_options(shop, options, r.more_times(direction)))


def _three_across(slots: list[Slot]) -> list[Slot]:
    """Three of a day's free times spread across it (people asking for "later" mean later)."""
    if len(slots) <= 3:
        return slots
    return [slots[0], slots[len(slots) // 2], slots[-1]]


def _or_more(handler: Handler) -> Handler:
    """While times are offered (or one waits for YES): "anything later?" gets more times; a
    "later"/"earlier" that names a day or time while booking is a new ask, not a move of a
    booking the customer may not have; anything else goes to `handler`."""
    def wrapped(convo: Convo, u: Understanding, ctx: Context) -> Outcome:
        more = on_pick_slot_more(convo, u, ctx)
        if more is not None:
            return more
        if (u.intent == Intent.RESCHEDULE and convo.draft.goal == Goal.BOOK
                and not _MOVE_WORDS_RE.search(u.text or "") and _has_slots(u)):
            return on_book(convo, dataclasses.replace(u, intent=Intent.BOOK, explicit_intent=False), ctx)
        return handler(convo, u, ctx)
    return wrapped


def on_pick_booking_value(convo: Convo, u: Understanding, ctx: Context) -> Outcome:
    """'the friday one', 'the haircut', a code: narrow the offered bookings."""
    offered = [b for b in ctx.bookings if any(o.booking_id == b.id for o in convo.draft.options)]
    shop = ctx.shop
    picked = [b for b in offered
              if (not u.code or b.code == u.code)
              and (not u.service or b.service == u.service)
              and (not u.barber or b.barber == u.barber)
              and (not u.date or local_date(shop, b.start) == u.date)
              and (not u.time or b.start.astimezone(shop.tz).time() == u.time)]
    if len(picked) == 1 and (u.code or u.service or u.barber or u.date or u.time or len(offered) == 1):
        return advance(convo.to(State.IDLE, booking_id=picked[0].id, options=()), ctx)  # or "ya cancel it" with one shown
    verb = "cancel" if convo.draft.goal == Goal.CANCEL else "move"
    return _say(convo, r.which_booking(shop, convo.draft.options, _with_guests(ctx), verb))


def on_pick_service_value(convo: Convo, u: Understanding, ctx: Context) -> Outcome:
    return on_book(convo, u, ctx) if _has_slots(u) else reprompt(convo, u, ctx)


def reprompt(convo: Convo, u: Understanding, ctx: Context) -> Outcome:
    d = convo.draft
    if convo.state == State.PICK_BOOKING:
        verb = "cancel" if d.goal == Goal.CANCEL else "move"
        return _say(convo, r.which_booking(ctx.shop, d.options, _with_guests(ctx), verb))
    if convo.state == State.ASK_SERVICE:
        if d.menu:  # never the same menu twice in a row
            return _say(convo.to(State.ASK_SERVICE, menu=False), r.ask_service_again(ctx.shop, d.options))
        return _say(convo.to(State.ASK_SERVICE, menu=True), r.ask_service(ctx.shop, d.options))
    if convo.state == State.ASK_TIME and d.date:
        return _say(convo, r.ask_time(ctx.shop, d.date))
    if convo.state == State.CONFIRM and d.goal == Goal.CANCEL:
        return advance(convo, ctx)
    if convo.state == State.CONFIRM and d.pending:
        return _confirm(convo, ctx)
    if convo.state == State.PICK_SLOT and d.options:
        return _say(convo, r.slot_options(ctx.shop, d.options, "Please pick one:"))
    return advance(convo, ctx)


def on_unknown(convo: Convo, u: Understanding, ctx: Context) -> Outcome:
    """Not understood: say so and ask again; the second time in a row, a person takes over."""
    if references.USUAL_RE.search(u.text or ""):  # "the same one i had": their last booking's service
        return on_book(convo, dataclasses.replace(u, intent=Intent.BOOK), ctx)
    if (convo.state == State.CONFIRM and convo.draft.goal == Goal.BOOK and _ANOTHER_CHAIR_RE.search(u.text or "")
            and re.search(r"\b(?:my|our|the)\s+(?:" + references.RELATIONS + r")s?\b", u.text or "")):
        # "can my son get one too right after": yes, once this one is booked
        p = convo.draft.pending
        return _say(convo, r.one_at_a_time(ctx.shop, p.service if p else None), *reprompt(convo, u, ctx).replies)
    nxt = _next_chair(convo, u, ctx)
    if nxt is not None:
        return on_book(IDLE, nxt, ctx)
    if not _in_flow(convo) and _IS_THIS_RE.search(u.text or "") and _names_shop(u.text or "", ctx.shop):
        return _say(IDLE, r.greeting(ctx.shop))  # "hey is this gastown blade": yes, and what it does
    guest = references.guest_of(u.text or "") if _in_flow(convo) else None
    if guest and convo.draft.goal == Goal.BOOK:  # "his name is Marco" while his booking is being made
        out = reprompt(convo.to(convo.state, guest=guest), u, ctx)
        return dataclasses.replace(out, replies=(r.noted_guest(guest), *out.replies))
    misses = convo.draft.misses + 1
    if misses >= 2 and ctx.shop.barber_by_phone(ctx.phone) is None:  # (a barber is not handed to a barber)
        return on_person(convo, u, ctx)
    if _in_flow(convo):
        out = reprompt(Convo(convo.state, convo.draft.evolve(misses=misses)), u, ctx)
        return dataclasses.replace(out, replies=("Sorry, I didn't catch that.", *out.replies))
    return _say(Convo(State.UNCLEAR, Draft(misses=misses)), r.unknown(ctx.shop))


# "and the other one straight after", "now my friend", "one more for my mate": the next chair
_THE_OTHER_RE = re.compile(r"\b(?:the\s+other\s+(?:one|lad|boy|girl|kid)|another\s+one|the\s+next\s+one|one\s+more"
                           r"|my\s+(?:friend|mate|pal|buddy|bro|brother))\b")
_IS_THIS_RE = re.compile(r"\b(?:is\s+this|this\s+is|is\s+that|am\s+i\s+(?:talking|speaking|texting)\s+(?:to|with))\b")


def _names_shop(text: str, shop: Shop) -> bool:
    """Whether the message names the shop by a word of its name ("gastown" of "Gastown Blade & Co.")."""
    words = [w for w in re.findall(r"[a-z]{4,}", shop.name.lower()) if w not in ("barber", "barbers", "shop", "cuts", "the")]
    return any(re.search(r"\b" + re.escape(w) + r"\b", text) for w in words)


def on_person(convo: Convo, u: Understanding, ctx: Context) -> Outcome:
    """"get me a real person", anger, or twice not understood: a barber is told and will reply."""
    said = [t for t in ctx.facts.said() if t]
    if not said or said[-1] != ctx.words(u.text):
        said.append(ctx.words(u.text))
    return _say(IDLE, everyday.handed_off(ctx.shop), actions=[everyday.handoff(ctx, said)])


def on_late(convo: Convo, u: Understanding, ctx: Context) -> Outcome:
    text, note = everyday.running_late(ctx, ctx.words(u.text), u.date)
    return _say(convo if _in_flow(convo) else IDLE, text, actions=[note] if note else [])


def on_info(convo: Convo, u: Understanding, ctx: Context) -> Outcome:
    """A shop fact (with the price or hours the same message asks); a service the shop does not do, said with what it does; a question the shop
    file cannot answer, said so (not a message misunderstood: it never brings a person by itself).
    Mid-flow, a question that is none of these is read as not understood."""
    if u.not_offered is not None:
        return _answer_then_carry_on(convo, u, ctx, lambda suggest: everyday.not_offered(ctx.shop, u.not_offered or ""))
    if u.topic is None and _in_flow(convo):
        return on_unknown(convo, u, ctx)
    asked = _also_asked(u, ctx.shop)
    answers = (*asked, everyday.info_answer(ctx.shop, u.topic), *_other_facts(u, ctx.shop))
    if convo.state == State.PICK_SLOT and u.time and not u.date:
        # "11 o'clock would suit. you didn't say about parking?" at a list of times: that time, and the fact
        out = on_pick_slot_value(convo, dataclasses.replace(u, intent=Intent.BOOK, explicit_intent=False), ctx)
        return dataclasses.replace(out, replies=("\n".join(answers), *out.replies))
    return _answer_then_carry_on(convo, u, ctx, lambda suggest: "\n".join(answers))


def _other_facts(u: Understanding, shop: Shop) -> tuple[str, ...]:
    """The answers to the other shop facts the same message asks about ("is there parking and can
    i pay with snapscan", "whos working mondays? and are you affected by loadshedding")."""
    known = {k for k, _ in shop.info} | ({"address"} if shop.address else set())
    return tuple(everyday.info_answer(shop, k) for k in info_topics(u.text or "", shop.info)
                 if k != u.topic and k in known)


def _also_asked(u: Understanding, shop: Shop) -> tuple[str, ...]:
    """Beside a shop fact, the price or the hours the same message asks ("how much is a skin fade
    and do ye do student discount"): each question gets its answer, these before the fact."""
    text = u.text or ""
    found = []
    if (m := PRICES_RE.search(text)) is not None:
        found.append((m.start(), r.prices(shop, u.services, suggest=False)))
    if (m := HOURS_RE.search(text)) is not None:
        found.append((m.start(), r.opening_hours(shop, u.date, u.barber, suggest=False)))
    return tuple(answer for _at, answer in sorted(found))


# "who's working saturday", "who else": everyone, not only the barber the message also names
_WHO_ALL_RE = re.compile(r"\bwho(?:'s|s|\s+is|\s+are|\s+else)?\s+(?:working|works|in|on|about|around|there|cutting|else)\b")
# "ok so who is", "who then?", "who else": who works the day just asked about
_WHO_THEN_RE = re.compile(r"^(?:(?:ok|okay|so|and|then|right|well|hmm+)[\s,]+)*who(?:'s|s|\s+is|\s+are|\s+else|\s+does)?"
                          r"(?:\s+(?:then|in|on|working|there|is))*\s*\?*$")


def on_who(convo: Convo, u: Understanding, ctx: Context) -> Outcome:
    """"is jono in saturday?": the named barber, else the one this conversation is about ("she")."""
    again = convo.state == State.UNCLEAR and convo.draft.asked == "who" and not u.explicit_intent
    barber = u.barber or (convo.draft.barber if u.pronoun or (again and not u.barber) else None)
    if u.pronoun and u.date is None and convo.state == State.UNCLEAR and convo.draft.date and "next" not in (u.text or ""):
        u = dataclasses.replace(u, date=convo.draft.date)  # "is jade in friday" -> "what time does she finish": friday
    d = convo.draft
    if (u.date is None and u.date_range is None and d.date and "next" not in (u.text or "")
            and ((convo.state == State.UNCLEAR and d.asked == "who") or _in_flow(convo))):
        u = dataclasses.replace(u, date=d.date)  # "who's in saturday?" -> "lauren in too?"; mid-booking: that day
    every = u.date is not None and _EVERY_WEEKDAY_RE.search(u.text or "") is not None
    everyone = (everyday.who_answer(ctx.shop, u, None, ctx.now, ctx.time_off, every=every),) if (
        barber and u.date and _WHO_ALL_RE.search(u.text or "")) else ()  # "who's on saturday? is lerato in": both
    answer = "\n".join((*everyone, everyday.who_answer(ctx.shop, u, barber, ctx.now, ctx.time_off, every=every),
                        *_other_facts(u, ctx.shop)))
    if u.service and (u.time or u.window) and not _in_flow(convo):
        # "is shauna workin fri? want a skin fade wi her like 2ish": answered, and the booking offered
        return _answer_and_book(convo, dataclasses.replace(u, barber=barber), ctx, answer)
    if _in_flow(convo) and convo.draft.goal == Goal.BOOK and barber and u.date and u.time and answer.startswith("Yes"):
        # mid-booking "is priya in? bout 10": she is, so that time with her
        out = on_book(convo, dataclasses.replace(u, intent=Intent.BOOK, barber=barber, explicit_intent=False), ctx)
        return dataclasses.replace(out, replies=(answer, *out.replies))
    out = _answer_then_carry_on(convo, u, ctx, lambda suggest: answer)
    if not _in_flow(convo):  # "when is she next in?", "and saturday?", "put me down for the first one" may follow
        service = u.service or convo.draft.service
        day = u.date or (everyday.next_in(ctx.shop, barber, ctx.now, ctx.time_off) if barber and not u.date_range else None)
        return dataclasses.replace(out, convo=Convo(State.UNCLEAR, Draft(barber=barber, date=day, service=service,
                                                                         asked="who")))
    return out


def on_stop_at_prompt(convo: Convo, u: Understanding, ctx: Context) -> Outcome:
    """"stop" while a question is open answers it (NO); reminders are left as they are."""
    out = on_no(convo, u, ctx)
    return dataclasses.replace(out, replies=(*out.replies, r.stop_hint()))


def on_yes_idle(convo: Convo, u: Understanding, ctx: Context) -> Outcome:
    """"👍" with nothing waiting: after a reminder, their booking stands; else say nothing waits."""
    reminded = _booking(ctx, ctx.reminded_booking_id) if ctx.bookings else None
    if reminded is not None:
        return _say(IDLE, r.see_you(ctx.shop, reminded))
    if THANKS.intersection((u.text or "").split()):  # "ok cheers", "sound thanks": a thank-you, not a yes to anything
        return _say(convo if _in_flow(convo) else IDLE, r.thanks())
    return _say(convo if _in_flow(convo) else IDLE, r.nothing_to_confirm())



def _answer_then_carry_on(convo: Convo, u: Understanding, ctx: Context, answer: Callable[[bool], str]) -> Outcome:
    """A question ("how much is a fade?", "when do you open?") is answered; mid-flow the flow stays
    where it was and asks its own question again, instead of the answer suggesting what to do. A
    booking nothing of which was chosen yet (the service menu shown, no answer) is not asked again:
    the question is answered as it would be outside a flow, the flow kept for a reply to it."""
    d = convo.draft
    chosen = d.goal != Goal.BOOK or any((d.service, d.barber, d.date, d.time, d.window, d.date_range, d.guest))
    if _in_flow(convo) and chosen:
        out = reprompt(convo, u, ctx)
        return dataclasses.replace(out, replies=(answer(False), *out.replies))
    return _say(convo, answer(True))


def _also_a_booking(u: Understanding) -> bool:
    """"can I book a haircut saturday at 10? how much is it": a question asked alongside a request."""
    asks_for_a_time = bool(u.date or u.time or u.window or u.date_range)
    if not asks_for_a_time and NEED_TO_BOOK_RE.search(u.text or ""):
        return False  # "... do u take walk in or need to book": a question about booking, not a request
    return bool(u.service and asks_for_a_time) or bool(BOOK_RE.search(u.text or "") and (u.service or asks_for_a_time))


def _answer_and_book(convo: Convo, u: Understanding, ctx: Context, answer: str) -> Outcome:
    out = on_book(convo, dataclasses.replace(u, intent=Intent.BOOK, explicit_intent=True), ctx)
    if out.replies and out.replies[0].startswith(answer.rstrip(".")):
        return out  # the booking's reply says it already ("Sorry, we're closed on Mon 28 Dec. The nearest ...")
    return dataclasses.replace(out, replies=(answer, *out.replies))


_PRICE_LIST_RE = re.compile(r"\b(?:price\s*list|all\s+(?:the\s+|your\s+)?prices|full\s+prices?|menu)\b")


def on_prices(convo: Convo, u: Understanding, ctx: Context) -> Outcome:
    """The prices asked about, and a service the shop does not do asked in the same message."""
    out = _on_prices(convo, u, ctx)
    if u.not_offered is None:
        return out
    return dataclasses.replace(out, replies=(*out.replies[:1], everyday.not_offered(ctx.shop, u.not_offered), *out.replies[1:]))


def _on_prices(convo: Convo, u: Understanding, ctx: Context) -> Outcome:
    named = u.services or ((u.service,) if u.service else ())
    if not named and _in_flow(convo) and convo.draft.service and not _PRICE_LIST_RE.search(u.text or ""):
        named = (convo.draft.service,)  # "haircut friday" -> "how much is it?": that service's price
    elif (not named and not _in_flow(convo) and re.search(r"\b(?:that|it|mine)\b", u.text or "")
          and not _PRICE_LIST_RE.search(u.text or "") and ctx.bookings):
        named = (max(ctx.bookings, key=lambda b: b.id).service,)  # "how much is that again" after booking
    if convo.state == State.PICK_SLOT and u.time and not u.date:
        # "6pm works. how much is it?" at a list of times: that time picked, and its price
        out = on_pick_slot_value(convo, dataclasses.replace(u, intent=Intent.BOOK, explicit_intent=False), ctx)
        return dataclasses.replace(out, replies=(r.prices(ctx.shop, named, suggest=False), *out.replies))
    if _also_a_booking(u):
        return _answer_and_book(convo, u, ctx, r.prices(ctx.shop, named, suggest=False))
    facts = _other_facts(u, ctx.shop)  # "whats the rate for kids haircut and do u take walk in": both
    if facts and not _in_flow(convo):
        return _say(Convo(State.UNCLEAR, Draft(service=named[0] if len(named) == 1 else None, asked="prices")),
                    "\n".join((r.prices(ctx.shop, named, suggest=False), *facts)))
    out = _answer_then_carry_on(convo, u, ctx, lambda suggest: r.prices(ctx.shop, named, suggest=suggest))
    if named and not _in_flow(convo):  # "ok book me in", "and a kids cut?" may follow
        service = named[0] if len(named) == 1 else None
        return dataclasses.replace(out, convo=Convo(State.UNCLEAR, Draft(service=service, barber=convo.draft.barber,
                                                                         asked="prices")))
    return out


# "u open mondays?", "what about sundays": that weekday every week
_EVERY_WEEKDAY_RE = re.compile(r"\b(?:mon|tues|tue|wednes|wed|thurs|thu|fri|satur|sat|sun)(?:day)?s\b")


def on_hours(convo: Convo, u: Understanding, ctx: Context) -> Outcome:
    every_week = u.date is not None and _EVERY_WEEKDAY_RE.search(u.text or "") is not None and not u.time
    if _also_a_booking(u) and not every_week:  # not "do you open sundays? do u still cut": a question
        return _answer_and_book(convo, u, ctx, r.opening_hours(ctx.shop, u.date, u.barber, suggest=False))
    every = u.date is not None and _EVERY_WEEKDAY_RE.search(u.text or "") is not None
    facts = _other_facts(u, ctx.shop)
    if PRICES_RE.search(u.text or ""):  # "u open sunday? whats the price list": both asked
        facts = (*facts, r.prices(ctx.shop, u.services, suggest=False))
    out = _answer_then_carry_on(
        convo, u, ctx, lambda suggest: "\n".join((r.opening_hours(ctx.shop, u.date, u.barber, suggest=suggest and not facts,
                                                                 every=every), *facts)))
    if not _in_flow(convo):  # "can i get a cut at 2:30 then", "and sunday?" may follow
        return dataclasses.replace(out, convo=Convo(State.UNCLEAR, Draft(barber=u.barber, date=u.date, asked="hours")))
    return out


def on_help(convo: Convo, u: Understanding, ctx: Context) -> Outcome:
    return _say(convo, r.help_text(ctx.shop))


_WHO_WITH_RE = re.compile(r"\bwho\b|\bwhich\s+barber\b")


def on_list(convo: Convo, u: Understanding, ctx: Context) -> Outcome:
    """Their bookings; "who's that with?" while a time waits for YES: that time's barber."""
    p = convo.draft.pending
    if convo.state == State.CONFIRM and p is not None and p.barber and _WHO_WITH_RE.search(u.text or ""):
        out = reprompt(convo, u, ctx)
        return dataclasses.replace(out, replies=(r.with_barber(ctx.shop, p.barber), *out.replies))
    if not ctx.bookings:
        return _say(convo, r.no_bookings())
    return _say(convo, r.your_bookings(ctx.shop, _with_guests(ctx)))


def on_stop(convo: Convo, u: Understanding, ctx: Context) -> Outcome:
    return _say(convo, r.reminders_stopped(), actions=[PauseReminders(True)])


def on_start(convo: Convo, u: Understanding, ctx: Context) -> Outcome:
    """START, or reminders wanted in words: reminders back on. "start again" resumes them when
    they are paused, and otherwise starts the booking over (the service menu is never shown twice
    in a row)."""
    if RESTART_RE.match(u.text or "") and "remind" not in (u.text or "") and not ctx.facts.reminders_paused():
        menu_last = convo.state == State.ASK_SERVICE and convo.draft.menu
        fresh = Convo(State.ASK_SERVICE if menu_last else State.IDLE, Draft(goal=Goal.BOOK, menu=menu_last))
        out = advance(fresh, ctx)
        return dataclasses.replace(out, replies=(r.start_again(), *out.replies))
    return _say(convo, r.reminders_started(), actions=[PauseReminders(False)])


def on_greeting(convo: Convo, u: Understanding, ctx: Context) -> Outcome:
    if _in_flow(convo):
        return reprompt(convo, u, ctx)
    return _say(IDLE, r.greeting(ctx.shop))


def on_thanks(convo: Convo, u: Understanding, ctx: Context) -> Outcome:
    """Mid-flow ("see you then" at "Reply YES") nothing is booked yet: say so by asking again."""
    if _in_flow(convo) and convo.state != State.IDLE:
        out = reprompt(convo, u, ctx)
        first = r.not_done_yet(convo.draft.goal.value if convo.draft.goal else None) \
            if convo.state == State.CONFIRM else r.thanks()
        return dataclasses.replace(out, replies=(first, *out.replies))
    return _say(convo if _in_flow(convo) else IDLE, r.thanks())


def recover(convo: Convo, action: object, code: str, ctx: Context) -> Outcome:
    """The booking service refused `action` (someone took the slot meanwhile): offer what is near."""
    if isinstance(action, (Book, Move)):
        local = action.start.astimezone(ctx.shop.tz)
        draft = convo.draft.evolve(
            service=action.service, barber=action.barber, date=local.date(),
            time=local.time().replace(second=0, microsecond=0),
            booking_id=action.booking_id if isinstance(action, Move) else None,
            goal=Goal.RESCHEDULE if isinstance(action, Move) else Goal.BOOK, pending=None, options=())
        ask = Ask(action.service, local.date(), local.hour * 60 + local.minute, action.barber, None,
                  draft.booking_id, draft.not_barbers)
        intro = r.reason(ctx.shop, code, action.start, action.barber, action.service)
        return _offer(Convo(State.IDLE, draft), ctx, nearest_options(ctx, ask),
                      intro + " The nearest free times:", ())
    return _say(IDLE, r.no_such_booking(None))


S = State
In = Intent
TABLE: dict[tuple[State | str, Intent], Handler] = {
    # anywhere
    (ANY, In.HELP): on_help,
    (ANY, In.PRICES): on_prices,
    (ANY, In.HOURS): on_hours,
    (ANY, In.LIST): on_list,
    (ANY, In.STOP): on_stop,
    (ANY, In.START): on_start,
    (ANY, In.GREETING): on_greeting,
    (ANY, In.THANKS): on_thanks,
    (ANY, In.BOOK): on_book,
    (ANY, In.AVAILABILITY): on_availability,
    (ANY, In.CANCEL): on_cancel,
    (ANY, In.RESCHEDULE): on_reschedule,
    (ANY, In.YES): on_yes_idle,
    (ANY, In.INFO): on_info,
    (ANY, In.WHO): on_who,
    (ANY, In.PERSON): on_person,
    (ANY, In.LATE): on_late,
    (S.CONFIRM, In.STOP): on_stop_at_prompt,
    (S.PICK_SLOT, In.STOP): on_stop_at_prompt,
    (S.PICK_BOOKING, In.STOP): on_stop_at_prompt,
    (S.ASK_SERVICE, In.STOP): on_stop_at_prompt,
    (S.ASK_DAY, In.STOP): on_stop_at_prompt,
    (S.ASK_TIME, In.STOP): on_stop_at_prompt,
    (ANY, In.NO): on_no,
    (ANY, In.CHOICE): on_choice,
    (ANY, In.UNKNOWN): on_unknown,
    # waiting for YES
    (S.CONFIRM, In.YES): on_yes,
    # a numbered list is showing
    (S.PICK_SLOT, In.YES): on_pick_yes,
    (S.PICK_SLOT, In.BOOK): _or_more(on_pick_slot_value),
    (S.PICK_SLOT, In.RESCHEDULE): _or_more(on_reschedule),
    (S.PICK_SLOT, In.AVAILABILITY): _or_more(on_availability),
    (S.PICK_SLOT, In.UNKNOWN): _or_more(on_unknown),
    (S.PICK_SLOT, In.NO): _or_more(on_no),
    (S.CONFIRM, In.RESCHEDULE): _or_more(on_reschedule),
    (S.CONFIRM, In.AVAILABILITY): _or_more(on_availability),
    (S.PICK_BOOKING, In.YES): lambda convo, u, ctx: (_pick(convo, 1, ctx) if len(convo.draft.options) == 1
                                                     else _say(convo, r.pick_a_number(len(convo.draft.options)))),
    (S.PICK_BOOKING, In.BOOK): on_pick_booking_value,
    (S.PICK_BOOKING, In.CANCEL): on_pick_booking_value,
    (S.PICK_BOOKING, In.RESCHEDULE): on_pick_booking_value,
    (S.ASK_SERVICE, In.BOOK): on_pick_service_value,
}
