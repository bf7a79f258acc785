"""Ranges of days longer or further away than a booking usually asks for, read all the same so a
message that names one is not misread as a day: quarters ("q1", "the second quarter of 2027"),
half years ("h2 2027"), years ("next year"), spans of years and months ("between 2027 and march
2028"), decades, centuries, weeks of the year ("week 50", "the first week of 2027"), the days
just gone ("the past 3 weeks", "earlier this month") and parts of a year ("early next year")."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.nlu import Understanding, understand
from bot.shop import parse_shop

SHOP = parse_shop((Path(__file__).parents[2] / "bot" / "demo_shop.toml").read_text())
WED = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)  # Wednesday 2 Dec 2026


def read(text: str) -> Understanding:
    return understand(text, now=WED, shop=SHOP)


def d(day: int, month: int = 12, year: int = 2026) -> dt.date:
    return dt.date(year, month, day)


@pytest.mark.parametrize(("text", "first", "last"), [
    ("sometime in q1", d(1, 1, 2027), d(31, 3, 2027)),  # this year's is over: the next one
    ("the second quarter of 2027", d(1, 4, 2027), d(30, 6, 2027)), ("2027 q4", d(1, 10, 2027), d(31, 12, 2027)),
    ("h2 2027", d(1, 7, 2027), d(31, 12, 2027)),
    ("next year", d(1, 1, 2027), d(31, 12, 2027)), ("the year after next", d(1, 1, 2028), d(31, 12, 2028)),
    ("between 2027 and march 2028", d(1, 1, 2027), d(1, 3, 2028)),
    ("from jan 10th to june 2027", d(10, 1, 2027), d(1, 6, 2027)), ("2030-2035", d(1, 1, 2030), d(1, 1, 2035)),
    ("the 2030s", d(1, 1, 2030), d(31, 12, 2039)), ("the next decade", d(1, 1, 2030), d(31, 12, 2039)),
    ("the 22nd century", d(1, 1, 2100), d(31, 12, 2199)),
    ("the past 3 weeks", d(11, 11), d(1)), ("within 2 months", d(2), d(2, 2, 2027)),
    ("the next 2 months", d(3), d(2, 2, 2027)), ("in the next few days", d(2), d(5)),
    ("late last month", d(16, 11), d(30, 11)), ("end of last week", d(26, 11), d(29, 11)),
    ("earlier this week", d(30, 11), d(1)), ("earlier this month", d(1), d(1)),
    ("early next year", d(1, 1, 2027), d(30, 6, 2027)), ("the end of 2027", d(1, 9, 2027), d(31, 12, 2027)),
    ("the first week of 2027", d(4, 1, 2027), d(10, 1, 2027)), ("the last week of next year", d(27, 12, 2027), d(2, 1, 2028)),
    ("week 50", d(7), d(13)), ("from week 2 to week 4", d(5, 1, 2026), d(19, 1, 2026)),
])
def test_long_ranges_of_days(text: str, first: dt.date, last: dt.date) -> None:
    u = read(text)
    assert (u.date, u.date_range) == (None, (first, last))
    assert "date" in u.ambiguous


def test_half_year_needs_its_year() -> None:
    assert read("h1").date_range is None


def test_a_window_of_24_hour_times_is_not_a_span_of_years() -> None:
    u = read("can i come between 1930 and 2000")
    assert u.date_range is None
    assert u.time == dt.time(19, 30) or u.window is not None


def test_a_number_after_next_week_is_not_a_week_of_the_year() -> None:
    assert read("next week 3 please").date_range == (d(7), d(13))


def test_earlier_this_year_is_the_days_gone() -> None:
    assert read("earlier this year").date_range == (d(1, 1), d(1))


@pytest.mark.parametrize(("text", "first", "last"), [
    ("from two thousand and ten until two thousand and twenty", d(1, 1, 2010), d(1, 1, 2020)),
    ("in one thousand nine hundred and ninety", d(1, 1, 1990), d(31, 12, 1990)),
    ("august of nineteen eighty eight", d(1, 8, 1988), d(31, 8, 1988)),
])
def test_years_in_words(text: str, first: dt.date, last: dt.date) -> None:
    assert read(text).date_range == (first, last)


def test_days_that_are_over_are_talk_not_a_request() -> None:
    u = read("been coming here for the past 3 years")
    assert u.date_range == (d(2, 12, 2023), d(1)) and u.past_date
    assert u.intent.value != "book"


def test_this_year_alone_is_no_range() -> None:
    assert read("best one this year").date_range is None
