"""Dates, times and windows as customers type them on WhatsApp (issue 17): typos, clocks without
separators, minutes in words, windows of the shop's own day, "in 45 mins", and two dates or two
times offered as alternatives."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.nlu import Understanding, understand
from bot.shop import parse_shop

TOML = (Path(__file__).parents[2] / "bot" / "demo_shop.toml").read_text()
SHOP = parse_shop(TOML)  # London, Mon-Wed 09-18, Thu-Fri 09-20, Sat 08-16, 15-minute slots, horizon 30
WED = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)  # Wednesday 2 Dec 2026, 09:00 in London


def read(text: str, now: dt.datetime = WED) -> Understanding:
    return understand(text, now=now, shop=SHOP)


def d(day: int, month: int = 12, year: int = 2026) -> dt.date:
    return dt.date(year, month, day)


@pytest.mark.parametrize(("text", "day"), [
    ("tomoro", d(3)), ("tomoro at 5", d(3)), ("tommoro pls", d(3)), ("2moro", d(3)), ("2morro 4pm", d(3)),
    ("tmoro", d(3)), ("tmrw", d(3)), ("wensday", d(2)), ("satuday", d(5)), ("thurs", d(3)), ("fri", d(4)),
])
def test_tomorrow_and_weekdays_typed_in_a_hurry(text: str, day: dt.date) -> None:
    assert read(text).date == day


def test_words_that_only_look_like_tomorrow_are_not_dates() -> None:
    for text in ("tomato", "a tumour", "term", "tom is coming"):
        assert read(text).date is None, text


@pytest.mark.parametrize(("text", "hm"), [
    ("1630", (16, 30)), ("1630 tomorrow", (16, 30)), ("tmrw 0930", (9, 30)), ("16.30", (16, 30)),
    ("4 30", (16, 30)), ("around 5 30", (17, 30)), ("next tuesday around 5 30", (17, 30)), ("at 11 15", (11, 15)),
    ("half 4", (16, 30)), ("quarter past 5", (17, 15)), ("20 past 3", (15, 20)), ("ten to 5", (16, 50)),
    ("five mins to 6", (17, 55)), ("three quarters past 2", (14, 45)),
    ("eight forty", (8, 40)), ("four thirty", (16, 30)), ("seven thirty pm", (19, 30)), ("eleven fifteen", (11, 15)),
    ("340pm", (15, 40)), ("1140 a.m.", (11, 40)), ("4:30 p m", (16, 30)), ("11-ish", (11, 0)), ("noonish", (12, 0)),
    ("mid-day", (12, 0)), ("10:15:00", (10, 15)),
])
def test_clock_phrases_people_type(text: str, hm: tuple[int, int]) -> None:
    assert read(text).time == dt.time(*hm)


def test_around_half_past_is_that_time_not_the_hour() -> None:
    u = read("next tuesday around 5 30")
    assert (u.date, u.time) == (d(8), dt.time(17, 30))


def test_numbers_that_are_counts_or_years_are_not_clocks() -> None:
    for text in ("2 haircuts", "in 2 30 minute slots", "2026", "call me on 07700 900123", "£25"):
        assert read(text).time is None, text


@pytest.mark.parametrize(("text", "hm"), [
    ("7 in the morning", (7, 0)), ("8 in the night", (20, 0)), ("saturday morning at 7", (7, 0)),
    ("tomorrow evening at 8", (20, 0)), ("ten past 9 in the evening", (21, 10)),
])
def test_the_part_of_the_day_says_which_half_of_the_clock(text: str, hm: tuple[int, int]) -> None:
    assert read(text).time == dt.time(*hm)


def window(text: str) -> tuple[dt.date | None, int, int]:
    u = read(text)
    assert u.window is not None, text
    return u.date, u.window.start_min, u.window.end_min


def test_thursday_night_is_thursdays_evening_up_to_closing() -> None:
    assert window("thurs night") == (d(3), 17 * 60, 20 * 60)  # Thursday closes at 20:00
    assert window("friday evening") == (d(4), 17 * 60, 20 * 60)
    assert window("sat arvo") == (d(5), 12 * 60, 17 * 60)


def test_early_and_late_are_halves_of_the_part_of_the_day() -> None:
    assert window("early morning friday") == (d(4), 9 * 60, 10 * 60 + 30)  # opens 09:00
    assert window("late afternoon tomorrow") == (d(3), 14 * 60 + 30, 17 * 60)


def test_after_and_before_start_at_the_hour_said() -> None:
    assert window("after 3 if possible")[1:] == (15 * 60, 1440)
    assert window("before 11")[1:] == (0, 11 * 60)


def test_ranges_said_with_to_or_till_are_windows() -> None:
    assert window("5 to 6pm")[1:] == (17 * 60, 18 * 60)
    assert window("4pm till 5pm")[1:] == (16 * 60, 17 * 60)
    assert window("friday 2 til 4")[1:] == (14 * 60, 16 * 60)


def test_a_time_moved_to_an_hour_is_not_a_range() -> None:
    assert read("can you move my 10am to 11").time == dt.time(11)


@pytest.mark.parametrize(("text", "at"), [
    ("in 45 mins?", dt.datetime(2026, 12, 2, 9, 45)), ("in an hour", dt.datetime(2026, 12, 2, 10, 0)),
    ("in half an hour", dt.datetime(2026, 12, 2, 9, 30)), ("haircut in 2 hours pls", dt.datetime(2026, 12, 2, 11, 0)),
])
def test_in_so_many_minutes_is_now_plus_that(text: str, at: dt.datetime) -> None:
    u = read(text)
    assert (u.date, u.time) == (at.date(), at.time())


def test_in_minutes_rounds_up_to_the_shops_slot_grid() -> None:
    now = dt.datetime(2026, 12, 2, 9, 7, tzinfo=dt.UTC)
    assert read("in 45 mins", now=now).time == dt.time(10, 0)  # 09:52 -> 10:00
    assert read("in 20 minutes", now=now).time == dt.time(9, 30)  # 09:27 -> 09:30
    assert read("in 45 mins", now=dt.datetime(2026, 12, 2, 9, 0, 30, tzinfo=dt.UTC)).time == dt.time(10, 0)


def test_in_minutes_late_in_the_evening_can_be_tomorrow() -> None:
    u = read("in 2 hours", now=dt.datetime(2026, 12, 2, 23, 0, tzinfo=dt.UTC))
    assert (u.date, u.time) == (d(3), dt.time(1, 0))


def test_two_times_joined_by_or_are_both_offered() -> None:
    for text, times in (("at 5 or 6", (17, 18)), ("tomorrow at 5 or 6", (17, 18)), ("3pm or 4pm", (15, 16)),
                        ("10 or 11am", (10, 11)), ("4:30 or 5", (16, 17))):
        u = read(text)
        assert u.time is None and "time" in u.ambiguous, text
        assert [t.hour for t in u.time_options] == list(times), text


def test_a_correction_is_not_an_alternative() -> None:
    u = read("3pm, no wait, 4pm")
    assert (u.time, u.time_options) == (dt.time(16), ())


def test_two_days_joined_by_or_are_both_offered() -> None:
    u = read("this sat or sun")
    assert u.date is None and u.date_options == (d(5), d(6)) and "date" in u.ambiguous
    assert u.date_range == (d(5), d(6))  # next to each other: also the weekend's range
    u = read("mon or thurs at 3")
    assert u.date_options == (d(7), d(3)) and u.date_range is None and u.time == dt.time(15)


def test_a_move_from_one_day_to_another_is_not_an_alternative() -> None:
    u = read("move my friday one to monday")
    assert (u.old_date, u.date, u.date_options) == (d(4), d(7), ())


@pytest.mark.parametrize(("text", "intent"), [
    ("nah then ill leave it", "no"), ("nope not anymore", "no"), ("yeah nah", "no"), ("nah im good thanks", "no"),
    ("yep lock it in", "yes"), ("yeah go for it bro", "yes"), ("nah yeah do it", "yes"),
])
def test_a_clear_yes_or_no_first_then_filler_is_that_answer(text: str, intent: str) -> None:
    assert read(text).intent == intent


def test_words_that_start_like_no_are_not_an_answer() -> None:
    for text in ("no worries", "no one told me", "no problem at all", "yes but hmm", "yeah what time do you close"):
        assert read(text).intent not in ("yes", "no"), text


def test_a_dropped_g_and_w_for_with_read_as_written_out() -> None:
    assert read("is sam workin thursday").intent == "who"
    assert read("haircut w sam tmrw at 3").barber == "sam"


@pytest.mark.parametrize(("text", "hm"), [
    ("at like 4 o clock in the afternoon", (16, 0)), ("ten o clock", (10, 0)), ("11 o-clock tmrw", (11, 0)),
])
def test_o_clock_written_apart_is_the_hour(text: str, hm: tuple[int, int]) -> None:
    assert read(text).time == dt.time(*hm)


@pytest.mark.parametrize(("text", "intent"), [
    ("liam cant make saturday anymore, sunday same time?", "reschedule"), ("cant make my 3pm, 5pm?", "reschedule"),
    ("i can't make it on friday", "cancel"), ("i can't make it on friday at 3", "cancel"),
    ("can't make it tomorrow anymore", "cancel"),
])
def test_cant_make_a_day_then_a_new_one_is_a_move(text: str, intent: str) -> None:
    assert read(text).intent == intent


@pytest.mark.parametrize(("text", "n"), [("11 is fine", 11), ("11 works", 11), ("ok the 12 one then", 12), ("yes 2", 2)])
def test_a_number_with_words_around_it_is_a_choice(text: str, n: int) -> None:
    u = read(text)
    assert (u.intent, u.choice) == ("choice", n)


def test_earliest_on_a_day_named_is_first_thing_that_day() -> None:
    for text in ("whatevers earliest tmrw", "tmrw early", "as early as poss on friday"):
        u = read(text)
        assert u.window is not None and u.window.label == "first thing", text
    assert read("whats your earliest").window is None  # no day: the next free times
    assert read("earliest after 5 tomorrow").window.label == "after 17:00"
