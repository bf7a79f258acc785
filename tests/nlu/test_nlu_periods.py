"""Ranges of days and dates said relative to weeks and months: "sometime in january", "next
month", "from the 4th to the 10th", "the week after next", "last sunday", "friday next week",
"the first monday of february", "two days ago", and dates written with numbers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.nlu import Understanding, understand
from bot.shop import parse_shop

TOML = (Path(__file__).parents[2] / "bot" / "demo_shop.toml").read_text()
SHOP = parse_shop(TOML)
US_SHOP = parse_shop(TOML.replace('timezone = "Europe/London"', 'timezone = "America/New_York"'))
WED = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)  # Wednesday 2 Dec 2026


def read(text: str, shop=SHOP) -> Understanding:
    return understand(text, now=WED, shop=shop)


def d(day: int, month: int = 12, year: int = 2026) -> dt.date:
    return dt.date(year, month, day)


@pytest.mark.parametrize(("text", "first", "last"), [
    ("sometime in january?", d(1, 1, 2027), d(31, 1, 2027)), ("haircut in march", d(1, 3, 2027), d(31, 3, 2027)),
    ("anything in december", d(2), d(31)), ("next month", d(1, 1, 2027), d(31, 1, 2027)),
    ("this month", d(2), d(31)), ("from the 4th to the 10th of this month", d(4), d(10)),
    ("4 till 23 next month", d(4, 1, 2027), d(23, 1, 2027)), ("january 19-20", d(19, 1, 2027), d(20, 1, 2027)),
    ("from dec 7 to dec 9", d(7), d(9)), ("today till tomorrow", d(2), d(3)),
    ("rest of the week", d(2), d(6)), ("the week after next", d(14), d(20)), ("next 3 days", d(3), d(5)),
    ("within 5 days", d(2), d(7)), ("within 2 weeks from today", d(2), d(16)),
    ("early next week", d(7), d(9)), ("beginning of next week", d(7), d(9)), ("mid next week", d(8), d(11)),
    ("end of next week", d(10), d(13)), ("late this month", d(16), d(31)), ("early next month", d(1, 1, 2027), d(15, 1, 2027)),
    ("end of march", d(16, 3, 2027), d(31, 3, 2027)),
    ("the week of the 18th", d(14), d(20)), ("w/c jan 4", d(4, 1, 2027), d(10, 1, 2027)),
    ("the week beginning 4 january", d(4, 1, 2027), d(10, 1, 2027)),
    ("for a week starting tomorrow", d(3), d(9)), ("for 3 days from today", d(2), d(4)),
    ("the third week of this month", d(14), d(20)), ("the last week of january", d(25, 1, 2027), d(31, 1, 2027)),
    ("june 2027", d(1, 6, 2027), d(30, 6, 2027)), ("2027-01", d(1, 1, 2027), d(31, 1, 2027)),
    ("dec 7 to dec 9", d(7), d(9)),
])
def test_ranges_of_days(text: str, first: dt.date, last: dt.date) -> None:
    u = read(text)
    assert (u.date, u.date_range) == (None, (first, last))
    assert "date" in u.ambiguous


def test_may_as_a_verb_and_a_month_before_a_day_are_not_ranges() -> None:
    assert read("may i book a cut").date_range is None
    assert read("the 20th of march").date == d(20, 3, 2027)
    assert read("march 20").date == d(20, 3, 2027)


def test_a_move_from_one_date_to_another_is_not_a_range() -> None:
    u = read("move my booking from dec 7 to dec 9")
    assert (u.old_date, u.date, u.date_range) == (d(7), d(9), None)


@pytest.mark.parametrize(("text", "day", "past"), [
    ("yesterday", d(1), True), ("the day before yesterday", d(30, 11), True), ("two days ago", d(30, 11), True),
    ("last sunday", d(29, 11), True), ("last week friday", d(27, 11), True),
    ("next week friday", d(11), False), ("friday next week", d(11), False), ("sunday of next week", d(13), False),
    ("two weeks from now", d(16), False), ("3 days from tomorrow", d(6), False), ("the next day", d(3), False),
    ("the first monday of february", d(1, 2, 2027), False), ("the last friday of this month", d(25), False),
    ("the 20th of next month", d(20, 1, 2027), False), ("thursday the 26th", d(26, 11), True),
])
def test_dates_said_relative_to_today_weeks_and_months(text: str, day: dt.date, past: bool) -> None:
    u = read(text)
    assert (u.date, u.past_date) == (day, past)


@pytest.mark.parametrize(("text", "shop", "day"), [
    ("4/22", US_SHOP, d(22, 4, 2027)), ("22/04", US_SHOP, d(22, 4, 2027)), ("22/4", SHOP, d(22, 4, 2027)),
    ("4/22", SHOP, d(22, 4, 2027)), ("2027/01/05", SHOP, d(5, 1, 2027)), ("2027-jan-5", SHOP, d(5, 1, 2027)),
    ("5/1/27", SHOP, d(5, 1, 2027)), ("on 5.1", SHOP, d(5, 1, 2027)), ("jan/5", SHOP, d(5, 1, 2027)),
    ("16. dec. 2026", SHOP, d(16)),
])
def test_dates_written_with_numbers_take_the_order_that_fits(text: str, shop, day: dt.date) -> None:
    assert read(text, shop).date == day


def test_a_day_counted_from_today_is_a_day_not_a_span() -> None:
    assert (read("3 days from today").date, read("3 days from today").date_range) == (d(5), None)


def test_two_weekdays_joined_by_to_are_a_move_or_a_choice_not_a_range() -> None:
    assert read("friday to monday").date_range is None


def test_a_day_this_month_does_not_have_is_no_date() -> None:
    u = understand("the 31st of this month", now=dt.datetime(2026, 11, 7, 9, 0, tzinfo=dt.UTC), shop=SHOP)
    assert u.date is None and "date" in u.ambiguous


def test_29_february_is_the_next_one() -> None:
    assert read("feb 29").date == d(29, 2, 2028)


@pytest.mark.parametrize(("text", "first", "last"), [
    ("between now and saturday", d(2), d(5)), ("from now till the 10th", d(2), d(10)),
    ("between the 20th of november and now", d(20, 11), d(2)), ("from thursday to the 12th", d(3), d(12)),
    ("next week between tuesday and thursday", d(8), d(10)), ("december , 2027", d(1, 12, 2027), d(31, 12, 2027)),
])
def test_more_ranges_of_days(text: str, first: dt.date, last: dt.date) -> None:
    u = read(text)
    assert (u.date, u.date_range) == (None, (first, last))


def test_a_weekday_after_next_week_is_that_weeks() -> None:
    assert read("next week, maybe thursday").date == d(10)
    assert read("move my thursday one to next week").date != d(10)


@pytest.mark.parametrize(("text", "first", "last"), [
    ("from the 5th to jan 9th", d(5, 1, 2027), d(9, 1, 2027)), ("between 10 and feb 14, 2027", d(10, 2, 2027), d(14, 2, 2027)),
])
def test_days_of_a_month_named_after_the_second_day(text: str, first: dt.date, last: dt.date) -> None:
    assert read(text).date_range == (first, last)


@pytest.mark.parametrize(("text", "day"), [
    ("two fridays from now", d(11)), ("in 3 mondays' time", d(21)), ("a wednesday later", d(9)),
])
def test_the_nth_weekday_from_now(text: str, day: dt.date) -> None:
    assert read(text).date == day


@pytest.mark.parametrize(("text", "first", "last"), [
    ("less than 4 days after tomorrow", d(3), d(7)), ("less than a week from now", d(2), d(9)),
])
def test_less_than_an_offset_is_the_days_up_to_it(text: str, first: dt.date, last: dt.date) -> None:
    assert read(text).date_range == (first, last)


def test_more_than_an_offset_is_from_then_on_or_no_day() -> None:
    u = read("more than 3 weeks from now")
    assert u.date is None and u.date_range is not None and u.date_range[0] == d(23)
    u = read("more than 2 months ago")
    assert (u.date, u.date_range) == (None, None)
