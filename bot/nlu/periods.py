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

from bot.nlu.days import shifted
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
_YEAR = r"(?:\s*,?\s*(?:of\s+)?(?P<y>(?:19|20)\d\d|next\s+year|this\s+year))?"

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
    + r"\s*(?:to|till|til|until|through|thru|-|–|and)\s*(?:the\s+)?(?P<e2>\d{1,2})" + _ORD + r"\b(?!\s*(?:am|pm|:))"
    # "from the 4th to january 22nd", "from 02 to april 07, 2027"
    r"|\b(?:from|between)\s+(?:the\s+)?(?P<f1>\d{1,2})" + _ORD + r"\s*(?:to|till|til|until|through|thru|-|–|and)\s*(?:the\s+)?"
    r"(?P<mon3>" + _ANY_MONTH + r")\b\.?\s*(?:the\s+)?(?P<f2>\d{1,2})" + _ORD + r"\b(?!\s*(?:am|pm|:))(?:\s*,?\s*(?P<y3>(?:19|20)\d\d)\b)?")
# "2016 june", "2016, nov", "2016-11", "11/2016", "june of 2027": a month of a year said
YEAR_MONTH_RE = re.compile(r"\b(?P<y>(?:19|20)\d\d)\s*(?:,\s*|[/.-]\s*)?(?P<mon>" + _ANY_MONTH + r"|0?[1-9]|1[0-2])\b(?!\s*[/.-]\s*\d|:\d|\s*(?:am|pm)\b)"
                           r"|(?<![\d/.-])\b(?P<mon2>0?[1-9]|1[0-2])\s*[/-]\s*(?P<y2>(?:19|20)\d\d)\b")
REST_RE = re.compile(r"\b(?:the\s+)?rest\s+(?:of\s+)?(?:the\s+|this\s+|my\s+|current\s+)?(?P<u>week|month|year)\b")
AFTER_NEXT_RE = re.compile(r"\bthe\s+(?P<u>week|weekend)\s+after\s+(?:the\s+)?next\b")
NEXT_DAYS_RE = re.compile(r"\b(?P<kind>next|within(?:\s+the\s+(?:next|upcoming))?|in\s+the\s+next|less\s+than|past|last|previous)\s+"
                          r"(?P<n>\d{1,2}|an?|one|two|three|four|five|six|seven|ten|(?:a\s+)?few|(?:a\s+)?couple(?:\s+of)?)"
                          r"\s*(?P<u>day|week|month|year)s?(?:\s+from\s+(?:today|now))?\b"
                          r"(?!\s+(?:after|before|ago|later|from\s+(?:tomorrow|yesterday))\b)")
# "for 3 days from today", "for a week starting tomorrow", "for 2 weeks from the 20th": days from a date
FOR_FROM_RE = re.compile(r"\bfor\s+(?P<n>\d{1,2}|an?|one|two|three|four|five|six|seven|ten)\s+(?P<u>day|week)s?\s*,?\s*"
                         r"(?:starting|beginning|from)(?:\s+from|\s+on)?(?=\s)")
# "the third week of this month", "the last week of july": the Monday-to-Sunday weeks whose Thursday is in the month
NTH_WEEK_RE = re.compile(r"\b(?:the\s+)?(?P<nth>first|second|third|fourth|last|1st|2nd|3rd|4th)\s+week\s+(?:(?:of|in)\s+(?:the\s+)?"
                         r"(?:(?P<q>this|next)\s+month|(?P<mon>" + _ANY_MONTH + r"))\b|(?:of\s+|in\s+)?(?:(?P<y>(?:19|20)\d\d)\b"
                         r"|(?P<yq>this|next|last|previous)\s+year\b))")
# "early next week", "the end of this week", "mid next week", "late this month", "beginning of next month"
PART_OF_RE = re.compile(r"\b(?:the\s+)?(?:(?P<part>early|earlier|mid|late|later)\s+(?:of\s+|in\s+)?|(?P<part2>beginning|start|middle|end)\s+of\s+)(?:the\s+)?"
                        r"(?:(?P<q>this|next|coming|last|previous)\s+)?(?P<u>week|month|year|(?P<mon>" + _ANY_MONTH + r")|(?P<y>(?:19|20)\d\d))\b")
# "the week of the 18th", "the week starting february 4", "w/c feb 4": the Monday-to-Sunday week
WEEK_OF_RE = re.compile(r"\b(?:(?:the\s+)?week\s+of|the\s+week\s+(?:starting|beginning|commencing)(?:\s+on)?|w/c)(?=\s)")
_NTH_BEFORE_RE = re.compile(r"\b(?:first|second|third|fourth|fifth|last|\d{1,2}(?:st|nd|rd|th)?)\s+(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day|week|weekend)\s*$")
_NUM = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "ten": 10,
        "few": 3, "a few": 3, "couple": 2, "a couple": 2, "couple of": 2, "a couple of": 2}
_NTH = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "last": -1}
_NTHS = r"first|second|third|fourth|last|1st|2nd|3rd|4th"
# a year said after a period: "of 2016", "this year", "next year"
_OF_YEAR = r"(?:\s*,?\s*(?:of\s+|in\s+)?(?:(?P<y>(?:19|20)\d\d)\b|(?P<yq>this|next|last|previous)\s+year\b))"
# "the third quarter of 2016", "q3 this year", "2016 q3", "during q2": three months of a year
QUARTER_RE = re.compile(r"\b(?:(?P<y0>(?:19|20)\d\d)\s*,?\s*)?(?:(?:the\s+)?(?P<nth>" + _NTHS + r")\s+quarter|q(?P<n>[1-4]))\b"
                        + _OF_YEAR + "?")
# "h1 2016", "2016 h2", "2016h2": half a year, said with its year
HALF_YEAR_RE = re.compile(r"(?:\b(?P<y0>(?:19|20)\d\d)\s*|\b)h(?P<n>[12])\b(?:\s*(?P<y>(?:19|20)\d\d)\b)?")
# "next year", "last year", "the year after next"
# ("this year" alone is talk: "best cut i've had this year")
YEAR_RE = re.compile(r"\b(?:(?P<q>next|last|previous|coming)\s+year|the\s+year\s+after\s+(?:the\s+)?next)\b")


def _end(n: int) -> str:
    """One end of a span of years: "2015", "may 2015", "2015 may", "january 5th 2018", "feb 1st"."""
    return (r"(?:(?P<ma{n}>" + _ANY_MONTH + r")\.?\s+(?:(?P<da{n}>\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s*)?(?:of\s+)?)?"
            r"(?P<y{n}>(?:19|20)\d\d)?(?:\s+(?P<mb{n}>" + _ANY_MONTH + r")\b)?").format(n=n)


# "between 2015 and feb 2018", "from 2014 to 2018", "2014-2018", "from feb 1st to march 2019": a span
# from the start of one year, month or day to the start of another
SPAN_RE = re.compile(r"\b(?:from|between|in)\s+" + _end(1) + r"\s*(?:to|till|til|until|through|thru|and|-|–)\s*" + _end(2)
                     + r"(?<=\d|[a-z])\b(?!\s*[:.]?\d)|\b(?P<ya>(?:19|20)\d\d)\s*[-–]\s*(?P<yb>(?:19|20)\d\d)\b")
# "the 1970s", "2000's", "this decade", "the next 3 decades", "the past two decades"
DECADE_RE = re.compile(r"\b(?P<c>(?:19|20)\d)0'?s\b|\b(?P<q>this|current|next|last|past|previous)\s+(?:(?P<n>\d|two|three|four|five)\s+)?decades?\b")
# "the 21st century"
CENTURY_RE = re.compile(r"\b(?P<n>\d{1,2})(?:st|nd|rd|th)\s+century\b")
# "week 10", "from week 31 to week 35": weeks of the year by number (ISO)
WEEK_N_RE = re.compile(r"\b(?:(?:from|between)\s+)?week\s+(?P<n>\d{1,2})\b(?!\s*(?:am|pm|a\.m|p\.m|[:.]\d|o'clock|or|/|people|of))"
                       r"(?:\s*(?:to|till|until|through|thru|-|–|and)\s*week\s+(?P<n2>\d{1,2})\b)?")
_WEEK_N_BEFORE_RE = re.compile(r"\b(?:next|this|last|coming|the|a|per|each|every|that|following|of|in|one)\s*$")

_STEMS = ("19", "20", "/", "-", "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec", "month", "rest",
          "after next", "next", "within", "week", "year", "quarter", "q1", "q2", "q3", "q4", "h1", "h2", "decade", "century", "past",
          "last", "previous", "less")


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


def _year_said(q: str, today: dt.date) -> int:
    """The year "this/next/last year" names."""
    return today.year + {"next": 1, "last": -1, "previous": -1}.get(q, 0)


def _clock_window(a: str, b: str) -> bool:
    """Whether two four-digit numbers also read as a window of 24-hour times of 15 minutes or more
    ("1930" to "2000"); "2014" to "2018", 4 minutes apart, is no window anyone books."""
    start, end = int(a[:2]) * 60 + int(a[2:]), int(b[:2]) * 60 + int(b[2:])
    return int(a[2:]) < 60 and int(b[2:]) < 60 and end <= 1440 and end - start >= 15


def _start_of(m: re.Match[str], n: int, year: int) -> dt.date | None:
    """The first day of the `n`th end of a SPAN_RE match: its day, else its month, else its year."""
    name = m[f"ma{n}"] or m[f"mb{n}"]
    month = _month_number(name) if name else 1
    try:
        return dt.date(year, month, int(m[f"da{n}"]) if m[f"da{n}"] else 1)
    except ValueError:
        return None


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
        d1, d2 = (int(m["d1"]), int(m["d2"])) if m["d1"] else (int(m["e1"]), int(m["e2"])) if m["e1"] else (int(m["f1"]), int(m["f2"]))
        name = m["mon"] or m["mon2"]
        if m["mon3"]:
            month = _month_number(m["mon3"])
            year = int(m["y3"]) if m["y3"] else (today.year if month >= today.month else today.year + 1)
        elif name:
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
        raw = " ".join(m["n"].split())
        n = int(raw) if raw.isdigit() else _NUM[raw]
        if m["kind"] in ("past", "last", "previous"):  # "the past 3 weeks": the days before today
            found.append((shifted(today, -n, m["u"]), today - dt.timedelta(days=1)))
            return True
        first = today if m["kind"] != "next" else today + dt.timedelta(days=1)
        found.append((first, shifted(today, n, m["u"])))
        return True

    def quarter(m: re.Match[str]) -> bool:
        n = int(m["n"]) if m["n"] else _NTH[m["nth"]]
        n = 4 if n == -1 else n
        said = m["y0"] or m["y"]
        if said or m["yq"]:
            year = int(said) if said else _year_said(m["yq"], today)
        else:  # "during q2": the nearest one not yet over
            year = today.year if today.month <= 3 * n else today.year + 1
        found.append((dt.date(year, 3 * n - 2, 1), _month_span(year, 3 * n)[1]))
        return True

    def half_year(m: re.Match[str]) -> bool:
        said = m["y0"] or m["y"]
        if not said:
            return False  # "h1" alone is no half year
        year, n = int(said), int(m["n"])
        found.append((dt.date(year, 6 * n - 5, 1), _month_span(year, 6 * n)[1]))
        return True

    def year(m: re.Match[str]) -> bool:
        shift = {"next": 1, "coming": 1, "last": -1, "previous": -1}[m["q"]] if m["q"] else 2
        span = (dt.date(today.year + shift, 1, 1), dt.date(today.year + shift, 12, 31))
        found.append(_from_today(span, today))
        return True

    def span(m: re.Match[str]) -> bool:
        bare = [m["ya"], m["yb"]] if m["ya"] else [m["y1"], m["y2"]] if not (m["ma1"] or m["mb1"] or m["ma2"] or m["mb2"]) else []
        if len(bare) == 2 and all(bare) and _clock_window(*bare):
            return False  # "between 1930 and 2000": a window of 24-hour times, for the time rules
        first: dt.date | None
        end: dt.date | None
        if m["ya"]:
            first, end = dt.date(int(m["ya"]), 1, 1), dt.date(int(m["yb"]), 1, 1)
        else:
            if not m["y2"] or not (m["y1"] or m["ma1"]):
                return False  # no year at the end: the day rules read "from dec 7 to dec 9"
            end = _start_of(m, 2, int(m["y2"]))
            if end is None:
                return False
            first = _start_of(m, 1, int(m["y1"]) if m["y1"] else end.year)
            if first is not None and not m["y1"] and end is not None and first > end:
                first = first.replace(year=first.year - 1)
        if first is None or end is None or end <= first:
            return False
        found.append((first, end))
        return True

    def decade(m: re.Match[str]) -> bool:
        if m["c"]:
            start = int(m["c"]) * 10
            found.append((dt.date(start, 1, 1), dt.date(start + 9, 12, 31)))
            return True
        n = _NUM.get(m["n"] or "one") or int(m["n"])
        this = today.year - today.year % 10
        if m["q"] in ("this", "current"):
            first, last = this, this + 10
        elif m["q"] == "next":
            first, last = this + 10, this + 10 * (n + 1)
        else:
            first, last = this - 10 * n, this
        found.append((dt.date(first, 1, 1), dt.date(last - 1, 12, 31)))
        return True

    def century(m: re.Match[str]) -> bool:
        n = int(m["n"])
        if not 1 <= n <= 30:
            return False
        found.append((dt.date(max(1, (n - 1) * 100), 1, 1), dt.date(n * 100 - 1, 12, 31)))
        return True

    def week_n(m: re.Match[str]) -> bool:
        if _WEEK_N_BEFORE_RE.search(scan.text, 0, m.start()):
            return False  # "next week 3 please": not the third week of the year
        try:
            first = dt.date.fromisocalendar(today.year, int(m["n"]), 1)
            last = (dt.date.fromisocalendar(today.year, int(m["n2"]), 1) if m["n2"]
                    else first + dt.timedelta(days=6))
        except ValueError:
            return False
        if last < first:
            return False
        found.append((first, last))
        return True

    def part_of(m: re.Match[str]) -> bool:
        part, q = m["part"] or m["part2"], m["q"]
        back = q in ("last", "previous")
        if m["u"] == "year" or m["y"]:
            year = int(m["y"]) if m["y"] else today.year + {"next": 1, "coming": 1}.get(q or "", -1 if back else 0)
            if part in ("early", "earlier", "late", "later"):  # "early next year": its first half
                bounds = (1, 6) if part.startswith("earl") else (7, 12)
            else:  # "the beginning of 2000": its first third
                bounds = {"beginning": (1, 4), "start": (1, 4), "mid": (5, 8), "middle": (5, 8)}.get(part, (9, 12))
            span = (dt.date(year, bounds[0], 1), _month_span(year, bounds[1])[1])
            if part == "earlier" and q in (None, "this") and span[0] < today:  # "earlier this year": the days gone
                span = (dt.date(year, 1, 1), today - dt.timedelta(days=1))
            found.append(span if span[1] < today else _from_today(span, today))
            return True
        if part == "earlier" and q in (None, "this") and not m["mon"]:  # "earlier this month": the days gone by
            first = (today - dt.timedelta(days=today.weekday())) if m["u"] == "week" else today.replace(day=1)
            if first >= today:
                return False
            found.append((first, today - dt.timedelta(days=1)))
            return True
        if m["mon"]:
            number = _month_number(m["mon"])
            first, last = _month_span(today.year if number >= today.month else today.year + 1, number)
        elif m["u"] == "week":
            shift = 7 if q in ("next", "coming") else -7 if back else 0
            first = today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=shift)
            last = first + dt.timedelta(days=6)
        else:
            months = today.year * 12 + today.month - 1 + (1 if q in ("next", "coming") else -1 if back else 0)
            first, last = _month_span(months // 12, months % 12 + 1)
        if m["u"] == "week":  # early: Mon-Wed, mid: Tue-Fri, late/end: Thu-Sun
            offsets = {"mid": (1, 4), "middle": (1, 4)}.get(part, (0, 2) if part in ("early", "earlier", "beginning", "start")
                                                            else (3, 6))
            span = (first + dt.timedelta(days=offsets[0]), first + dt.timedelta(days=offsets[1]))
        else:  # early: 1st-15th, late/end: 16th to the end, mid: 10th-20th
            span = ((first, first.replace(day=15)) if part in ("early", "earlier", "beginning", "start")
                    else (first.replace(day=10), first.replace(day=20)) if part in ("mid", "middle")
                    else (first.replace(day=16), last))
        if span[1] < today and not back:
            return False
        found.append(span if back else _from_today(span, today))
        return True

    def nth_week(m: re.Match[str]) -> bool:
        index = _NTH[m["nth"]]
        if m["y"] or m["yq"]:  # "the first week of 2015": the weeks of the year by number (ISO)
            year = int(m["y"]) if m["y"] else _year_said(m["yq"], today)
            monday = dt.date.fromisocalendar(year, index if index > 0 else dt.date(year, 12, 28).isocalendar()[1], 1)
            found.append((monday, monday + dt.timedelta(days=6)))
            return True
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

    rules = ((THIS_MONTH_RE, this_month), (MONTH_RE, month), (YEAR_RE, year)) if months else (
        (SPAN_RE, span), (NTH_WEEK_RE, nth_week), (QUARTER_RE, quarter), (HALF_YEAR_RE, half_year), (YEAR_MONTH_RE, year_month),
        (PART_OF_RE, part_of), (DAYS_OF_MONTH_RE, days_of_month), (AFTER_NEXT_RE, after_next), (REST_RE, rest),
        (NEXT_DAYS_RE, next_days), (DECADE_RE, decade), (CENTURY_RE, century), (WEEK_N_RE, week_n))
    for pattern, handle in rules:
        if scan.first(pattern, handle):
            return found[0]
    return None
