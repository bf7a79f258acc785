"""A barber's block reads its ends as the customer NLU reads one time: "half 9" is 09:30 (half
past nine), "quarter past 9" 09:15, "quarter to 10" 09:45, and "9.30" and "930" are 09:30."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.dialogue.barber import Block, parse_command
from bot.shop import parse_shop

SHOP = parse_shop((Path(__file__).parents[1] / "conversations" / "barbers_shop.toml").read_text())
NOW = dt.datetime(2026, 12, 7, 22, 0, tzinfo=dt.UTC)  # Tue 8 Dec 09:00 in Sydney
SAT = dt.date(2026, 12, 12)


@pytest.mark.parametrize(("text", "start", "end"), [
    ("can u block me out sat half 9 til 11, got to take my mum to qmc", 570, 660),
    ("block sat half past 9 til 11", 570, 660),
    ("block sat half nine to 11", 570, 660),
    ("block sat quarter past 9 til 11", 555, 660),
    ("block sat quarter to 10 til 11", 585, 660),
    ("block sat 9.30 til 11", 570, 660),
    ("block sat 930 til 11", 570, 660),
    ("block sat 930-1100", 570, 660),
    ("block sat 9 til half 11", 540, 690),
    ("block sat 9-11", 540, 660),
])
def test_block_ends_are_read_exactly(text: str, start: int, end: int) -> None:
    c = parse_command(text, shop=SHOP, now=NOW)
    assert isinstance(c, Block), c
    assert (c.day, c.start_min, c.end_min) == (SAT, start, end)
