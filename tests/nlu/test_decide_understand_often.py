"""`understand_often`: a message sent again is answered as `understand` answers it, never from
another day or another shop."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from bot.nlu import understand
from bot.nlu.understand import stats, understand_often
from bot.shop import parse_shop

SHOP = parse_shop((Path(__file__).parents[2] / "bot" / "demo_shop.toml").read_text())
NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)  # Wednesday, London
TEXTS = ["hi", "yes", "2", "help", "thanks", "haircut tomorrow at 3pm", "any slots friday afternoon for a beard trim?",
         "what bookings do I have?", "cancel K7Q2", "tonight", "this afternoon", "next friday", "cancel my booking"]


def test_a_message_sent_again_reads_as_understand_reads_it() -> None:
    for now in (NOW, NOW + dt.timedelta(hours=14, minutes=30), NOW + dt.timedelta(days=3)):
        for text in TEXTS:
            expected = understand(text, now=now, shop=SHOP)
            assert understand_often(text, now=now, shop=SHOP) == expected
            assert understand_often(text, now=now, shop=SHOP) == expected


def test_a_message_sent_again_on_another_day_is_read_for_that_day() -> None:
    today = understand_often("haircut tomorrow at 3pm", now=NOW, shop=SHOP)
    next_day = understand_often("haircut tomorrow at 3pm", now=NOW + dt.timedelta(days=1), shop=SHOP)
    assert (today.date, next_day.date) == (dt.date(2026, 12, 3), dt.date(2026, 12, 4))


def test_the_day_is_the_shops_local_day_not_utc() -> None:
    # 23:30 UTC on 31 Mar 2027 is already 1 April in London (summer time)
    late = dt.datetime(2027, 3, 31, 23, 30, tzinfo=dt.UTC)
    assert understand_often("today", now=late, shop=SHOP).date == dt.date(2027, 4, 1)
    assert understand_often("today", now=late - dt.timedelta(hours=1), shop=SHOP).date == dt.date(2027, 3, 31)


def test_a_message_dateparser_read_is_read_again_every_time() -> None:
    text = "sometime around feb?"  # a month the rules leave to dateparser
    before = stats["dateparser_calls"]
    first = understand_often(text, now=NOW, shop=SHOP)
    second = understand_often(text, now=NOW, shop=SHOP)
    assert stats["dateparser_calls"] == before + 2
    assert first == second == understand(text, now=NOW, shop=SHOP)


def test_another_shop_is_not_given_this_shops_reading() -> None:
    assert understand_often("beard trim", now=NOW, shop=SHOP).service == "beard"
    other = dataclasses.replace(SHOP, services=tuple(s for s in SHOP.services if s.key != "beard"))
    assert understand_often("beard trim", now=NOW, shop=other) == understand("beard trim", now=NOW, shop=other)
    assert understand_often("beard trim", now=NOW, shop=other).service != "beard"


def test_a_long_message_is_read_every_time() -> None:
    text = "hello there! " * 20 + "haircut tomorrow at 3pm"
    before = stats["calls"]
    assert understand_often(text, now=NOW, shop=SHOP) == understand(text, now=NOW, shop=SHOP)
    assert stats["calls"] == before + 2
