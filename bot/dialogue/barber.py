"""Barber commands (SPEC §8): parsed here as plain values; carried out by the engine.

`parse_command(text, today=...)` returns a command, a `Usage` (a command word with bad
arguments, answered with how to write it), or None (not a command: the customer flow).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from bot.bookings import CODE_ALPHABET

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# a weekday as people spell it ("mon", "tues", "thurs", "saturday"), not any word that starts so ("month")
_WEEKDAY = r"(mon|tue|wed|thu|fri|sat|sun)(?:day|s|sday|nesday|rs|rsday|urday|n)?"
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
CODE_RE = re.compile(rf"^[{CODE_ALPHABET}]{{4}}$")
RANGE_RE = re.compile(
    r"(?P<h1>\d{1,2})(?::?(?P<m1>\d{2}))?\s*(?P<a1>am|pm)?\s*(?:-|–|to|until|till)\s*"
    r"(?P<h2>\d{1,2})(?::?(?P<m2>\d{2}))?\s*(?P<a2>am|pm)?\b")


@dataclass(frozen=True)
class Agenda:
    day: dt.date


@dataclass(frozen=True)
class CancelCode:
    code: str
    reason: str | None


@dataclass(frozen=True)
class Block:
    day: dt.date
    start_min: int
    end_min: int
    whole_day: bool
    reason: str | None = None


@dataclass(frozen=True)
class Unblock:
    day: dt.date
    start_min: int
    end_min: int


@dataclass(frozen=True)
class MarkOutcome:
    code: str
    status: str  # completed | no_show


@dataclass(frozen=True)
class BarberHelp:
    pass


@dataclass(frozen=True)
class Usage:
    text: str


Command = Agenda | CancelCode | Block | Unblock | MarkOutcome | BarberHelp | Usage


def parse_day(text: str, today: dt.date) -> tuple[dt.date | None, str]:
    """A day at the start of `text` -> (date, rest of the text). "this fri" is "fri"; "next fri"
    is too, but a week on when today is a Friday."""
    t = text.strip().lower()
    m = re.match(r"(?:(this|next)\s+)?" + _WEEKDAY + r"\b", t)
    if m:
        ahead = (WEEKDAYS.index(m.group(2)) - today.weekday()) % 7
        if m.group(1) == "next" and ahead == 0:
            ahead = 7
        return today + dt.timedelta(days=ahead), t[m.end():]
    m = re.match(r"(today|tomorrow|tmrw|tmr)\b", t)
    if m:
        return today + dt.timedelta(days=0 if m.group(1) == "today" else 1), t[m.end():]
    m = re.match(r"(\d{4})-(\d{1,2})-(\d{1,2})\b", t)
    if m:
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3])), t[m.end():]
        except ValueError:
            return None, t
    m = re.match(r"(mon|tue|wed|thu|fri|sat|sun)[a-z]*\b", t)
    if m:
        ahead = (WEEKDAYS.index(m.group(1)) - today.weekday()) % 7
        return today + dt.timedelta(days=ahead), t[m.end():]
    m = re.match(r"(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)\b(?!\s*(?:/|[a-z]{3}))", t)
    if m:  # "the 5th": this month's, or next month's once it has passed
        for month_ahead in (0, 1):
            year, month = divmod(today.month - 1 + month_ahead, 12)
            try:
                day = dt.date(today.year + year, month + 1, int(m[1]))
            except ValueError:
                continue
            if day >= today:
                return day, t[m.end():]
        return None, t
    m = re.match(r"(\d{1,2})(?:st|nd|rd|th)?\s*(?:/(\d{1,2})|\s+([a-z]{3})[a-z]*)\b", t)
    if m:
        month = int(m[2]) if m[2] else (MONTHS.index(m[3]) + 1 if m[3] in MONTHS else 0)
        try:
            day = dt.date(today.year, month, int(m[1]))
        except ValueError:
            return None, t
        if day < today - dt.timedelta(days=60):
            day = day.replace(year=today.year + 1)
        return day, t[m.end():]
    return None, t


def _hour(h: str, m: str | None, ampm: str | None) -> int | None:
    hour, minute = int(h), int(m or 0)
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    elif ampm is None and m is None and 1 <= hour < 8:
        hour += 12  # "block fri 1-3": the afternoon
    if hour > 24 or minute > 59 or (hour == 24 and minute):
        return None
    return hour * 60 + minute


def parse_range(text: str) -> tuple[int, int] | None:
    m = RANGE_RE.search(text)
    if not m:
        return None
    a2 = m["a2"]
    a1 = m["a1"] or (a2 if a2 and int(m["h1"]) <= int(m["h2"]) < 12 else None)
    start, end = _hour(m["h1"], m["m1"], a1), _hour(m["h2"], m["m2"], a2)
    if start is None or end is None or end <= start:
        return None
    return start, end


# "what's on today?", "who's in tomorrow", "my day", "what have I got friday": the agenda
AGENDA_RE = re.compile(
    r"^(?:what'?s|whats|what\s+is)\s+on\b|\bwho'?s\s+(?:in|booked|coming)\b|\bwho\s+is\s+(?:in|booked|coming)\b"
    r"|\bmy\s+(?:day|schedule|agenda|diary)\b|\bschedule\b|\bwhat\s+(?:have|do)\s+i\s+(?:got|have)\b"
    r"|^(?:any|my)\s+(?:bookings|appointments)\b")
_DAY_WORDS_RE = re.compile(r"\b(?:(?:this|next)\s+)?(?:today|tomorrow|tmrw|tmr|" + _WEEKDAY
                           + r"|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}(?:st|nd|rd|th)?\s*(?:/\d{1,2}|\s+[a-z]{3,})"
                           + r"|(?:the\s+)?\d{1,2}(?:st|nd|rd|th))\b")


def parse_command(text: str, *, today: dt.date) -> Command | None:
    t = " ".join(text.strip().split())
    low = t.lower()
    word, _, rest = low.partition(" ")
    if low in ("help", "commands", "?", "menu"):
        return BarberHelp()
    if low in ("today", "tomorrow", "agenda"):
        return Agenda(today + dt.timedelta(days=1 if low == "tomorrow" else 0))
    if word in ("agenda", "day", "bookings"):
        day, _ = parse_day(rest, today)
        return Agenda(day) if day else Usage("agenda")
    if word == "cancel":
        code, _, reason = t.partition(" ")[2].partition(" ")
        if CODE_RE.match(code.upper()) and (any(c.isdigit() for c in code) or code.isupper()):
            return CancelCode(code.upper(), reason.strip() or None)
        return None  # "cancel my booking": the barber as a customer
    if word in ("noshow", "no-show", "done", "completed") or low.startswith("no show "):
        status = "completed" if word in ("done", "completed") else "no_show"
        code = low.removeprefix("no show ").split(" ")[-1] if low.startswith("no show ") else rest.strip()
        code = code.split(" ")[0].upper() if code else ""
        return MarkOutcome(code, status) if CODE_RE.match(code) else Usage(word)
    if word in ("block", "off", "unblock"):
        day, after = parse_day(rest, today)
        if day is None:
            return Usage(word)
        span = parse_range(after)
        if word == "unblock":
            return Unblock(day, *(span or (0, 1440)))
        if span is None:
            if word == "block" and RANGE_RE.search(after):
                return Usage(word)
            return Block(day, 0, 1440, whole_day=True, reason=after.strip() or None)
        return Block(day, span[0], span[1], whole_day=False)
    if AGENDA_RE.search(low.rstrip("?!. ")):  # after the commands: "cancel K7Q2 schedule clash" cancels
        m = _DAY_WORDS_RE.search(low)
        day = parse_day(m.group(0), today)[0] if m else today
        return Agenda(day) if day else Usage("agenda")
    return None
