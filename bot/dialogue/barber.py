"""Barber commands (SPEC §8): one message read into a plain `Command` value.

`parse_command(text, shop=..., now=...)` returns a command, a `Usage` (a command word with bad
arguments, answered with how to write it), a `DayQuestion` (a weekday that contradicts the date
written beside it: asked about, never guessed), or None (not a barber command).

Days and windows are read by the customer NLU (`bot.nlu.understand`: typos, "tomorrow afternoon",
"after 3", "13:00-15:00", the shop's own morning and afternoon), with what only barbers say on
top: past days ("agenda yesterday"), "wed 16" as the 16th. An explicit date always wins over a
weekday name. Nothing here does I/O.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.availability import local_date
from bot.nlu.types import TimeWindow, Understanding
from bot.nlu.understand import understand
from bot.nlu.words import COMMON_WORDS, RULE_WORDS, clean, wordlist
from bot.shop import Shop

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# a weekday as people spell it ("mon", "tues", "thurs", "saturday"), not any word that starts so ("month")
_WEEKDAY = r"(mon|tue|wed|thu|fri|sat|sun)(?:day|s|sday|nesday|rs|rsday|urday|n)?"
_WEEKDAY_RE = re.compile(r"\b" + _WEEKDAY + r"\b")
_CODE_TOKEN_RE = re.compile(rf"(?<![\w+])([{CODE_ALPHABET}{CODE_ALPHABET.lower()}]{{4}})(?![\w:])")
# "wed 16", "wednesday the 16th": a day of the month after a weekday (not "fri 1-3", "fri 10am")
_WEEKDAY_NUMBER_RE = re.compile(
    r"\b" + _WEEKDAY + r"\s+(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)?\b"
    r"(?!\s*(?:[:.\-–]\s*\d|am\b|pm\b|to\b|'?til\b|till\b|until\b|untill\b|thru\b|through\b|ish\b|o'?clock\b))")
_EXPLICIT_RE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\b\d{1,2}/\d{1,2}\b|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:"
                          + "|".join(MONTHS) + r")|\b(?:" + "|".join(MONTHS) + r")[a-z]*\s+\d{1,2}\b"
                          + r"|\b(?:the\s+)?\d{1,2}(?:st|nd|rd|th)\b")
_PHONE_RE = re.compile(r"(\+?\d[\d\s()-]{6,}\d)")
_MINUTES_RE = re.compile(r"\b(\d{1,3})\s*(?:m|mins?|minutes?)\b|\b(half\s+an?\s+hour|half\s+hour|an\s+hour|1\s+hour)\b")
_MY_TIME_RE = re.compile(r"\b(?:my|the)\s+(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?(?:\s+(?:one|customer|client|appointment|booking))?\b")
_YES = {"yes", "y", "yep", "yeah", "ok", "okay", "confirm", "sure", "go ahead", "do it", "👍", "yes please"}
_NO = {"no", "n", "nope", "nah", "stop", "leave it", "never mind", "nevermind", "forget it"}


@dataclass(frozen=True)
class Agenda:
    day: dt.date
    barber: str | None = None  # another barber's (owners only); None: the sender's own
    everyone: bool = False  # "everybody's bookings tmrw": every barber's (owners only)
    others: bool = False  # "what have the others got today": every barber's but the sender's


@dataclass(frozen=True)
class Week:
    start: dt.date
    barber: str | None = None


@dataclass(frozen=True)
class WhoIsIn:
    day: dt.date


@dataclass(frozen=True)
class WhoAt:
    """"who got the 11 tmrw", "whos my 3 oclock": the sender's (or `barber`'s) booking at `at_min` on `day`."""

    day: dt.date
    at_min: int
    barber: str | None = None


@dataclass(frozen=True)
class NextFree:
    barber: str | None = None


@dataclass(frozen=True)
class FreeOn:
    """"when am i free thursday afternoon": the sender's (or `barber`'s) free time on `day`, within
    `start_min`-`end_min` (local minutes; the whole day when no part of it is said); `label`: the part said."""

    day: dt.date
    start_min: int = 0
    end_min: int = 1440
    label: str | None = None
    barber: str | None = None


@dataclass(frozen=True)
class CancelCode:
    code: str
    reason: str | None


@dataclass(frozen=True)
class CancelAt:
    """A booking named by its time ("cancel my 2pm on weds 16th, he cant make it"): the sender's
    (or `barber`'s) booking starting `at_min` on `day`; `reason`: the rest of the words."""

    day: dt.date
    at_min: int
    reason: str | None
    barber: str | None = None


@dataclass(frozen=True)
class MoveBooking:
    """One booking moved by a barber: named by `code`, or by its start (`at_min` on `at_day`, the
    sender's or `barber`'s); to `to_day` (None: its own day) at `to_min` (None: its own time), with
    `to_barber` (None: its own barber; `to_me`: the sender)."""

    code: str | None
    to_day: dt.date | None
    to_min: int | None
    to_barber: str | None = None
    to_me: bool = False
    at_day: dt.date | None = None
    at_min: int | None = None
    barber: str | None = None
    reason: str | None = None  # the words beside the move ("carlos wife called"), as `CancelCode`'s


@dataclass(frozen=True)
class HandBack:
    """"u can take over +61491570101 again": the customer handed to a person is the bot's again;
    `phone` None: "u can take him back over", the one customer handed to a person."""

    phone: str | None


@dataclass(frozen=True)
class MarkOutcome:
    code: str
    status: str  # completed | no_show


@dataclass(frozen=True)
class MarkOutcomeAt:
    """A booking named by its start marked as it went ("my 10.15 hasnt turned up", "the 2pm never
    came", "my 11am is done"): the sender's (or `barber`'s) booking starting `at_min` on `day`,
    marked `status` as `noshow CODE` / `done CODE` would mark it."""

    day: dt.date
    at_min: int
    status: str  # completed | no_show
    barber: str | None = None


@dataclass(frozen=True)
class Block:
    """Time off: a window of a day, or the whole day. `cancel`: the barber asked for the bookings
    there to go too ("sick today, cancel all my bookings", "off tomorrow")."""

    day: dt.date
    start_min: int
    end_min: int
    whole_day: bool
    reason: str | None = None
    barber: str | None = None
    cancel: bool = False
    replaces: tuple[dt.datetime, dt.datetime] | None = None  # the block just added that this one corrects
    also: tuple[str | None, ...] = ()  # more barbers the same time off is for ("me and jo"); None: the sender
    replaces_others: tuple[tuple[str, dt.datetime, dt.datetime], ...] = ()  # the others' blocks it corrects
    cover: str | None = None  # "can lee take my people": the barber the clashing bookings are offered to
    until: dt.date | None = None  # "off till saturday incl.": every day from `day` to this one, whole days
    days: tuple[dt.date, ...] = ()  # "off friday and saturday": more whole days besides `day`, each its own


@dataclass(frozen=True)
class Unblock:
    day: dt.date
    start_min: int
    end_min: int
    barber: str | None = None
    also: tuple[str | None, ...] = ()  # more barbers whose block goes too; None: the sender


@dataclass(frozen=True)
class NextBooking:
    """"who's next", "what time is my next one": the sender's (or `barber`'s) next booking."""

    barber: str | None = None


@dataclass(frozen=True)
class Late:
    """`arriving`: the barber is not in yet and gets in `minutes` from now ("gonna be 20 min late,
    car wont start"); else their bookings run `minutes` behind ("running 15 min late")."""

    minutes: int
    at_min: int | None = None  # "tell my 10am": that booking's local start; None: whoever it delays
    arriving: bool = False
    day: dt.date | None = None  # "late the morra morning": that day's bookings (None: today's)
    until_min: int | None = None  # "wont be in till 10 tmrw": the local time the barber gets in (`minutes` unused)
    from_min: int | None = None  # "20 min behind tmrw evening": the part of the day said starts then (its bookings only)
    first: bool = False  # "late for my first one tmrw": from that day's first booking (it starts `minutes` late)


@dataclass(frozen=True)
class CustomerInfo:
    phone: str


@dataclass(frozen=True)
class Answer:
    word: str  # yes | no | move | cancel | keep | undo
    to: str | None = None  # "move him to sam": the barber to move to first
    reason: str | None = None  # "cancel them, tell them sorry": the words the customers are told
    day: dt.date | None = None  # "move him to thursday same time": the day to move to (None: their own)
    at_min: int | None = None  # "move them to 4": the time to move to (None: their own)
    to_me: bool = False  # "... w me": with the sender


@dataclass(frozen=True)
class DayQuestion:
    weekday: str  # as written, e.g. "tue"
    day: dt.date  # the explicit date written beside it


@dataclass(frozen=True)
class BarberHelp:
    pass


@dataclass(frozen=True)
class Usage:
    text: str


Command = (Agenda | Week | WhoIsIn | WhoAt | NextFree | FreeOn | NextBooking | CancelCode | CancelAt | MoveBooking | MarkOutcome | MarkOutcomeAt | Block
           | Unblock | Late | CustomerInfo | HandBack | Answer | DayQuestion | BarberHelp | Usage)


@dataclass(frozen=True)
class BookingInfo:
    """A booking as a barber's command sees it."""

    id: int
    code: str
    status: str
    barber: str
    service: str
    start: dt.datetime  # aware UTC
    end: dt.datetime
    customer_phone: str
    customer_name: str | None = None
    guest_name: str | None = None  # who the chair is for, when not the customer ("son")


@dataclass(frozen=True)
class CustomerRecord:
    phone: str
    name: str | None
    bookings: int
    no_shows: int
    upcoming: tuple[BookingInfo, ...] = ()


@dataclass(frozen=True)
class _Day:
    day: dt.date | None
    question: DayQuestion | None = None


def read_day(norm: str, shop: Shop, now: dt.datetime, nlu_date: dt.date | None) -> _Day:
    """The day a barber's message names (None when it names none).

    An explicit date wins over a weekday name; a weekday that is not that date's is a question."""
    today = local_date(shop, now)
    if re.search(r"\byesterday\b", norm):
        return _Day(today - dt.timedelta(days=1))
    weekday = _WEEKDAY_RE.search(norm)
    m = _WEEKDAY_NUMBER_RE.search(norm)
    day = nlu_date
    explicit = bool(_EXPLICIT_RE.search(norm))
    if m and not explicit:  # "agenda wed 16": the 16th (this month's, or next month's once gone by)
        day = _day_of_month(today, int(m.group(2)))
        explicit = day is not None
    if day is None:
        return _Day(None)
    if weekday and not explicit and re.search(r"\bnext\s+week\b", norm) and (day - today).days < 7 - today.weekday():
        day += dt.timedelta(days=7)  # "tuesday afternoon next week": next week's, not this week's
    if explicit and weekday and WEEKDAYS.index(weekday.group(1)) != day.weekday():
        return _Day(None, DayQuestion(weekday.group(1), day))
    return _Day(day)


def _day_of_month(today: dt.date, n: int) -> dt.date | None:
    for ahead in (0, 1):
        year, month = divmod(today.month - 1 + ahead, 12)
        try:
            day = dt.date(today.year + year, month + 1, n)
        except ValueError:
            continue
        if day >= today:
            return day
    return None


def _barber_named(norm: str, shop: Shop, nlu_barber: str | None) -> str | None:
    if nlu_barber:
        return nlu_barber
    for b in shop.barbers:
        for name in {b.key, b.name.lower()}:
            if re.search(rf"\b{re.escape(name)}(?:'?s)?\b", norm):  # "liams", "liam's": Liam
                return b.key
    return None


_ORDINAL_RE = re.compile(r"\d{1,2}(?:st|nd|rd|th)", re.I)
# the command word a booking's code follows: "cancel qtwy", "no show hjkp", "done wxyz"
_BEFORE_CODE_RE = re.compile(r"\b(?:cancel|no[\s-]?show|done|move|shift|reschedule)\s+$", re.I)


def _code(original: str, norm: str, is_code: Callable[[str], bool] | None = None) -> tuple[str | None, str]:
    """The booking code a command names, and the words after it (a reason). A code is written with
    a digit or in capitals; or, right after the command word ("cancel qtwy"), in any case when
    `is_code` says a booking has it: an ordinary word is never taken for a code no booking has, nor
    a date of the month ("29th", "22nd", "23rd")."""
    for m in _CODE_TOKEN_RE.finditer(original):
        token = m.group(1)
        if token.lower() in ("show", "done", "sick", "day", "cancel") or _ORDINAL_RE.fullmatch(token):
            continue
        if any(c.isdigit() for c in token) or token.isupper() or (
                is_code is not None and _BEFORE_CODE_RE.search(original[:m.start()]) and is_code(token.upper())):
            return token.upper(), original[m.end():].strip(" ,.-:;")
    return None, ""


def _clock_minutes(h: int, m: int, ap: str | None, shop: Shop, day: dt.date) -> int | None:
    if h > 23 or m > 59:
        return None
    if ap == "pm" and h < 12:
        h += 12
    elif ap == "am" and h == 12:
        h = 0
    elif ap is None and 1 <= h <= 7:
        h += 12  # "my 3": the afternoon (no barber starts at 3am)
    return h * 60 + m


_THEM = r"(?:them|'?em|it|those|all|everyone|everything|him|her|that|the\s+bookings?|bookings?)\b"
_ANSWER_WORDS = (
    (re.compile(r"^(?:please\s+)?(?:move|reschedule|shift)\b"), "move"),
    (re.compile(r"^(?:please\s+)?(?:cancel|drop)\s+" + _THEM), "cancel"),
    (re.compile(r"^(?:please\s+)?(?:keep|leave)\s+" + _THEM), "keep"),
    (re.compile(r"^(?:undo|unblock\s+it|remove\s+(?:the\s+)?block)\b"), "undo"),
)


# what people put before what they mean: greetings, fillers, "hi dana", "it's priya"
_OPENING_WORDS = {"hi", "hey", "hello", "hiya", "yo", "morning", "mornin", "mawnin", "gday", "g'day", "ok", "okay", "k", "hmm",
                  "howzit", "salaam", "salam", "ag", "eish", "sho", "yoh",
                  "assalamu", "asalamu", "assalam", "asalam", "assalamualaikum", "asalamualaikum", "salamualaikum",
                  "alaikum", "alaykum", "aleikum", "walaikum", "habibi", "akhi", "bhai", "brother",
                  "hm", "um", "umm", "uh", "so", "oh", "right", "well", "actually", "lol", "sorry", "nah",
                  "yeah", "just", "pls", "please", "mate", "guys", "all", "team",
                  "boss", "bossman", "chief", "bro", "bruv", "bruh", "sis"}
# what a barber calls the owner or a colleague they write to ("boss am off thursday", "off friday boss, wedding")
_ADDRESS_WORDS = r"(?:boss|bossman|chief|bro|bruv|bruh|sis|mate|guys|team)"
_GREETINGS = {"hi", "hey", "hello", "hiya", "yo", "morning", "mornin", "mawnin", "gday", "g'day", "howzit", "salaam", "salam", "evening",
              "afternoon", "thanks", "cheers", "sorry"}  # "hi dana": the name after is who is greeted
_OPENING_PAIRS = ("good morning", "good afternoon", "good evening", "morning all", "hi all")
# words that start a sentence about the sender ("ill" is not among them: "jo ill today" is Jo)
_SENDER_WORDS = {"i", "im", "i'm", "i'll", "ive", "i've", "id", "i'd", "me", "my"}


def strip_opening(text: str, shop: Shop) -> str:
    """`text` without the greeting, fillers and names in front of what is meant: "morning whats
    on today" -> "whats on today", "hi dana its priya im sick" -> "im sick". Nothing is taken
    when nothing would be left."""
    names = {b.name.lower() for b in shop.barbers} | {b.key for b in shop.barbers}
    # "no not darcy, me. off dec 24", "not jo, me - off fri": a correction of whose time it is, then what is meant
    fix = re.match(r"^(?:no+|nah|nope)?[\s,.!]*not\s+(\w+)[\s,.!;:-]+(?:i\s+mean\s+|its\s+|it'?s\s+)?me\b[\s,.!;:-]*(?=\S)",
                   text, re.I)
    if fix and fix.group(1).lower() in names:
        text = text[fix.end():]
    words = text.split()
    i = 0
    while i < len(words) - 1:
        w = words[i].lower().strip(",.!:;-")
        pair = f"{w} {words[i + 1].lower().strip(',.!:;-')}"
        if pair in _OPENING_PAIRS:
            i += 2
        elif w in _OPENING_WORDS or w in names and i > 0 and words[i - 1].lower().strip(",.!:;-") in _GREETINGS:
            i += 1
        elif w in names and clean(words[i + 1]).strip(",.!:;-") in _SENDER_WORDS:
            i += 1  # "ciaran im full of the cold": Ciaran is who it is said to, the sender who is ill
        elif (intro := _introduction(words[i:], names)) is not None:
            i += intro  # "im ramon.", "i am karim the barber": who writes, not whom it is about
        elif w == "no" and words[i + 1].lower().strip(",.!:;-") in _OPENING_WORDS:
            i += 1  # "no bro i am karim": the denial of what was understood, then what is meant
        elif w in ("its", "it's", "this") and i + 1 < len(words) - 1:  # "it's priya", "this is priya"
            nxt = words[i + 1].lower().strip(",.!:;-")
            if nxt == "is" and i + 2 < len(words) - 1 and words[i + 2].lower().strip(",.!:;-") in names:
                i += 3
            elif nxt in names:
                i += 2
            else:
                break
        else:
            break
    return " ".join(words[i:])


def _introduction(words: list[str], names: set[str]) -> int | None:
    """How many of `words` introduce the sender by a barber's name ("im ramon.", "i am karim the
    barber", "its lee here"), when something follows them; None when they do not start so."""
    low = [w.lower().strip(",.!:;-") for w in words]
    n = 2 if low[:1] in (["im"], ["i'm"], ["its"], ["it's"]) else 3 if low[:2] in (["i", "am"], ["this", "is"], ["it", "is"]) else 0
    if not n or len(low) <= n or low[n - 1] not in names:
        return None
    for tail in (["the", "barber"], ["here"], ["from", "the", "shop"], ["btw"]):
        if low[n:n + len(tail)] == tail:
            n += len(tail)
            break
    return n if n < len(low) else None


def move_to(text: str, shop: Shop) -> str | None:
    """The barber a "move them" names to move to ("move him to sam if he can", "shift them over to jo")."""
    m = re.search(r"\b(?:to|with|onto)\s+(" + _names(shop) + r")\b", clean(text))
    if m is None:
        return None
    return next(b.key for b in shop.barbers if m.group(1) in (b.key, b.name.lower()))


def cover_answer(text: str, shop: Shop) -> str | None:
    """While a barber is asked about clashing bookings: the barber a message hands them to ("can
    jono take them", "can lee take it", "give them to jo", "sam can cover"); None when it names none."""
    low = clean(strip_opening(text, shop))
    low = re.sub(r"\b(can|could|will|would|to)\s+(?:have|do|see|grab)\b", r"\1 take", low)  # "jo can have them"
    low = re.sub(r"\b(take|do|have|see)\s+(?:it|that|this|those|these|both|the\s+(?:booking|bookings|one|ones))\b", r"\1 them", low)
    m = _cover(shop).search(low)
    return _key(shop, _covering(m)) if m else None


# the clashing booking(s) as a clash answer names them: "push him to 2:30", "bump them to sam", "put her at 4"
_CLASHING = r"(?:him|her|them|em|'em|it|both|the\s+(?:booking|bookings|one|ones|guy|lad|client|customer)|that\s+one)\b"
# a clash answer's move verb: "move them", "push him to 2:30 with me", "bump her to sam", "put them at 4"
_ANSWER_MOVE_RE = re.compile(r"\b(?:move|moving|shift|reschedule|push|bring|change|switch)\b"
                             r"|\b(?:bump|put|slide|stick)(?=\s+" + _CLASHING + r")", re.I)
_NEGATED_ANSWER_RE = re.compile(r"\b(?:don'?t|do\s+not|not|no|never)\s+(?:\w+\s+)?(move|cancel|keep)\b")
_ANSWER_VERB_RE = re.compile(r"\b(move|cancel|keep|leave)\b|\b(bin|ditch|scrap|drop|axe)\s+(?:them|em|'em|both|all\s+of\s+them)\b"
                             r"|\b(?:push|shift|bump|put|reschedule|slide|stick)\s+(?P<moved>" + _CLASHING + r")")


def answer_in(text: str) -> Answer | None:
    """While a barber is asked move / cancel / keep: the one verb the message says without
    negating it ("actually dont cancel pete, move them" -> move); None if none or several."""
    low = text.lower()
    negated = {m.group(1) for m in _NEGATED_ANSWER_RE.finditer(low)}
    said = {"move" if m.group("moved") else "cancel" if m.group(2) else "keep" if m.group(1) == "leave" else m.group(1)
            for m in _ANSWER_VERB_RE.finditer(low)} - negated  # "bin them": cancel them; "push him": move him
    return Answer(said.pop()) if len(said) == 1 else None


# the sender saying they will not be working: "put me down as off", "mark me off", "i'm not in on
# the 24th", "i'll be off xmas eve", "i won't be in fri"
_AWAY = (r"|\b(?:put|mark|have|got|set|sign|count)\s+me\s+(?:down\s+)?(?:as\s+)?(?:off|out|away|not\s+in)\b"
         r"|\b(?:i'?m|im|i\s+am|i'?ll\s+be|ill\s+be|i\s+will\s+be|i'?d\s+be|gonna\s+be|going\s+to\s+be)\s+"
         r"(?:off|away|out|not\s+(?:in|working|around))\b"
         r"|\b(?:i\s+)?(?:won'?t|wont|will\s+not)\s+be\s+(?:in|working|around)\b"
         r"|^am\s+(?:away|out|not\s+(?:in|working|around))\b")  # "am away fri": the sender, without the I

# leave and holidays are days off: "taking leave on sunday", "on leave friday", "need leave tmrw", "going on holiday sat"
_LEAVE = (r"|\b(?:on|take|taking|took|need|needs|want|having|have|get|book|booking|request|requesting|going\s+on"
          r"|put\s+in\s+for|apply\s+for|applying\s+for)\s+(?:(?:a|some|my|the|annual|family|personal|compassionate"
          r"|emergency|unpaid)\s+)?(?:leave|holiday|hols|vacation|vacay)\b"
          r"|\b(?:annual|family|personal|compassionate|emergency|unpaid)\s+leave\b")

# the sender leaving at a time: "i need to leave at 1pm", "gotta head off at 2", "finishing at 3 today",
# "knocking off at 4": off from then to the end of their day
_LEAVING_RE = re.compile(
    r"\b(?:leave|leaving|head\s+off|heading\s+off|head\s+out|heading\s+out|shoot\s+off|dash\s+off|finish|finishing"
    r"|knock\s+off|knocking\s+off|clock\s+off|clocking\s+off|(?:to|gotta|gta|must)\s+go|be\s+gone|be\s+off|be\s+out|out\s+of\s+here|outta\s+here)"
    r"\s+(?:early\s+)?(?:at|from|by|around|about|abt)\s+(?:about\s+|around\s+)?"
    r"(?P<h>\d{1,2})(?:[:.](?P<m>[0-5]\d))?\s*(?P<ap>am|pm)?\b(?!\s*(?:mins?|minutes?|hours?|st|nd|rd|th)\b)")

_AGENDA_NOUN = r"(?:day|days|bookings|books|schedule|diary|agenda|appointments|clients|list)\b"


def _names(shop: Shop) -> str:
    """A regex for any barber of `shop` by key or name, as a word."""
    names = sorted({b.key for b in shop.barbers} | {b.name.lower() for b in shop.barbers}, key=len, reverse=True)
    return r"\b(?:" + "|".join(re.escape(n) for n in names) + r")"


def _person(shop: Shop) -> str:
    """A regex for one of the people a block may be for: a barber of `shop`, or the sender."""
    return r"(?:" + _names(shop) + r"\b|\b(?:me|myself|i(?!'))\b)"


_AND = r"\s*(?:,|\band\b|&|\+|\bn\b|\bplus\b)\s*(?:also\s+)?"


# the whole shop as the people a block is for: "all 3 of us", "all of us", "everyone", "the whole shop"
_WHOLE_SHOP_RE = re.compile(
    r"\b(?:all\s+(?:\d+\s+|two\s+|three\s+|four\s+|five\s+|six\s+|the\s+)?of\s+us|us\s+all|we\s+(?:are|re|r|will\s+be)?\s*all"
    r"|(?:the\s+)?whole\s+(?:shop|team|crew|lot(?:\s+of\s+us)?)|all\s+(?:the\s+)?(?:barbers|staff)|every\s*(?:one|body))\b")
# a verb before "everyone" that makes them the customers ("cancel everyone", "tell everyone", "can lee take everyone")
_TO_CUSTOMERS_RE = re.compile(r"\b(?:cancel|tell|message|text|let|move|take|give|ring|call|inform|warn|notify|sort|rebook"
                              r"|reschedule|handle|shift|contact|see|do|cover)\s+(?:\S+\s+)?$")


def whole_shop(text: str) -> bool:
    """Whether a time-off message is for every barber ("block all 3 of us sat 9pm to 10pm", "block
    everyone thu 1-2", "the whole shop is off the 24th"), not "cancel everyone" (the customers)."""
    return any(not _TO_CUSTOMERS_RE.search(text[:m.start()]) for m in _WHOLE_SHOP_RE.finditer(text))


def _group(text: str, shop: Shop) -> tuple[str | None, ...]:
    """The barbers one message's time off is for when it names several, in order: "me and jo",
    "sam, lee and jo", "put me off xmas eve, and jo also", "off fri, jo too" (None: the sender);
    () when it names one or nobody."""
    if whole_shop(text):  # "block all 3 of us", "everyone off fri": every barber, the shop's order
        return tuple(b.key for b in shop.barbers) if len(shop.barbers) > 1 else ()
    person = _person(shop)
    keys = {n: b.key for b in shop.barbers for n in (b.key, b.name.lower())}
    chain = re.search(person + r"(?:" + _AND + person + r")+", text)
    if chain:
        said = [m.group(0) for m in re.finditer(person, chain.group(0))]
    else:  # "..., and jo also", "jo too": the sender and that barber
        also = re.search(r"(" + _names(shop) + r")\s+(?:also|too|as\s+well)\b"
                         r"|\b(?:and|plus)\s+(?:also\s+)?(" + _names(shop) + r")\s*[.!]*$"
                         r"|\bsame\s+(?:thing\s+)?(?:for|with)\s+(" + _names(shop) + r")\b", text)  # "do the same for lee"
        said = ["me", next(g for g in also.groups() if g)] if also else []
    found: list[str | None] = []
    for w in said:
        key = keys.get(w.strip())
        if key not in found:
            found.append(key)
    return tuple(found) if len(found) > 1 else ()


# words that sit where a block names its barber but are no name: "block lunch wed", "block dentist fri"
_ERRANDS = wordlist("""dentist dentists doctor doctors dr gp gym lunch school meeting funeral wedding physio training
course holiday hols leave vacation break church mosque errand errands pickup family personal private admin stock
delivery cleaning appointment appt it them everything whole rest out off in up everyone everybody we both team
staff boss ill ive id im hes shes theyre were whos thats ima imma gonna gotta power water aircon electricity
lights light wifi internet machine heating gas alarm music""")
_DAY_AHEAD = (r"(?:today|tonight|tomorrow|this|next|on|from|for|all|the|every|"
              r"(?:mon|tues|wednes|thurs|fri|satur|sun)day|\d|(?:" + "|".join(MONTHS) + r")[a-z]*)\b")


def _unknown_name(norm: str, shop: Shop) -> str | None:
    """A name that is no barber of `shop`, written where a block or day off names its barber:
    "block gethin wed 9-12", "gethin is off friday" -> "Gethin"; None for any word people put
    there that is no name ("block lunch wed", "block tomorrow 2-4")."""
    m = (re.match(r"^block(?:\s+(?:off|out))?\s+([a-z][a-z-]+)(?:'s)?\s+(?=" + _DAY_AHEAD + r")", norm)
         or re.match(r"^([a-z][a-z-]+?)(?:'?s|\s+is|\s+will\s+be|\s+be)\s+(?:off|away|not\s+in)\b", norm))
    if m is None:
        return None
    w = m.group(1)
    if (w in COMMON_WORDS or w in RULE_WORDS or w in _ERRANDS or w in _OPENING_WORDS or len(w) < 3
            or _WEEKDAY_RE.fullmatch(w) or re.fullmatch(r"(?:" + "|".join(MONTHS) + r")[a-z]*", w)):
        return None
    return w.capitalize()


_CANCEL_ALL_RE = re.compile(r"\bcancel\s+(?:all|every|everything|everyone|everybody|whoever|anyone|anybody"
                            r"|(?:all\s+)?(?:my|the)\s+(?:day|bookings|appointments|lot|people|clients|customers))\b"
                            r"|\bclear\s+(?:my\s+)?(?:day|diary|bookings)\b")
# the customer got in touch: "he messaged me direct", "customer rang", "pulled out"
_CONTACT_WORDS = (r"\b(?:messaged|texted|rang|rung|called|phoned|emailed|dm'?d|whatsapped|asked\s+(?:(?:me|us)\s+)?(?:to|for|if)"
                  r"|cancell?ed\s+on\s+me|pulled\s+out|bailed|te?xt\s+me|msg'?d\s+me|got\s+in\s+touch|called\s+in"
                  r"|(?:his|her|their)\s+(?:wife|husband|missus|mrs|partner|mum|mom|dad|girlfriend|boyfriend)\s+(?:said|asked))\b")
_CUSTOMER_CONTACT_RE = re.compile(r"\b(?:customer|client)\b|" + _CONTACT_WORDS)
# the customer as the one who cannot come, or who got in touch: "he cant make it", "customer rang"
_CUSTOMER_SIDE_RE = re.compile(
    r"\b(?:he|she|they|he'?s|she'?s|they'?re|customer|client|guy|lad|bloke|fella|kid|boy|girl|son|daughter"
    r"|mum|dad|wife|husband)\b|" + _CONTACT_WORDS)
_OWN_FAMILY_RE = re.compile(r"\b(?:my|our)\s+(?:kid|kids|boy|girl|son|daughter|mum|dad|wife|husband)\b")
_CANT_COME_RE = re.compile(r"\b(?:can'?t|cannot|won'?t|wont|unable\s+to)\s+(?:make|come|do)\b|\bnot\s+coming\b")
# the customer calling a booking off, as a barber reports it
_THEY_CALLED_OFF_RE = re.compile(r"\b(?:cancell?ed(?:\s+on\s+me)?|pulled\s+out|bailed|dropped\s+out|(?:is|isn'?t|isnt)\s+not\s+coming"
                                 r"|(?:isn'?t|isnt|aren'?t|arent)\s+coming|not\s+coming|can'?t\s+(?:make\s+it|come)"
                                 r"|cannot\s+(?:make\s+it|come)|won'?t\s+(?:make\s+it|be\s+coming))\b")
_FIRST_PERSON_RE = re.compile(r"\b(?:i|i'?m|im|i'?ll|ill|i'?ve|ive|i'?d)\b")


def customer_asked(reason: str | None) -> bool:
    """Whether the reason a barber gave for cancelling says the customer called it off ("he
    messaged me direct cant make it", "customer rang", "luke's missus rang", "he texted me",
    "cant make it"), not the shop ("dentist") nor the barber getting in touch ("i called him")."""
    if not reason:
        return False
    low = clean(reason)
    if any(not _SELF_SUBJECT_RE.search(low[:m.start()]) for m in _CUSTOMER_CONTACT_RE.finditer(low)):
        return True  # "his wife called", "customer asked"; not "i called him" (the barber did)
    # "he cant make it", "client not coming"; not "gotta leave early, kid has a recital" (the barber's own)
    return bool(_CANT_COME_RE.search(low) and not _FIRST_PERSON_RE.search(low) and not _OWN_FAMILY_RE.search(low))


# words beside a cancel that give no reason: the day, the time, asking ("for thurs pls", "for tomorrow", "please")
_NOT_A_CANCEL_REASON = wordlist("""pls plz please thx ty thank thanks cheers ta you asap now at am pm booking bookings
appointment appt appts one it its his her their that this next on of the and for me today tonight tomorrow tmrw tmr tmoro
tomoro tomoz 2moro 2morrow morra morrow week day same morning afternoon arvo evening ish k ok okay yes mate bro boss o
clock o'clock oclock""")


def cancel_reason(parts: list[str], shop: Shop) -> str | None:
    """The reason a cancel gives, from the words before and after the booking it names ("luke's
    missus rang" + "for thurs pls" -> "luke's missus rang"): a part of only days, times, names and
    asking words ("for thurs pls", "for tomorrow", "please", "mia") is no reason; the words asked to
    be passed on ("tell him sorry") when there are any; None when no part says anything."""
    names = {n for b in shop.barbers for n in (b.key, b.name.lower())}
    kept = []
    for part in parts:
        part = part.strip(" ,.-:;!?")
        words = re.findall(r"[a-z0-9']+", part.lower())
        if any(w not in _NOT_A_CANCEL_REASON and re.sub(r"'?s$", "", w) not in names and not _WEEKDAY_RE.fullmatch(w)
               and not re.fullmatch(r"\d{1,2}(?:[:.]\d{2})?(?:am|pm|st|nd|rd|th)?|\d{3,4}|(?:" + "|".join(MONTHS) + r")[a-z]*", w)
               for w in words):
            kept.append(part)
    return told_words(", ".join(kept)) if kept else None


# the words of a cancel that name the booking: "(can you) cancel my 11 oclock on weds 16th"
_ASKING = {"can", "could", "would", "will", "you", "u", "ya", "pls", "plz", "please", "just", "mate", "to"}
_BOOKING_WORD_RE = re.compile(
    r"(?:my|the|her|his|their|your|our|a|on|at|for|this|next|of|booking|appointment|appt|one|slot|o'?clock|am|pm"
    r"|half|o|clock|\d{3,4}|it|them|him|that|those|today|tonight|tomorrow|tmrw|tmr|tmoro|tomoro|tomoz|2moro|2morrow|morra|morrow|"
    + _WEEKDAY + r"|(?:" + "|".join(MONTHS) + r")[a-z]*|\d{1,2}(?:[:.]\d{2})?(?:am|pm|st|nd|rd|th)?)")


def _cancel_at(original: str, shop: Shop, now: dt.datetime, norm: str, nlu_date: dt.date | None) -> CancelAt | None:
    """The booking a cancel names by its time ("cancel my 2pm on weds 16th, he messaged me"), on the
    day said (today when none); the other words are the reason. None when no time is said."""
    words = original.split()
    plain = [w.lower().strip(",.!?;:-") for w in words]
    if "cancel" not in plain:
        return None
    i = j = plain.index("cancel")
    while i > 0 and plain[i - 1] in _ASKING and not words[i - 1].endswith((",", ".")):
        i -= 1
    j += 1
    names = {b.key for b in shop.barbers} | {b.name.lower() for b in shop.barbers}
    while j < len(words) and not words[j - 1].endswith((",", ".", ";", "!", "?")) and (
            _BOOKING_WORD_RE.fullmatch(plain[j]) or re.sub(r"'?s$", "", plain[j]) in names):
        j += 1
    clause = " ".join(words[plain.index("cancel"):j])
    u = understand(clause, now=now, shop=shop)
    today = local_date(shop, now)
    at_min = u.time.hour * 60 + u.time.minute if u.time else None
    compact = re.search(r"(?<![\d:.])(\d{1,2})([0-5]\d)(?![\d:.])", clause)  # "cancel my 230": 14:30
    if at_min is None and compact:
        at_min = _clock_minutes(int(compact.group(1)), int(compact.group(2)), None, shop, today)
    elsewhere = _MY_TIME_RE.search(norm)  # "hes not coming my 11am, cancel it"
    if at_min is None and elsewhere and re.fullmatch(r"cancel(?:\s+" + _THEM + r")?", clean(clause).strip(" ,.!")):
        at_min = _clock_minutes(int(elsewhere.group(1)), int(elsewhere.group(2) or 0), elsewhere.group(3), shop, today)
    if at_min is None:
        return None
    got = read_day(u.text or clean(clause), shop, now, u.date)
    day = got.day or read_day(norm, shop, now, nlu_date).day or today
    barber = _barber_named(clean(clause), shop, u.barber)
    return CancelAt(day, at_min, cancel_reason([" ".join(words[:i]), " ".join(words[j:])], shop), barber)


# a block taken back in people's words: "open up wed afternoon again", "free up my friday again", "i can
# work saturday after all", "take the block off thursday", "put my friday back on", "im back in on friday"
_UNBLOCK_RE = re.compile(
    r"\bopen\s+(?:up\b(?!\s+(?:till|til|until|to|from)\b)|(?:\S+\s+){1,3}(?:up|back\s+up)\b)|\bfree\s+(?:up\s+)?(?:\S+\s+){0,3}(?:again|back\s+up)\b"
    r"|\b(?:work|working|in|come\s+in|be\s+in|make\s+it)\b(?:\s+\S+){0,4}\s+after\s+all\b"
    r"|\b(?:take|taking|remove|delete|lift|drop|get\s+rid\s+of|cancel|undo)\s+(?:off\s+)?(?:the|my|that|this)\s+"
    r"(?:\S+\s+)?(?:block|blocks)\b"  # not "take the day off": that is one taken
    r"|\b(?:remove|delete|lift|drop|get\s+rid\s+of|cancel|undo)\s+(?:off\s+)?(?:the|my|that|this)\s+"
    r"(?:\S+\s+)?(?:time\s+off|day\s+off)\b"
    r"|\bput\s+(?:me|my\s+(?:\S+\s+){0,2})\s*back\b|\b(?:i'?m|im|i\s+am)\s+back\s+(?:on|in)\b"
    r"|\bnot\s+off\s+(?:\S+\s+){0,3}(?:any\s*more|after\s+all)\b|\bno\s+longer\s+off\b")
# "who's next", "what time is my next one", "when's my next client": the sender's next booking
_NEXT_BOOKING_RE = re.compile(
    r"\bwho'?s\s+(?:my\s+)?next\b(?!\s+week)|\bwho\s+is\s+(?:my\s+)?next\b(?!\s+week)"
    r"|\bwho(?:'?ve|\s+(?:have|do))\s+i\s+(?:got\s+|have\s+)?next\b(?!\s+week)"
    r"|\b(?:my|the|[a-z]+'?s)\s+next\s+(?:one|client|customer|booking|appointment|appt|cut|person|guy|chair|in)\b"
    r"|\bwhen'?s\s+my\s+next\b|\bwhen\s+is\s+my\s+next\b|^(?:what'?s|what\s+is)\s+next[?!. ]*$", re.M)


# the words of a `_SICK_RE` match that say illness (not only "can't come"): the reason is "off sick"
_ILLNESS = (r"sick|unwell|poorly|crook|ill|flu|man\s+flu|cold|bug|covid|virus|fever|temperature|migraine|lurgy|dying"
            r"|rough|rotten|awful|terrible|horrible|crap|shite?|rank|grim|ropey|dodgy|like\s+(?:death|shite?|crap)"
            r"|(?:good|great|well|right|the\s+best|100%?)|under\s+the\s+weather")
# a barber saying they are ill: "sick", "full of the cold", "got the flu", "feeling rough", "not gonna make it in"
_SICK_RE = re.compile(
    r"\b(?:sick|unwell|poorly|crook|under\s+the\s+weather|(?:i'?m|im|i\s+am|feeling|feel|been|off)\s+ill|not\s+well"
    r"|(?:full\s+of|got|have|caught|picked\s+up|coming\s+down\s+with|down\s+with)\s+(?:the\s+|a\s+|some\s+)?"
    r"(?:man\s+flu|flu|cold|bug|tummy\s+bug|stomach\s+bug|covid|virus|fever|temperature|migraine|lurgy)"
    r"|(?:i'?m|im|i\s+am)\s+dying|feel(?:ing|in)?\s+(?:rough|rotten|awful|terrible|horrible|crap|shite?|rank|grim|ropey|dodgy"
    r"|like\s+(?:death|shite?|crap))|not\s+feel(?:ing|in)?\s+(?:(?:too|so|very)\s+)?(?:good|great|well|right|the\s+best|100%?)"
    r"|can'?t\s+(?:come|make\s+it|work)|cannot\s+(?:come|make\s+it|work)|not\s+coming\s+in"
    r"|not\s+(?:gonna|going\s+to|gunna)\s+make\s+it(?:\s+in)?|won'?t\s+make\s+it\s+in"
    r"|(?:won'?t|will\s+not)\s+(?:be\s+able\s+to\s+)?make\s+it(?!\s+(?:in\s+)?(?:on\s+)?time\b|\s+(?:by|till|til|until|before|back)\b))(?!\w)")
# the sender as the one who cannot come: "im not gonna make it", "i cant come in", "ill not make it"
_SELF_SUBJECT_RE = re.compile(r"\b(?:i|i'?m|im|i\s+am|i'?ll|ill|i\s+will|i'?d|id)\s+(?:\S+\s+){0,2}$")
# when the barber fell ill, never the time they are off: "been throwing up all night", "since last night"
_ILL_SINCE_RE = re.compile(
    r"\s*\b(?:all|the\s+whole|through\s+the|during\s+the|in\s+the(?:\s+middle\s+of\s+the)?)\s+night(?:\s+long)?\b"
    r"|\s*\b(?:last|over)\s*night\b|\s*\bsince\s+(?:last\s+\w+|yesterday(?:\s+(?:morning|afternoon|evening|arvo))?"
    r"|this\s+(?:morning|afternoon|arvo)|the\s+weekend|\w+day|\d{1,2}(?:[:.]\d{2})?(?:\s*(?:am|pm))?)\b", re.I)
# a clause telling what already happened ("woke up this morning with a fever", "was up at dawn")
_PAST_RE = re.compile(r"\b(?:woke|woken|been|was|were|had|started|threw|spent|kept|came\s+on)\b", re.I)
_OFF_WORDS_RE = re.compile(r"\b(?:can'?t|cannot|won'?t|wont|not\s+(?:coming|gonna|going|in)|off|block\w*)\b", re.I)
_TIME_OF_DAY_RE = re.compile(r"\s*\b(?:(?:this|yesterday|all|the\s+whole)\s+)?(?:morning|afternoon|arvo|evening|night)\b", re.I)


def illness_history_removed(text: str) -> str:
    """`text` without the words that say when a barber fell ill ("all night", "since last night", "this
    morning" in "woke up this morning with a fever"), so the time off is read from the rest ("cant come
    in today": the whole day); the words saying when they are off stay ("cant come in this afternoon")."""
    text = _ILL_SINCE_RE.sub("", text)
    parts = re.split(r"([,;!?]|(?<!\d)\.(?!\d))", text)
    return "".join(_TIME_OF_DAY_RE.sub("", p) if _PAST_RE.search(p) and not _OFF_WORDS_RE.search(p) else p
                   for p in parts).strip()


_TAKE_THE_DAY_RE = re.compile(r"\b(take|taking|need|needing|want|have|having)\s+the\s+day\b(?!\s+off)", re.I)


def _key(shop: Shop, name: str) -> str | None:
    """The key of the barber `name` (a key or a name, lower case) is, or None."""
    return next((b.key for b in shop.barbers if name in (b.key, b.name.lower())), None)


_PEOPLE = (r"(?:\s+(?:all\s+)?(?:my|the|his|her|their)\s+(?:people|clients|customers|bookings|appointments|lot|ones|lads|guys|chair|diary"
           r"|day|regulars|heads|cuts)|\s+(?:them|em|'em|everyone|everybody|me|him|her|for\s+(?:me|him|her)|over))?(?:\s+(?:pls|please|plz))?")


def _cover(shop: Shop) -> re.Pattern[str]:
    """Another barber asked to take the sender's bookings: "can lee take my people", "can sam cover",
    "give them to jo"; the one named group that matched is the barber (`_covering`)."""
    def who(n: int) -> str:
        return rf"(?P<who{n}>" + _names(shop) + r")\b"
    return re.compile(
        r"\b(?:can|could|will|would|maybe|ask|get|have|let|if|might)\s+" + who(1) + r"\s+(?:to\s+)?"
        r"(?:cover|take\s+over|(?:take|do|have|see|mind|look\s+after|pick\s+up|grab)(?=\s+(?:all\s+)?(?:my|his|her|their|them|em|'em|everyone|for\s+(?:me|him|her))\b))"
        + _PEOPLE + r"[?!.]*"
        r"|\b(?:give|pass|hand|send)\s+(?:them|em|'em|everyone|all\s+of\s+them|my\s+\w+)\s+(?:over\s+)?(?:to)\s+" + who(2)
        + r"|\b" + who(3) + r"\s+(?:(?:can|could|will|would)(?:\s+(?:u|you|ya))?|to|might|should)\s+(?:cover|take\s+over|take(?=\s+(?:my|his|her|them)\b))"
        + _PEOPLE
        + r"|\b" + who(4) + r"\s+(?:is\s+|'s\s+|s\s+)?covering(?:\s+for\s+me)?")


ANY_BARBER = "*"  # a `Block.cover` that is no one barber: "shift my clients to the other guys", whoever is free
# the sender's bookings handed to the others, no one named: "shift my thursday clients to the other guys"
_TO_OTHERS_RE = re.compile(
    r"\b(?:shift|move|moving|pass|hand|give|send|transfer|put|switch|swap|split)\s+(?:\S+\s+){0,3}?(?:over\s+)?(?:to|onto|with)\s+"
    r"(?:the\s+)?(?:other|another|others|rest\s+of|someone|somebody|anyone|anybody|whoever|whoevers|whoever'?s)\b")


def _covering(m: re.Match[str]) -> str:
    """The barber a `_cover` match names."""
    return next(v for v in m.groupdict().values() if v)


def _told(shop: Shop) -> re.Pattern[str]:
    """A clause naming a barber as the one told, asked or agreeing, not the one whose time it is:
    "forgot to tell mia", "let mia know", "already cleared it with mia", "mia said its fine"."""
    name = _names(shop) + r"(?:'?s)?\b"
    return re.compile(
        r"(?:\b(?:i\s+)?(?:forgot|forget|forgotten|meant|need|needed|gotta|got|have|had|will|ill|i'?ll)\s+to\s+|\balready\s+)?"
        r"\b(?:tell|told|telling|ask|asked|warn|warned|inform|informed|message|messaged|text|texted|ring|rang|call|called"
        r"|(?:check|checked|sort|sorted|clear|cleared|ok'?d|okayed)\s+(?:it\s+|this\s+|that\s+)?(?:with|w/?)"
        r"|(?:spoke|spoken|talked|chatted)\s+(?:to|with)|(?:run|ran)\s+it\s+(?:by|past))\s+" + name
        + r"(?!\s+(?:he|she|they|that|to|if)\b)"
        r"|\blet\s+" + name + r"\s+know\b"
        r"|\b(?:sorry|soz|sry|thanks|thx|ta|cheers)\s+" + name + r"[\s.!x]*$"  # "... sorry gaz": the one addressed
        r"|" + name + r"\s+(?:(?:said|says)\s+(?:(?:yeah|yes|yep|ok|okay|sure)[\s,]+)?(?:(?:it'?s|its|it\s+is|it\s+was|that'?s|thats)\s+)?(?:ok|okay|fine|cool|sound|good"
        r"|all\s+good|alright|sweet|yes|yeah|yep|no\s+worries|no\s+probs?|no\s+problem)\b|knows\b"
        r"|(?:okayed|ok'?d|approved|agreed|signed\s+(?:it\s+)?off)\b|(?:doesn'?t|don'?t|wont|won'?t)\s+mind\b"
        # "darcy said i can take christmas eve off": who allowed it; the time off is the sender's
        r"|(?:said|says|told\s+me|reckons)(?=\s+(?:that\s+)?(?:i|im|i'?m|me|i'?ll|ill)\s+(?:can|could|may|might|should|am|m|allowed|get|is|are|ok|okay|fine)\b)"
        r"|(?:is\s+|s\s+)?(?:ok|okay|fine|cool|sound|good|happy)\s+with\s+(?:it|this|that)\b)",
        re.I)


# "be in late tmrw like 11ish", "wont be in till 10", "getting in about half 10": the barber gets in then
_ARRIVES_RE = re.compile(r"\b(?:in\s+late|late\s+in|not\s+in|(?:be|get|getting|gets|come|coming|roll|rolling)\s+in"
                         r"|(?:get|getting)\s+there)\b")


def _arrives_at(norm: str, kw: str, u: Understanding) -> int | None:
    """The local time a barber says they get in ("wont be in till 10 tomorrow" -> 600), or None when
    the message says no arrival at a clock time (a number of minutes late, "tell my 11")."""
    if not _ARRIVES_RE.search(kw) or _MINUTES_RE.search(norm) or _BARE_MINUTES_RE.search(norm) or _MY_TIME_RE.search(norm):
        return None
    if u.time is not None:
        return u.time.hour * 60 + u.time.minute
    if u.window is not None and u.window.start_min == 0 and u.window.end_min < 1440:
        return u.window.end_min  # "till 10": the window before it
    if u.window is not None and u.window.end_min >= 1440 and u.window.start_min > 0:
        return u.window.start_min  # "not in till after 11"
    return None


_BLOCK_TYPO_RE = re.compile(r"\b(un)?(?:blok|blck|blokc|bock|blk|blcok)\b", re.I)
_HOURS_TO_RE = re.compile(r"(?<![\d:.])(\d{1,2})\s+to\s+(\d{1,2})(?![\d:.])", re.I)


# a booking moved: "move PZ7X to 1pm", "can u move my 7.15 on thursday to 6", "push my 3pm back to 4"
_MOVE_VERB_RE = re.compile(r"\b(?:move|moving|shift|reschedule|push|bring|change|switch)\b", re.I)
# a booking taken off the books in words: "take him off", "take R55E off pls", "remove it", "bin it"
_REMOVE_RE = re.compile(r"\btake\s+(?:\S+\s+){0,2}?off\b|\b(?:remove|delete|drop|bin|scrap|ditch|axe)\b"
                        r"|\bget\s+rid\s+of\b", re.I)
_REMOVE_CLAUSE_RE = re.compile(r"[\s,.;-]*(?:(?:can|could|would)\s+(?:you|u|ya)\s+)?(?:(?:pls|please|plz|just)\s+)*(?:"
                               + _REMOVE_RE.pattern + r")(?:\s+(?:him|her|them|it|the\s+booking))?(?:\s+(?:pls|please|plz))?", re.I)
_SAME_DAY_RE = re.compile(r"\bsame\s+day\b")
_SAME_TIME_RE = re.compile(r"\bsame\s+time\b")
_WITH_ME_RE = re.compile(r"\b(?:w/?|with|wit)\s+me\b")
_BARE_TO_TIME_RE = re.compile(r"\b(?:to|at|for|til|till)\s+(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?\b(?!\s*(?:st|nd|rd|th|mins?|minutes?)\b)")
# another barber named as the one taking the bookings: "jo can take the kids", "sam will have them"
_TAKER = r"\s+(?:can|could|will|would|should|is\s+gonna|is\s+going\s+to)\s+(?:take|have|do|see|grab|cover)\b"


# the time a booking is at now, beside the one it moves to: "instead of 6:30", "rather than 3pm", "not 10",
# "from 6:30 to 7" (the time after "from" when "to" follows)
_CLOCK = r"\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)?(?:\s*o'?\s*clock)?"
_OLD_TIME_RE = re.compile(r"\b(?:instead\s+of|rather\s+than|not(?:\s+at)?)\s+(?:the\s+)?" + _CLOCK + r"(?!\d)"
                          r"|\bfrom\s+(?:the\s+)?" + _CLOCK + r"(?=\s+(?:to|till|til|until)\b)", re.I)


def move_target(clause: str, shop: Shop, now: dt.datetime) -> tuple[dt.date | None, int | None, str | None, bool]:
    """Where a move's words send a booking ("to 1pm same day", "fri 10:00", "to thursday same time
    w me"): (the day, None for its own; the local minutes, None for its own; the barber named, None
    for its own; whether it is with the sender)."""
    clause = _OLD_TIME_RE.sub(" ", clause)  # "to 7 instead of 6:30", "from 6:30 to 7": 6:30 is where it is now
    u = understand(clause, now=now, shop=shop)
    norm = u.text or clean(clause)
    day = None if _SAME_DAY_RE.search(norm) else read_day(norm, shop, now, u.date).day
    at: int | None = None
    if not _SAME_TIME_RE.search(norm):
        if u.time is not None:
            at = u.time.hour * 60 + u.time.minute
        elif (m := _BARE_TO_TIME_RE.search(norm)) is not None:
            at = _clock_minutes(int(m.group(1)), int(m.group(2) or 0), m.group(3), shop, local_date(shop, now))
    to_me = bool(_WITH_ME_RE.search(norm))
    return day, at, None if to_me else move_to(norm, shop), to_me


def _clause_after(text: str, at: int) -> str:
    """The words of `text` from `at` to the end of that clause (a comma, full stop or the like)."""
    return re.split(r"[,;!?]|\.(?!\d)", text[at:], maxsplit=1)[0]  # "my 7.15" is a time, not a full stop


def move_answer(text: str, shop: Shop, now: dt.datetime) -> Answer:
    """While clashing bookings wait for a word: "move them" as the message says it, to the day,
    time and barber its words name ("move him to thursday same time w me", "move them, jo can take
    the kids", "move him to sam")."""
    verb = _ANSWER_MOVE_RE.search(text)
    day, at, to, to_me = move_target(_clause_after(text, verb.end()), shop, now) if verb else (None, None, None, False)
    if to is None and not to_me:
        taker = re.search(r"(" + _names(shop) + r")\b" + _TAKER, clean(text))
        to = move_to(text, shop) or cover_answer(text, shop) or (_key(shop, taker.group(1)) if taker else None)
    return Answer("move", to, passed_on(text), day, at, to_me)


# a booking named by its day and start: "my 3pm", "my thursday 10:30", "my 11.45 on the 29th", "his 10 tmrw"
_BOOKING_DAY = (r"(?:(?:this|next)\s+)?(?:" + _WEEKDAY.replace("(mon|", "(?:mon|") + r"|today|tomorrow|tmrw|tmr|tmoro|tomoro|tomoz"
                r"|2moro|2morrow|morra|\d{1,2}(?:st|nd|rd|th))(?:'?s)?")
_BOOKING_AT = (r"\b(?:my|the|his|her)\s+(?:" + _BOOKING_DAY + r"\s+)?(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?(?:\s*(?P<ap>am|pm))?"
               r"(?![\d:]|(?:st|nd|rd|th)\b)")


def _booking_move(original: str, shop: Shop, now: dt.datetime, code: str | None) -> MoveBooking | Usage | None:
    """A move of one booking ("move PZ7X to 1pm same day", "can u move my 7.15 on thursday to 6
    instead", "push my thursday 10:30 to 11:30"): named by `code`, else by "my 7.15 (on thursday)"
    right after the verb, or before it with the new time ("my 11.45 on the 29th asked to come in at
    2 instead, move him over"); None when the message names no booking so (`move them` after a
    clash is an answer)."""
    verb = _MOVE_VERB_RE.search(original)
    if verb is None:
        return None
    if code is not None:
        at = original.upper().find(code, verb.end())
        begin = at + len(code) if at >= 0 else verb.end()
        clause = _clause_after(original, begin)
        day, to_min, to, to_me = move_target(clause, shop, now)
        if day is None and to_min is None and to is None and not to_me and at < 0:
            # named before the verb: "client UUBV ask if him can come 5pm friday instead of 6, shift him"
            named = original.upper().find(code)
            if named >= 0:
                day, to_min, to, to_me = move_target(original[named + len(code):verb.start()], shop, now)
        if day is None and to_min is None and to is None and not to_me:
            return Usage("move")
        return MoveBooking(code, day, to_min, to, to_me, reason=_move_reason(original, verb.start(), begin + len(clause), code, shop))
    clause = clean(_clause_after(original, verb.end()))
    ref = re.match(r"\s*(" + _BOOKING_AT + r"(?:\s+\S+){0,3}?)\s+(?=(?:to|til|till|for|back|forward)\b)", clause)
    target = clause[ref.end():] if ref else ""
    if ref is None:  # named before the verb: "my 11.45 on the 29th asked to come in at 2 instead, move him over"
        before = clean(original[:verb.start()])
        ref = re.search(r"(" + _BOOKING_AT + r"(?:\s+(?:on\s+)?(?:the\s+)?" + _BOOKING_DAY + r")?)\b", before)
        target = before[ref.end():] if ref else ""
    if ref is None:  # "my guy on the 19th asked if he can come at 10 instead of 9, pls shift him"
        return _person_move(original, verb, shop, now)
    u = understand(ref.group(1), now=now, shop=shop)
    at_day = read_day(u.text or ref.group(1), shop, now, u.date).day or local_date(shop, now)
    at_min = _clock_minutes(int(ref.group("h")), int(ref.group("m") or 0), ref.group("ap"), shop, at_day)
    day, to_min, to, to_me = move_target(target, shop, now)
    if at_min is None or (day is None and to_min is None and to is None and not to_me):
        return Usage("move")
    return MoveBooking(None, day, to_min, to, to_me, at_day, at_min, _barber_named(ref.group(1), shop, None),
                       _move_reason(original, verb.start(), verb.end() + len(_clause_after(original, verb.end())), None, shop))


# a booking named by its customer and day: "my guy on the 19th", "my client on friday", "the lady tmrw"
_PERSON_ON_DAY_RE = re.compile(
    r"\b(?:my|the|his|her)\s+(?:guy|client|customer|man|lad|fella|fellow|bloke|dude|boy|lady|girl|woman|kid|regular"
    r"|one|booking|appointment|appt|person)\s+(?:(?:on|for|from)\s+)?(?:the\s+)?(?P<day>" + _BOOKING_DAY + r")\b")
_CLOCK_PARTS_RE = re.compile(r"(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?\s*(?P<ap>am|pm)?")


def _person_move(original: str, verb: re.Match[str], shop: Shop, now: dt.datetime) -> MoveBooking | Usage | None:
    """A move of the booking named by its customer and day ("my guy on the 19th asked if he can
    come at 10 instead of 9, pls shift him"): that day's booking at the time it is now (`instead of
    9`, `from 9`), else that day's only one; to where the other words say. None: no booking named so."""
    low = clean(original)
    person = _PERSON_ON_DAY_RE.search(low)
    if person is None:
        return None
    u = understand(person.group("day"), now=now, shop=shop)
    at_day = read_day(u.text or person.group("day"), shop, now, u.date).day
    if at_day is None:
        return None
    old = _OLD_TIME_RE.search(low)
    parts = _CLOCK_PARTS_RE.search(old.group(0)) if old else None
    at_min = _clock_minutes(int(parts["h"]), int(parts["m"] or 0), parts["ap"], shop, at_day) if parts else None
    rest = low[person.end():]
    lead = re.match(r"\s*(?:at\s+)?(" + _CLOCK + r")(?=\s+(?:to|till|til|until)\b)", rest)
    if at_min is None and lead is not None:  # "the kid sat 10am to 11": 10am is where it is now
        parts = _CLOCK_PARTS_RE.search(lead.group(1))
        at_min = _clock_minutes(int(parts["h"]), int(parts["m"] or 0), parts["ap"], shop, at_day) if parts else None
        rest = rest[lead.end():]
    rest = re.sub(r"\b(?:move|moving|shift|reschedule|push|bring|change|switch)\s+(?:him|her|them|it|em)\b", " ", rest)
    day, to_min, to, to_me = move_target(rest, shop, now)
    if day is None and to_min is None and to is None and not to_me:
        return Usage("move")
    return MoveBooking(None, day, to_min, to, to_me, at_day, at_min, None,
                       _move_reason(original, verb.start(), verb.end() + len(_clause_after(original, verb.end())), None, shop))


def _move_reason(original: str, verb_at: int, clause_end: int, code: str | None, shop: Shop) -> str | None:
    """The reason a move gives: the words before its verb and after its clause ("carlos wife called,
    move JMG4 to 7" -> "carlos wife called"), as `cancel_reason` reads a cancel's."""
    before = original[:verb_at]
    if code is not None:
        before = re.sub(r"\b" + re.escape(code) + r"\b", " ", before, flags=re.I)
    words = before.split()
    while words and words[-1].lower().strip(",.!?;:-") in _ASKING and not words[-1].endswith((",", ".")):
        words.pop()
    return cancel_reason([" ".join(words), original[clause_end:]], shop)


# a booking's customer who did not come, as barbers say it: "no show", "hasnt turned up", "never came",
# "didn't show", "was a no show", "stood me up"; never what may still happen ("not coming", "wont make it")
_NO_SHOW_RE = re.compile(
    r"\bno[\s-]?show(?:ed|s)?\b|\bnoshow(?:ed|s)?\b"
    r"|\b(?:didn'?t|didnt|did\s+not|hasn'?t|hasnt|has\s+not|haven'?t|havent|have\s+not|never|not)\s+(?:even\s+|yet\s+)?"
    r"(?:show(?:ed|n)?|turn(?:ed)?\s+up|come|came|arrived?|rock(?:ed)?\s+up|appeared?|pitched\s+up)\b(?!\s+(?:in\s+)?(?:till|til|until)\b)"
    r"|\bstood\s+(?:me|us)\s+up\b")
_DONE_RE = re.compile(r"\b(?:done|completed|finished)\b")


def no_show_said(text: str) -> bool:
    """Whether a barber's message says a customer did not come ("hasnt turned up", "never came", "no
    show"); not the sender ("i didnt come in yesterday")."""
    return any(not _SELF_SUBJECT_RE.search(text[:m.start()]) for m in _NO_SHOW_RE.finditer(text))


# a message's opening time, with up to two words of whose it is ("5:30 buzz guy ", "the 2pm lady ")
_LEADING_TIME_RE = re.compile(r"\s*(?:the\s+)?(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?(?:\s*(?P<ap>am|pm))?(?![\d:]|(?:st|nd|rd|th)\b)"
                              r"(?P<who>)(?:\s+(?!no\b|not\b|never\b|didn|hasn|has\b|was\b|is\b)[a-z']+){0,2}\s+")


def _outcome_at(norm: str, shop: Shop, now: dt.datetime, u: Understanding, status: str, *,
                bare: bool) -> MarkOutcomeAt | None:
    """The booking an outcome names by its start ("my 10.15", "the 2pm", "my 3 o'clock", "lee's
    12pm"; any time said after `noshow`/`done` when `bare`), on the day said (today when none);
    None when no booking time is said."""
    ref = re.search(r"\b(?:my|the|his|her|(?P<who>" + _names(shop) + r")'?s)\s+(?:" + _BOOKING_DAY
                    + r"\s+)?(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?(?:\s*(?P<ap>am|pm))?(?![\d:]|(?:st|nd|rd|th)\b)", norm)
    if ref is None:  # opened with the booking's time: "5:30 buzz guy never showed", "the 2pm lady is done"
        lead = _LEADING_TIME_RE.match(norm)
        if lead is not None and (_NO_SHOW_RE.match(norm, lead.end()) or _DONE_RE.match(norm, lead.end())):
            ref = lead
    today = local_date(shop, now)
    day = read_day(norm, shop, now, u.date).day or today
    if ref is not None:
        at = _clock_minutes(int(ref.group("h")), int(ref.group("m") or 0), ref.group("ap"), shop, day)
        barber = _key(shop, ref.group("who")) if ref.group("who") else None
    elif bare and u.time is not None:
        at, barber = u.time.hour * 60 + u.time.minute, _barber_named(norm, shop, u.barber)
    else:
        return None
    return None if at is None else MarkOutcomeAt(day, at, status, barber)


def _before_cancel(original: str, code: str) -> str:
    """The words before "cancel" in a cancel by code, without the code and the asking that leads
    into it ("luke's missus rang, (can you) cancel WY2L" -> "luke's missus rang")."""
    m = re.search(r"\bcancel\b", original, re.I)
    if m is None:
        return ""
    words = re.sub(r"\b" + re.escape(code) + r"\b", " ", original[:m.start()], flags=re.I).split()
    while words and words[-1].lower().strip(",.!?;:-") in _ASKING and not words[-1].endswith((",", ".")):
        words.pop()
    return " ".join(words)


def _removal_reason(original: str, code: str) -> str | None:
    """The words beside "take CODE off" other than the code and the request: "R55E text me saying he
    cant make friday, take him off pls" -> "text me saying he cant make friday"."""
    rest = re.sub(r"\b" + re.escape(code) + r"\b", " ", original, flags=re.I)
    rest = _REMOVE_CLAUSE_RE.sub(" ", rest)
    rest = " ".join(rest.split()).strip(" ,.-:;!")
    return told_words(rest) if rest else None


# a hand-back in words: "u can take over +61... again", "put +44... back on the bot", "hand +27... back"
_HAND_BACK_RE = re.compile(r"\btake\s+over\b|\bback\s+(?:on|to)\s+(?:the\s+)?bot\b|\b(?:hand|give|pass)\s+(?:\S+\s+){0,3}back\b"
                           r"|\b(?:bot|you|u)\s+can\s+(?:have|answer|deal\s+with|handle)\b|\bover\s+to\s+(?:you|u|the\s+bot)\b")
_HAND_BACK_PHONE_RE = re.compile(r"(?<![\w+])(\+\d[\d\s()-]{6,20}\d)(?!\d)")


# the customer handed to a person, handed back without a number: "u can take him back over", "hand her
# back to the bot", "you can have them back", "put him back on the bot"
_HAND_BACK_THEM_RE = re.compile(
    r"\btake\s+(?:him|her|them|em|'em)\s+(?:back\s+)?over\b|\b(?:take|have)\s+(?:him|her|them|em|'em)\s+back\b(?!\s+(?:to|at|on)\s+\d)"
    r"|\b(?:hand|give|pass|put)\s+(?:him|her|them|em|'em)\s+back\s+(?:over\s+)?(?:to|on)\s+(?:the\s+)?bot\b"
    r"|\b(?:hand|pass)\s+(?:him|her|them|em|'em)\s+back(?:\s+over)?(?:\s+to\s+(?:you|u))?\s*[.!]*$"
    r"|\b(?:you|u|bot)\s+can\s+(?:take\s+over|have\s+(?:him|her|them)|deal\s+with\s+(?:him|her|them))\s+(?:again|now)\b")


def hand_back(text: str) -> HandBack | None:
    """A customer handed back to the bot in words, with their number, or as "him"/"her"/"them" (the
    phone None); None when it is not that."""
    phone = _HAND_BACK_PHONE_RE.search(text)
    if phone is None:
        return HandBack(None) if _HAND_BACK_THEM_RE.search(clean(text)) else None
    if not _HAND_BACK_RE.search(clean(text)):
        return None
    return HandBack(re.sub(r"[\s()-]", "", phone.group(1)))


# every barber's agenda: "everybody's bookings tmrw", "the whole shop's day", "all the barbers' bookings"
_SHOP_AGENDA_RE = re.compile(
    r"\b(?:every\s*(?:one|body)|every\s+barber|all\s+(?:the\s+)?barbers|(?:the\s+)?whole\s+shop|the\s+shop)'?s?'?\s+"
    r"(?:bookings|appointments|agendas?|days?|diar(?:y|ies)|schedules?|lists?|clients|customers)\b"
    r"|^(?:and\s+|n\s+|what\s+about\s+|how\s+about\s+|for\s+)*(?:the\s+)?(?:whole\s+shop|every\s*(?:one|body)(?:\s+else)?|all\s+of\s+(?:them|us)"
    r"|the\s+rest|the\s+others|every\s+barber|all\s+the\s+barbers)\b", re.M)


# the sender's colleagues as a group: "the others", "everyone else", "the rest (of the team)", "the lads", "the team"
_CREW = (r"(?:the\s+)?(?:other\s+(?:barbers|lads|guys|boys|ones)|others|every\s*(?:one|body)\s+else"
         r"|rest(?:\s+of\s+(?:us|them|(?:the\s+)?(?:team|shop|lads|guys|boys|crew|barbers)))?|lads|boys|guys|team|crew)")
# the crew's day asked about: "what have the others got today", "hows the rest of the team looking tmrw", "the lads' bookings"
_CREW_AGENDA_RE = re.compile(
    r"\b(?:what|wat|wot|who|how)(?:'?s|'?ve|\s+(?:have|has|do|does|did|is|are|about))?\s+(?:\S+\s+)?" + _CREW
    + r"(?:'?s)?'?\s+(?:got|have|had|on|looking|look|lookin|doing|booked)\b"
    r"|\b" + _CREW + r"'?s?'?\s+" + _AGENDA_NOUN
    + r"|^(?:and\s+|n\s+|&\s+)?(?:what|how)\s+about\s+" + _CREW + r"\b", re.M)


def shop_follow_up(text: str, shop: Shop) -> bool:
    """Whether a message sent right after an agenda asks the same of the whole shop ("and the whole shop?")
    or of the sender's colleagues ("and everyone else?", "and the lads?"; see `crew_said`)."""
    low = clean(strip_opening(text, shop)).strip(" ?!.,")
    return bool(re.fullmatch(r"(?:and\s+|n\s+|&\s+|what\s+about\s+|how\s+about\s+|wbu\s+|for\s+)*(?:the\s+)?"
                             r"(?:whole\s+shop|every\s*(?:one|body)(?:\s+else)?|all\s+of\s+(?:them|us)|the\s+rest|the\s+others"
                             r"|every\s+barber|all\s+the\s+barbers|shop|" + _CREW + r")(?:'?s)?(?:\s+(?:then|too|pls|please))?", low))


def crew_said(text: str) -> bool:
    """Whether a message about every barber's day means the sender's colleagues only ("the others",
    "everyone else", "the rest", "the lads", "the team"), not the whole shop with the sender."""
    return bool(re.search(r"\b" + _CREW + r"\b", clean(text)))


# days said one beside another: "friday and saturday", "fri or sat", "thurs, fri & sat", "today n tmrw"
_LIST_DAY = r"(?:" + _WEEKDAY.replace("(mon|", "(?:mon|") + r"|today|tomorrow|tmrw|tmr|tmoro|tomoro|tomoz|2moro|2morrow|morra)"
_DAY_LIST_RE = re.compile(r"\b" + _LIST_DAY + r"(?:\s*(?:,|\band\b|\bor\b|&|\+|\bn\b|\bplus\b)\s*(?:(?:also|on|the)\s+)*"
                          + _LIST_DAY + r")+\b")


def _days_of(chain: str, shop: Shop, now: dt.datetime) -> list[dt.date]:
    """Each day a run of day words names, in order, each once."""
    found: list[dt.date] = []
    later = " next week" if re.search(r"\bnext\s+week\b", chain) else ""  # "mon and tue next week"
    for m in re.finditer(r"\b" + _LIST_DAY + r"\b", chain):
        day = understand(m.group(0) + later, now=now, shop=shop).date
        if day is not None and day not in found:
            found.append(day)
    return found


def listed_days(norm: str, shop: Shop, now: dt.datetime) -> list[dt.date]:
    """The days a time-off message lists ("off sick friday and saturday", "i wont be in friday or
    saturday": both; "X, Y and Z": all three), in order; [] when it lists fewer than two."""
    m = _DAY_LIST_RE.search(norm)
    days = _days_of(m.group(0) + (" next week" if re.match(r"\s+next\s+week\b", norm[m.end():]) else ""),
                    shop, now) if m else []
    return days if len(days) > 1 else []


def added_days(text: str, *, shop: Shop, now: dt.datetime) -> list[dt.date]:
    """The days a message sent right after a block adds to it ("and friday!", "sat too", "and
    thurs and fri as well"); [] when it says anything else."""
    low = clean(strip_opening(text, shop)).strip(" ?!.,")
    chain = r"((?:" + _LIST_DAY + r")(?:\s*(?:,|and|&|\+|n|plus)\s*(?:the\s+)?" + _LIST_DAY + r")*)"
    m = re.fullmatch(r"(?:and|n|&|\+|plus|also)\s+(?:also\s+)?(?:on\s+)?(?:the\s+)?" + chain
                     + r"(?:\s+(?:too|as\s+well|also|pls|please))?|(?:the\s+)?" + chain + r"\s+(?:too|as\s+well|also)", low)
    return _days_of(m.group(1) or m.group(2), shop, now) if m else []


def _until_day(norm: str, start: dt.date, shop: Shop, now: dt.datetime) -> dt.date | None:
    """The last day of a time off said as a run of days ("off till saturday incl.", "off wed to fri",
    "sick through friday"): "till"/"until" a day is up to the day before it unless the message
    says it is included (incl., inclusive, or names that day again); None when no later day is said."""
    # not "have to take tomorrow off": "to" before a verb is no run of days
    m = re.search(r"\b(to|till|til|until|untill|through|thru)\s+(?!(?:take|go|be|get|make|come|do|have|leave|stay|cancel"
                  r"|block|see|work|call|book|move|tell|let|put|miss|skip|head|finish|start)\b)(?:and\s+including\s+)?((?:\S+\s*){1,3})", norm)
    if m is None:
        return None
    u = understand(m.group(2), now=now, shop=shop)
    if u.time is not None or u.window is not None:
        return None
    day = read_day(u.text or m.group(2), shop, now, u.date).day
    if day is None or day <= start or (day - start).days > 31:
        return None
    named = _WEEKDAY_RE.search(m.group(2))
    inclusive = (m.group(1) in ("to", "through", "thru") or re.search(r"\bincl\w*|\band\s+including\b", norm)
                 or (named is not None and len(re.findall(r"\b" + named.group(1), norm)) > 1))
    last = day if inclusive else day - dt.timedelta(days=1)
    return last if last > start else None


# clocks said in words or run together: "half 9" (half past nine, as the customer NLU reads it), "quarter
# past 9", "quarter to 10", "930" beside a range word. The customer NLU reads each alone but not as the end
# of a range ("sat half 9 til 11" would be 09:00-11:00), so a barber's message has them written as h:mm.
_HOUR_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
               "ten": 10, "eleven": 11, "twelve": 12}
_SPOKEN_HOUR = r"(?P<h>1[0-2]|0?[1-9]|" + "|".join(_HOUR_WORDS) + r")\b(?![:.]\d)"
_SPOKEN_CLOCK_RE = re.compile(r"\b(?:(?P<half>half)\s+(?:past\s+)?|(?:a\s+)?(?P<quarter>quarter)\s+(?P<rel>past|to|till|til)\s+)"
                              + _SPOKEN_HOUR, re.I)
_RUN_TOGETHER_RE = re.compile(
    r"(?P<pre>\b(?:from|at|between|til|till|until|untill|to|and)\s+|(?<=\d)\s*[-–]\s*)(?P<h>[01]?\d|2[0-3])(?P<m>[0-5][05])\b(?![/.:-]\d)"
    r"|(?<![\w:.£$€/+-])(?P<h2>[01]?\d|2[0-3])(?P<m2>[0-5][05])(?![-/]\d{1,2}[-/])"
    r"(?=\s*(?:am|pm)?\s*(?:til|till|until|untill|to|-|–)\s*\d)", re.I)


def as_clocks(text: str) -> str:
    """`text` with "half 9", "quarter past 9", "quarter to 10" and "930"/"1030" beside a range word
    written as 9:30, 9:15, 9:45, 10:30 (see `_SPOKEN_CLOCK_RE`)."""
    def spoken(m: re.Match[str]) -> str:
        h = _HOUR_WORDS.get(m["h"].lower()) or int(m["h"])
        if m["half"]:
            return f"{h}:30"
        if m["rel"].lower() == "past":
            return f"{h}:15"
        return f"{h - 1 if h > 1 else 12}:45"

    def run_together(m: re.Match[str]) -> str:
        if m["h"] is not None:
            return f"{m['pre']}{int(m['h'])}:{m['m']}"
        return f"{int(m['h2'])}:{m['m2']}"

    return _RUN_TOGETHER_RE.sub(run_together, _SPOKEN_CLOCK_RE.sub(spoken, text))


# Jamaican (and like) speech as plain English, for the commands only: "mi nah go mek it friday" is
# "i wont make it friday", "wah mi have tmrw" is "what i have tmrw", "take me out thursday 12 to 1"
# is "take me off thursday 12 to 1"
_PATOIS = (
    (re.compile(r"\b(?:nah|nuh|naa|na)\s+(?:go|gwaan|gonna)\b", re.I), "wont"),
    (re.compile(r"\b(?:cyaan|cyan|caan)\b", re.I), "cant"),
    (re.compile(r"\bmek\b", re.I), "make"),
    (re.compile(r"\b(?:wah|wha|weh)\b(?=\s+(?:mi|me|i)\b)", re.I), "what"),
    (re.compile(r"\bmi\b(?=\s+(?:wont|cant|have|hav|got|a|deh|did|did|gonna|go|will|waan|want|need|off|sick|not|nah|fi)\b)", re.I), "i"),
    (re.compile(r"\btake\s+me\s+out\b(?=\s+(?:" + _WEEKDAY + r"|today|tomorrow|tmrw|on|for|from|the|this|next|\d))", re.I),
     "take me off"),
)


def patois(text: str) -> str:
    """A barber's message with its Jamaican words said plainly (see `_PATOIS`)."""
    for pattern, plain in _PATOIS:
        text = pattern.sub(plain, text)
    return text


def parse_command(text: str, *, shop: Shop, now: dt.datetime, is_code: Callable[[str], bool] | None = None) -> Command | None:
    """The command a barber's message is (see the module); `is_code(CODE)`: whether a booking has
    that code, so that one written in lower case ("cancel qtwy") is read as the code."""
    original = strip_opening(patois(" ".join((text or "").strip().split())), shop)
    original = _BLOCK_TYPO_RE.sub(r"\1block", original)  # "blok 2moro 3-5", "unblok fri"
    original = as_clocks(original)  # "sat half 9 til 11": from 9:30
    low = clean(original)
    bare = low.rstrip("?!. ")
    if bare in ("help", "commands", "?", "menu", "barber help"):
        return BarberHelp()
    if bare in _YES:
        return Answer("yes")
    if bare in _NO:
        return Answer("no")
    back = hand_back(original)
    if back is not None:  # "u can take over +61491570101 again": as `resume +61491570101`
        return back
    # a message naming one booking is about that booking, never a day off: "move PZ7X to 1pm",
    # "R55E cant make friday, take him off", "can u move my 7.15 on thursday to 6 instead"
    code, after = _code(original, low, is_code)
    named_code = code if code is not None and (any(c.isdigit() for c in code) or is_code is None or is_code(code)) else None
    if named_code and not re.search(r"\b(?:cancel|no[\s-]?show|done)\b", low):
        if _MOVE_VERB_RE.search(low):
            return _booking_move(original, shop, now, named_code)
        if _REMOVE_RE.search(low):
            return CancelCode(named_code, _removal_reason(original, named_code))
    if _MOVE_VERB_RE.search(low) and (moved := _booking_move(original, shop, now, None)) is not None:
        return moved
    for pattern, word in _ANSWER_WORDS:
        if pattern.match(bare) and not (word == "cancel" and re.search(r"\d", bare)):  # "cancel her 3pm": a booking
            return move_answer(original, shop, now) if word == "move" else Answer(word, None, passed_on(original))

    m = re.match(r"^(?:customer|client|who\s+is)\s+(\+[\d\s()-]{7,})$", bare)
    if m:
        return CustomerInfo(re.sub(r"[\s()-]", "", m.group(1)))

    if re.search(r"\b(?:un)?block(?:ed|ing)?\b|\btake\s+(?:me|\w+)\s+off\b", low):
        # "block 3 to 4", "take me off thursday 12 to 1": no barber blocks "ten to four": two hours
        original = _HOURS_TO_RE.sub(r"\1-\2", original)
    original = _TAKE_THE_DAY_RE.sub(r"\1 the day off", original)  # "gonna take the day": the day off
    # the words to pass on are no part of the command: "off thu 24 dec, tell them merry xmas" is the 24th
    passing = _TELL_CLAUSE_RE.search(original)
    u = understand(original[:passing.start()] if passing and passing.start() > 0 else original, now=now, shop=shop)
    norm = u.text or low
    # command words are looked for as written and as the NLU corrected them ("afternon"), since
    # its customer lexicon corrects some barber words away ("working" -> "booking")
    kw = f"{low}\n{norm}"
    today = local_date(shop, now)
    word = norm.split(" ", 1)[0] if norm else ""
    if low.split(" ", 1)[0] in ("block", "off", "unblock", "noshow", "done", "agenda"):
        word = low.split(" ", 1)[0]

    # commands on a booking code come first: "cancel K7Q2 sick today" cancels that booking
    no_show, done = no_show_said(kw), _DONE_RE.search(kw)
    status = "no_show" if no_show else "completed"
    code, after = _code(original, norm, is_code)
    if (no_show or done) and code:
        return MarkOutcome(code, status)
    if no_show or (done and not re.search(r"\bcancel\b", kw)):  # "my 10.15 hasnt turned up", "the 2pm is done"
        marked = _outcome_at(norm, shop, now, u, status, bare=word in ("noshow", "no-show", "done", "completed"))
        if marked is not None:
            return marked
    if (no_show or done) and word in ("noshow", "no-show", "done", "completed"):
        return Usage("noshow")
    if re.search(r"\bcancel\b", kw) and code is not None:
        return CancelCode(code, cancel_reason([_before_cancel(original, code), after], shop))
    if re.search(r"\bcancel\b", kw) and not _CANCEL_ALL_RE.search(kw) and not _UNBLOCK_RE.search(kw):
        at = _cancel_at(original, shop, now, norm, u.date)
        if at is not None:
            return at
    # "my 3 o clock cancelled on me", "my 2pm cant make it": the customer called it off; it goes
    mt = _MY_TIME_RE.search(norm)
    if mt and _THEY_CALLED_OFF_RE.search(kw) and not re.search(r"\b(?:move|moving|reschedule|shift|late|till|until)\b", kw):
        at_min = _clock_minutes(int(mt.group(1)), int(mt.group(2) or 0), mt.group(3), shop, today)
        if at_min is not None:
            on = read_day(norm, shop, now, u.date).day or today
            return CancelAt(on, at_min, original.strip(" .!"), _barber_named(norm, shop, u.barber))

    cover_m = _cover(shop).search(norm)
    cover = _key(shop, _covering(cover_m)) if cover_m else (ANY_BARBER if _TO_OTHERS_RE.search(kw) else None)
    if cover_m:  # "can lee take my people": Lee takes them, the time off is someone else's
        norm = (norm[:cover_m.start()] + " " + norm[cover_m.end():]).strip()
        low = _cover(shop).sub(" ", low).strip()
        original = _cover(shop).sub(" ", clean(original)).strip(" ,")
        kw = f"{low}\n{norm}"
    told = _told(shop)  # "forgot to tell mia", "mia said its fine": who was told, not whose time it is
    told_keys = {_key(shop, n) for m in told.finditer(kw) for n in re.findall(_names(shop), m.group(0))}
    if told_keys:
        norm, low, original = (re.sub(r"(?:\s*,)+", ",", " ".join(told.sub(" ", x).split())) for x in (norm, low, original))
        kw = f"{low}\n{norm}"
    named = _barber_named(norm, shop, None if cover_m or u.barber in told_keys else u.barber)
    group = _group(low, shop)
    if group:  # "me and jo", "sam and lee": the first, and the others beside
        named = group[0]
    got = read_day(norm, shop, now, u.date)

    if word == "unblock" or re.search(r"^(?:remove|delete)\s+(?:the\s+|my\s+)?block\b|\bunblock\b", kw, re.M) \
            or _UNBLOCK_RE.search(kw):
        if got.question:
            return got.question
        if got.day is None:
            return Usage("unblock")
        span = (u.window.start_min, u.window.end_min) if u.window else (0, 1440)
        return Unblock(got.day, span[0], span[1], named, group[1:])

    question = re.search(r"^(?:am\s+i|do\s+i|have\s+i|what|what's|whats|who|who's|whos|how|any|is|are|when|when's|whens)\b", kw, re.M)
    sick = _SICK_RE.search(kw)
    cancel_all = _CANCEL_ALL_RE.search(kw)
    said_norm = norm  # the barber's words as they wrote them, for the reason
    if sick and (when := illness_history_removed(original)) != original:
        # "been throwing up all night, cant come in today": when they fell ill is not the time off
        u = understand(when, now=now, shop=shop)
        norm = u.text or clean(when)
        got = read_day(norm, shop, now, u.date)
    if sick and not _SICK_WORDS_RE.search(sick.group(0)) and not cancel_all \
            and not _SELF_SUBJECT_RE.search(kw[:sick.start()]) and not re.search(r"\bday\s+off\b", kw) \
            and _CUSTOMER_SIDE_RE.search(_OWN_FAMILY_RE.sub(" ", kw)):
        # "he cant make it", "client cant come": the customer, never the barber's sick day (but
        # "cant make it thurs, my kid's got a school thing. cancel my clients" and "im not gonna
        # make it wednesday, kid is sick. need the day off": the sender's)
        return Usage("cancel")
    day_off = re.search(r"^(?:i'?m\s+|i\s+am\s+|im\s+|am\s+)?(?:off|day\s+off)\b|\bday\s+off\b"
                        r"|\b(?:take|taking|need|want|having|have|get|book)\s+(?:\S+\s+){0,3}off\b" + _AWAY + _LEAVE
                        + r"|^" + _person(shop) + r"(?:" + _AND + _person(shop) + r")*"
                        + r"(?:'?s|\s+(?:is|are|r|will\s+be|be|both|all))*\s+(?:off|away|not\s+in)\b"  # "lees off fri", "me and jo off fri"
                        + r"|" + _WHOLE_SHOP_RE.pattern + r"(?:'?s|\s+(?:is|are|r|will\s+be|be|all))*\s+(?:off|away|not\s+in)\b",
                        kw, re.M)  # "everyone off fri", "the whole shop is off the 24th"
    block = re.search(r"\bblock(?:ed|ing)?(?:\s+(?:off|out))?\b", kw)  # "need friday 4 to 5 blocked off"
    leaving = _LEAVING_RE.search(norm) if not u.service else None
    if leaving and not question:  # "sat i need to leave at 1pm": off from then to the end of the day
        left_at = _clock_minutes(int(leaving["h"]), int(leaving["m"] or 0), leaving["ap"], shop, got.day or today)
        if left_at is not None:
            block = leaving
            u = dataclasses.replace(u, window=TimeWindow(left_at, 1440, f"from {left_at // 60:02d}:{left_at % 60:02d}"))
    stranger = _unknown_name(norm, shop) if named is None and not group else None  # "gethin is off fri"
    late = re.search(r"\b(?:late|behind|delayed|running\s+over)\b", kw)
    asks_to_tell = re.search(r"\b(?:tell|let|message|text)\b", kw)  # "r u able to tell my 11 ill be 5 late"
    until = _arrives_at(norm, kw, u)
    if until is not None and named is None and not group and not (block or cancel_all or word == "off" or cover or re.search(r"\bcancel\b", kw)
                                  or (question and not asks_to_tell)):
        # "wont be in till 10 tomorrow", "in late tmrw like 11ish": late for that day's bookings before then
        return Late(0, None, True, got.day if got.day != today else None, until)
    if late and not (block or cancel_all or day_off or (question and not asks_to_tell)):
        return dataclasses.replace(_late(norm, u, shop, today, kw), day=got.day if got.day != today else None,
                                   from_min=u.window.start_min if u.window is not None and u.time is None
                                   and not u.window.label.startswith("late") else None,  # "20 min late wed morning": the lateness
                                   first=bool(_FIRST_ONE_RE.search(kw)))
    if (sick or cancel_all or day_off or block or word == "off" or stranger or cover) and not question:
        if got.question:
            return got.question
        day = got.day or (today if (sick or cancel_all or re.search(r"\bthe\s+day\b", kw)) else None)
        if cover is not None and cover == named:
            cover = None  # "can lee cover, lee is off": no one to hand them to
        listed = listed_days(norm, shop, now) if u.window is None else []
        if listed:  # "off sick friday and saturday", "i wont be in fri or sat": every day said, whole
            def first(text: str) -> str:  # the list as its first day, for the reason read after the day
                return re.sub(_DAY_LIST_RE.pattern, lambda m: m.group(0).split()[0].strip(","), text, flags=re.I)
            return Block(listed[0], 0, 1440, True, _reason(first(said_norm), sick, word, first(original), shop), named or stranger,
                         cancel=bool(sick or cancel_all or day_off or cover), also=group[1:], cover=cover,
                         days=tuple(listed[1:]))
        if day is None:
            return Usage("off" if word == "off" else "block")
        reason = _reason(said_norm, sick, word, original, shop)
        named = named or stranger  # "block gethin wed": refused with the shop's barbers
        if u.window is not None:
            return Block(day, u.window.start_min, u.window.end_min, False, reason, named,
                         cancel=bool(cancel_all), also=group[1:], cover=cover)
        if block and not (sick or cancel_all or day_off) and (u.time is not None or re.search(r"\d", norm.split(" ", 1)[-1])) \
                and not _EXPLICIT_RE.search(norm) and not _WEEKDAY_NUMBER_RE.search(norm):
            return Usage("block")
        start = day
        until_at = re.search(r"\b(?:to|till|til|until|untill|through|thru)\s", norm)
        if until_at and (sick or cancel_all or day_off or word == "off"):  # "off till saturday incl."
            before = norm[:until_at.start()]
            start = read_day(before, shop, now, understand(before, now=now, shop=shop).date).day or today
        last_day = _until_day(norm, start, shop, now) if until_at else None
        return Block(start if last_day else day, 0, 1440, True, reason, named,
                     cancel=bool(sick or cancel_all or day_off or cover), also=group[1:], cover=cover, until=last_day)


    slot_min = _who_at(kw, norm, u, shop, today)
    if slot_min is not None:  # "who got the 11 tmrw", "whos in my chair at 10": the booking then
        return got.question or WhoAt(got.day or today, slot_min, named)
    free_asked = re.search(r"\bnext\s+(?:free|open|available|empty|gap|slot|opening)\b|\bwhen\s+am\s+i\s+(?:next\s+)?free\b"
                           r"|\bfree\s+for\s+me\b|\bmy\s+(?:next\s+)?(?:free\s+(?:time|slot)|gap|opening)\b"
                           r"|\b(?:what\s+times?|when)\s+(?:am\s+i|is\s+\w+|are\s+(?:you|u))\s+free\b", kw)
    # "when am i free thursday afternoon": that day and part of it, never the next free slot
    if free_asked and not re.search(r"\bnext\b", kw) and (got.day not in (None, today) or u.window is not None):
        if got.question:
            return got.question
        w = u.window
        return FreeOn(got.day or today, w.start_min if w else 0, w.end_min if w else 1440, w.label if w else None, named)
    if free_asked:
        return NextFree(named)
    if _NEXT_BOOKING_RE.search(kw):
        return NextBooking(named)  # "who's next", "jo's next client" (the owner)
    if re.search(r"\bwho'?s\s+(?:in|working|on)\b|\bwho\s+(?:else\s+)?is\s+(?:in|working|on)\b|\bwho\s+works\b"
                 r"|\bwho\s+else(?:'s|\s+is)?\s+(?:in|working|on)\b", kw):
        return WhoIsIn(got.day or today) if not got.question else got.question
    if re.search(r"\b(?:my|the|this|next|whole)\s+week\b|\bweek\s+ahead\b|^week\b|" + _names(shop) + r"'?s?\s+week\b",
                 kw, re.M):
        start = today + dt.timedelta(days=7 - today.weekday()) if "next week" in norm else today
        return Week(start, named)

    if (_SHOP_AGENDA_RE.search(kw) or _CREW_AGENDA_RE.search(kw)) and not got.question:
        # "everybody's bookings tmrw": every barber's day; "what have the others got today": the others'
        return Agenda(got.day or today, None, everyone=True, others=crew_said(low))
    agenda_words = re.search(
        r"^(?:agenda|day|bookings|schedule|diary|today|tomorrow|tmrw|yesterday)\b|\bagenda\b"
        r"|^(?:what'?s|whats|wats|wots|what\s+is)\s+on\b|^(?:any\s*(?:1|one|body)|anyone|anybody)\s+(?:booked|coming|in)\b|\bwho'?s\s+(?:booked|coming)\b|\bwho\s+is\s+(?:booked|coming)\b"
        r"|\bmy\s+(?:day|schedule|agenda|diary|bookings|books|appointments|list)\b|\bschedule\b"
        r"|^(?:is\s+there\s+|have\s+i\s+(?:got\s+)?|got\s+|i\s+got\s+)?(?:anything|anythin|any\s+thing|much|owt)\s+on\b"  # "anything on tmrw?"
        r"|^(?:how|what)\S*\s+(?:\S+\s+){0,4}look(?:s|ing|in|in')?\b"  # "whats my saturday look like", "how's tmrw looking"
        r"|\b(?:what|who)(?:'?ve|\s+(?:have|do|did))\s+i\s+(?:got|have|had)\b|^(?:any|my)\s+(?:bookings|appointments)\b"
        r"|\b(?:what|wat|wot|who)(?:'?s|'?ve|\s+has|\s+does|\s+did)\s+\w+\s+(?:got|have|had)\b|\bwhat\s+has\s+\w+\s+(?:got\s+)?on\b"
        r"|^(?:what|wat|wot|who)\s+(?:i|" + _names(shop) + r")\s+(?:got|have|has)\b"  # "what dre got on sunday"
        r"|\b(?:did|do|have)\s+i\s+(?:have|had|got|get|see)\s+(?:anyone|anybody|any\s+(?:bookings|clients|customers))\b"
        r"|\bam\s+i\s+(?:still\s+)?(?:busy|booked|working|free|off|in)\b|\bdo\s+i\s+(?:work|have\s+(?:anyone|anybody|bookings))\b"
        r"|\b(?:show|see|check|view|send|give|pull\s+up|look\s+at|read)\s+(?:me\s+|us\s+)?(?:my|the|\w+'?s?)\s+" + _AGENDA_NOUN
        + r"|\b(?:show|check|view|pull\s+up|look\s+at)\s+(?:me\s+|us\s+)?(?:my\s+)?(?:" + _WEEKDAY
        + r"|today|tomorrow|tmrw|tmr|yesterday)\b"  # "show me friday"
        # a question about one booking of a day: "whos the friday one", "what's the saturday booking"
        + r"|^(?:who|who'?s|whos|who\s+is|what'?s|whats|wats|what\s+is)\s+(?:the|my|that)\s+(?:\S+\s+){1,2}"
          r"(?:one|ones|booking|bookings|appointment|appointments|client|clients|customer|guy|fella|lad)\b"
        + r"|" + _names(shop) + r"'?s?\s+" + _AGENDA_NOUN,
        kw, re.M)
    if agenda_words:
        if got.question:
            return got.question
        if got.day is None and _EXPLICIT_RE.search(norm):
            return Usage("agenda")
        return Agenda(got.day or today, _whose_agenda(norm, agenda_words.re, named, shop))
    if got.day is not None and not u.service and re.fullmatch(r"(?:(?:this|next)\s+)?[a-z0-9/\- ]+", bare) \
            and len(bare.split()) <= 3 and u.intent.value in ("book", "unknown") and u.time is None:
        return Agenda(got.day, named)  # "Tomorrow", "fri", "next monday"
    return None


def _whose_agenda(norm: str, asking: re.Pattern[str], named: str | None, shop: Shop) -> str | None:
    """Whose agenda a question asks for: the barber named in the clause that asks ("whos kirsty got
    on thursday", "lee is out. what has jo got tmrw": Jo's), not one named only in a side remark
    ("what do i got on wednesday? heard luis is out", "what do i have wed, luis is off": the sender's)."""
    if named is None:
        return None
    clauses = [x.strip() for x in re.split(r"[?.!;\n,]+", norm) if x.strip()]
    asked = next((x for x in clauses if asking.search(x)), None)
    if asked is None or len(clauses) < 2:
        return named
    if re.search(_names(shop) + r"(?:'?s)?\b", asked):
        return _barber_named(asked, shop, None)
    sentences = [x for x in re.split(r"[?.!;\n]+", norm) if x.strip()]
    return None if len(sentences) > 1 or re.search(r"\b(?:i|me|my)\b", asked) else named


# the sender's own day or bookings: "my 11.45", "my thursday 10:30", "my books", "my diary"
_OWN_DAY_RE = re.compile(r"\bmy\s+(?:(?:" + _BOOKING_DAY + r")\s+)?(?:\d|(?:day|days|books|bookings|schedule|diary|agenda"
                         r"|appointments|appts|clients|customers|chair)\b)")


def own_day_usage(text: str) -> Usage | None:
    """For a barber's message no command reads: a `Usage` with the commands closest to it when it is
    about the sender's own bookings or day ("push my 10:30 sometime later" -> the move commands;
    "my diary thursday??" -> the agenda's), or says a customer did not come ("mark her as a no show" ->
    noshow and done), so it never reaches the customer's booking menu; None
    when it is not about them ("book me a beard trim with jo")."""
    low = clean(text)
    if no_show_said(low):  # "mark her as a no show", "she never showed up": the outcome commands
        return Usage("noshow")
    if not _OWN_DAY_RE.search(low):
        return None
    if _MOVE_VERB_RE.search(low):
        return Usage("move")
    if re.search(r"\bcancel\b", low) or _REMOVE_RE.search(low):
        return Usage("cancel")
    if _DONE_RE.search(low):
        return Usage("noshow")
    return Usage("agenda")


# a question about who is booked at a time: "who got the 11", "whos my 3 oclock", "who have i got at 2",
# "whos in my chair at 10", "who's sam got at 11"; not which barbers work then ("who's in at 10", "who's on at 2")
_WHO_RE = re.compile(r"^(?:who|who'?s|whos|whose|who'?ve|who\s+(?:is|has|have|do|does|did|got))\b", re.M)
_STAFF_RE = re.compile(r"\bwho(?:'?s|s|se|\s+is)\s+(?:in|on|working|off|about|around)\b(?!\s+(?:\S+\s+)?chair)"
                       r"|\bwho\s+works\b")
_GOT_TIME_RE = re.compile(r"\bgot\s+(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?\b(?!\s*(?:st|nd|rd|th|mins?|minutes?)\b)")


def _who_at(kw: str, norm: str, u: Understanding, shop: Shop, today: dt.date) -> int | None:
    """The local time (minutes) a question about who is booked then names, or None when the message is
    no such question (no time, or it asks which barbers work)."""
    if not _WHO_RE.search(kw) or _STAFF_RE.search(kw) or re.search(r"\bnext\b", kw):
        return None
    mt = _MY_TIME_RE.search(norm) or _GOT_TIME_RE.search(norm)
    if u.time is not None:
        return u.time.hour * 60 + u.time.minute
    if mt is not None:
        return _clock_minutes(int(mt.group(1)), int(mt.group(2) or 0), mt.group(3), shop, today)
    return None


# "actually make that 3:30 to 4:30", "sorry i meant 2-3", "no wait, 4 till 5": the block just added, corrected
_CORRECTION_RE = re.compile(
    r"^(?:(?:actually|sorry|soz|oops|no\s+wait|wait|nah|no|hmm|(?:scrap|cancel|forget)\s+that)\b[\s,.!-]*)*"
    r"(?:(?:make|change)\s+(?:it|that|the\s+block)(?:\s+to)?|i\s+meant|(?:should|it)\s+(?:be|was))?\s*(?=\S)")


def corrected_block(text: str, day: dt.date, *, shop: Shop, now: dt.datetime) -> Block | None:
    """The window a correction of a block on `day`, sent right after it, says the block should
    have ("actually make that 3:30 to 4:30"): on `day` unless another is named; None when the
    message is not such a correction."""
    low = clean(text)
    m = _CORRECTION_RE.match(low)
    if m is None or m.end() == 0:
        return None
    rest = low[m.end():]
    c = parse_command(f"block {rest}", shop=shop, now=now)
    if isinstance(c, Usage):  # no day named: the block's own
        c = parse_command(f"block {day.isoformat()} {rest}", shop=shop, now=now)
    if not isinstance(c, Block) or c.whole_day:
        return None
    return c


# the words around a follow-up of an agenda ("and sam?", "what about lee", "n jo?", "hows friday looking")
_FOLLOW_UP_WORDS = wordlist("""and an n & + plus also so ok okay k cool thanks cheers ta nice sweet what wat wot whats wats
wots what's how hows how's about bout abt wbu hbu same for with then too pls please day agenda diary schedule bookings
looking look lookin like got has have doing on""")
# the words a day is written in, as a follow-up names it ("thursday", "next fri", "the 16th", "tmrw")
_DAY_WORD_RE = re.compile(_WEEKDAY + r"|today|tomorrow|tmrw|tmr|tmoro|tomoro|tomoz|2moro|2morrow|morra|morrow|next|this"
                          r"|the|of|\d{1,2}(?:st|nd|rd|th)?|\d{1,2}/\d{1,2}|(?:" + "|".join(MONTHS) + r")[a-z]*")
_NEXT_DAY_RE = re.compile(r"\b(?:the\s+)?(?:day\s+after|next\s+day)(?:\s+that)?\b")


def agenda_follow_up(text: str, day: dt.date, *, shop: Shop, now: dt.datetime) -> tuple[dt.date | None, str | None] | None:
    """What a message sent right after the agenda of `day` asks of it, when it names only another
    barber and/or another day ("and sam?" -> (None, "sam"), "what about friday" -> (fri, None),
    "n jo thurs?", "and the day after?"); None when it says anything else."""
    low = clean(strip_opening(text, shop)).strip(" ?!.,")
    names = {_key(shop, re.sub(r"'?s$", "", m.group(0))) for m in re.finditer(_names(shop) + r"(?:'?s)?\b", low)}
    if len(names) > 1:
        return None
    rest = re.sub(_names(shop) + r"(?:'?s)?\b", " ", low)
    asked: dt.date | None = None
    if _NEXT_DAY_RE.search(rest):
        asked, rest = day + dt.timedelta(days=1), _NEXT_DAY_RE.sub(" ", rest)
    words = [w for w in re.findall(r"[\w&+/']+", rest) if w not in _FOLLOW_UP_WORDS]
    said = " ".join(words)
    if words and asked is not None:
        return None
    if words:
        if len(words) > 3 or not all(_DAY_WORD_RE.fullmatch(w) for w in words):
            return None
        u = understand(said, now=now, shop=shop)
        asked = read_day(u.text or said, shop, now, u.date).day
        if asked is None or u.time is not None:
            return None
    if asked is None and not names:
        return None
    return asked, next(iter(names), None)


def on_day(text: str, day: dt.date, *, shop: Shop, now: dt.datetime) -> Block | Unblock | None:
    """A block, day off or unblock naming no day ("block 12-1 for lunch"), sent right after the
    sender's agenda of `day`: on `day`; None when it still is no such command."""
    dated = re.sub(r"\b((?:un)?(?:block|blok|blck|blk)(?:\s+(?:me\s+)?(?:off|out))?|off)\b", r"\1 " + day.isoformat(),
                   text, count=1, flags=re.I)
    c = parse_command(dated, shop=shop, now=now)
    return c if isinstance(c, (Block, Unblock)) else None


# "scrap that", "never mind", "actually ill work it": the block just added, taken back
_UNDO_RE = re.compile(
    r"\b(?:scrap|cancel|forget|undo|drop|bin|ditch|remove|delete|unblock|reverse|ignore)\s+(?:that|it|this|the\s+block)\b"
    r"|^(?:undo|unblock)\b|\bnever\s*mind\b|\bnvm\b|\bforget\s+(?:it|about\s+it)\b|\bchanged\s+my\s+mind\b"
    r"|\b(?:i'?ll|ill|i\s+will|i\s+can|gonna|going\s+to|i'?m\s+gonna|im\s+gonna)\s+(?:\w+\s+)?work\s+(?:it|that|then|after\s+all)\b"
    r"|\b(?:i'?ll|ill|i\s+will)\s+be\s+in\s+(?:after\s+all|then|now)\b|\bnot\s+off\s+(?:after\s+all|then)\b")


def undoes_block(text: str) -> bool:
    """Whether a message sent right after a block takes it back ("actually scrap that ill work it",
    "never mind", "undo", "cancel that")."""
    return bool(_UNDO_RE.search(clean(text)))


# what a barber asks to be passed on to the customers: "tell him sorry im off", "say sorry", "let them know im sick"
_TELL = (r"\b(?:(?:tell|telling|message|text|inform)\s+(?:them|him|her|em|'em|every\s*(?:one|body)|the\s+(?:customers?|clients?|guys?|lads?)"
         r"|(?:my|the|his|her)\s+(?:people|lot|customers?|clients?))|let\s+(?:them|him|her|em|'em|every\s*(?:one|body)"
         r"|the\s+(?:customers?|clients?))\s+know|say|saying|message)\b\s*(?:that\s+)?[:,-]?\s*(.+)$")
_TELL_RE = re.compile(_TELL)
_TELL_CLAUSE_RE = re.compile(r"[\s,.;]+(?:and\s+)?(?=(?:tell|telling|let|message|text|inform)\s)" + _TELL[2:], re.I)
_SAY_RE = re.compile(_TELL + r"|\b(?:reason|because|note)\b\s*[:,-]?\s*(.+)$")


def passed_on(text: str) -> str | None:
    """The words a message asks to be passed on to the customers ("cancel them, tell them sorry"
    -> "sorry"), or None when it asks none."""
    return told_words(text) if _TELL_RE.search(text.lower()) else None


def told_words(reason: str | None) -> str | None:
    """The words a barber's reason asks to be passed on, as written: "one, tell him sorry im off"
    -> "sorry im off", "say sorry family emergency" -> "sorry family emergency"; else the reason."""
    if not reason:
        return reason
    said = _TELL_RE.search(reason.lower())
    if said is None:
        return reason
    return _ASKING_TAIL_RE.sub("", reason[said.start(1):]).strip(" .\"'") or None


_BARE_MINUTES_RE = re.compile(r"(?<![:.])\b(\d{1,3})\s+(?:late|behind)\b()")
# a barber still on their way in, not behind with their customers
_ARRIVING_RE = re.compile(
    r"\b(?:gonna|going\s+to|gunna|will|i'?ll|ill|i\s+will|might|may)\s+be\s+(?:\S+\s+){0,3}(?:late|behind)\b"
    r"|\blate\s+(?:in|getting\s+in|to\s+(?:work|the\s+shop))\b|\b(?:get|getting|be)\s+in\b"
    r"|\b(?:car|traffic|bus|train|ferry|stuck|overslept|slept\s+in|on\s+my\s+way|omw|flat\s+tyre|puncture)\b")


# the day's first booking: "late for my first one", "my first client", "the first appointment"
_FIRST_ONE_RE = re.compile(r"\b(?:my|the)\s+(?:very\s+)?first\s+(?:one|client|customer|booking|appointment|appt|cut|guy)\b")


def _late(norm: str, u: Understanding, shop: Shop, today: dt.date, kw: str = "") -> Late:
    # "20 mins", "ill be 10 late"; also in words the NLU was not given ("my 11, tell him im running 20 late")
    mins = _MINUTES_RE.search(norm) or _BARE_MINUTES_RE.search(norm) or _MINUTES_RE.search(kw) or _BARE_MINUTES_RE.search(kw)
    minutes = 15
    if mins:
        minutes = int(mins.group(1)) if mins.group(1) else (30 if "half" in mins.group(2) else 60)
    at = None
    mt = _MY_TIME_RE.search(norm)
    if mt:
        at = _clock_minutes(int(mt.group(1)), int(mt.group(2) or 0), mt.group(3), shop, today)
    elif u.time is not None and not (mins and mins.group(1) and str(u.time.hour) == mins.group(1)):
        at = u.time.hour * 60 + u.time.minute
    return Late(max(1, min(minutes, 240)), at, bool(_ARRIVING_RE.search(kw or norm)))


# the last time said in a block ("11", "5pm", "13:00") and the words after it (no digit among them)
_AFTER_TIMES_RE = re.compile(r"\d(?:\s*(?:am|pm|a\.m\.|p\.m\.))?\s*[,.-]?\s+(?P<rest>[a-z][^\d]*)$")
# words after the time that give no reason: a day, a part of the day, thanks
_NOT_A_REASON = frozenset((*(dt.date(2026, 1, 5 + i).strftime("%A").lower() for i in range(7)), "today", "tomorrow", "tmrw", "tonight", "this", "next", "on", "the", "week",
                           "morning", "afternoon", "evening", "please", "pls", "thanks", "thank", "you", "cheers",
                           "mate", "ta", "and", "for", "me", "o'clock", "oclock", "ish", *MONTHS,
                           # "from 1pm onwards", "1pm till close", "from then on": how long, not why
                           "onwards", "onward", "afterwards", "after", "from", "then", "that", "till", "til", "until",
                           "close", "closing", "end", "of", "rest", "day", "eod", "cob",
                           *(dt.date(2026, i, 1).strftime("%B").lower() for i in range(1, 13))))


# a request run on after the reason: "... a school thing and then also can you do the same for lee"
_ASKING_TAIL_RE = re.compile(r"[\s,]+(?:and\s+)?(?:then\s+)?(?:also\s+)?(?:can|could|would|will)\s+(?:you|u)\b.*$"
                             r"|[\s,]+(?:pls|please|plz|thanks|cheers|ta)\b.*$")
_AFTER_DAY_RE = re.compile(r".*\b(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day|today|tomorrow|tonight|morning|afternoon"
                           r"|evening|off)\b[\s,.-]+(?P<rest>[a-z][^\d]*)$")
_SICK_WORDS_RE = re.compile(_ILLNESS)


def _reason(norm: str, sick: re.Match[str] | None, word: str, original: str = "",
            shop: Shop | None = None) -> str | None:
    """The words a barber gave for their time off, as written ("... tell them: flu, sorry" -> "flu, sorry");
    "off sick" only when they said they are sick; None when they gave none ("off xmas eve, and jo also")."""
    said = _SAY_RE.search(original.lower())
    if said:
        start = said.start(1) if said.group(1) is not None else said.start(2)
        return _ASKING_TAIL_RE.sub("", original[start:]).strip(" .\"'") or None
    if sick and _SICK_WORDS_RE.search(sick.group(0)):
        return "off sick"
    if word == "off" or re.match(r"(?:i'?m|im|i\s+am|am)\s+off\b", norm):  # "off fri my day off": the words after the day
        rest = re.sub(r"^(?:(?:i'?m|im|i\s+am|am)\s+)?off\s+(?:on\s+)?", "", norm)
        rest = re.sub(r"^(?:(?:xmas|christmas|new\s+year'?s?)\s+(?:eve|day)|boxing\s+day)\b\s*", "x ", rest)
        rest = re.sub(r"^(?:(?:this|next)\s+)?\S+\s*", "", rest)
        rest = re.sub(r"^\d{1,2}(?:st|nd|rd|th)?\s+(?:" + "|".join(MONTHS) + r")[a-z]*\s*", "", rest)
        return _said_something(_unaddressed(rest, shop), shop)
    m = re.search(r"\b(?:for|because|reason:?)\s+(.+)$", norm)
    if m:
        return _said_something(_ASKING_TAIL_RE.sub("", m.group(1)).strip(" .,"), shop)
    # "block saturday 9.30 to 11 got the dentist": the words after the last time are the reason
    m = _AFTER_TIMES_RE.search(norm)
    rest = re.sub(r"^(?:" + "|".join(MONTHS) + r")[a-z]*\b[\s,.!-]*", "", m["rest"]) if m else ""
    rest = re.sub(r"^(?:(?:blocked|blocking|block)(?:\s+(?:off|out))?|off|out)\b[\s,.!-]*", "", rest)
    if rest and set(rest.split()) - _NOT_A_REASON:  # "sat 12 dec 9pm, staff dinner", "thu 24 dec, xmas party"
        return rest.strip(" .,!")
    # "block out my thursday morning got a docs appt": no time said, the words after the day are the reason
    if sick:
        return _own_words(original)
    m = _AFTER_DAY_RE.search(norm)
    rest = _unaddressed(_ASKING_TAIL_RE.sub("", re.split(r"[.;!?]", m["rest"])[0]), shop) if m else ""
    # "wont be in tmrw, cancel everyone": a request is no reason
    return rest if rest and not re.search(r"\d", norm) and not _REQUEST_RE.search(rest) and _said_something(rest, shop) else None


def _unaddressed(text: str, shop: Shop | None) -> str:
    """`text` without who it is said to in front ("boss, wedding" -> "wedding", "mia - school run"
    -> "school run") nor its ends' punctuation."""
    names = _names(shop) + r"\b|" if shop else ""
    return re.sub(r"^(?:(?:" + names + _ADDRESS_WORDS + r"\b)[\s,.!-]*)+", "", text.strip(" ,.-!")).strip(" ,.-!")


# words of a time-off message that give no reason: who, which day, asking, the command itself
_NO_REASON_WORDS = _NOT_A_REASON | wordlist("""i i'm im me my myself and also too as well both all whole day days
eve xmas christmas new year years year's boxing off out away not in be will won't wont can't cant cannot come make
it work working sorry please pls plz thanks guys so just sort out bookings booking clients customers can you u
could would them they sick today tonight tomorrow tmrw tmr""") | frozenset(WEEKDAYS) | frozenset(MONTHS)


def _said_something(text: str | None, shop: Shop | None) -> str | None:
    """`text` as a reason, or None when it is only days, names and command words ("christmas eve
    the whole day, and jo also")."""
    if not text:
        return None
    names = {n for b in shop.barbers for n in (b.key, b.name.lower())} if shop else set()
    words = set(re.findall(r"[a-z']+", text.lower())) - names - _NO_REASON_WORDS
    return text if words and not all(re.fullmatch(_WEEKDAY + r"|\d+(?:st|nd|rd|th)?", w) for w in words) else None


# what a barber says before their reason, in the clause that says they can't come: "i cant come in saturday"
_CANT_COME_LEAD = wordlist("""i i'm im cant can't cannot wont won't will not be come make it in work working able to
gonna gunna going coming morra morrow 2moro 2morrow 2mrw tmoro tomoro tomoz tmrow tommorow tommorrow
on this next the today tonight tomorrow tmrw tmr all whole day so sorry guys hey hi salaam salam howzit morning
""")
_REQUEST_RE = re.compile(r"\b(?:sort|cancel|move|reschedule|handle|deal|rebook|bookings|clients|customers|pls|please|plz|can\s+you|could\s+you)\b")
_BECAUSE_RE = re.compile(r"^(?:because|cos|coz|cause|bc|as|since|-)\s+", re.I)


def _own_words(original: str) -> str | None:
    """The reason a barber gave beside "i cant come in saturday", in their own words: "salaam, i
    cant come in saturday theres a family wedding in paarl. pls sort out my bookings" -> "theres a
    family wedding in paarl"; None when every clause is the command, a day, a greeting or a request."""
    for clause in re.split(r"[.;!?,]+", original):
        if _REQUEST_RE.search(clause.lower()):
            continue
        words = clause.split()
        i = 0
        while i < len(words) and (words[i].lower() in _CANT_COME_LEAD or _WEEKDAY_RE.fullmatch(words[i].lower())
                                  or words[i].lower() in _OPENING_WORDS):
            i += 1
        rest = _BECAUSE_RE.sub("", " ".join(words[i:])).strip(" -")
        if rest and set(re.findall(r"[a-z']+", rest.lower())) - _NO_REASON_WORDS:
            return rest
    return None
