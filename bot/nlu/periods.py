"""Ranges of days in a message: a month ("sometime in january", "next month"), days of a month
("from the 4th to the 22nd this month", "november 19-20"), "the rest of the week", "the week
after next", "the next 3 days", "within 5 days".

`read_period(scan, today=..., horizon_days=...)` takes the first such phrase out of the scan and
returns its days as (first, last), both inclusive, or None. A range that has begun starts today
(days already gone cannot be booked); a month named alone is its nearest occurrence not yet over.
"""

from __future__ import annotations

import datetime as dt
import re

from bot.nlu.scan import Scan, has_any

_FULL_MONTHS = ("january", "february", "march", "april", "june", "july", "august", "september", "october",
                "november", "december")  # "may" alone is a verb
_MONTH_NUM = {m: i + 1 for i, m in enumerate(("january", "february", "march", "april", "may", "june", "july",
                                               "august", "september", "october", "november", "december"))}
_ABBR = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10,
         "nov": 11, "dec": 12}
_ANY_MONTH = "|".join(sorted([*_MONTH_NUM, *_ABBR], key=len, reverse=True))
_ORD = r"(?:st|nd|rd|th)?"
_Q = r"(?P<q>this|next|last|previous|coming|upcoming)"
_YEAR = r"(?:,?\s*(?:of\s+)?(?P<y>(?:19|20)\d\d|next\s+year|this\s+year))?"

# "in january", "this september", "next june", "june 2027", "june next year", "sometime in march"
MONTH_RE = re.compile(r"(?:\b" + _Q + r"\s+|\b(?:in|during|of|for)\s+(?:the\s+month\s+of\s+)?)?\b(?P<mon>" + _ANY_MONTH
                      + r")\b\.?(?!\s*[/-]?\s*(?:the\s+)?\d{1,2}\b(?!\d))" + _YEAR)
# "next month", "this month", "the month after next"
THIS_MONTH_RE = re.compile(r"\b(?:(?P<q>this|next|last|previous|coming|upcoming|current)\s+month"
                           r"|the\s+month\s+after\s+(?:the\s+)?next)\b")
# "from 4 to 22 this month", "4 till 23 of next month", "between 3 and 12 of sept", "november 19-20"
DAYS_OF_MONTH_RE = re.compile(
    r"\b(?:(?:from|between)\s+)?(?:the\s+)?(?P<d1>\d{1,2})" + _ORD + r"\s*(?:to|till|til|until|through|thru|-|–|and)\s*"
    r"(?:the\s+)?(?P<d2>\d{1,2})" + _ORD + r"\s*(?:of\s+|in\s+)?(?:(?P<q>this|next)\s+month|(?P<mon>" + _ANY_MONTH
    + r")\b\.?" + _YEAR + r")"
    r"|\b(?P<mon2>" + _ANY_MONTH + r")\b\.?\s*(?:between\s+|from\s+)?(?:the\s+)?(?P<e1>\d{1,2})" + _ORD
    + r"\s*(?:to|till|til|until|through|thru|-|–|and)\s*(?:the\s+)?(?P<e2>\d{1,2})" + _ORD + r"\b(?!\s*(?:am|pm|:))")
# "2016 june", "2016, nov", "2016-11", "11/2016", "june of 2027": a month of a year said
YEAR_MONTH_RE = re.compile(r"\b(?P<y>(?:19|20)\d\d)\s*(?:,\s*|[/.-]\s*)?(?P<mon>" + _ANY_MONTH + r"|0?[1-9]|1[0-2])\b(?!\s*[/.-]\s*\d)"
                           r"|(?<![\d/.-])\b(?P<mon2>0?[1-9]|1[0-2])\s*[/-]\s*(?P<y2>(?:19|20)\d\d)\b")
REST_RE = re.compile(r"\b(?:the\s+)?rest\s+(?:of\s+)?(?:the\s+|this\s+|my\s+|current\s+)?(?P<u>week|month|year)\b")
AFTER_NEXT_RE = re.compile(r"\bthe\s+(?P<u>week|weekend)\s+after\s+(?:the\s+)?next\b")
NEXT_DAYS_RE = re.compile(r"\b(?P<kind>next|within(?:\s+the\s+next)?|in\s+the\s+next|less\s+than)\s+(?P<n>\d{1,2}|an?|one|two|three|four|five|six|seven|ten)"
                          r"\s+(?P<u>day|week)s?(?:\s+from\s+(?:today|now))?\b")
# "for 3 days from today", "for a week starting tomorrow", "for 2 weeks from the 20th": days from a date
FOR_FROM_RE = re.compile(r"\bfor\s+(?P<n>\d{1,2}|an?|one|two|three|four|five|six|seven|ten)\s+(?P<u>day|week)s?\s*,?\s*"
                         r"(?:starting|beginning|from)(?:\s+from|\s+on)?(?=\s)")
# "the third week of this month", "the last week of july": the Monday-to-Sunday weeks whose Thursday is in the month
NTH_WEEK_RE = re.compile(r"\b(?:the\s+)?(?P<nth>first|second|third|fourth|last|1st|2nd|3rd|4th)\s+week\s+(?:of|in)\s+(?:the\s+)?"
                         r"(?:(?P<q>this|next)\s+month|(?P<mon>" + _ANY_MONTH + r"))\b")
# "early next week", "the end of this week", "mid next week", "late this month", "beginning of next month"
PART_OF_RE = re.compile(r"\b(?:the\s+)?(?:(?P<part>early|earlier|mid|late|later)\s+(?:of\s+|in\s+)?|(?P<part2>beginning|start|middle|end)\s+of\s+)(?:the\s+)?"
                        r"(?:(?P<q>this|next|coming)\s+)?(?P<u>week|month|(?P<mon>" + _ANY_MONTH + r"))\b")
# "the week of the 18th", "the week starting february 4", "w/c feb 4": the Monday-to-Sunday week
WEEK_OF_RE = re.compile(r"\b(?:(?:the\s+)?week\s+of|the\s+week\s+(?:starting|beginning|commencing)(?:\s+on)?|w/c)(?=\s)")
_NTH_BEFORE_RE = re.compile(r"\b(?:first|second|third|fourth|fifth|last|\d{1,2}(?:st|nd|rd|th)?)\s+(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day|week|weekend)\s*$")
_NUM = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "ten": 10}

_STEMS = ("19", "20", "/", "-", "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec", "month", "rest",
          "after next", "next", "within", "week")


def _month_number(name: str) -> int:
    return _MONTH_NUM.get(name) or _ABBR[name]


def _month_span(year: int, month: int) -> tuple[dt.date, dt.date]:
    first = dt.date(year, month, 1)
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    return first, nxt - dt.timedelta(days=1)


def _from_today(span: tuple[dt.date, dt.date], today: dt.date) -> tuple[dt.date, dt.date]:
    first, last = span
    return (today, last) if first < today <= last else span


def _year_of(m: re.Match[str], month: int, today: dt.date) -> int:
    """The year a month phrase names: said ("2027", "next year"), or by "this/next/last", or the
    month's nearest occurrence not yet over."""
    y = (m.groupdict().get("y") or "").replace(" ", "")
    if y.isdigit():
        return int(y)
    if y == "nextyear":
        return today.year + 1
    if y == "thisyear":
        return today.year
    q = m.groupdict().get("q")
    if q in ("last", "previous"):
        return today.year - 1 if month >= today.month else today.year
    if q == "this":
        return today.year
    return today.year if month >= today.month else today.year + 1


def days_from(scan: Scan, dates: list[tuple[int, dt.date]]) -> tuple[dt.date, dt.date] | None:
    """"for 3 days from today", "for a week starting tomorrow": that many days from a date read
    right after the words (`dates` holds (start, date) of the dates read); the words are taken."""
    if "for" not in scan.text:
        return None
    for m in scan.matches(FOR_FROM_RE):
        for start, day in dates:
            if start >= m.end() and scan.text[m.end():start].strip() in ("", "the", "on"):
                scan.take(m)
                n = int(m["n"]) if m["n"].isdigit() else _NUM[m["n"]]
                return day, day + dt.timedelta(days=n * (7 if m["u"] == "week" else 1) - 1)
    return None


def week_of(scan: Scan, dates: list[tuple[int, dt.date]]) -> tuple[dt.date, dt.date] | None:
    """"the week of the 18th", "w/c feb 4": the Monday-to-Sunday week of a date read right after
    the words (`dates` holds (start, date) of the dates read); the words are taken from the scan."""
    if "week" not in scan.text and "w/c" not in scan.text:
        return None
    for m in scan.matches(WEEK_OF_RE):
        for start, day in dates:
            if start >= m.end() and scan.text[m.end():start].strip() in ("", "the", "on", "on the"):
                scan.take(m)
                monday = day - dt.timedelta(days=day.weekday())
                return monday, monday + dt.timedelta(days=6)
    return None


def read_period(scan: Scan, *, today: dt.date, months: bool) -> tuple[dt.date, dt.date] | None:
    """With `months` False, the phrases that hold day numbers or weeks (read before single dates, so
    "november 19-20" is not the 19th); with `months` True, a month named alone (read after them,
    so "the 20th of march" stays a date)."""
    text = scan.text
    if not has_any(text, _STEMS):
        return None
    found: list[tuple[dt.date, dt.date]] = []

    def days_of_month(m: re.Match[str]) -> bool:
        d1, d2 = (int(m["d1"]), int(m["d2"])) if m["d1"] else (int(m["e1"]), int(m["e2"]))
        name = m["mon"] or m["mon2"]
        if name:
            month = _month_number(name)
            year = _year_of(m, month, today) if m["d1"] else (today.year if month >= today.month else today.year + 1)
        else:
            shift = 1 if m["q"] == "next" else 0
            month = (today.month - 1 + shift) % 12 + 1
            year = today.year + (today.month - 1 + shift) // 12
        try:
            first, last = dt.date(year, month, d1), dt.date(year, month, d2)
        except ValueError:
            return False
        if last < first:
            return False
        found.append((first, last))
        return True

    def year_month(m: re.Match[str]) -> bool:
        name, year = m["mon"] or m["mon2"], int(m["y"] or m["y2"])
        if name.isdigit() and m["y"] and not re.search(r"[/.-]", m.group(0)):
            return False  # "2016 11": two numbers, not a month
        number = int(name) if name.isdigit() else _month_number(name)
        found.append(_month_span(year, number))
        return True

    def month(m: re.Match[str]) -> bool:
        name = m["mon"]
        if m["q"] is None and name not in _FULL_MONTHS and not re.match(r"\s*(?:in|during|of|for)\b", m.group(0)):
            return False  # "jan" alone may be a name; "in jan" is the month
        if name == "may" and m["q"] is None and not re.match(r"\s*(?:in|during|of|for)\b", m.group(0)):
            return False
        if _NTH_BEFORE_RE.search(scan.text, 0, m.start()):
            return False  # "the first monday of february": a day, not the month
        number = _month_number(name)
        span = _month_span(_year_of(m, number, today), number)
        found.append(span if (m["y"] or "").isdigit() else _from_today(span, today))
        return True

    def this_month(m: re.Match[str]) -> bool:
        shift = {"next": 1, "coming": 1, "upcoming": 1, "last": -1, "previous": -1}.get(m["q"] or "", 0 if m["q"] else 2)
        months = today.month - 1 + shift
        found.append(_from_today(_month_span(today.year + months // 12, months % 12 + 1), today))
        return True

    def rest(m: re.Match[str]) -> bool:
        unit = m["u"]
        if unit == "week":
            last = today + dt.timedelta(days=6 - today.weekday())
        elif unit == "month":
            last = _month_span(today.year, today.month)[1]
        else:
            last = dt.date(today.year, 12, 31)
        found.append((today, last))
        return True

    def after_next(m: re.Match[str]) -> bool:
        monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=14)
        found.append((monday + dt.timedelta(days=5), monday + dt.timedelta(days=6)) if m["u"] == "weekend"
                     else (monday, monday + dt.timedelta(days=6)))
        return True

    def next_days(m: re.Match[str]) -> bool:
        n = int(m["n"]) if m["n"].isdigit() else _NUM[m["n"]]
        days = n * (7 if m["u"] == "week" else 1)
        first = today if m["kind"] != "next" else today + dt.timedelta(days=1)
        found.append((first, today + dt.timedelta(days=days)))
        return True

    def part_of(m: re.Match[str]) -> bool:
        part, q = m["part"] or m["part2"], m["q"]
        if m["mon"]:
            number = _month_number(m["mon"])
            first, last = _month_span(today.year if number >= today.month else today.year + 1, number)
        elif m["u"] == "week":
            first = today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=7 if q in ("next", "coming") else 0)
            last = first + dt.timedelta(days=6)
        else:
            months = today.year * 12 + today.month - 1 + (1 if q in ("next", "coming") else 0)
            first, last = _month_span(months // 12, months % 12 + 1)
        if m["u"] == "week":  # early: Mon-Wed, mid: Tue-Fri, late/end: Thu-Sun
            offsets = {"mid": (1, 4), "middle": (1, 4)}.get(part, (0, 2) if part in ("early", "earlier", "beginning", "start")
                                                            else (3, 6))
            span = (first + dt.timedelta(days=offsets[0]), first + dt.timedelta(days=offsets[1]))
        else:  # early: 1st-15th, late/end: 16th to the end, mid: 10th-20th
            span = ((first, first.replace(day=15)) if part in ("early", "earlier", "beginning", "start")
                    else (first.replace(day=10), first.replace(day=20)) if part in ("mid", "middle")
                    else (first.replace(day=16), last))
        if span[1] < today:
            return False
        found.append(_from_today(span, today))
        return True

    def nth_week(m: re.Match[str]) -> bool:
        if m["mon"]:
            number = _month_number(m["mon"])
            year = today.year if number >= today.month else today.year + 1
        else:
            months = today.year * 12 + today.month - 1 + (1 if m["q"] == "next" else 0)
            year, number = months // 12, months % 12 + 1
        first, last = _month_span(year, number)
        mondays = [first + dt.timedelta(days=i) for i in range(-3, 31)
                   if (first + dt.timedelta(days=i)).weekday() == 0 and first <= first + dt.timedelta(days=i + 3) <= last]
        nth = m["nth"]
        index = -1 if nth == "last" else int(nth[0]) - 1 if nth[0].isdigit() else ("first", "second", "third", "fourth").index(nth)
        if index >= len(mondays):
            return False
        monday = mondays[index]
        found.append(_from_today((monday, monday + dt.timedelta(days=6)), today))
        return True

    rules = ((THIS_MONTH_RE, this_month), (MONTH_RE, month)) if months else (
        (NTH_WEEK_RE, nth_week), (YEAR_MONTH_RE, year_month), (PART_OF_RE, part_of),
(DAYS_OF_MONTH_RE, days_of_month), (AFTER_NEXT_RE, after_next), (REST_RE, rest), (NEXT_DAYS_RE, next_days))
    for pattern, handle in rules:
        if scan.first(pattern, handle):
            return found[0]
    return None
