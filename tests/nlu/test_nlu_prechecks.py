"""The cheap pre-checks in front of the date, time and intent patterns skip only texts that the
pattern cannot match: whenever a pattern matches, its pre-check says "maybe"."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.nlu import dates, intents, times

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
    "dates.RELATIVE": (dates.RELATIVE_RE, _any("day", "night", "tomorrow")),
    "dates.TOMORROW_TYPO": (dates.TOMORROW_TYPO_RE, _any("m")),
    "dates.DAY_BEFORE": (dates.DAY_BEFORE_RE, _any("yesterday")),
    "dates.SHIFT": (dates.SHIFT_RE, _any("ago", "from", "after", "later", "hence", "before")),
    "dates.WEEK_WEEKDAY": (dates.WEEK_WEEKDAY_RE, _any("week", "last", "previous")),
    "dates.NTH_WEEKDAY": (dates.NTH_WEEKDAY_RE, _any("month", *dates._MONTH_STEMS)),
    "dates.DAY_OF_MONTH": (dates.DAY_OF_MONTH_RE, lambda t: "month" in t and bool(_digit.search(t))),
    "dates.YEAR_FIRST": (dates.YEAR_FIRST_RE, lambda t: bool(_digit.search(t)) and any(c in t for c in "/.-")),
    "dates.WEEKDAY": (dates.WEEKDAY_RE, _any("day")),
    "dates.ORDINAL": (dates.ORDINAL_RE, lambda t: bool(_digit.search(t))),
    "dates.THE_DAY": (dates.THE_DAY_RE, lambda t: bool(_digit.search(t))),
    "dates.ORDINAL_WORD": (dates.ORDINAL_WORD_RE, _any(*dates._ORDINAL_STEMS)),
    "dates.THE_CARDINAL": (dates.THE_CARDINAL_RE, lambda t: "the" in t and any(w in t for w in ("teen", "twenty", "thirty"))),
    "dates.IN_DAYS": (dates.IN_DAYS_RE, _any("day", "week")),
    "dates.FORTNIGHT": (dates.FORTNIGHT_RE, _any("fortnight")),
    "dates.RANGE": (dates.RANGE_RE, _any("week")),
    "dates.WEEKDAYS_ON": (dates.WEEKDAYS_ON_RE, lambda t: "day" in t and any(w in t for w in ("now", "today", "later", "away", "time"))),
    "dates.YEAR_WORDS": (dates.YEAR_WORDS_RE, _any("thousand", "nineteen", "twenty")),
    "times.RANGE": (times.RANGE_RE, lambda t: (bool(times._CLOCKISH_RE.search(t)) and ("between" in t or "from" in t))
                    or "-" in t or "–" in t),
}
_CLOCKISH = {
    "times.HALF": (times.HALF_RE, _any("half")),
    "times.PAST_TO": (times.PAST_TO_RE, _any("past", "to")),
    "times.AFTER": (times.AFTER_RE, _any("after", "from", "later", "before", "onwards")),
    "times.BEFORE": (times.BEFORE_RE, _any("before", "by", "earlier", "til", "later")),
    "times.EXPLICIT": (times.EXPLICIT_RE, lambda t: bool(_digit.search(t)) and "m" in t),
    "times.CLOCK": (times.CLOCK_RE, lambda t: bool(_digit.search(t)) and (":" in t or "." in t)),
    "times.H": (times.H_RE, lambda t: bool(_digit.search(t)) and "h" in t),
    "times.NOON": (times.NOON_RE, _any("noon", "mid")),
    "times.WORD_CLOCK": (times.WORD_CLOCK_RE, lambda t: True),
    "times.SPACED": (times.SPACED_RE, lambda t: bool(_digit.search(t))),
    "times.HHMM": (times.HHMM_RE, lambda t: bool(_digit.search(t))),
    "times.DAYPART_HOUR": (times.DAYPART_HOUR_RE, _any("morning", "afternoon", "evening", "night")),
    "times.AT": (times.AT_RE, lambda t: True),
    "times.OCLOCK": (times.OCLOCK_RE, _any("o'clock", "ish")),
    "times.WINDOW_WORDS": (times.WINDOW_WORDS_RE, _any(*times._WINDOW_STEMS)),
}
PRECHECKS.update({
    "intents.CANCEL": (intents.CANCEL_RE, _any(*intents.CANCEL_WORDS)),
    "intents.SOFT_CANCEL": (intents.SOFT_CANCEL_RE, _any(*intents.SOFT_CANCEL_WORDS)),
    "intents.RESCHEDULE": (intents.RESCHEDULE_RE, _any(*intents.RESCHEDULE_WORDS)),
    "intents.LIST": (intents.LIST_RE, _any(*intents.LIST_WORDS)),
    "intents.HOURS": (intents.HOURS_RE, _any(*intents.HOURS_WORDS)),
    "intents.PRICES": (intents.PRICES_RE, _any(*intents.PRICES_WORDS)),
    "intents.CORRECTION": (intents.CORRECTION_RE,
                           lambda t: any(w in t for w in intents.CORRECTION_WORDS) or t.startswith(("no", "na"))),
    "intents.ANY_BARBER": (intents.ANY_BARBER_RE, _any(*intents.ANY_BARBER_WORDS)),
    "times.MOVE_TO": (times.MOVE_TO_RE, _any(*times._MOVE_STEMS)),
    "times.TO_RANGE": (times.TO_RANGE_RE, lambda t: bool(_digit.search(t)) and any(w in t for w in ("to", "til", "until"))),
    "times.MID": (times.MID_RE, _any("mid")),
    "times.EARLIEST": (times.EARLIEST_RE, _any("earl")),
    "times.WORD_AP": (times.WORD_AP_RE, _any("m")),
    "times.FOR_SPAN": (times.FOR_SPAN_RE, lambda t: "for" in t and any(w in t for w in ("h", "min"))),
})
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
     "7.12.2026", "09", "1030", "make", "it", "move", "my", "booking", "say", "around", "٣", "５", ",", ".", "?",
     "cancel", "call", "off", "scrap", "can't", "won't", "not", "coming", "be", "there", "able", "push",
     "back", "bring", "forward", "another", "different", "time", "moving", "rebooking", "re-schedule",
     "what", "bookings", "appointments", "do", "i", "have", "when's", "is", "am", "booked", "upcoming",
     "show", "hours", "opening", "open", "close", "closing", "shut", "you", "are", "r", "u", "how", "late",
     "much", "price", "pricing", "cost", "costs", "charge", "expensive", "long", "actually", "instead",
     "change", "that", "rather", "meant", "mean", "scratch", "second", "thoughts", "wait", "no", "nope",
     "nah", "anyone", "any", "one", "body", "barber", "them", "whoever", "don't", "dont", "mind", "doesn't",
     "matter", "preference", "fussed", "either", "whichever", "available", "till", "shop", "will", "for", "hours",
     "hrs", "2.5", "minutes", "mins", "an", "hour"]
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
@given(st.text(alphabet=st.sampled_from(list("abcdefghiklmnoprstuvwxy0123456789 :.-/–@~'?")), max_size=40))
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


# One text for each alternative of each pre-checked pattern: random texts rarely spell
# "how late are you" or "won't be there" in order.
EXAMPLES = [
    "2026-12-09", "7.12.2026", "7-12-26", "12/7", "12/7/2026", "7 dec", "the 7th of december", "seventh dec",
    "dec 7", "december the seventh", "sept 9th 2027", "christmas eve", "xmas", "boxing day", "new year's eve",
    "new years day", "the day after tomorrow", "today", "tonight", "tomorrow", "next friday", "this coming mon",
    "mondays", "the 2nd", "on the 14", "on the twenty-first", "the thirtieth", "in 3 days", "in a week",
    "in two weeks", "in a fortnight", "before the weekend", "next week", "this week end", "between 2 and 4",
    "from noon to 3pm", "from 11 till 1", "3-4", "3pm–5pm", "one-two", "someone-two", "half 4", "half past ten",
    "quarter past 2", "twenty-five to 6", "10 past 9", "after 5", "from 3", "later than 6", "not before 10",
    "5 onwards", "5 or later", "before 11", "by 3", "earlier than 4", "until 2", "till 2", "til noon",
    "no later than 5", "3pm", "10 a.m.", "4.30pm", "10:30", "4.30", "16h30", "10h", "noon", "midnight",
    "at 3", "around four", "about 10", "say 11", "abt 2", "arnd 1", "can we do 3", "could you do 4",
    "make it 5", "change it to 6", "move to 7", "push it to 8", "chance of 9", "instead of 10", "how about 11",
    "what about 12", "@3", "@ 3", "~4", "at 1030", "move my haircut to 11", "changing it to 3",
    "reschedule my booking to 4", "bring it to 2", "switch to 5", "swap to 1", "shift to 9", "3 o'clock",
    "4ish", "three o'clock", "morning", "afternoon", "evening", "lunch", "first thing", "after lunch",
    "after work", "earliest", "early", "as early as", "cancel", "cancelling", "call it off", "calling off", "scrap it", "scrap my", "scrap the",
    "can't make it", "cannot make it", "can not make it", "won't make it", "unable to make it",
    "not going to make it", "not gonna make it", "won't be able to make it", "will not be able to make it",
    "no longer be able to make it", "can't make saturday", "cant make my 3pm", "cannot make tomorrow",
    "won't make that", "can't make on fridays", "not coming", "won't be coming", "won't be able to be there",
    "won't be there", "move", "moving", "moved", "reschedule", "re-schedule", "rebook", "change", "changing",
    "postpone", "swap", "push it back", "push me forward", "push my haircut later", "push to", "bring it forward",
    "shift", "earlier", "later", "another time", "different day", "what bookings", "appointments do i",
    "bookings have i", "show me my booking", "when is my appointment", "check my reservations",
    "my upcoming bookings", "my next appointments", "my reservations", "when's my", "when is my",
    "do i have a booking", "do i have any appointment", "am i booked", "upcoming", "what times did i book",
    "which one have i got", "when did i go for", "what time am i in", "what day i'm booked", "when am i due",
    "what date do i need to be there", "what time do i come in", "remind me when", "remind me what day", "opening hours",
    "business times", "shop hours", "what are your hours", "what the hours", "what time do you open",
    "when does the shop close", "when will it shut", "what time are you open", "what time is the shop open",
    "how late are you", "how late do you", "open till", "opened until", "open to", "closing time",
    "are you open", "r u open", "you guys open", "u open sunday", "ya all open", "hours", " hours?", "how much", "price", "prices", "pricing", "price list",
    "what do you charge", "what does a fade cost", "how is it cost", "costs of", "cost for", "how expensive",
    "how long is it", "how long does it take", "how long for", "how long takes", "actually", "instead",
    "make it", "change it to", "change that to", "change to", "rather", "i meant", "i mean", "meant to say",
    "scratch that", "on second thought", "on second thoughts", "sorry i meant", "wait", "no", "nope", "nah",
    "not", "no, friday", "anyone", "any one", "anybody", "any body", "any barber", "any of them",
    "any of you", "whoever", "don't mind", "dont mind", "doesn't matter", "does not matter", "no preference",
    "not fussed", "either", "whichever", "first available",
]


@pytest.mark.parametrize("text", EXAMPLES)
def test_each_alternative_of_a_pattern_passes_its_precheck(text: str) -> None:
    _check(text)
    _check(f"so {text} ok")
