"""A January date typed in December, with no year: next January, inside the horizon or beyond it
(the dialogue says which); flagged as past only when this year's is nearer behind than next year's ahead."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.nlu import understand
from bot.shop import parse_shop

TOML = (Path(__file__).parents[2] / "bot" / "demo_shop.toml").read_text()
SHOP = parse_shop(TOML)  # horizon 30 days
LONG = parse_shop(TOML.replace("horizon_days = 30", "horizon_days = 90"))
LONDON = ZoneInfo("Europe/London")
LATE_DEC = dt.datetime(2026, 12, 20, 12, 0, tzinfo=LONDON)


@pytest.mark.parametrize("text", ["20 january", "jan 5 at 10", "5 jan", "january 5th", "the 5th of january",
                                  "jan 5th at 10am", "haircut jan 5 with sam", "5/1", "jan,5"])
def test_a_january_date_in_december_is_next_january_inside_the_horizon(text: str) -> None:
    u = understand(text, now=dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC), shop=LONG)
    assert u.date is not None and u.date.year == 2027 and u.date.month == 1
    assert not u.past_date


def test_late_in_december_the_default_horizon_reaches_january() -> None:
    u = understand("jan 5 at 10", now=LATE_DEC, shop=SHOP)
    assert (u.date, u.past_date, u.time) == (dt.date(2027, 1, 5), False, dt.time(10, 0))


def test_next_years_date_exactly_at_the_horizon_still_rolls_over() -> None:
    u = understand("19 january", now=LATE_DEC, shop=SHOP)  # 30 days after 20 Dec
    assert (u.date, u.past_date) == (dt.date(2027, 1, 19), False)


def test_next_years_date_beyond_the_horizon_is_next_year_not_past() -> None:
    """Issue 17: beyond the horizon is said as such by the dialogue; the date is not a past one."""
    u = understand("21 january", now=LATE_DEC, shop=SHOP)  # 32 days away, horizon 30
    assert (u.date, u.past_date) == (dt.date(2027, 1, 21), False)


def test_new_years_eve_late_utc_is_already_january_in_a_shop_ahead_of_utc() -> None:
    shop = parse_shop(TOML.replace('timezone = "Europe/London"', 'timezone = "Europe/Athens"'))
    u = understand("jan 1", now=dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC), shop=shop)
    assert (u.date, u.past_date) == (dt.date(2027, 1, 1), False)


def test_a_date_given_with_this_years_number_is_not_moved() -> None:
    u = understand("5 jan 2026", now=LATE_DEC, shop=SHOP)
    assert (u.date, u.past_date) == (dt.date(2026, 1, 5), True)
