"""Dates: relative words, weekdays, days of the month, month names, numbers, and the
shop's time zone deciding what "today" is."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.nlu import understand
from bot.shop import parse_shop

SHOP = parse_shop((Path(__file__).parents[2] / "bot" / "demo_shop.toml").read_text())
LONDON = ZoneInfo("Europe/London")
WED = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)  # Wednesday 2 Dec 2026
MON = dt.datetime(2026, 12, 7, 10, 0, tzinfo=LONDON)
SUN = dt.datetime(2026, 12, 6, 10, 0, tzinfo=LONDON)
NY_SHOP = parse_shop(
    """
[shop]
name = "Brooklyn Cuts"
timezone = "America/New_York"
[hours]
mon = "10:00-19:00"
tue = "10:00-19:00"
wed = "10:00-19:00"
thu = "10:00-19:00"
fri = "10:00-19:00"
sat = "09:00-17:00"
[[services]]
key = "haircut"
name = "Haircut"
minutes = 30
[[barbers]]
key = "joe"
name = "Joe"
phone = "+12025550123"
"""
)


def d(day: int, month: int = 12, year: int = 2026) -> dt.date:
    return dt.date(year, month, day)


def date_of(text: str, now: dt.datetime = WED, shop=SHOP) -> dt.date | None:
    return understand(text, now=now, shop=shop).date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", d(2)), ("tonight", d(2)), ("tomorrow", d(3)), ("tmrw", d(3)), ("tmr", d(3)),
        ("tomoz", d(3)), ("2moro", d(3)), ("tommorow", d(3)), ("tomorow", d(3)),
        ("day after tomorrow", d(4)), ("the day after tomorrow at 10", d(4)),
        ("friday", d(4)), ("fri", d(4)), ("thurs", d(3)), ("weds", d(2)), ("wednesday", d(2)),
        ("this friday", d(4)), ("next monday", d(7)), ("next wednesday", d(9)), ("sat", d(5)),
        ("the 10th", d(10)), ("on the 3rd", d(3)), ("on the tenth at 3", d(10)),
        ("dec 7", d(7)), ("7 dec", d(7)), ("7th of december", d(7)), ("december 7th", d(7)),
        ("the seventh of december", d(7)), ("7/12", d(7)), ("2026-12-07", d(7)), ("7.12.2026", d(7)),
        ("in 3 days", d(5)), ("in a week", d(9)), ("in two weeks", d(16)), ("christmas eve", d(24)),
        ("jan 1", d(1, 1, 2027)), ("the 1st", d(1, 1, 2027)),
    ],
)
def test_date_phrases_read_from_wednesday_2_december(text: str, expected: dt.date) -> None:
    assert date_of(text) == expected


def test_a_weekday_named_today_means_today_and_next_means_a_week_on() -> None:
    assert date_of("monday", now=MON) == d(7)
    assert date_of("next monday", now=MON) == d(14)


def test_sunday_is_the_start_of_the_search_for_next_week_days() -> None:
    assert date_of("tomorrow", now=SUN) == d(7)
    assert date_of("next monday", now=SUN) == d(7)
    assert date_of("saturday", now=SUN) == d(12)


def test_an_explicit_date_before_today_is_flagged_not_moved() -> None:
    u = understand("1 dec at 3pm", now=WED, shop=SHOP)
    assert (u.date, u.past_date) == (d(1), True)
    u = understand("2026-11-30", now=WED, shop=SHOP)
    assert (u.date, u.past_date) == (d(30, 11), True)


def test_a_month_day_just_past_rolls_to_next_year_when_inside_the_horizon() -> None:
    late_dec = dt.datetime(2026, 12, 20, 12, 0, tzinfo=LONDON)
    u = understand("jan 5", now=late_dec, shop=SHOP)
    assert (u.date, u.past_date) == (d(5, 1, 2027), False)
    u = understand("10 dec", now=late_dec, shop=SHOP)
    assert (u.date, u.past_date) == (d(10), True)


def test_the_31st_skips_months_without_one() -> None:
    assert date_of("the 31st", now=dt.datetime(2026, 11, 5, 12, tzinfo=LONDON)) == d(31, 12)


def test_next_week_and_the_weekend_are_ranges_that_need_a_question() -> None:
    u = understand("next week", now=WED, shop=SHOP)
    assert u.date is None and u.date_range == (d(7), d(13)) and "date" in u.ambiguous
    u = understand("this weekend", now=WED, shop=SHOP)
    assert u.date_range == (d(5), d(6))


def test_a_weekday_that_disagrees_with_the_date_is_ambiguous() -> None:
    u = understand("friday the 5th", now=WED, shop=SHOP)
    assert u.date == d(5) and "date" in u.ambiguous
    assert understand("friday the 4th", now=WED, shop=SHOP).ambiguous == ()


def test_moving_one_day_to_another_keeps_both() -> None:
    u = understand("move my friday one to monday", now=WED, shop=SHOP)
    assert (u.old_date, u.date) == (d(4), d(7))


def test_today_is_the_shops_local_day_not_utc() -> None:
    # 23:30 UTC on 1 Dec is still 1 Dec in London but 18:30 on 1 Dec in New York;
    # 03:30 UTC on 2 Dec is 22:30 on 1 Dec in New York.
    late = dt.datetime(2026, 12, 2, 3, 30, tzinfo=dt.UTC)
    assert date_of("today", now=late, shop=NY_SHOP) == d(1)
    assert date_of("tomorrow", now=late, shop=NY_SHOP) == d(2)
    assert date_of("today", now=late, shop=SHOP) == d(2)


def test_numeric_dates_are_month_first_only_in_american_shops() -> None:
    assert date_of("12/7", shop=NY_SHOP) == d(7)
    assert date_of("7/12", shop=SHOP) == d(7)


def test_around_the_spring_clock_change_tomorrow_is_the_next_local_day() -> None:
    # 28 Mar 2026 23:30 GMT; clocks go forward at 01:00 on the 29th.
    now = dt.datetime(2026, 3, 28, 23, 30, tzinfo=dt.UTC)
    u = understand("tomorrow at 10", now=now, shop=SHOP)
    assert (u.date, u.time) == (d(29, 3), dt.time(10))
    # 29 Mar 23:30 UTC is already 30 Mar 00:30 BST.
    assert date_of("today", now=dt.datetime(2026, 3, 29, 23, 30, tzinfo=dt.UTC)) == d(30, 3)


def test_around_the_autumn_clock_change_today_follows_london() -> None:
    # 24 Oct 2026 23:30 UTC is 25 Oct 00:30 BST; clocks go back at 02:00.
    now = dt.datetime(2026, 10, 24, 23, 30, tzinfo=dt.UTC)
    assert date_of("today", now=now) == d(25, 10)
    assert date_of("tomorrow", now=now) == d(26, 10)
    # 25 Oct 23:30 UTC is 23:30 GMT, still the 25th.
    assert date_of("today", now=dt.datetime(2026, 10, 25, 23, 30, tzinfo=dt.UTC)) == d(25, 10)


def test_a_naive_now_is_taken_as_shop_local_time() -> None:
    assert date_of("today", now=dt.datetime(2026, 12, 2, 23, 59)) == d(2)


def test_a_month_day_beyond_the_horizon_stays_that_date_in_the_future() -> None:
    """Issue 17: "combo january 20" said in December is next January (the dialogue then says it is
    beyond the booking horizon), never a date that has passed."""
    for text, day in (("jan 3", d(3, 1, 2027)), ("combo january 20", d(20, 1, 2027)), ("20/1", d(20, 1, 2027)),
                      ("the 20th of january", d(20, 1, 2027)), ("feb 14", d(14, 2, 2027))):
        u = understand(text, now=WED, shop=SHOP)
        assert (u.date, u.past_date) == (day, False), text


def test_a_month_day_nearer_behind_than_ahead_is_a_date_that_has_passed() -> None:
    for text, day in (("1 dec", d(1)), ("nov 20", d(20, 11)), ("haircut on 10 october at 3", d(10, 10))):
        u = understand(text, now=WED, shop=SHOP)
        assert (u.date, u.past_date) == (day, True), text


@pytest.mark.parametrize("day", range(22, 30))
def test_days_of_the_month_that_look_like_booking_codes_are_days(day: int) -> None:
    """"the 25th" is 2, 5, T, H: all in the booking-code alphabet, so it was read as a code."""
    suffix = {22: "nd", 23: "rd"}.get(day, "th")
    u = understand(f"haircut on the {day}{suffix} at 3", now=WED, shop=SHOP)
    assert (u.date, u.code) == (d(day), None)
    assert date_of(f"haircut {day}{suffix} december") == d(day)


def test_an_ordinal_typed_in_capitals_is_still_a_code() -> None:
    assert understand("cancel 25TH", now=WED, shop=SHOP).code == "25TH"


def test_before_the_weekend_is_today_to_friday() -> None:
    assert understand("need a cut before the weekend", now=WED, shop=SHOP).date_range == (d(2), d(4))


@pytest.mark.parametrize(("text", "now", "read", "week_later"), [
    ("haircut next friday at 11", WED, d(4), d(11)),  # this week's Friday, or the one after
    ("next thursday", WED, d(3), d(10)),  # tomorrow, or a week later
    ("next monday", SUN, d(7), d(14)),  # tomorrow, said on a Sunday
    ("next monday", WED, d(7), None),  # next week's Monday: the nearest one anyway
    ("next monday", MON, d(14), None),  # today is Monday: a week on
    ("friday", WED, d(4), None),  # no "next": nothing to say
    ("this friday", WED, d(4), None),
    ("next friday the 11th", WED, d(11), None),  # the date says which
])
def test_next_weekday_within_this_week_keeps_the_other_reading(
        text: str, now: dt.datetime, read: dt.date, week_later: dt.date | None) -> None:
    u = understand(text, now=now, shop=SHOP)
    assert (u.date, u.week_later) == (read, week_later)


@pytest.mark.parametrize(("text", "day"), [
    ("2 weeks 3 days from now", dt.date(2026, 12, 19)), ("a month and 2 days ago", dt.date(2026, 10, 31)),
    ("1 year, 2 months later", dt.date(2028, 2, 2)), ("3 days 1 month from today", dt.date(2027, 1, 5)),
])
def test_an_offset_of_several_amounts_adds_each(text: str, day: dt.date) -> None:
    assert understand(text, now=WED, shop=SHOP).date == day


@pytest.mark.parametrize(("text", "day"), [
    ("jan twenty three", dt.date(2027, 1, 23)), ("march thirty one, 2027", dt.date(2027, 3, 31)),
    ("the fourth of july, two thousand and twenty seven", dt.date(2027, 7, 4)),
    ("feb twenty one two thousand twenty seven", dt.date(2027, 2, 21)),
])
def test_a_day_or_a_year_in_words(text: str, day: dt.date) -> None:
    assert understand(text, now=WED, shop=SHOP).date == day


def test_a_year_in_words_after_a_day_and_alone_a_time() -> None:
    assert understand("sept 10, twenty twenty seven", now=WED, shop=SHOP).date == dt.date(2027, 9, 10)
    assert understand("can i come at nineteen thirty", now=WED, shop=SHOP).time == dt.time(19, 30)
    assert understand("jan twenty five at 3", now=WED, shop=SHOP).time == dt.time(15)
