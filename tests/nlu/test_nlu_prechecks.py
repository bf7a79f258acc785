"""The cheap pre-checks in front of the date, time and intent patterns skip only texts that the
pattern cannot match: whenever a pattern matches, its pre-check says "maybe"."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.nlu import dates, times

_digit = re.compile(r"\d")


def _any(*words: str) -> Callable[[str], bool]:
    return lambda text: any(w in text for w in words)


# pattern -> the pre-check the code puts in front of it (dates.read_dates, times.read_times)
PRECHECKS: dict[str, tuple[re.Pattern[str], Callable[[str], bool]]] = {
    "dates.ISO": (dates.ISO_RE, _any("-")),
    "dates.DOTTED": (dates.DOTTED_RE, lambda t: bool(_digit.search(t)) and ("." in t or "-" in t)),
    "dates.NUMERIC": (dates.NUMERIC_RE, _any("/")),
    "dates.DAY_MONTH": (dates.DAY_MONTH_RE, _any(*dates._MONTH_STEMS)),
    "dates.MONTH_DAY": (dates.MONTH_DAY_RE, _any(*dates._MONTH_STEMS)),
    "dates.HOLIDAY": (dates.HOLIDAY_RE, _any(*dates._HOLIDAY_STEMS)),
    "dates.DAY_AFTER": (dates.DAY_AFTER_RE, _any("tomorrow")),
    "dates.RELATIVE": (dates.RELATIVE_RE, _any("today", "tonight", "tomorrow")),
    "dates.WEEKDAY": (dates.WEEKDAY_RE, _any("day")),
    "dates.ORDINAL": (dates.ORDINAL_RE, lambda t: bool(_digit.search(t))),
    "dates.THE_DAY": (dates.THE_DAY_RE, lambda t: bool(_digit.search(t))),
    "dates.ORDINAL_WORD": (dates.ORDINAL_WORD_RE, _any(*dates._ORDINAL_STEMS)),
    "dates.IN_DAYS": (dates.IN_DAYS_RE, _any("day", "week")),
    "dates.FORTNIGHT": (dates.FORTNIGHT_RE, _any("fortnight")),
    "dates.RANGE": (dates.RANGE_RE, _any("week")),
    "times.RANGE": (times.RANGE_RE, lambda t: bool(times._CLOCKISH_RE.search(t)) or "-" in t or "–" in t),
}
_CLOCKISH = {
    "times.HALF": (times.HALF_RE, _any("half")),
    "times.PAST_TO": (times.PAST_TO_RE, _any("past", "to")),
    "times.AFTER": (times.AFTER_RE, _any("after", "from", "later", "before", "onwards")),
    "times.BEFORE": (times.BEFORE_RE, _any("before", "by", "earlier", "til", "later")),
    "times.EXPLICIT": (times.EXPLICIT_RE, lambda t: bool(_digit.search(t))),
    "times.CLOCK": (times.CLOCK_RE, lambda t: bool(_digit.search(t)) and (":" in t or "." in t)),
    "times.H": (times.H_RE, lambda t: bool(_digit.search(t)) and "h" in t),
    "times.NOON": (times.NOON_RE, _any("noon", "midnight")),
    "times.AT": (times.AT_RE, lambda t: True),
    "times.MOVE_TO": (times.MOVE_TO_RE, lambda t: True),
    "times.OCLOCK": (times.OCLOCK_RE, _any("o'clock", "ish")),
    "times.WINDOW_WORDS": (times.WINDOW_WORDS_RE, _any(*times._WINDOW_STEMS)),
}
for name, (pattern, check) in _CLOCKISH.items():  # these also need a clock phrase
    PRECHECKS[name] = (pattern, lambda t, c=check, n=name: c(t) and (
        n == "times.WINDOW_WORDS" or bool(times._CLOCKISH_RE.search(t))))

_pieces = st.sampled_from(
    ["haircut", "with", "sam", "at", "3", "4.30", "10:30", "half", "past", "quarter", "to", "12/7", "dec",
     "december", "sept", "the", "10th", "between", "and", "after", "before", "next", "friday", "fri",
     "weekend", "week", "in", "2", "days", "a", "fortnight", "christmas", "xmas", "boxing", "day",
     "new", "year's", "eve", "today", "tonight", "tomorrow", "twenty-first", "thirteenth", "twentieth",
     "of", "on", "noon", "midnight", "afternoon", "morning", "lunch", "first", "thing", "one", "someone",
     "two", "seven", "twelve", "ten", "pm", "am", "a.m.", "o'clock", "ish", "onwards", "or", "later",
     "than", "earlier", "until", "til", "by", "from", "-", "–", "@", "~", "h", "16h30", "2026-12-09",
     "7.12.2026", "09", "1030", "make", "it", "move", "my", "booking", "say", "around", "٣", "５", ",", "."]
)


def _check(text: str) -> None:
    for name, (pattern, check) in PRECHECKS.items():
        if pattern.search(text):
            assert check(text), f"{name} matches {text!r} but its pre-check skips it"


@settings(max_examples=3000, deadline=None)
@given(st.lists(_pieces, max_size=10).flatmap(
    lambda words: st.sampled_from([" ", "", "  "]).map(lambda sep: sep.join(words))))
def test_a_pattern_matches_only_texts_its_precheck_lets_through(text: str) -> None:
    _check(text)


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abdefhilmnoprstuvwxy0123456789 :.-/–@~'")), max_size=40))
def test_the_prechecks_hold_on_arbitrary_text(text: str) -> None:
    _check(text)


@pytest.mark.parametrize("word", sorted(dates.MONTHS))
def test_every_month_name_starts_with_a_month_stem(word: str) -> None:
    assert word[:3] in dates._MONTH_STEMS


@pytest.mark.parametrize("word", sorted(dates.ORDINAL_WORDS))
def test_every_ordinal_word_holds_an_ordinal_stem(word: str) -> None:
    assert any(stem in word for stem in dates._ORDINAL_STEMS)


@pytest.mark.parametrize("word", sorted(dates.HOLIDAYS))
def test_every_holiday_holds_a_holiday_stem(word: str) -> None:
    assert any(stem in word for stem in dates._HOLIDAY_STEMS)
