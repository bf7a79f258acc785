"""Customers as they really write (issue 17): barbers ruled out, starting over, questions the shop is asked."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.nlu import Intent, understand
from bot.shop import parse_shop

SHOP = parse_shop((Path(__file__).parents[1] / "conversations" / "sydney_shop.toml").read_text())
NOW = dt.datetime(2026, 12, 1, 22, 0, tzinfo=dt.UTC)


def read(text: str):  # type: ignore[no-untyped-def]
    return understand(text, now=NOW, shop=SHOP)


@pytest.mark.parametrize(
    ("text", "barber", "ruled_out"),
    [
        ("haircut friday at 10 not with jono", None, ("jono",)),
        ("can i get a fade saturday 11am, anyone but mia", None, ("mia",)),
        ("with mia instead of jono", "mia", ("jono",)),
        ("not jono", None, ("jono",)),
        ("haircut with jono friday", "jono", ()),
        ("i'm not sure, jono?", "jono", ()),
    ],
)
def test_a_barber_ruled_out_is_never_the_barber(text: str, barber: str | None, ruled_out: tuple[str, ...]) -> None:
    u = read(text)
    assert (u.barber, u.not_barbers) == (barber, ruled_out)
    if ruled_out and barber is None:
        assert u.any_barber


@pytest.mark.parametrize("text", ["start again", "start over", "can we start again", "restart",
                                  "start again i want reminders", "reminders back on please", "i want reminders again"])
def test_starting_over_and_reminders_wanted_are_start(text: str) -> None:
    assert read(text).intent is Intent.START


@pytest.mark.parametrize("text", ["i don't want reminders", "can i start at 10"])
def test_not_start(text: str) -> None:
    assert read(text).intent is not Intent.START


@pytest.mark.parametrize(("text", "thing"), [("do you do eyebrows?", "eyebrows"), ("do you guys do perms", "perms"),
                                             ("do u offer hair colouring", "hair colouring")])
def test_a_service_the_shop_does_not_do_is_asked_about(text: str, thing: str) -> None:
    u = read(text)
    assert (u.intent, u.not_offered) == (Intent.INFO, thing)


@pytest.mark.parametrize("text", ["can i bring my dog", "is there a toilet?", "are you wheelchair accessible"])
def test_a_question_the_shop_file_cannot_answer_is_info(text: str) -> None:
    u = read(text)
    assert (u.intent, u.topic, u.not_offered) == (Intent.INFO, None, None)


@pytest.mark.parametrize("text", ["what?", "blorp zzz", "asdfgh qwerty"])
def test_gibberish_stays_not_understood(text: str) -> None:
    assert read(text).intent is Intent.UNKNOWN
