"""Times: am/pm from the shop's hours, British phrasings, 24-hour clocks and windows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.nlu import understand
from bot.shop import parse_shop

SHOP = parse_shop((Path(__file__).parents[2] / "bot" / "demo_shop.toml").read_text())
NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)
ALL_DAY = parse_shop(
    """
[shop]
name = "Night Owl"
timezone = "Europe/London"
[hours]
mon = "00:00-24:00"
tue = "00:00-24:00"
wed = "00:00-24:00"
thu = "00:00-24:00"
fri = "00:00-24:00"
sat = "00:00-24:00"
sun = "00:00-24:00"
[[services]]
key = "haircut"
name = "Haircut"
minutes = 30
[[barbers]]
key = "sam"
name = "Sam"
phone = "+447700900001"
"""
)


def time_of(text: str, shop=SHOP) -> dt.time | None:
    return understand(text, now=NOW, shop=shop).time


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3pm", (15, 0)), ("3 pm", (15, 0)), ("15:00", (15, 0)), ("15.00", (15, 0)),
        ("4:30pm", (16, 30)), ("16h", (16, 0)), ("16h30", (16, 30)), ("at 1530", (15, 30)),
        ("noon", (12, 0)), ("midday", (12, 0)), ("at 12", (12, 0)), ("12am", (0, 0)),
        ("half past 4", (16, 30)), ("quarter past 3", (15, 15)), ("quarter to 5", (16, 45)),
        ("ten past 4", (16, 10)), ("at four", (16, 0)), ("3 o'clock", (15, 0)),
        ("8am", (8, 0)), ("at 7am", (7, 0)), ("09:30", (9, 30)), ("17:45", (17, 45)),
    ],
)
def test_clock_phrases(text: str, expected: tuple[int, int]) -> None:
    assert time_of(text) == dt.time(*expected)


def test_bare_hour_inside_afternoon_hours_means_pm() -> None:
    assert time_of("tomorrow at 3") == dt.time(15)
    assert time_of("tomorrow at 5") == dt.time(17)


def test_bare_hour_inside_morning_hours_means_am() -> None:
    assert time_of("friday at 10") == dt.time(10)
    assert time_of("saturday at 11") == dt.time(11)


def test_dotted_time_without_am_pm_follows_the_hours() -> None:
    assert time_of("tomorrow 4.30") == dt.time(16, 30)
    assert time_of("monday 9:30") == dt.time(9, 30)


def test_half_four_is_british_for_half_past_four() -> None:
    assert time_of("tomorrow, half 4?") == dt.time(16, 30)


def test_bare_hour_outside_hours_either_way_prefers_pm_for_small_hours() -> None:
    assert time_of("sunday at 3") == dt.time(15)  # closed on Sunday
    assert time_of("sunday at 9") == dt.time(9)
    assert time_of("thursday at 8") == dt.time(8)  # opens 09:00, closes 20:00


def test_explicit_am_is_kept_even_outside_hours() -> None:
    assert time_of("today at 8am") == dt.time(8)


def test_bare_hour_with_both_halves_open_is_ambiguous() -> None:
    u = understand("tomorrow at 3", now=NOW, shop=ALL_DAY)
    assert u.time is None and u.ambiguous == ("time",)


def test_a_window_word_settles_am_or_pm() -> None:
    assert time_of("tomorrow at 3 in the afternoon", shop=ALL_DAY) == dt.time(15)
    assert time_of("tonight at 7", shop=ALL_DAY) == dt.time(19)
    assert time_of("tomorrow morning at 10", shop=ALL_DAY) == dt.time(10)


def test_a_number_right_after_the_day_is_the_hour() -> None:
    assert time_of("haircut tmrw 5") == dt.time(17)


def window_of(text: str, shop=SHOP) -> tuple[int, int, str]:
    w = understand(text, now=NOW, shop=shop).window
    assert w is not None
    return (w.start_min, w.end_min, w.label)


def test_windows_of_the_day() -> None:
    assert window_of("friday morning") == (540, 720, "morning")
    assert window_of("any time friday afternoon?") == (720, 1020, "afternoon")
    assert window_of("friday evening") == (1020, 1200, "evening")
    assert window_of("lunchtime tomorrow") == (720, 840, "lunchtime")
    assert window_of("tonight")[:2] == (1020, 1080)


def test_after_and_before_use_the_bare_hour_rule() -> None:
    assert window_of("after 5") == (1020, 1440, "after 17:00")
    assert window_of("before 11") == (0, 660, "before 11:00")
    assert window_of("anything after 5pm friday?")[:2] == (1020, 1440)


def test_between_two_and_four_is_an_afternoon_range() -> None:
    assert window_of("between 2 and 4") == (840, 960, "between 14:00 and 16:00")
    assert window_of("from 10 to 2")[:2] == (600, 840)
    assert window_of("2-4pm")[:2] == (840, 960)


def test_numbers_that_are_not_times_are_left_alone() -> None:
    for text in ("can i get 2 haircuts", "is it £12.50?", "call 07700 900123", "in 3 days"):
        assert time_of(text) is None, text


def test_a_24_hour_clock_time_is_taken_as_written_when_the_shop_is_open_at_both() -> None:
    """In a shop open round the clock, "10:35" is 10:35, while a bare "at 10" is still asked about."""
    assert time_of("haircut today at 10:35", shop=ALL_DAY) == dt.time(10, 35)
    assert time_of("haircut today at 10h35", shop=ALL_DAY) == dt.time(10, 35)
    u = understand("haircut today at 10", now=NOW, shop=ALL_DAY)
    assert u.time is None and "time" in u.ambiguous


@pytest.mark.parametrize(("text", "hour"), [
    ("actually can we do 11 instead", 11), ("could you do 4?", 16), ("make it 11 instead", 11),
    ("any chance of 3?", 15), ("change it to 10", 10), ("what about 5", 17),
])
def test_bare_hours_after_everyday_phrasings_are_times(text: str, hour: int) -> None:
    assert time_of(text) == dt.time(hour, 0)


def test_a_count_of_services_is_not_a_time() -> None:
    assert time_of("I can do 2 haircuts") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("move my haircut to 11", (11, 0)), ("push my beard trim with alex to 3", (15, 0)),
        ("can you move my 10am to 11", (11, 0)), ("swap my booking to 5 please", (17, 0)),
        ("change it to 4.30", (16, 30)),
    ],
)
def test_the_hour_a_booking_is_moved_to_is_the_new_time(text: str, expected: tuple[int, int]) -> None:
    assert time_of(text) == dt.time(*expected)


def test_a_move_by_weeks_is_not_an_hour() -> None:
    assert time_of("move it to 2 weeks later") is None


@pytest.mark.parametrize(
    ("text", "window"),
    [("anything next sat am for a fade", (480, 720)), ("tomorrow am please", (540, 720)),
     ("friday pm?", (720, 1200)), ("fri p.m.", (720, 1200))],
)
def test_am_or_pm_after_a_day_is_half_of_it(text: str, window: tuple[int, int]) -> None:
    w = understand(text, now=NOW, shop=SHOP).window
    assert w is not None and (w.start_min, w.end_min) == window


@pytest.mark.parametrize("text", ["i am free friday", "am i booked on friday",
                                  "friday, am I able to get a haircut at some point?", "friday am I able to come"])
def test_am_as_a_verb_is_not_the_morning(text: str) -> None:
    assert understand(text, now=NOW, shop=SHOP).window is None


@pytest.mark.parametrize(
    ("text", "window"),
    [
        ("haircut friday, i start work at 10 so something before that", (0, 600)),
        ("i've got work at 11 so early saturday", (0, 660)),
        ("i have to leave by 3 tomorrow", (0, 900)),
        ("fade thursday, i finish at 5", (1020, 1440)),
        ("i'm at work till 3", (900, 1440)),
        ("i get off work at 4 on monday", (960, 1440)),
        ("kids cut friday, school finishes at 3", (900, 1440)),
    ],
)
def test_a_time_of_the_customers_own_day_is_a_window_not_the_appointment(text: str, window: tuple[int, int]) -> None:
    u = understand(text, now=NOW, shop=SHOP)
    assert u.time is None
    assert window_of(text)[:2] == window


def test_can_i_start_at_10_is_still_the_appointment_time() -> None:
    assert time_of("can i start at 10 friday") == dt.time(10, 0)


@pytest.mark.parametrize(("text", "start", "end"), [
    ("i'm free from 2pm for an hour", 14 * 60, 15 * 60), ("for 45 mins from 4", 16 * 60, 16 * 60 + 45),
    ("from 10 am for 1 hour 30 minutes", 10 * 60, 11 * 60 + 30), ("for 1.5 hrs from 3pm", 15 * 60, 16 * 60 + 30),
    ("from 11 for two hours and a half", 11 * 60, 13 * 60 + 30),
])
def test_a_time_and_how_long_is_a_window(text: str, start: int, end: int) -> None:
    u = understand(text, now=NOW, shop=ALL_DAY)
    assert u.window is not None and (u.window.start_min, u.window.end_min) == (start, end)
    assert u.time is None


@pytest.mark.parametrize(("text", "start", "end"), [
    ("6 to eight in the morning", 6 * 60, 8 * 60), ("from 2 in the morning till 4pm", 2 * 60, 16 * 60),
    ("from 9 to 11 at night", 21 * 60, 23 * 60), ("between 1 at night and 3 in the afternoon", 60, 15 * 60),
    ("from 4 to 6 in the evening", 16 * 60, 18 * 60),
])
def test_a_part_of_the_day_after_an_end_of_a_range_says_its_half(text: str, start: int, end: int) -> None:
    u = understand(text, now=NOW, shop=ALL_DAY)
    assert u.window is not None and (u.window.start_min, u.window.end_min) == (start, end)


@pytest.mark.parametrize(("text", "at"), [
    ("friday eight pm", dt.time(20)), ("can i come in at eleven a.m.", dt.time(11)), ("nine am tomorrow", dt.time(9)),
])
def test_an_hour_word_with_am_or_pm_is_that_time(text: str, at: dt.time) -> None:
    assert time_of(text, ALL_DAY) == at


def test_one_am_i_is_no_time() -> None:
    assert time_of("which one am i booked in") is None


@pytest.mark.parametrize(("text", "at"), [("8, tonight?", dt.time(20)), ("9 tonight", dt.time(21))])
def test_an_hour_said_right_before_tonight_is_that_evening(text: str, at: dt.time) -> None:
    assert time_of(text, ALL_DAY) == at


def test_nine_is_not_corrected_to_noon() -> None:
    assert time_of("at nine tomorrow") == dt.time(9)


def test_in_less_than_an_hour_is_an_hour_from_now() -> None:
    assert time_of("can u fit me in in less than an hour", ALL_DAY) == dt.time(10)


def test_a_time_after_a_year_is_no_month_of_it() -> None:
    u = understand("7 jan 2027 - 9:15am", now=NOW, shop=SHOP)
    assert (u.date, u.time) == (dt.date(2027, 1, 7), dt.time(9, 15))
