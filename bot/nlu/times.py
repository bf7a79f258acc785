"""Times and time windows in a message, with the shop's hours deciding am or pm.

A bare hour ("at 3", "half 4", "4.30") is read as h or h+12: the one inside opening hours
that day (or, with no date, any day of the week); both inside -> ambiguous; neither ->
h+12 for 1-7 and h for 8-12. "12" is noon. Explicit am/pm and 24-hour times are kept.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.nlu.scan import Scan, has_any
from bot.nlu.types import TimeWindow
from bot.shop import Shop, derived

_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
          "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}
_TEENS = {"thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
          "eighteen": 18, "nineteen": 19}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50}
_UNIT = "|".join(w for w in _WORDS if _WORDS[w] < 10)
# minutes said in words after an hour word: "forty", "thirty five", "ten", "o five", "oh five"
_MINW = (r"(?:(?:" + "|".join(_TENS) + r")(?:[\s-](?:" + _UNIT + r"))?|" + "|".join(_TEENS)
         + r"|ten|eleven|twelve|(?:o|oh)[\s']?(?:" + _UNIT + r")|" + _UNIT + r")")
_H = r"(?:\d{1,2}|" + "|".join(_WORDS) + r")"
_AP = r"(?:\s*(?P<ap{n}>am|pm|a\.m\.?|p\.m\.?|a\.?\s?m\b\.?|p\.?\s?m\b\.?)(?![a-z]))?"
_NOT_MORE = r"(?![\d/:]|\.\d|\s*(?:st|nd|rd|th|people|persons?|mins?|minutes|hours?|hrs?|days?|weeks?|months?)\b)"
_NOT_MORE_ = r"(?!\s*(?:st|nd|rd|th|people|persons?|mins?|minutes?|hours?|hrs?|days?|weeks?|months?|years?)\b)"


def _t(n: int) -> str:
    """A clock phrase with numbered groups: 3, 3pm, 3:30, 4.30pm, noon."""
    return (rf"(?:(?P<h{n}>{_H})(?:[:.](?P<m{n}>[0-5]\d)(?::[0-5]\d)?)?" + _AP.format(n=n)
            + rf"|(?P<noon{n}>noon|midnight))")


def _part(n: int) -> str:
    """A part of the day said after an end of a range, as its am or pm: "3 in the morning"."""
    return rf"(?:\s+(?P<dp{n}>in\s+the\s+(?:morning|afternoon|evening)|at\s+night)\b)?"


RANGE_RE = re.compile(r"\b(?:between|from)\s+" + _t(1) + _part(1) + r"\s*(?:and|to|till|until|til|-|–|&)\s*" + _t(2) + r"\b" + _part(2)
                      + r"|(?<![\d:.])" + _t(3) + r"\s*(?:-|–)\s*" + _t(4) + r"\b" + _part(4))
# "5 to 6pm", "4pm till 5pm", "4 til 5pm", "5 to 7 in the morning", "9.30 to 11": a range without
# "from", when am/pm, a part of the day, "till" or minutes say so
TO_RANGE_RE = re.compile(r"(?<![\d:.])\b(?P<h3>\d{1,2})(?:[:.](?P<m3>[0-5]\d))?" + _AP.format(n=3)
                         + r"\s*(?P<to>to|till|til|until)\s*" + _t(4) + r"\b" + _part(4))


def _span(n: int) -> str:
    """How long, in hours and minutes: "2 hours", "2.5 hrs", "3 hours 30 minutes", "45 mins"."""
    return (rf"(?:(?P<dh{n}>\d{{1,2}}(?:\.\d+)?|an?|one|two|three|four)\s*(?:hours?|hrs?)(?:\s*(?:and\s+)?(?P<dhm{n}>\d{{1,2}})\s*"
            rf"(?:minutes?|mins?)|\s+and\s+a\s+(?P<dhh{n}>half))?|(?P<dm{n}>\d{{1,3}})\s*(?:minutes?|mins?))\b")


# "from 2pm for 2 hours", "for 3 hours from 10 am": a window that starts at a time and lasts that long
FOR_SPAN_RE = re.compile(r"\bfrom\s+" + _t(1) + r"\s+for\s+(?:about\s+)?" + _span(1)
                         + r"|\bfor\s+(?:about\s+)?" + _span(2) + r"\s+(?:starting\s+)?(?:from|at)\s+" + _t(2) + r"(?![\d:])")
_SPAN_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4}
HALF_RE = re.compile(r"\bhalf\s+(?:past\s+)?" + _t(1) + r"(?![\d:])")
PAST_TO_RE = re.compile(r"\b(?:(?P<mw>(?:a\s+)?quarter|three\s+quarters|" + _MINW + r")\s+(?:min(?:ute)?s?\s+)?"
                        r"|(?P<md>\d{1,2})\s+(?:(?P<unit>min(?:ute)?s?)\s+)?)"
                        r"(?P<rel>past|to)\s+" + _t(1) + r"(?![\d:])")
# "eight forty", "seven thirty five pm", "eleven five": an hour word and minutes in words
WORD_CLOCK_RE = re.compile(r"\b(?P<hw>" + "|".join([*_WORDS, *_TEENS]) + r")\s+(?P<mw>" + _MINW + r")\b"
                           + _AP.format(n=1) + r"(?![\w-])")
# "4 30", "around 5 30", "1630", "0945": hour and minutes without a separator
SPACED_RE = re.compile(r"(?<![\d:.£$€/+])\b(?P<h1>\d{1,2})\s(?P<m1>[0-5][05])\b" + _AP.format(n=1) + _NOT_MORE_ + r"(?!\s*[/.-]\d)")
HHMM_RE = re.compile(r"(?<![\d:.£$€/+-])\b(?P<h1>[01]\d|2[1-3])(?P<m1>[0-5][05])\b" + _NOT_MORE_)
# an hour right before a part of the day: "8 in the morning", "7, this morning", "10 tonight"
DAYPART_HOUR_RE = re.compile(r"(?<![\d:.£$€/])\b(?P<n>" + _H + r")(?:\s*o'clock)?\s*,?\s*(?=(?:in\s+the\s+|this\s+|at\s+|tomorrow\s+)?"
                             r"(?:morning|afternoon|evening|night|tonight)\b)" + _NOT_MORE_)
_AT_BEFORE_RE = re.compile(r"(?:^|\b(?:at|around|about|by|for|from|till|until|say|like))\s*$")
_OR_RE = re.compile(r"\s*(?:or|/)\s*(?:at\s+)?")
OR_BEFORE_RE = re.compile(r"(?<![\d:.£$€/])\b" + _t(1) + r"\s*(?:or|/)\s*(?:at\s+)?$")
# a second time offered as an alternative: "at 5 or 6", "3pm or 4pm"
OR_TIME_RE = re.compile(r"\s*(?:or|/)\s*(?:at\s+)?" + _t(1) + r"\b" + _NOT_MORE_)
# The customer's own day, not the appointment: "i start work at 10" / "i have to leave by 3" (so
# it must be before then), "i finish at 5" / "i'm at work till 3" (so after then).
_ROLE = r"(?:work|uni|school|class|my\s+shift|the\s+office)"
BUSY_FROM_RE = re.compile(
    r"(?<!can\s)(?<!could\s)(?<!may\s)\b(?:(?:i\s+(?:start|begin|work)|(?:my\s+)?(?:work|shift|school|uni|class|meeting)\s+(?:starts?|begins?)"
    r"|i(?:'ve|\s+have)?(?:\s+got)?\s+(?:work|a\s+meeting|a\s+shift|class|school|uni|an?\s+(?:appointment|interview|flight))"
    r"|i(?:'m|\s+am)\s+(?:due|needed|expected)\s+(?:at|in)\s+" + _ROLE + r")(?:\s+" + _ROLE + r")?\s+(?:at|from|around|about)"
    r"|i\s+(?:have|need|got|gotta|must)(?:\s+to)?\s+(?:leave|go|head\s+off|be\s+(?:at\s+" + _ROLE + r"|in|there|somewhere|out))"
    r"\s+(?:at|by|around|about))\s+" + _t(1) + r"(?![\d:])")
FREE_FROM_RE = re.compile(
    r"\b(?:(?:i\s+(?:finish|knock\s+off|get\s+off|clock\s+off|get\s+out|leave\s+work|get\s+home|get\s+back)"
    r"|(?:work|my\s+shift|school|uni|class|the\s+meeting|my\s+meeting)\s+(?:finishes|ends|is\s+over|gets\s+out))"
    r"(?:\s+(?:of\s+)?" + _ROLE + r")?(?:\s+(?:at|around|about|by))?"
    r"|i\s+(?:don't|do\s+not)\s+(?:finish|get\s+off|get\s+out|knock\s+off)(?:\s+" + _ROLE + r")?\s+(?:until|till|til)"
    r"|i(?:'m|\s+am)\s+(?:at\s+" + _ROLE + r"|working|busy|stuck(?:\s+at\s+" + _ROLE + r")?|in\s+(?:a\s+)?(?:meetings?|class|uni|school)"
    r"|tied\s+up)\s+(?:until|till|til)|i\s+work\s+(?:until|till|til)"
    r"|i(?:'m|\s+am)\s+(?:done|finished|off)(?:\s+(?:with\s+)?" + _ROLE + r")?\s+(?:at|by|around|about))\s+" + _t(1) + r"(?![\d:])")
_OWN_DAY_WORDS = ("start", "begin", "work", "finish", "off", "shift", "school", "uni", "class", "meeting",
                  "leave", "busy", "done", "out", "home", "back", "due", "stuck", "tied", "got", "have")
AFTER_RE = re.compile(r"\b(?:after|from|later\s+than|not\s+before)\s+" + _t(1) + r"(?![\d:])" + r"|\b" + _t(2) + r"\s*(?:onwards|or\s+later)\b")
BEFORE_RE = re.compile(r"\b(?:before|by|earlier\s+than|until|till|til|no\s+later\s+than)\s+(?:like\s+|about\s+|around\s+)?" + _t(1) + r"(?![\d:])")
EXPLICIT_RE = re.compile(r"(?<![\d:.£$€])\b(?P<h1>\d{1,2})(?:[:.]?(?P<m1>[0-5]\d)(?::[0-5]\d)?)?\s*"
                         r"(?P<ap1>am|pm|a\.m\.?|p\.m\.?|a\.?\s?m\b\.?|p\.?\s?m\b\.?)(?![a-z])")
CLOCK_RE = re.compile(r"(?<![\d:.£$€/])\b(?P<h1>\d{1,2})[:.](?P<m1>[0-5]\d)(?::[0-5]\d)?(?![\d:/])(?!\.\d)")
H_RE = re.compile(r"\b(?P<h1>\d{1,2})h(?P<m1>[0-5]\d)?\b")
NOON_RE = re.compile(r"\b(?P<noon1>noon|midnight|mid[-\s]?night|mid[-\s]?day)(?:\s*-?\s*ish)?\b")
# the middle of a part of the day, said as a time
MID_RE = re.compile(r"\bmid[-\s]?(?P<part>morning|afternoon)\b")
AT_RE = re.compile(r"(?:\b(?:at|around|round|about|say|abt|arnd|(?<!d\s)(?<!\bi\s)(?<!we\s)like|(?:can|could)\s+(?:we|you|i)\s+do|make\s+it|(?:change|move|push)\s+(?:it\s+)?to"
                   r"|chance\s+of|instead\s+of|how\s+about|what\s+about)\s+|@\s*|~\s*)(?P<n>\d{3,4}|" + _H + r")(?:\s*(?:o'clock|ish))?\b" + _NOT_MORE)
# "move my haircut to 11", "push my 10am to 11": the hour after "to", anywhere after a move verb
# (AT_RE only knew "move it to 11"; with the service in between the hour was lost)
MOVE_TO_RE = re.compile(r"\b(?:change|changing|move|moving|push|shift|reschedul\w*|bring|switch|swap)\b[^.?!]{0,40}?\bto\s+"
                        r"(?P<n>\d{3,4}|" + _H + r")(?:\s*(?:o'clock|ish))?\b" + _NOT_MORE)
OCLOCK_RE = re.compile(r"\b(?P<n>" + _H + r")\s*-?\s*(?:o'clock|ish|or\s+so)\b")
# an hour said as a correction: "at 9 no sorry 11", "but 11 instead", "10 i mean 11"
CORRECTED_RE = re.compile(r"(?:\b(?:no|nah|sorry|actually|i\s+mean|i\s+meant|or\s+rather|wait|scratch\s+that)\b[\s,.!]*)+"
                          r"(?P<n>\d{3,4}|(?!one\b)" + _H + r")\b" + _NOT_MORE + r"(?!\s*(?:people|of\s+us))")
_REPLACED_RE = re.compile(r"\b(?:instead\s+of|rather\s+than|not)\s+(?:at\s+|the\s+)?$")
_BOUND_BEFORE_RE = re.compile(r"\b(?:till|til|until|while|before|finish(?:es)?\s+at|off\s+at|(?:i\s+)?start(?:\s+work)?\s+at"
                              r"|work\s+(?:starts\s+)?at|shift\s+(?:starts\s+)?at"
                              # "got a standup at 2", "have a meeting at 3": their own appointment
                              r"|(?:got|have|has|i've\s+got)\s+(?:a|an|my|the)\s+[a-z]+(?:\s+[a-z]+)?\s+at)\s+(?:about\s+|around\s+)?$")
_THEIR_OWN_AT_RE = re.compile(r"(?:\b(?:got|have|has|i've\s+got|he's\s+got|she's\s+got)\s+(?:a|an|my|his|her|the)\s+"
                              r"(?!appointment|booking|appt|slot|haircut|cut)[a-z]+(?:\s+[a-z]+)?\s+at"
                              # "game is at 1", "his practice starts at 4": their own plans
                              r"|\b(?:game|match|practice|training|class|school|work|shift|flight|meeting|wedding|party)\s+"
                              r"(?:is|starts|'s|begins|finishes|ends)\s+at)\s+(?:about\s+|around\s+)?$")
# "i booked for my son saturday at 10 ... push it to the afternoon": the booking's own time
_BOOKED_AT_RE = re.compile(r"\b(?:i|we)\s+(?:booked|have\s+a\s+booking|got\s+a\s+booking)\b[^.?!]{0,40}?\bat\s+$")
BARE_OR_RE = re.compile(r"(?<![\d:.£$€/])\b(?P<n>\d{1,2})\s+or\s+(?P<m>\d{1,2})\b" + _NOT_MORE + r"(?!\s*(?:people|of\s+us|days|weeks))")


INSTEAD_RE = re.compile(r"\b(?P<n>\d{3,4}|(?!one\b)" + _H + r")\s+instead\b")  # not "my saturday one instead"
AFTER_DATE_RE = re.compile(r"\s*,?\s*(?P<n>\d{1,2})\b" + _NOT_MORE + r"(?!\s*(?:am|pm|h\b|o'clock))")
# an hour right before "tonight" (read by the date rules): "10, tonight", "8 tonight"
BEFORE_TONIGHT_RE = re.compile(r"(?<![\d:.£$€/])\b(?P<n>" + _H + r")(?:\s*o'clock)?\s?,?\s?$")
# an hour word and am/pm: "seven pm", "eleven a.m."
WORD_AP_RE = re.compile(r"\b(?P<h1>" + "|".join(_WORDS) + r")" + _AP.format(n=1).removesuffix("?") + r"(?!\s+i\b)")
# "sat am", "tomorrow pm": am/pm right after a date is half a day (elsewhere "am" is a verb)
DATE_HALF_RE = re.compile(r"\s+(?P<ap>am|pm|a\.m\.?|p\.m\.?)(?![a-z])"
                          r"(?=\s*(?:$|[?!.,;)]|(?:for|please|pls|with|then|ok|if|slot|appointment|works?|is|any)\b))")
# "earliest", "early", "as early as possible" on a day named: the first thing that day
EARLIEST_RE = re.compile(r"\bearl(?:iest|y)\b|\bas\s+early\s+as\b")
WINDOW_WORDS_RE = re.compile(r"\b(?:(?P<part>early|late)[-\s]+)?(?P<w>morning|afternoon|evening|night|tonight|lunch|first\s+thing|after\s+lunch|after\s+work)s?\b")

# What every match of a time pattern holds (tests/nlu/test_nlu_prechecks.py): `_t()` and `_H`
# start where a word starts in every pattern but the "3-4" range.
_CLOCKISH_RE = re.compile(r"\d|\b(?:" + "|".join([*_WORDS, *_TEENS]) + r"|noon|mid)")
_DIGIT_RE = re.compile(r"\d")  # any Unicode digit, as the patterns' \d
_MOVE_STEMS = ("chang", "mov", "push", "shift", "reschedul", "bring", "switch", "swap")
_WINDOW_STEMS = ("morning", "after", "evening", "night", "lunch", "first")


@dataclass(frozen=True)
class Clock:
    h: int
    m: int
    ap: str | None  # "am", "pm" or None
    fixed: bool  # 24-hour or noon: no am/pm question
    literal: bool = False  # written like a 24-hour clock ("10:35", "10h35"): taken as is when both fit


@dataclass
class TimeResult:
    time: dt.time | None = None
    window: TimeWindow | None = None
    ambiguous: bool = False
    options: tuple[dt.time, ...] = ()  # "at 5 or 6": each time offered, in the order said


def _clock(m: re.Match[str], n: int) -> Clock | None:
    d = m.groupdict()
    if d.get(f"noon{n}"):
        return Clock(0 if "night" in d[f"noon{n}"] else 12, 0, None, True)
    raw = d.get(f"h{n}")
    if raw is None:
        return None
    h = _WORDS[raw] if raw in _WORDS else int(raw)
    mins = int(d[f"m{n}"]) if d.get(f"m{n}") else 0
    ap = (d.get(f"ap{n}") or "")[:1]
    ap = {"a": "am", "p": "pm"}.get(ap) if ap else None
    if h > 23 or (ap and h > 12 and h != 0 and ap == "am"):
        return None
    fixed = h == 0 or h >= 13 or (raw.startswith("0") and len(raw) == 2)
    text = m.group(0)
    literal = ap is None and (":" in text or re.search(r"\dh", text) is not None)
    return Clock(h, mins, ap, fixed, literal)


def _said_part(c: Clock | None, part: str | None) -> Clock | None:
    """`c` with the am or pm a part of the day said after it gives ("3 in the morning" is 03:00,
    "10 at night" 22:00, "1 at night" 01:00)."""
    if c is None or part is None or c.ap or c.fixed or c.h > 12:
        return c
    am = "morning" in part or ("night" in part and (c.h < 6 or c.h == 12))
    return Clock(c.h, c.m, "am" if am else "pm", False)


def _intervals(shop: Shop, weekdays: Iterable[int]) -> tuple[tuple[int, int], ...]:
    out = []
    for wd in weekdays:
        for h in [shop.hours.get(wd), *(shop.barber_hours(b, wd) for b in shop.barbers)]:
            if h:
                out.append(h)
    return tuple(out)


@dataclass(frozen=True)
class _Day:
    """What read_times needs of the shop's hours on one weekday (or on any day)."""

    spans: tuple[tuple[int, int], ...]
    windows: dict[str, TimeWindow]  # _word_window(word, spans) for each window word
    pm: TimeWindow  # "sat pm": noon to closing time, past the afternoon's 17:00


_WINDOW_WORDS = ("morning", "afternoon", "evening", "night", "tonight", "lunch", "first thing", "after lunch", "after work")
def _day(shop: Shop, date: dt.date | None) -> _Day:
    """The day's hours and windows (Monday..Sunday, then "no date": every day's), worked out once
    per shop."""
    days = derived(shop, "nlu days", lambda s: tuple(_build_day(s, (wd,)) for wd in range(7)) + (_build_day(s, range(7)),))
    return days[date.weekday() if date else 7]


def _build_day(shop: Shop, weekdays: Iterable[int]) -> _Day:
    spans = _intervals(shop, weekdays)
    closes = max((e for _, e in spans), default=1440)
    return _Day(spans, {w: _word_window(w, spans) for w in _WINDOW_WORDS}, TimeWindow(720, max(closes, 1020), "afternoon"))


def resolve(c: Clock, spans: Sequence[tuple[int, int]], window: TimeWindow | None, strict: bool) -> tuple[int | None, bool]:
    """Minutes from midnight for a clock phrase, and whether am/pm is a question."""
    if c.ap == "am":
        return (0 if c.h == 12 else c.h) * 60 + c.m, False
    if c.ap == "pm":
        return (c.h + 12 if c.h < 12 else c.h) * 60 + c.m, False
    if c.fixed or c.h == 12:
        return c.h * 60 + c.m, False
    am, pm = c.h * 60 + c.m, (c.h + 12) * 60 + c.m
    if window:
        inside = [x for x in (am, pm) if window.contains(x)]
        if len(inside) == 1:
            return inside[0], False
        if not inside:  # "7 in the morning" before opening: the half of the day nearer the window
            near_am, near_pm = _gap(am, window), _gap(pm, window)
            if near_am != near_pm:
                return (am if near_am < near_pm else pm), False
    a_in = any(s <= am < e for s, e in spans)
    p_in = any(s <= pm < e for s, e in spans)
    if a_in != p_in:
        return (am if a_in else pm), False
    if a_in and p_in and c.literal:
        return am, False  # "10:35" in a shop open at both: the clock as written
    if a_in and p_in and strict:
        return None, True
    if spans and not a_in and not p_in and 1 <= c.h <= 7:  # "sat at 730", open 08:00-14:00: the half nearer the hours
        near_am = min(max(s - am, am - e + 1, 0) for s, e in spans)
        near_pm = min(max(s - pm, pm - e + 1, 0) for s, e in spans)
        if near_am != near_pm:
            return (am if near_am < near_pm else pm), False
    return (pm if 1 <= c.h <= 7 else am), False


def _gap(minute: int, window: TimeWindow) -> int:
    return max(window.start_min - minute, minute - window.end_min + 1, 0)


def _word_number(words: str) -> int:
    """ "forty" -> 40, "thirty five" -> 35, "o five" -> 5, "quarter" -> 15 (a pattern checked the words)."""
    total = 0
    for w in re.split(r"[\s'-]+", words):
        if w in ("o", "oh", "a"):
            continue
        total += _WORDS.get(w) or _TEENS.get(w) or _TENS.get(w) or {"quarter": 15, "quarters": 15, "half": 30}.get(w, 0)
    return total


def _fmt(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def day_window(shop: Shop, date: dt.date | None, label: str) -> TimeWindow | None:
    """The named window `label` ("morning", "evening", ...) on `date`'s own hours; None for one of
    exact times ("after 17:00"). A morning read for Friday (opening 09:00) starts at 08:00 on a
    Saturday that opens at 08:00."""
    return next((w for w in _day(shop, date).windows.values() if w.label == label), None)


def _word_window(word: str, spans: Sequence[tuple[int, int]]) -> TimeWindow:
    opens = min((s for s, _ in spans), default=0)
    closes = max((e for _, e in spans), default=1440)
    word = " ".join(word.split())
    table = {
        "morning": (min(opens, 720), 720), "afternoon": (720, 1020),
        "evening": (1020, max(closes, 1020 + 15)), "tonight": (1020, max(closes, 1020 + 15)),
        "night": (1020, max(closes, 1020 + 15)),
        "lunch": (720, 840), "first thing": (opens, opens + 120),
        "after lunch": (840, 1440), "after work": (1020, 1440),
    }
    s, e = table[word]
    label = "evening" if word in ("tonight", "night") else "lunchtime" if word == "lunch" else word
    return TimeWindow(s, min(e, 1440), label)


def read_times(scan: Scan, *, shop: Shop, date: dt.date | None, date_ends: list[int],
               today_window: str | None = None, tonight_at: int | None = None) -> TimeResult:
    day = _day(shop, date)
    spans = day.spans
    result = TimeResult()
    clocks: list[tuple[int, Clock]] = []  # (position, clock) of start-time phrases
    ends: dict[int, int] = {}  # where each clock phrase ends, by its position

    def rng(m: re.Match[str]) -> bool:
        g = m.groupdict()
        n = 1 if g.get("h1") or g.get("noon1") else 3
        a, b = _said_part(_clock(m, n), g.get(f"dp{n}")), _said_part(_clock(m, n + 1), g.get(f"dp{n + 1}"))
        if a is None or b is None:
            return False
        if b.ap and not a.ap and not a.fixed and a.h < 12:
            a = Clock(a.h, a.m, b.ap if (a.h < b.h or b.h == 12) else "am", False)
        s, _ = resolve(a, spans, None, strict=False)
        e, _ = resolve(b, spans, None, strict=False)
        if s is None or e is None:
            return False
        if e <= s and e + 720 <= 1440 and not b.ap and not b.fixed:
            e += 720
        if e <= s:
            return False
        result.window = TimeWindow(s, e, f"between {_fmt(s)} and {_fmt(e)}")
        return True

    def for_span(m: re.Match[str]) -> bool:
        n = 1 if m["h1"] or m["noon1"] else 2
        c = _clock(m, n)
        if c is None:
            return False
        s, _ = resolve(c, spans, None, strict=False)
        if s is None:
            return False
        if m[f"dm{n}"]:
            minutes = int(m[f"dm{n}"])
        else:
            raw = m[f"dh{n}"]
            minutes = round(float(raw) * 60) if raw[0].isdigit() else _SPAN_WORDS[raw] * 60
            minutes += int(m[f"dhm{n}"] or 0) + (30 if m[f"dhh{n}"] else 0)
        if not minutes > 0 or s + minutes > 1440:
            return False
        result.window = TimeWindow(s, s + minutes, f"between {_fmt(s)} and {_fmt(s + minutes)}")
        return True

    def half(m: re.Match[str]) -> bool:
        c = _clock(m, 1)
        if c is None or c.m or c.h > 12:
            return False
        clocks.append((m.start(), Clock(c.h, 30, c.ap, False)))
        ends[m.start()] = m.end()
        return True

    def past_to(m: re.Match[str]) -> bool:
        c = _clock(m, 1)
        if m["md"] and m["rel"] == "to" and not m["unit"]:
            return False  # "5 to 6" is a range, not 17:55
        if m["mw"] == "one" and m["rel"] == "to" and not m["unit"]:
            return False  # "move me friday one to 5": the Friday one, to 5
        mw = " ".join((m["mw"] or m["md"]).split())
        mins = int(mw) if mw.isdigit() else 45 if mw == "three quarters" else _word_number(mw)
        ends[m.start()] = m.end()
        if c is None or c.m or c.h > 12 or not 0 < mins < 60:
            return False
        if m["rel"] == "past":
            clocks.append((m.start(), Clock(c.h, mins, c.ap, False)))
        else:
            h = c.h - 1 if c.h > 1 else 12
            clocks.append((m.start(), Clock(h, 60 - mins, c.ap, False)))
        return True

    def after(m: re.Match[str]) -> bool:
        c = _clock(m, 1) or _clock(m, 2)
        if c is None:
            return False
        s, _ = resolve(c, spans, None, strict=False)
        result.window = result.window or TimeWindow(s or 0, 1440, f"after {_fmt(s or 0)}")
        return True

    def before(m: re.Match[str]) -> bool:
        c = _clock(m, 1)
        if c is None:
            return False
        e, _ = resolve(c, spans, None, strict=False)
        if not e:
            return False
        result.window = result.window or TimeWindow(0, e, f"before {_fmt(e)}")
        return True

    def clock(m: re.Match[str]) -> bool:
        c = _clock(m, 1)
        if c is None:
            return False
        clocks.append((m.start(), c))
        ends[m.start()] = m.end()
        return True

    def word_clock(m: re.Match[str]) -> bool:
        h, mins = _word_number(m["hw"]), _word_number(m["mw"])
        ap = {"a": "am", "p": "pm"}.get((m["ap1"] or "")[:1])
        if not 0 < mins < 60 or (ap == "am" and h > 12):
            return False
        clocks.append((m.start(), Clock(h, mins, ap, h >= 13)))
        ends[m.start()] = m.end()
        return True

    def mid(m: re.Match[str]) -> bool:
        clocks.append((m.start(), Clock(10 if m["part"] == "morning" else 14, 0, None, True)))
        ends[m.start()] = m.end()
        return True

    def hour(raw: str, at: int, end: int) -> bool:
        if raw in _WORDS:
            h, mins = _WORDS[raw], 0
        elif len(raw) >= 3:
            h, mins = int(raw[:-2]), int(raw[-2:])
            if h > 23 or mins > 59:
                return False
            clocks.append((at, Clock(h, mins, None, len(raw) == 4 or h == 0 or h >= 13)))
            ends[at] = end
            return True
        else:
            h, mins = int(raw), 0
        if h > 23:
            return False
        clocks.append((at, Clock(h, mins, None, h == 0 or h >= 13)))
        ends[at] = end
        return True

    def number(m: re.Match[str]) -> bool:
        return hour(m["n"], m.start("n"), m.end())

    # Each pattern is tried only when the text holds what every match of it contains: a time
    # phrase needs a digit, an hour word at the start of a word, "noon" or "midnight"
    # (`_CLOCKISH_RE`), so "any slots friday afternoon for a beard trim?" runs none of them.
    # Taken spans only become blanks: a word missing from the text at
    # the start stays missing. "3-4" needs no word boundary, so the range runs on any dash.
    def own_day(m: re.Match[str], busy_from: bool) -> bool:
        c = _clock(m, 1)
        if c is None:
            return False
        t, _ = resolve(c, spans, None, strict=False)
        if not t:
            return False
        window = TimeWindow(0, t, f"before {_fmt(t)}", done_by=True) if busy_from else TimeWindow(t, 1440, f"after {_fmt(t)}")
        result.window = result.window or window
        return True

    text = scan.text
    clockish = _CLOCKISH_RE.search(text) is not None
    digit = clockish and _DIGIT_RE.search(text) is not None
    if clockish and has_any(text, _OWN_DAY_WORDS):  # a time of their own day, not the booking's
        scan.take_all(BUSY_FROM_RE, lambda m: own_day(m, True))
        scan.take_all(FREE_FROM_RE, lambda m: own_day(m, False))
    if clockish and "for" in text and has_any(text, ("h", "min")):
        scan.take_all(FOR_SPAN_RE, for_span)
    if (clockish and has_any(text, ("between", "from"))) or "-" in text or "–" in text:
        scan.take_all(RANGE_RE, rng)
    if digit and has_any(text, ("to", "til", "until")):
        # "to" makes a range when it cannot be minutes before an hour ("ten to 5" is 16:50): am/pm
        # or a part of the day says so, or an end has minutes ("9.30 to 11", "2 to 3:30")
        scan.take_all(TO_RANGE_RE, lambda m: bool(m["to"] != "to" or m["ap4"] or m["dp4"] or m["m3"] or m["m4"])
                      and rng(m))
    if clockish:
        if "half" in text:
            scan.take_all(HALF_RE, half)
        if "past" in text or "to" in text:
            scan.take_all(PAST_TO_RE, past_to)
        scan.take_all(WORD_CLOCK_RE, word_clock)
        if "m" in text:
            scan.take_all(WORD_AP_RE, clock)
        if has_any(text, ("after", "from", "later", "before", "onwards")):
            scan.take_all(AFTER_RE, after)
        if has_any(text, ("before", "by", "earlier", "til", "later")):
            scan.take_all(BEFORE_RE, before)
        if digit:
            if "m" in text:
                scan.take_all(EXPLICIT_RE, clock)
            if ":" in text or "." in text:
                scan.take_all(CLOCK_RE, clock)
            if "h" in text:
                scan.take_all(H_RE, clock)
        if "noon" in text or "mid" in text:
            scan.take_all(NOON_RE, clock)
        if digit:
            scan.take_all(SPACED_RE, clock)
            scan.take_all(HHMM_RE, clock)
        if has_any(text, ("morning", "afternoon", "evening", "night")):
            # "two in the afternoon", "at one tomorrow afternoon"; not "the oap one thursday morning"
            scan.take_all(DAYPART_HOUR_RE, lambda m: (m["n"][0].isdigit() or _AT_BEFORE_RE.search(scan.text, 0, m.start()) is not None)
                          and number(m))
        scan.take_all(AT_RE, number)
        if has_any(text, _MOVE_STEMS):
            scan.take_all(MOVE_TO_RE, number)
        if "o'clock" in text or "ish" in text or "or so" in text:
            scan.take_all(OCLOCK_RE, number)
        if date is not None and " or " in text:  # "sat, reckon 10 or 11": two hours, both offered
            scan.take_all(BARE_OR_RE, lambda m: hour(m["n"], m.start("n"), m.end("n")) and hour(m["m"], m.start("m"), m.end()))
        if has_any(text, ("no", "nah", "sorry", "actually", "mean", "rather", "wait", "scratch", "instead")):
            scan.take_all(CORRECTED_RE, number)
            scan.take_all(INSTEAD_RE, number)
    if "mid" in text:
        scan.take_all(MID_RE, mid)
    if not clocks and clockish and tonight_at is not None:
        m = BEFORE_TONIGHT_RE.search(scan.text, 0, tonight_at)
        if m and number(m):  # "10, tonight": the hour said before it
            scan.take(m)
    if not clocks and digit:
        for end in date_ends:
            m = AFTER_DATE_RE.match(scan.text, end)
            if m and number(m):
                scan.take(m)
                break
    if result.window is None and not clocks:
        for end in date_ends:
            m = DATE_HALF_RE.match(scan.text, end)
            if m:
                scan.take(m)
                result.window = day.windows["morning"] if m["ap"].startswith("a") else day.pm
                break
    if result.window is None:
        m = WINDOW_WORDS_RE.search(scan.text) if has_any(text, _WINDOW_STEMS) else None
        word = m["w"] if m else today_window
        if word:
            result.window = day.windows[" ".join(word.split())]
            if m and m["part"]:  # "early afternoon", "late morning": that half of the window
                w = result.window
                middle = (w.start_min + w.end_min) // 2 // 15 * 15
                result.window = (TimeWindow(w.start_min, middle, f"early {w.label}") if m["part"] == "early"
                                 else TimeWindow(middle, w.end_min, f"late {w.label}"))
    if result.window is None and not clocks and date is not None and "earl" in text and EARLIEST_RE.search(scan.text):
        result.window = day.windows["first thing"]  # "whatever's earliest tmrw": from opening time
    if len(clocks) > 1:  # "make it 1, hes at work till half 12": a bound said beside the time wanted
        asked = [pc for pc in clocks if not _BOUND_BEFORE_RE.search(text, 0, pc[0])]
        clocks[:] = asked or clocks
    if len(clocks) > 1:  # "at 11:30 instead of 10": the time after "instead of" is the one it replaces
        clocks[:] = [pc for pc in clocks if not _REPLACED_RE.search(text, 0, pc[0])] or clocks
    if len(clocks) > 1:  # "i booked saturday at 10, can we do 11": the booking's own time apart
        clocks[:] = [pc for pc in clocks if not _BOOKED_AT_RE.search(text, 0, pc[0])] or clocks
    elif clocks and result.window and _BOOKED_AT_RE.search(text, 0, clocks[0][0]):
        clocks.clear()  # "i booked saturday at 10 ... push it to the afternoon": the afternoon is asked
    elif clocks and _THEIR_OWN_AT_RE.search(text, 0, clocks[0][0]):
        clocks.clear()  # "hes got a game at 11 so early as poss": their own appointment, not the time wanted
    if clocks:
        clocks.sort(key=lambda pc: pc[0])
        pair = _alternatives(scan, text, clocks, ends) if (" or" in text or "/" in text) else None
        if pair is not None:  # "at 5 or 6": both are offered, neither is guessed
            options = []
            for c in pair:
                minute, _ = resolve(c, spans, result.window, strict=False)
                if minute is not None and (t := dt.time(minute // 60 % 24, minute % 60)) not in options:
                    options.append(t)
            if len(options) > 1:
                result.options = tuple(options)
                result.ambiguous = True
                return result
        minute, result.ambiguous = resolve(clocks[-1][1], spans, result.window, strict=True)
        if minute is not None:
            result.time = dt.time(minute // 60 % 24, minute % 60)
    return result


def _alternatives(scan: Scan, text: str, clocks: list[tuple[int, Clock]], ends: dict[int, int]) -> tuple[Clock, Clock] | None:
    """Two times said as alternatives ("at 5 or 6", "3pm or 4pm", "3pm/4pm"): the last time read and
    the one after an "or" (taken from the scan), or the last two read with only an "or" between
    them. An am/pm said once holds for both."""
    start, first = clocks[-1]
    end = ends.get(start)
    if len(clocks) > 1 and (prev_end := ends.get(clocks[-2][0])) is not None and _OR_RE.fullmatch(text, prev_end, start):
        first, other = clocks[-2][1], clocks[-1][1]
    elif (before := OR_BEFORE_RE.search(scan.text, 0, start)) is not None and (earlier := _clock(before, 1)):
        scan.take(before)  # "10 or 11am"
        first, other = earlier, first
    else:
        m = OR_TIME_RE.match(scan.text, end) if end is not None else None
        found = _clock(m, 1) if m is not None else None
        if m is None or found is None:
            return None
        scan.take(m)
        other = found
    if first.ap and not other.ap and not other.fixed:
        other = Clock(other.h, other.m, first.ap, False)
    elif other.ap and not first.ap and not first.fixed:
        first = Clock(first.h, first.m, other.ap, False)
    return first, other
