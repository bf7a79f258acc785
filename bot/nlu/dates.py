"""Dates in a message: the rules for what customers type, relative to the shop's today.

`read_dates(scan, today=..., horizon_days=..., month_first=...)` takes the date phrases out of
the scan and returns what they mean. dateparser is not used here (see understand.py).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from bot.nlu.days import (
    day_of_month,
    next_year_date,
    nth_weekday,
    shifted,
    weekday_month,
    year_as_typed,
)
from bot.nlu.periods import days_from, read_period, week_of
from bot.nlu.scan import Scan, has_any

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}
_UNITS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth"]
ORDINAL_WORDS = {w: i + 1 for i, w in enumerate(_UNITS)}
ORDINAL_WORDS.update({"tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
                      "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
                      "nineteenth": 19, "twentieth": 20, "thirtieth": 30})
ORDINAL_WORDS.update({f"twenty{sep}{w}": 20 + i + 1 for i, w in enumerate(_UNITS) for sep in (" ", "-", "")})
ORDINAL_WORDS.update({f"thirty{sep}first": 31 for sep in (" ", "-", "")})
# a day said as a number word after "the": "friday the fifteen", "the thirty", "the twenty two"
_CARDINALS = {"thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
              "nineteen": 19, "twenty": 20, "thirty": 30, "thirty one": 31, "thirty-one": 31}
_CARDINALS.update({f"twenty{sep}{w}": 20 + n for n, w in enumerate(("one", "two", "three", "four", "five", "six", "seven",
                                                                     "eight", "nine"), 1) for sep in (" ", "-")})
_DAYW = "(?P<dw>" + "|".join(sorted(ORDINAL_WORDS, key=len, reverse=True)) + ")"
THE_CARDINAL_RE = re.compile(r"\bthe\s+(?P<dw>" + "|".join(sorted(_CARDINALS, key=len, reverse=True)) + r")\b(?!\s*(?:of\s+us|people|mins?|minutes?|[-\s]?(?:one|two|three|four|five|six|seven|eight|nine|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)))")
HOLIDAYS = {"christmas eve": (12, 24), "christmas day": (12, 25), "christmas": (12, 25),
            "xmas eve": (12, 24), "xmas": (12, 25), "boxing day": (12, 26),
            "new year's eve": (12, 31), "new years eve": (12, 31), "new year's day": (1, 1),
            "new years day": (1, 1)}
_MON = "(?P<mon>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_ORD = r"(?:st|nd|rd|th)"
_NOT_TIME = r"(?!\s*(?:am\b|pm\b|a\.m|p\.m|[:.]\d|h\b|h\d|o'clock|ish\b))"
_YEAR = r"(?:,?\s*(?P<y>20\d\d))?"
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
            "seven": 7, "eight": 8, "nine": 9, "ten": 10}
_FEW = {"few": 3, "a few": 3, "several": 3, "couple": 2, "couple of": 2, "a couple": 2, "a couple of": 2}

ISO_RE = re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b")
# "2015/08/12", "2015.5.13", "2019-sep-1": the year first
YEAR_FIRST_RE = re.compile(r"\b(?P<y>(?:19|20)\d\d)(?P<sep>[/.-])(?P<m>\d{1,2}|" + "|".join(sorted(MONTHS, key=len, reverse=True))
                           + r")(?P=sep)(?P<d>\d{1,2})\b(?![/.-]\d)")
NUMERIC_RE = re.compile(r"(?<![\d/.:])(?P<a>\d{1,2})/(?P<b>\d{1,2})(?:(?:/|,\s?)(?P<y>\d{4}|\d{2}))?(?![\d/])")
DOTTED_RE = re.compile(r"(?<![\d.:])(?P<a>\d{1,2})[.-](?P<b>\d{1,2})[.-](?P<y>\d{4}|\d{2})(?![\d.])"
                       r"|(?<![\d.:\w])(?:on|in)\s+(?P<a2>\d{1,2})[.-](?P<b2>\d{1,2})(?![\d.:-])(?!\s*(?:am|pm)\b)")
DAY_MONTH_RE = re.compile(
    r"\b(?:the\s+)?(?:(?P<d>\d{1,2})" + _ORD + r"?\.?|" + _DAYW + r")\s*(?:of\s+)?" + _MON + r"(?![a-z])" + _YEAR
)
MONTH_DAY_RE = re.compile(
    r"\b" + _MON + r"[\s/-]*(?:the\s+)?(?:(?P<d>\d{1,2})" + _ORD + r"?\b" + _NOT_TIME + r"|" + _DAYW + r"\b"
    r"|(?P<dc>" + "|".join(sorted(_CARDINALS, key=len, reverse=True)) + r")\b(?!\s*(?:am|pm|a\.m|p\.m|o'clock|past|to|min|hour))"
    + r")" + _YEAR
)
# A year said in words, written out as digits of the same length for the date rules: "two thousand
# and eighteen", "one thousand seven hundred and eighty nine", and after a month or a day "nineteen
# seventy eight" (alone those words are a time: "nineteen forty five")
_UNIT_W = {w: i for i, w in enumerate(("one", "two", "three", "four", "five", "six", "seven", "eight", "nine"), 1)}
_TEEN_W = {w: i for i, w in enumerate(("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
                                       "eighteen", "nineteen"), 10)}
_TENS_W = {w: i * 10 for i, w in enumerate(("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"), 2)}
_N99 = (r"(?:(?:" + "|".join(_TENS_W) + r")(?:[\s-](?:" + "|".join(_UNIT_W) + r"))?|" + "|".join(_TEEN_W) + "|"
        + "|".join(_UNIT_W) + r")")
YEAR_WORDS_RE = re.compile(r"\b(?P<th>one|two)\s+thousand(?:\s+(?P<hu>" + "|".join(_UNIT_W) + r")\s+hundred)?"
                           r"(?:\s+(?:and\s+)?(?P<rest>" + _N99 + r"))?\b(?!\s+(?:hundred|thousand))"
                           r"|\b(?P<c>nineteen|twenty)\s+(?P<yy>(?:zero|oh|o)\s+(?:" + "|".join(_UNIT_W) + r")|" + _N99 + r")\b")
_DAY_BEFORE_RE = re.compile(r"(?:\d|st|nd|rd|th)\s*,?\s*(?:of\s+)?$|\b(?:" + "|".join(MONTHS) + r")\.?\s*(?:,|of)\s*$")


def _words_number(words: str) -> int:
    """ "eighty nine" -> 89, "zero one" -> 1 (a pattern checked the words)."""
    return sum(_UNIT_W.get(w) or _TEEN_W.get(w) or _TENS_W.get(w) or 0 for w in re.split(r"[\s-]+", words))


def _years_as_digits(scan: Scan) -> list[tuple[int, int, str, str]]:
    """Writes each year said in words in the scan as its digits padded to the same length; returns
    (start, end, words, digits) of each, so the words can be put back where no rule took them."""
    out = []
    for m in YEAR_WORDS_RE.finditer(scan.text):
        if m["th"]:
            year = (1000 if m["th"] == "one" else 2000) + (_UNIT_W[m["hu"]] * 100 if m["hu"] else 0)
            year += _words_number(m["rest"]) if m["rest"] else 0
        elif _DAY_BEFORE_RE.search(scan.text, 0, m.start()):
            year = (19 if m["c"] == "nineteen" else 20) * 100 + _words_number(m["yy"])
        else:
            continue
        digits = str(year).ljust(m.end() - m.start())
        scan.text = scan.text[:m.start()] + digits + scan.text[m.end():]
        out.append((m.start(), m.end(), m.group(0), digits))
    return out
# "a christmas party", "xmas shopping", "a christmas cut": the holiday names an occasion, not the day
HOLIDAY_RE = re.compile(r"\b(?P<h>" + "|".join(sorted(HOLIDAYS, key=len, reverse=True)) + r")\b"
                        r"(?!\s+(?:party|parties|do|dinner|lunch|drinks|night\s+out|shopping|market|jumper|cut|haircut|trim|look"
                        r"|rush|tree|gift|present|card|play|concert|show|event|function|meal)s?\b)")
DAY_AROUND_HOLIDAY_RE = re.compile(r"\b(?:the\s+)?day\s+(?P<w>after|before)\s+(?P<h>" + "|".join(sorted(HOLIDAYS, key=len, reverse=True)) + r")\b")
ORDINAL_WORD_RE = re.compile(r"\b(?:on\s+)?the\s+" + _DAYW + r"\b(?!\s+(?:one|of\s+(?:you|us|them)))")
DAY_AFTER_RE = re.compile(r"\b(?:the\s+)?day\s+after\s+tomorrow\b")
# "between now and friday", "from now till the 20th", "between jan 22 and now": today, as an end of a range
NOW_END_RE = re.compile(r"(?<=between\s)now(?=\s+and\b)|(?<=from\s)now(?=\s+(?:to|till|til|until)\b)|(?<=\sand\s)now\b")
RELATIVE_RE = re.compile(r"\b(?P<w>today|tonight|this\s+night|tomorrow|yesterday|(?:the\s+)?next\s+day)\b")
# "tomoro", "tommorrow", "2moro", "tmoro": tomorrow typed in a hurry
TOMORROW_TYPO_RE = re.compile(r"\b(?:to|2|t)m+or+o?w*\b")
# "the first friday of july", "the second monday of next month", "the last friday in this month"
NTH_WEEKDAY_RE = re.compile(r"\b(?:the\s+)?(?P<nth>first|second|third|fourth|fifth|last|1st|2nd|3rd|4th|5th)\s+(?P<wd>WD)\s+(?:of|in)\s+"
                            r"(?:(?:the\s+)?(?P<q>this|next|last|previous|coming)\s+month|(?P<mon>MON))\b".replace("WD", "|".join(WEEKDAYS))
                            .replace("MON", "|".join(sorted(MONTHS, key=len, reverse=True))))
# "20th of next month", "the 3rd of this month"
DAY_OF_MONTH_RE = re.compile(r"\b(?:the\s+)?(?P<d>\d{1,2})" + _ORD + r"?\s+(?:of\s+)?(?:the\s+)?(?P<q>this|next|coming)\s+month\b")
DAY_BEFORE_RE = re.compile(r"\b(?:the\s+)?day\s+before\s+yesterday\b")
_N = r"(?P<n>\d{1,2}|" + "|".join(_NUMBERS) + r"|a\s+few|few|several|couple(?:\s+of)?|a\s+couple(?:\s+of)?)"
# "two days ago", "a month ago", "two weeks from now", "3 days from tomorrow", "two days after today"
# "1 month 21 days ago", "2 years, 1 month and 3 days later": each amount in turn
_AMOUNT = _N.replace("(?P<n>", "(?:") + r"\s+(?:day|week|month|year|fortnight)s?"
AMOUNT_RE = re.compile(r"\b" + _N + r"\s+(?P<u>day|week|month|year|fortnight)s?\b")
SHIFT_RE = re.compile(r"\b(?P<amounts>" + _AMOUNT + r"(?:\s*,?\s*(?:and\s+)?" + _AMOUNT + r")*)\s+(?P<dir>ago|from\s+now|later|hence"
                      r"|(?P<rel>from|after|before)\s+(?P<base>today|tomorrow|yesterday))\b")
# "two sundays from now", "3 fridays later": the nth of that weekday after today
WEEKDAYS_ON_RE = re.compile(r"\b" + _N + r"\s+(?P<wd>WD)s?'?\s+(?:from\s+(?:now|today)|later|away|time)\b".replace("WD", "|".join(WEEKDAYS)))
# "last sunday", "last week sunday", "next week friday", "friday next week", "sunday of next week"
WEEK_WEEKDAY_RE = re.compile(r"\b(?:(?P<q1>last|previous|next|this|coming)\s+week\s+(?:on\s+)?(?P<wd1>WD)"
                             r"|(?P<wd2>WD)\s+(?:of\s+)?(?P<q2>last|previous|next|this|coming)\s+week"
                             r"|(?P<q3>last|previous)\s+(?P<wd3>WD))s?\b".replace("WD", "|".join(WEEKDAYS)))
WEEKDAY_RE = re.compile(r"\b(?:(?P<q>next|this|coming|this\s+coming)\s+)?(?P<wd>" + "|".join(WEEKDAYS) + r")s?\b"
                        r"(?P<q2>\s+coming\b)?")  # "monday coming": the coming one
ORDINAL_RE = re.compile(r"\b(?:the\s+)?(?P<d>\d{1,2})" + _ORD + r"\b")
THE_DAY_RE = re.compile(r"\bon\s+the\s+(?P<d>\d{1,2})\b" + _NOT_TIME
                        + r"|\bon\s+(?P<d2>\d{1,2})\b(?!\s*(?:people|of\s+us|mins?|minutes?|hours?|days?|weeks?))" + _NOT_TIME
                        + r"|\b(?:for|by|until|till)\s+the\s+(?P<d3>1[3-9]|2\d|3[01])\b(?!\s*(?:people|of\s+us|mins?|minutes?))" + _NOT_TIME)
IN_DAYS_RE = re.compile(r"\bin\s+(?P<n>\d{1,2}|" + "|".join(_NUMBERS) + r")\s+(?P<u>day|week)s?\b")
FORTNIGHT_RE = re.compile(r"\bin\s+a\s+fortnight\b")
RANGE_RE = re.compile(r"\b(?P<before>before\s+(?:the\s+|this\s+)?)?(?:(?P<q>next|this|the|coming)\s+)?(?P<u>week\s?end|week)\b")
_TO_RE = re.compile(r"\s*(?P<to>to|till|til|until|through|thru|-|–|and)\s*")
_FROM_RE = re.compile(r"\b(?:from|between)\s*$")
_MORE_LESS_RE = re.compile(r"\b(?P<ml>more|less)\s+than\s+$")
_AFTER_WORD_RE = re.compile(r"\s*(?:after|following)\b")
_THE_BEFORE_RE = re.compile(r"\bthe\s+$")
_THE_ONE_RE = re.compile(r"\bthe\s+one\s+(?:on\s+|for\s+)?(?:the\s+)?$")
_NEXT_WEEK_RE = re.compile(r"\b(?:next|the\s+following)\s+week\b")
_NEXT_WEEK_AFTER_RE = re.compile(r"\s*,?\s*(?:(?:in\s+the\s+)?(?:morning|afternoon|evening|arvo|night|lunchtime)\s+)?(?:of\s+)?"
                                 r"(?:next|the\s+following)\s+week\b")
_MOVE_RE = re.compile(r"\b(?:chang|mov|push|shift(?!s\b)|reschedul|bring|switch|swap|instead)")  # not "i work shifts"
_FOR_BEFORE_RE = re.compile(r"\bfor\s+$")
_OR_RE = re.compile(r"\s*(?:,\s*)?(?:or|/)\s*(?:on\s+)?")
OLD_AFTER_RE = re.compile(r"\s*(?:'s\s+)?(?:one|booking|appointment|appt|slot)\b")
# "from friday", "my friday one", "can't make tomorrow", "not free on the 9th": the booking's own date
# a day ruled out or kept as it is: "not 26th", "keep the one on the 22nd", "leave the 22nd"
_NOT_BEFORE_RE = re.compile(r"\b(?:not|never|keep(?:ing)?|leave|leaving)\s+(?:the\s+one\s+)?(?:on\s+|for\s+)?(?:the\s+)?$")
OLD_BEFORE_RE = re.compile(
    r"\b(?:from|my|instead\s+of|(?:my|the|a|our|his|her)\s+(?:interview|wedding|meeting|game|match|party|flight|exam|funeral|graduation|event|do)"
    r"(?:\s+(?:is|was))?(?:\s+on)?|(?:interview|wedding|meeting|game|match|party|flight|exam|funeral|graduation)\s+(?:is(?:\s+on)?|on)|(?:my|me)\s+(?:appointment|appt|booking|cut)(?:\s+on)?|(?:can't|cant|cannot|can\s+not|won't|wont|couldn't|not\s+(?:gonna|going\s+to))\s+(?:make|do)(?:\s+it)?"
    r"|not\s+(?:free|around|available)|(?:i'?m|im|i\s+am|he'?s|hes|she'?s|shes|they'?re|we'?re)\s+(?:in\s+work|at\s+work|working|busy|away)"
    # "flying home to see family on the 26th": a day of their own plans, not the one asked for
    r"|(?:flying|fly|leaving|travel\w*|going\s+away|heading\s+(?:home|off|away))\b[^.?!,]{0,30}?)\s+(?:on\s+)?(?:the\s+)?$")

# "... to wednesday", "push it till the 20th": the day a move goes to
_TO_DAY_RE = re.compile(r"\b(?:to|till|til|until|into|onto)\s+(?:the\s+|next\s+|this\s+|on\s+)?$")

# Words one of which every match of a pattern contains (tests/nlu/test_nlu_prechecks.py).
_DIGIT_RE = re.compile(r"\d")  # any Unicode digit, as the patterns' \d
_MONTH_STEMS = tuple(sorted({m[:3] for m in MONTHS}))  # every month name starts with one
_HOLIDAY_STEMS = ("mas", "boxing", "new year")
_ORDINAL_STEMS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
                  "tenth", "eleventh", "twelfth", "teenth", "tieth")


@dataclass
class Found:
    date: dt.date
    start: int
    end: int
    past: bool = False
    weekday_only: bool = False  # a weekday name: may disagree with an explicit date
    bare: bool = False  # a weekday name without "this", "next" or "coming"
    day_only: bool = False  # a day of the month without a month ("the 21st")


@dataclass
class DateResult:
    date: dt.date | None = None
    old_date: dt.date | None = None  # "move my friday one to monday": friday
    past: bool = False
    date_range: tuple[dt.date, dt.date] | None = None
    ambiguous: bool = False
    ends: list[int] = field(default_factory=list)  # where date phrases end ("friday 3")
    today_window: str | None = None  # "tonight" -> "evening"
    tonight_at: int | None = None  # where "tonight" starts: "10, tonight" is a time said before it
    # "next friday" said on a Wednesday: this Friday was read; the Friday a week later is the other reading
    week_later: dt.date | None = None
    options: tuple[dt.date, ...] = ()  # "this sat or sun": each date offered, in order
    weekday_only: bool = False  # `date` is a weekday's name alone ("tues"; not "this tues")


def _month_day(month: int, day: int, year: int | None, today: dt.date, horizon: int) -> Found | None:
    if year is not None:
        try:
            d = dt.date(year, month, day)
        except ValueError:  # "29/2/2027", "31/4/2027": no such day
            return None
        return Found(d, 0, 0, past=d < today)
    leap = next_year_date(today.year, month, day)  # 29 February: the next one
    if leap is None:
        return None
    d = dt.date(today.year, month, day) if leap.year == today.year else leap
    if d >= today:
        return Found(d, 0, 0)
    nxt = next_year_date(today.year + 1, month, day)
    if nxt is not None and ((nxt - today).days <= horizon or (nxt - today) <= (today - d)):
        return Found(nxt, 0, 0)  # "jan 20" said in December: next January, even beyond the horizon
    return Found(d, 0, 0, past=True)  # "1 dec" said on 2 Dec: the date just passed


def _found(d: dt.date, today: dt.date) -> Found:
    return Found(d, 0, 0, past=d < today)


def _weekday(name: str, qualifier: str | None, today: dt.date) -> dt.date:
    ahead = (WEEKDAYS.index(name) - today.weekday()) % 7
    if ahead == 0 and qualifier and (qualifier.startswith("next") or qualifier.endswith("coming")):
        ahead = 7
    return today + dt.timedelta(days=ahead)


def read_dates(scan: Scan, *, today: dt.date, horizon_days: int, month_first: bool) -> DateResult:
    """The dates, ranges of days and the date phrases' ends in the scan (taken from it)."""
    said = _years_as_digits(scan) if "thousand" in scan.text or "nineteen" in scan.text or "twenty" in scan.text else []
    result = _read_dates(scan, today=today, horizon_days=horizon_days, month_first=month_first)
    for start, end, words, digits in said:
        if scan.text[start:end] != digits:
            continue  # a rule took the year
        if "thousand" in words and result.date is None and result.date_range is None:
            year = int(digits)  # "in one thousand seven hundred and eighty nine": that year
            result.date_range, result.ambiguous = (dt.date(year, 1, 1), dt.date(year, 12, 31)), True
            scan.text = scan.text[:start] + " " * (end - start) + scan.text[end:]
            continue
        scan.text = scan.text[:start] + words + scan.text[end:]
    return result


def _read_dates(scan: Scan, *, today: dt.date, horizon_days: int, month_first: bool) -> DateResult:
    found: list[Found] = []
    result = DateResult()

    def add(f: Found | None, m: re.Match[str]) -> bool:
        if f is None:
            return False
        f.start, f.end = m.span()
        found.append(f)
        return True

    def iso(m: re.Match[str]) -> bool:
        try:
            d = dt.date(int(m["y"]), int(m["m"]), int(m["d"]))
        except ValueError:
            return False
        return add(Found(d, 0, 0, past=d < today), m)

    def numeric(m: re.Match[str]) -> bool:
        g = m.groupdict()
        a, b = int(g.get("a") or g["a2"]), int(g.get("b") or g["b2"])
        month, day = (a, b) if month_first else (b, a)
        if not 1 <= month <= 12 and 1 <= day <= 12:  # "21/04" in the US, "4/22" in the UK: the order that fits
            month, day = day, month
        year = None if m["y"] is None else year_as_typed(m["y"], today)
        if not 1 <= month <= 12:
            return False
        return add(_month_day(month, day, year, today, horizon_days), m)

    def year_first(m: re.Match[str]) -> bool:
        mon = m["m"]
        month = int(mon) if mon.isdigit() else MONTHS[mon]
        try:
            d = dt.date(int(m["y"]), month, int(m["d"]))
        except ValueError:
            return False
        return add(Found(d, 0, 0, past=d < today), m)

    def named(m: re.Match[str]) -> bool:
        year = int(m["y"]) if m["y"] else None
        g = m.groupdict()
        day = int(m["d"]) if m["d"] else ORDINAL_WORDS[m["dw"]] if m["dw"] else _CARDINALS[" ".join(g["dc"].split())]
        return add(_month_day(MONTHS[m["mon"]], day, year, today, horizon_days), m)

    def holiday(m: re.Match[str]) -> bool:
        return add(_month_day(*HOLIDAYS[m["h"]], None, today, horizon_days), m)

    def day_around_holiday(m: re.Match[str]) -> bool:
        found = _month_day(*HOLIDAYS[m["h"]], None, today, horizon_days)
        if found is None:
            return False
        d = found.date + dt.timedelta(days=1 if m["w"] == "after" else -1)
        return add(Found(d, 0, 0, past=d < today), m)

    def relative(m: re.Match[str]) -> bool:
        w = " ".join(m["w"].split())
        if w in ("tonight", "this night"):
            result.today_window = "evening"
            result.tonight_at = m.start()
        days = {"tomorrow": 1, "yesterday": -1}.get(w, 1 if w.endswith("next day") else 0)
        return add(_found(shifted(today, days, "day"), today), m)

    def shift(m: re.Match[str]) -> bool:
        if _FOR_BEFORE_RE.search(scan.text, 0, m.start()):
            return False  # "for 3 days from today": a span of days (periods.days_from), not a day
        sign = -1 if m["dir"] == "ago" or m["rel"] == "before" else 1
        day = today + dt.timedelta(days={"tomorrow": 1, "yesterday": -1}.get(m["base"] or "", 0))
        amounts = [(a["n"], a["u"]) for a in AMOUNT_RE.finditer(m["amounts"])]
        order = ("year", "month", "fortnight", "week", "day")  # the longest first: a month from 31 Jan is 28 Feb
        for raw, unit in sorted(amounts, key=lambda a: order.index(a[1])):
            raw = " ".join(raw.split())
            n = int(raw) if raw.isdigit() else _NUMBERS.get(raw) or _FEW[raw]
            day = shifted(day, sign * n, unit)
        bound = _MORE_LESS_RE.search(scan.text, 0, m.start())
        if bound is not None:  # "less than 3 days after tomorrow": the days up to then
            base = today + dt.timedelta(days={"tomorrow": 1, "yesterday": -1}.get(m["base"] or "", 0))
            if bound["ml"] == "less":
                result.date_range = (min(base, day), max(base, day))
            elif sign > 0:  # "more than 2 weeks from now": from then on, as far as bookings go
                result.date_range = (day, max(day, today + dt.timedelta(days=horizon_days)))
            result.ambiguous = True  # "more than 2 weeks ago": no day said
            scan.take(bound)
            return True
        return add(_found(day, today), m)

    def nth_weekday_of(m: re.Match[str]) -> bool:
        if m["mon"]:
            month = MONTHS[m["mon"]]
            year = today.year if month >= today.month else today.year + 1
        else:
            shift = {"next": 1, "coming": 1, "last": -1, "previous": -1}.get(m["q"], 0)
            months = today.year * 12 + today.month - 1 + shift
            year, month = months // 12, months % 12 + 1
        d = nth_weekday(year, month, WEEKDAYS.index(m["wd"]), m["nth"])
        return d is not None and add(Found(d, 0, 0, past=d < today), m)

    def day_of_named_month(m: re.Match[str]) -> bool:
        months = today.year * 12 + today.month - 1 + (0 if m["q"] == "this" else 1)
        try:
            d = dt.date(months // 12, months % 12 + 1, int(m["d"]))
        except ValueError:  # "the 31st of this month" in November: no such day, and no other one guessed
            result.ambiguous = True
            return True
        return add(Found(d, 0, 0, past=d < today), m)

    def week_weekday(m: re.Match[str]) -> bool:
        q = m["q1"] or m["q2"] or m["q3"]
        name = m["wd1"] or m["wd2"] or m["wd3"]
        monday = today - dt.timedelta(days=today.weekday())
        if m["q3"]:  # "last sunday": the latest one before today
            d = today - dt.timedelta(days=(today.weekday() - WEEKDAYS.index(name) - 1) % 7 + 1)
        else:
            weeks = {"last": -1, "previous": -1, "next": 1, "coming": 1}.get(q, 0)
            d = monday + dt.timedelta(days=7 * weeks + WEEKDAYS.index(name))
        return add(Found(d, 0, 0, past=d < today), m)

    def weekday(m: re.Match[str]) -> bool:
        d = _weekday(m["wd"], m["q"] or ("coming" if m["q2"] else None), today)
        if m["q"] is None and "following" in text and re.search(r"\bfollowing\s+$", scan.text[: m.start()]):
            return add(Found(d + dt.timedelta(days=7), 0, 0), m)  # "the following friday": the one after the coming one
        if m["q"] is None and "next" in text and not _MOVE_RE.search(text):
            week = _NEXT_WEEK_RE.search(scan.text, 0, m.start()) or _NEXT_WEEK_AFTER_RE.match(scan.text, m.end())
            if week is not None:  # "next week, say tuesday", "tuesday afternoon next week": that week's tuesday
                monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=7)
                return add(Found(monday + dt.timedelta(days=WEEKDAYS.index(m["wd"])), 0, 0, weekday_only=True), m)
        if m["q"] == "next" and (d.isocalendar()[:2] == today.isocalendar()[:2] or d == today + dt.timedelta(days=1)):
            result.week_later = d + dt.timedelta(days=7)  # "next" may mean the week after: said, not guessed
        return add(Found(d, 0, 0, weekday_only=True, bare=not (m["q"] or m["q2"])), m)

    def weekdays_on(m: re.Match[str]) -> bool:
        raw = " ".join(m["n"].split())
        n = int(raw) if raw.isdigit() else _NUMBERS.get(raw) or _FEW[raw]
        if not 1 <= n <= 10:
            return False
        ahead = (WEEKDAYS.index(m["wd"]) - today.weekday() - 1) % 7 + 1  # the first one after today
        return add(Found(today + dt.timedelta(days=ahead + 7 * (n - 1)), 0, 0), m)

    def ordinal(m: re.Match[str]) -> bool:
        g = m.groupdict()
        number = g.get("d") or g.get("d2") or g.get("d3")
        d = day_of_month(int(number) if number else ORDINAL_WORDS[m["dw"]], today)
        return d is not None and add(Found(d, 0, 0, day_only=True), m)

    def in_days(m: re.Match[str]) -> bool:
        n = int(m["n"]) if m["n"].isdigit() else _NUMBERS[m["n"]]
        return add(Found(today + dt.timedelta(days=n * (7 if m["u"] == "week" else 1)), 0, 0), m)

    # Each pattern is tried only when the text holds a word that every match of it contains:
    # on "any slots friday afternoon for a beard trim?" 3 of the 14 patterns run. The taken spans only turn characters into blanks, so a word
    # missing from the text at the start is missing for every pattern after it.
    text = scan.text
    digit = _DIGIT_RE.search(text) is not None
    span = read_period(scan, today=today, months=False)
    if "-" in text:
        scan.take_all(ISO_RE, iso)
    if digit and ("/" in text or "." in text or "-" in text):
        scan.take_all(YEAR_FIRST_RE, year_first)
    if digit and ("." in text or "-" in text):
        scan.take_all(DOTTED_RE, numeric)
    if "/" in text:
        scan.take_all(NUMERIC_RE, numeric)
    if has_any(text, _MONTH_STEMS):
        scan.take_all(DAY_MONTH_RE, named)
        scan.take_all(MONTH_DAY_RE, named)
    if has_any(text, _HOLIDAY_STEMS):
        if "day" in text:  # "the day after xmas": the day after that holiday
            scan.take_all(DAY_AROUND_HOLIDAY_RE, day_around_holiday)
        scan.take_all(HOLIDAY_RE, holiday)
    if "tomorrow" in text:
        scan.take_all(DAY_AFTER_RE, lambda m: add(Found(today + dt.timedelta(days=2), 0, 0), m))
    if "month" in text or has_any(text, _MONTH_STEMS):
        scan.take_all(NTH_WEEKDAY_RE, nth_weekday_of)
        if digit:
            scan.take_all(DAY_OF_MONTH_RE, day_of_named_month)
    if "yesterday" in text:
        scan.take_all(DAY_BEFORE_RE, lambda m: add(_found(shifted(today, -2, "day"), today), m))
    if has_any(text, ("ago", "from", "after", "later", "hence", "before")):
        scan.take_all(SHIFT_RE, shift)
    if "m" in text:
        scan.take_all(TOMORROW_TYPO_RE, lambda m: add(Found(today + dt.timedelta(days=1), 0, 0), m))
    if has_any(text, ("day", "night", "tomorrow")):
        scan.take_all(RELATIVE_RE, relative)
    if "now" in text and has_any(text, ("between", "from")):  # a rule, not only a pre-check: "x and now" needs a "between"
        scan.take_all(NOW_END_RE, lambda m: add(Found(today, 0, 0), m))
    if "week" in text or "last" in text or "previous" in text:
        scan.take_all(WEEK_WEEKDAY_RE, week_weekday)
    if "day" in text and has_any(text, ("now", "today", "later", "away", "time")):
        scan.take_all(WEEKDAYS_ON_RE, weekdays_on)
    if "day" in text:
        scan.take_all(WEEKDAY_RE, weekday)
    if digit:
        scan.take_all(ORDINAL_RE, ordinal)
        if "the" in text or "on " in text:
            scan.take_all(THE_DAY_RE, ordinal)
    if has_any(text, _ORDINAL_STEMS):
        scan.take_all(ORDINAL_WORD_RE, ordinal)
    if "the" in text and has_any(text, ("teen", "twenty", "thirty")):
        scan.take_all(THE_CARDINAL_RE, lambda m: (d := day_of_month(_CARDINALS[m["dw"]], today)) is not None
                      and add(Found(d, 0, 0, day_only=True), m))
    if "in" in text and ("day" in text or "week" in text):
        scan.take_all(IN_DAYS_RE, in_days)
    if "fortnight" in text:
        scan.take_all(FORTNIGHT_RE, lambda m: add(Found(today + dt.timedelta(days=14), 0, 0), m))
    if not found and span is None and "week" in text:
        scan.first(RANGE_RE, lambda m: _range(m, today, result))
    if not found and span is None and result.date_range is None:
        span = read_period(scan, today=today, months=True)
    if span is not None and not found:
        result.date_range, result.ambiguous = span, True
    if not found:
        return result
    if span is not None and span[0] > today:  # "sometime next week ... a weds or thurs": that week's
        for f in found:
            if f.weekday_only and f.date < span[0]:
                f.date += dt.timedelta(days=7 * ((span[0] - f.date).days // 7 + (1 if (span[0] - f.date).days % 7 else 0)))
    found.sort(key=lambda f: f.start)
    if len(found) == 1 and ((week := week_of(scan, [(found[0].start, found[0].date)])) is not None
                            or (week := days_from(scan, [(found[0].start, found[0].date)])) is not None):
        result.date_range, result.ambiguous = week, True  # "the week of the 18th", "for 3 days from today"
        return result
    result.ends = [f.end for f in found]
    _choose(found, scan.text, result, today)
    return result


def _range(m: re.Match[str], today: dt.date, result: DateResult) -> bool:
    q, unit = m["q"], m["u"].replace(" ", "")
    if unit == "week" and q not in ("next", "this", "coming"):
        return False
    monday = today - dt.timedelta(days=today.weekday())
    if unit == "weekend":
        sat = today + dt.timedelta(days=(5 - today.weekday()) % 7) if today.weekday() < 6 else today - dt.timedelta(days=1)
        if m["before"] and today < sat:  # "before the weekend": from today to Friday
            result.date_range = (today, sat - dt.timedelta(days=1))
            result.ambiguous = True
            return True
        result.date_range = (max(sat, today), sat + dt.timedelta(days=1))
    elif q == "next":
        result.date_range = (monday + dt.timedelta(days=7), monday + dt.timedelta(days=13))
    else:
        result.date_range = (today, monday + dt.timedelta(days=6))
    result.ambiguous = True
    return True


def _choose(found: list[Found], text: str, result: DateResult, today: dt.date) -> None:
    """One date from several: merge agreeing ones, split an old date from a new one."""
    if (len(found) == 2 and found[0].date < found[1].date and _FROM_RE.search(text, 0, found[0].start)
            and _TO_RE.fullmatch(text, found[0].end, found[1].start) and not _MOVE_RE.search(text)):
        result.date_range = (found[0].date, found[1].date)  # "from next friday to oct 1st", "between now and the 20th"
        result.ambiguous = True
        return
    for w in [f for f in found if f.weekday_only and _AFTER_WORD_RE.match(text, f.end)]:
        after = _AFTER_WORD_RE.match(text, w.end)
        assert after is not None
        # the date after the word "after" ("the monday after xmas"), not one said between them
        # ("wednesday 16th after 5": the 16th's digits are blanked in `text`, not gone)
        base = next((f for f in found if not f.weekday_only and f.start >= after.end()), None)
        if base is not None and base.date.weekday() == w.date.weekday() and re.fullmatch(r"\s*,\s*", text[after.end():base.start]):
            # "the saturday after, 19th": the 19th is that Saturday, said again
            w.date = base.date
            w.weekday_only, w.past = False, w.date < today
            found = [f for f in found if f is not base]
        elif base is not None:  # "the monday after xmas": the first Monday after Christmas Day
            w.date = base.date + dt.timedelta(days=(w.date.weekday() - base.date.weekday() - 1) % 7 + 1)
            w.weekday_only, w.past = False, w.date < today
            found = [f for f in found if f is not base]
        elif _THE_BEFORE_RE.search(text, 0, w.start) and not any(f.start >= w.end for f in found):
            # "move him to the saturday after": the one after the saturday already talked about
            w.date += dt.timedelta(days=7)
            w.weekday_only = False
            found = [f for f in found if f is w or f.date != w.date - dt.timedelta(days=7)]
    if len(found) == 1 and _THE_ONE_RE.search(text, 0, found[0].start):
        result.old_date = found[0].date  # "push the one this friday back to 5:30": that day's booking, that day
    kept = [f for f in found if _NOT_BEFORE_RE.search(text[: f.start])]
    if kept and len(kept) < len(found):  # "cancel tmrws, keep the one on the 22nd", "the 19th not 26th"
        found = [f for f in found if f not in kept]
    the_one = [f for f in found if _THE_ONE_RE.search(text, 0, f.start)]
    if len(found) > 1 and len(the_one) == 1 and any(f.date != the_one[0].date for f in found):
        # "cancel the one on the 15th, ill just come tmrw": the booking named; the other day is said beside it
        result.old_date = the_one[0].date
        found = [f for f in found if f.date != the_one[0].date]
    if len(found) > 1:  # "move my friday one to monday", "can't make tomorrow, friday?": the old one apart
        old = [f for f in found if OLD_AFTER_RE.match(text, f.end) or OLD_BEFORE_RE.search(text[: f.start])]
        to = [f for f in found if _TO_DAY_RE.search(text[: f.start])]
        if not old and len(to) == 1 and _MOVE_RE.search(text):
            # "something came up tmrw, can we push my fade to wednesday": the day after "to" is the new one
            old = [f for f in found if f.date != to[0].date]
        new = [f for f in found if f not in old and f.date not in {o.date for o in old}]
        if old and new:
            result.old_date = old[0].date
            found = new
    explicit = [f for f in found if not f.weekday_only]
    weekdays = [f for f in found if f.weekday_only]
    for before, f in zip(explicit, explicit[1:], strict=False):
        if f.day_only and not before.day_only and f.date.month != before.date.month:
            try:  # "back on the 20th of jan, can i book for the 23rd": January's 23rd
                inherited = before.date.replace(day=f.date.day)
            except ValueError:
                continue
            if inherited > before.date:
                f.date, f.past = inherited, inherited < today
    day_only = [f for f in explicit if f.day_only]
    if weekdays and day_only:
        e = day_only[-1]
        agreeing = weekday_month(e.date.day, weekdays[0].date.weekday(), e.date)
        if agreeing is not None:  # "friday the 22nd": the month whose 22nd is a Friday, nearest first
            e.date, e.past = agreeing, agreeing < today
            weekdays = [w for w in weekdays if w.date.weekday() != agreeing.weekday()]
            found = [f for f in found if not f.weekday_only or f in weekdays]  # the agreeing weekday is that date
    if explicit and weekdays:
        if any(w.date.weekday() != explicit[-1].date.weekday() for w in weekdays):
            result.ambiguous = True  # "friday the 5th" when the 5th is a Saturday
        found = explicit
    distinct: list[Found] = []
    for f in found:
        if all(f.date != g.date for g in distinct):
            distinct.append(f)
    between = _TO_RE.fullmatch(text, distinct[0].end, distinct[1].start) if len(distinct) == 2 else None
    if between and distinct[0].date < distinct[1].date and not _MOVE_RE.search(text) and (
            _FROM_RE.search(text, 0, distinct[0].start) or (between["to"] != "and" and (
                between["to"] not in ("to", "-", "–") or not (distinct[0].weekday_only or distinct[1].weekday_only)))):
        result.date_range = (distinct[0].date, distinct[1].date)  # "from oct 2 to oct 22", "today till tomorrow"
        result.ambiguous = True
        return
    if len(distinct) > 1 and _OR_RE.fullmatch(text, distinct[-2].end, distinct[-1].start):
        first, second = distinct[-2].date, distinct[-1].date  # "sat or sun": both offered, neither guessed
        result.options = (first, second)
        result.ambiguous = True
        if abs((second - first).days) == 1:
            result.date_range = (min(first, second), max(first, second))
        return
    chosen = distinct[-1] if len(distinct) > 1 else distinct[0]
    result.date, result.past, result.weekday_only = chosen.date, chosen.past, chosen.bare
