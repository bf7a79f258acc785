"""What a message refers to beyond its own words: who the chair is for ("for my son Jack", "jack's
cut"), the customer's last booking ("the usual", "rebook"), "same time", the day under discussion
("ok thursday then"), and two days offered at once ("this sat or sun"). Pure functions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Sequence

from bot.availability import local_date
from bot.nlu import Intent, Understanding
from bot.nlu.dates import WEEKDAYS
from bot.nlu.words import COMMON_WORDS, RULE_WORDS, wordlist

from .model import BookingView, Context, Draft, PastBooking

RELATIONS = ("son|daughter|boy|girl|kid|child|nephew|niece|brother|sister|dad|father|mum|mom|husband|wife"
              r"|partner|friend|mate|grandson|granddaughter|grandad|grandpa|cousin|boyfriend|girlfriend|bf|gf|lad|stepson|stepdaughter|nan|nana|nanna|gran|granny|grandma|grandmother|grandfather|grandparent|uncle|auntie|aunt|missus|fiance|fiancee|wean|bairn|nipper|sprog|lil\s+one|little\s+one|fella|fellow|hubby|wifey|bloke|lass|pal|buddy|bro|bestie|other\s+half|flatmate|roommate|housemate|workmate|colleague")
# "my little boy", "our 8 year old son", "my eldest": who the relation word is
_KIN = (r"(?:my|our|me|his|her|their|[a-z]{2,20}'s)\s+(?:(?:little|young|younger|older|eldest|youngest|oldest|baby|big)\s+"
        r"|(?:\d{1,2}|two|three|four|five|six|seven|eight|nine|ten)(?:\s*(?:yo|y/o|year\s*old|years\s*old))?\s+)?"
        r"(?P<rel>" + RELATIONS + r")s?\b")
_NAMED = r"(?:named\s+|called\s+)?(?P<name>[a-z]{2,20})\b"
GUEST_RE = re.compile(
    r"\bfor\s+" + _KIN + r"(?:[\s,(]+" + _NAMED + r")?"  # "for my son (,) jack", "for my son"
    r"|\b(?:book|get|bring|squeeze|fit)\s+" + _KIN.replace("rel>", "rel2>") + r"(?:[\s,(]+" + _NAMED.replace("name>", "name2>") + r")?"
    r"|(?<!\bme\sand\s)\b" + _KIN.replace("rel>", "rel3>") + r"(?:[\s,(]+" + _NAMED.replace("name>", "name3>") + r")?"
    r"(?=[\s,)]+(?:(?:also|too)\s+)?(?:needs|wants|would\s+like|is\s+after|could\s+(?:use|do\s+with)|has\s+to|will\s+need"
    r"|get|have|come|pop|squeeze)\b)"
    r"|\bfor\s+(?P<name4>[a-z]{2,20})[\s,(]+(?:who\s+is\s+|he's\s+|she's\s+)?" + _KIN.replace("rel>", "rel4>"))
# "his name is max", "she's called ava": a name given apart from the relation word (after it, also
# "name is max", "name's max")
_NAME_GIVEN_RE = re.compile(r"\b(?:(?:his|her|their)\s+name(?:'s|\s+is)?|(?:he|she)(?:'s|\s+is)\s+called)\s+(?P<name>[a-z]{2,20})\b")
_FOR_NAME_RE = re.compile(r"\b(?:it'?s|it\s+is|this\s+is|that'?s|thats|(?:the\s+)?(?:booking|appointment|cut)\s+is)"
                          r"\s+for\s+(?P<name>[a-z]{2,20})\b")
# "and flynn straight after", "now one for archie right after": the next chair, by the name of who it is for
_NEXT_CHAIR_RE = re.compile(r"^(?:(?:and|&|then|now|ok|okay)\s+)+(?:(?:one|another)\s+for\s+)?(?P<name>[a-z]{2,20})\s+"
                            r"(?:straight|right|just|directly)\s+after")
# a message about someone else ("put him in", "hes 9"): a bare "name is ..." is theirs
_THIRD_PERSON_RE = re.compile(r"\b(?:him|her|he|she|he's|she's|hes|shes)\b")
_NAME_AFTER_RE = re.compile(r"\b(?:name(?:'s|\s+is)|named|called)\s+(?P<name>[a-z]{2,20})\b")
_DAY_WORDS = wordlist("monday tuesday wednesday thursday friday saturday sunday today tomorrow tonight "
                      "morning afternoon evening next this at on in around about for please")
# words that follow a relation word and are no one's name
_NOT_NAMES = wordlist("aged age who whos that he she they as and too also yo years year old is was has had needs need "
                      "wants want would will please pls here there his her their first next with to again only just "
                      "plus both sometime asap in at on a an the if so but then or could can get got cut haircut trim "
                      "booked booking appointment it its also aswell well same name named called shes hes she's he's "
                      "they're theyre love bless lol haha like mind innit x xx ages aged")


def _a_name(word: str | None) -> str | None:
    if not word or word in COMMON_WORDS or word in RULE_WORDS or word in _DAY_WORDS or word in _NOT_NAMES:
        return None
    return word.capitalize()


def guest_of(text: str) -> str | None:
    """Who the booking is for when the customer says it is for someone else: their name,
    capitalised ("Jack" from "for my son jack", "my son jack needs...", "for jack, my son", "for my
    son ... his name is jack", "it's for jack"), else who they are ("son": the chair is still someone else's); None
    when it is for the customer (nothing said)."""
    text = text or ""
    m = GUEST_RE.search(text)
    if m is None:
        given = _NAME_GIVEN_RE.search(text) or _FOR_NAME_RE.search(text) or _NEXT_CHAIR_RE.search(text)
        if given is None and _THIRD_PERSON_RE.search(text) and not re.search(r"\bmy\s+name\b", text):
            given = _NAME_AFTER_RE.search(text)  # "put him in tmrw ... hes 9, name is marcus"
        return _a_name(given["name"]) if given else None  # "his name is jack", "it's for jack", "and flynn straight after"
    name = _a_name(m["name"] or m["name2"] or m["name3"] or m["name4"])
    if name is None and (given := _NAME_AFTER_RE.search(text, m.start()) or _FOR_NAME_RE.search(text)) is not None:
        name = _a_name(given["name"])  # "my fella ... its for gary"
    return name or next(r for r in (m["rel"], m["rel2"], m["rel3"], m["rel4"]) if r)


def guests(ctx: Context) -> dict[int, str]:
    """The customer's bookings that are for someone else: booking id -> the guest's name."""
    return {b.id: b.guest_name for b in ctx.facts.recent() if b.guest_name}


_HIS_RE = re.compile(r"\b(?:his|her|their)\s+(?:cut|haircut|booking|appointment|one|trim|fade)\b"
                     r"|\bthe\s+(?:kids?|kid'?s|boy'?s|son'?s|girl'?s|daughter'?s|little\s+one'?s)\s+(?:one|booking|appointment)\b")
# "liams cut", "ava's booking": someone's, by a name the booking may not hold (it says "son")
_SOMEONES_RE = re.compile(r"\b(?P<who>[a-z]{2,20})(?:'s|s)\s+(?:cut|haircut|booking|appointment|one|trim|fade)\b")


def for_guest(ctx: Context, text: str, bookings: Sequence[BookingView]) -> list[BookingView] | None:
    """The bookings a message names by their guest ("jack's cut", "jack is sick ... his cut"), or
    None when it names no guest."""
    names = guests(ctx)
    if not names:
        return None
    said = set(re.findall(r"[a-z]+", (text or "").lower().replace("'s", " ")))
    named = [b for b in bookings if names.get(b.id, "").lower() in said]
    if named:
        return named
    m = _SOMEONES_RE.search(text or "")
    if _HIS_RE.search(text or "") or (m is not None and m["who"] not in ("my", "our", "your")
                                        and (_a_name(m["who"]) or re.fullmatch("(?:" + RELATIONS + ")", m["who"]))):
        return [b for b in bookings if b.id in names] or None
    return None


# -- the customer's earlier bookings --------------------------------------------------------

USUAL_RE = re.compile(r"\b(?:the|my)\s+usual\b|\bsame\s+(?:as\s+)?(?:last\s+time|before|again|as\s+always)\b"
                      r"|\bsame\s+thing\b|\bsame\s+(?:cut|service)\b|\bsame\s+one\s+(?:as\s+)?(?:i\s+had|before|last\s+time)\b"
                      r"|\bsame\s+as\s+(?:what\s+)?i\s+had\b|\bwhat(?:ever)?\s+i\s+had\s+(?:booked|before|last\s+time)\b")
REBOOK_RE = re.compile(r"\bre-?book\w*|\banother\s+(?:time|day|slot)\b|\bbook\s+(?:it\s+)?again\b|\bnew\s+time\b")


def last_visit(ctx: Context) -> PastBooking | None:
    """"the usual": their latest booking that was not cancelled (else the latest of all)."""
    recent = sorted(ctx.facts.recent(), key=lambda b: b.start, reverse=True)
    kept = [b for b in recent if b.status != "cancelled"]
    found = kept or recent
    return found[0] if found else None


def just_cancelled(ctx: Context) -> PastBooking | None:
    """The booking the customer (or a barber) cancelled last, when that was their latest change
    and within the last day: what "rebook" or BOOK in reply to the notice means."""
    recent = ctx.facts.recent()
    if not recent or recent[0].status != "cancelled":
        return None
    upcoming = [b for b in ctx.bookings if b.id != recent[0].id]
    if any(b.id > recent[0].id for b in upcoming):
        return None  # they have booked again since
    return recent[0]


# -- times and days by reference -------------------------------------------------------------

SAME_TIME_RE = re.compile(r"\b(?:same|usual|similar)\s+(?:sort\s+of\s+|kind\s+of\s+)?time\b|\b(?:at|around|about)\s+the\s+same\s+time\b")


def same_time(u: Understanding, ctx: Context) -> Understanding:
    """"next saturday same time": the time of their booking on that weekday (else their latest);
    "same time next week": that booking's weekday and time in the week said;
    when that booking is on the very day read, a new booking means the week after it, but a move
    ("switch to marco for friday instead, same time") means that very day."""
    if u.time or not SAME_TIME_RE.search(u.text or ""):
        return u
    shop = ctx.shop
    mine: list[BookingView | PastBooking] = list(ctx.bookings)
    if u.date is not None:
        same_day = [b for b in mine if local_date(shop, b.start).weekday() == u.date.weekday()]
        mine = same_day or mine
    if not mine:
        last = last_visit(ctx)
        mine = [last] if last else []
    if not mine:
        return u
    ref = min(mine, key=lambda b: abs((local_date(shop, b.start) - (u.date or local_date(shop, ctx.now))).days))
    local = ref.start.astimezone(shop.tz)
    date = u.date
    if date is None and u.date_range is not None:  # "same time next week": that week's same weekday
        week_start, week_end = u.date_range
        on_weekday = week_start + dt.timedelta(days=(local.weekday() - week_start.weekday()) % 7)
        date = on_weekday if on_weekday <= week_end else None
    moving = u.correction or u.intent == Intent.RESCHEDULE
    guest = guest_of(u.text) is not None  # "can his brother come in at the same time saturday": beside it
    if date is None and u.date_range is None and guest and not moving:
        date = local.date()  # "and the kids one for my brother, same time": beside it, that day
    if date is not None and date == local.date() and not moving and not guest:
        date = date + dt.timedelta(days=7)  # "next saturday same time" said about this saturday's booking
    changes: dict[str, object] = {}
    if guest and SOMEONE_ELSE_RE.search(u.text or "") and getattr(ref, "barber", None):
        changes = {"not_barbers": tuple(dict.fromkeys((*u.not_barbers, ref.barber))), "barber": None, "any_barber": True}
    return dataclasses.replace(u, date=date, time=local.time().replace(second=0, microsecond=0), week_later=None,
                               **changes)  # type: ignore[arg-type]


# "with someone else", "another barber": not the barber of the booking it is beside
SOMEONE_ELSE_RE = re.compile(r"\b(?:someone|somebody|anyone|anybody)\s+else\b|\b(?:another|different|other)\s+barber\b")


_EXPLICIT_DATE_RE = re.compile(r"\d{1,2}(?:st|nd|rd|th)\b|\b\d{1,2}[/.-]\d{1,2}\b|\b(?:next|this|coming)\b|\bjan|\bfeb|\bmar\b|\bmarch"
                               r"|\bapr|\bmay\b|\bjun|\bjul|\baug|\bsep|\boct|\bnov|\bdec")


def day_under_discussion(u: Understanding, d: Draft, shop_tz: dt.tzinfo) -> Understanding:
    """"ok thursday then" while Thu 17 Dec is being discussed (asked for, or offered): that Thursday,
    not the coming one; an explicit date ("thursday the 10th", "next thursday") is kept."""
    if u.date is None or _EXPLICIT_DATE_RE.search(u.text or ""):
        return u
    name = WEEKDAYS[u.date.weekday()]
    if name not in (u.text or ""):
        return u
    talked = [d.date] if d.date else []
    talked += [o.start.astimezone(shop_tz).date() for o in d.options if o.start is not None]
    if d.pending is not None and d.pending.start is not None:
        talked.append(d.pending.start.astimezone(shop_tz).date())
    same = [x for x in talked if x.weekday() == u.date.weekday() and x != u.date]
    if same and u.date not in talked:
        return dataclasses.replace(u, date=same[0], week_later=None)
    return u


_EITHER_DAY_RE = re.compile(r"\b(?P<a>" + "|".join(WEEKDAYS) + r")\s+(?:or|and|/|&)\s+(?P<b>"
                            + "|".join(WEEKDAYS) + r")\b")


def either_day(u: Understanding) -> Understanding:
    """"this sat or sun": both days (from the first read to the next of the second), not one."""
    m = _EITHER_DAY_RE.search(u.text or "")
    if m is None or u.date is None or u.time is not None:
        return u
    a, b = WEEKDAYS.index(m["a"]), WEEKDAYS.index(m["b"])
    gap = dt.timedelta(days=(b - a) % 7 or 7)
    if u.date.weekday() == a:
        first = u.date
    elif u.date.weekday() == b:
        first = u.date - gap
    else:
        return u
    return dataclasses.replace(u, date=None, date_range=(first, first + gap))
