"""understand() never raises and always answers, whatever arrives."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.nlu import Intent, Understanding, understand
from bot.nlu.understand import stats
from bot.shop import parse_shop

SHOP = parse_shop((Path(__file__).parents[2] / "bot" / "demo_shop.toml").read_text())
NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)

_pieces = st.sampled_from(
    ["haircut", "with sam", "tmrw", "at", "3", "4.30", "half", "past", "quarter to", "12/7", "dec",
     "the 10th", "between", "and", "after", "before", "next", "friday", "cancel", "K7Q2", "no,",
     "actually", "make it", "😀", "👍", "?", "31/2", "2026-02-30", "99:99", "0h", "at 2459", "00:00",
     "in 99 days", "may", "from 11 to 1", "twenty-first of", "noon", "\x00", "\u202e", "ﬁ", "Ⅻ"]
)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_gives_an_understanding(text: str) -> None:
    errors = stats["errors"]
    u = understand(text, now=NOW, shop=SHOP)
    assert isinstance(u, Understanding) and isinstance(u.intent, Intent)
    assert stats["errors"] == errors, "the parser raised (caught and logged)"


@settings(max_examples=300, deadline=None)
@given(st.lists(_pieces, max_size=12).map(" ".join))
def test_any_mix_of_date_and_time_words_gives_a_valid_understanding(text: str) -> None:
    errors = stats["errors"]
    u = understand(text, now=NOW, shop=SHOP)
    assert stats["errors"] == errors, "the parser raised (caught and logged)"
    if u.window is not None:
        assert 0 <= u.window.start_min < u.window.end_min <= 1440
    if u.time is not None:
        assert isinstance(u.time, dt.time)


def test_very_long_text_is_cut_and_still_read() -> None:
    u = understand("haircut tomorrow at 3pm " + "blah " * 2000 + "cancel", now=NOW, shop=SHOP)
    assert (u.intent, u.service, u.time) == (Intent.BOOK, "haircut", dt.time(15))
    assert len(u.text) <= 500


def test_control_characters_and_odd_unicode_do_not_break_it() -> None:
    u = understand("haircut\x00\x1b[31m tomorrow\u200b at\u00a03pm\r\n", now=NOW, shop=SHOP)
    assert (u.service, u.date, u.time) == ("haircut", dt.date(2026, 12, 3), dt.time(15))


def test_a_non_string_is_unknown_not_an_error() -> None:
    assert understand(None, now=NOW, shop=SHOP).intent is Intent.UNKNOWN  # type: ignore[arg-type]
