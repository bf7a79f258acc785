"""Calendar arithmetic on days, for the date rules: plain functions of their inputs."""

from __future__ import annotations

import datetime as dt


def next_year_date(year: int, month: int, day: int) -> dt.date | None:
    """The date in `year` or, for 29 February, in the next leap year from it."""
    for y in range(year, year + 8):
        try:
            return dt.date(y, month, day)
        except ValueError:
            if (month, day) != (2, 29):
                return None
    return None


def day_of_month(day: int, today: dt.date) -> dt.date | None:
    """The next `day` of a month from `today` on (today included); None for a day no month has."""
    if not 1 <= day <= 31:
        return None
    y, m = today.year, today.month
    for _ in range(13):
        try:
            d = dt.date(y, m, day)
            if d >= today:
                return d
        except ValueError:
            pass
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return None


def shifted(start: dt.date, n: int, unit: str) -> dt.date:
    """`start` moved by `n` days, weeks, fortnights, months or years (a month from 31 Jan is 28 Feb)."""
    if unit in ("day", "week", "fortnight"):
        d = start + dt.timedelta(days=n * {"day": 1, "week": 7, "fortnight": 14}[unit])
    else:
        months = start.month - 1 + n * (12 if unit == "year" else 1)
        y, mo = start.year + months // 12, months % 12 + 1
        last = (dt.date(y + mo // 12, mo % 12 + 1, 1) - dt.timedelta(days=1)).day
        d = dt.date(y, mo, min(start.day, last))
    return d


def nth_weekday(year: int, month: int, weekday: int, nth: str) -> dt.date | None:
    """The first..fifth or last `weekday` of a month; None when the month has no fifth."""
    first = dt.date(year, month, 1)
    days = [first + dt.timedelta(days=i) for i in range(31) if (first + dt.timedelta(days=i)).month == month]
    matching = [d for d in days if d.weekday() == weekday]
    if nth == "last":
        return matching[-1]
    index = int(nth[0]) - 1 if nth[0].isdigit() else ("first", "second", "third", "fourth", "fifth").index(nth)
    return matching[index] if index < len(matching) else None


def year_as_typed(text: str, today: dt.date) -> int:
    """A year as typed: "2027", or "27" / "89" in the century that puts it nearest to today."""
    year = int(text)
    if len(text) > 2:
        return year
    century = today.year - today.year % 100
    return century + year if century + year <= today.year + 50 else century - 100 + year


def weekday_month(day: int, weekday: int, upcoming: dt.date) -> dt.date | None:
    """The `day` of `upcoming`'s month or of the month before that falls on `weekday` ("thursday the
    21st" said on the 27th is the 21st just gone), else None."""
    for shift in (0, -1):
        months = upcoming.year * 12 + upcoming.month - 1 + shift
        try:
            d = dt.date(months // 12, months % 12 + 1, day)
        except ValueError:
            continue
        if d.weekday() == weekday:
            return d
    return None
