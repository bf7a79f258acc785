"""Services, barbers and booking codes, with typos and plurals."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.nlu import understand
from bot.shop import parse_shop

SHOP = parse_shop((Path(__file__).parents[2] / "bot" / "demo_shop.toml").read_text())
NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)


def u(text: str, shop=SHOP):
    return understand(text, now=NOW, shop=shop)


@pytest.mark.parametrize(
    ("text", "service"),
    [
        ("haircut", "haircut"), ("HAIRCUT", "haircut"), ("hair cut", "haircut"), ("a cut", "haircut"),
        ("trim", "haircut"), ("haircuts", "haircut"), ("hairct", "haircut"), ("hiarcut", "haircut"),
        ("beard trim", "beard"), ("beard", "beard"), ("beared", "beard"), ("shave", "beard"),
        ("skin fade", "skin-fade"), ("fade", "skin-fade"), ("fades", "skin-fade"), ("skin-fade", "skin-fade"),
        ("skinfade", "skin-fade"), ("Skin Fade pls", "skin-fade"),
    ],
)
def test_services_by_key_name_alias_plural_and_typo(text: str, service: str) -> None:
    assert u(text).service == service


def test_common_words_near_a_service_name_are_not_services() -> None:
    for text in ("i heard you were busy", "what date works", "made my day", "time?", "safe trip home"):
        assert u(text).service is None, text


def test_every_service_named_is_kept_in_order() -> None:
    assert u("haircut and a beard trim").services == ("haircut", "beard")


@pytest.mark.parametrize("text", ["with sam", "sam's", "Sam", "SAM please", "with Sam"])
def test_barber_sam(text: str) -> None:
    assert u(text).barber == "sam"


def test_barbers_with_typos_and_trailing_words() -> None:
    assert u("alex pls").barber == "alex"
    assert u("with alec tomorrow").barber == "alex"


def test_any_barber_phrases() -> None:
    for text in ("anyone", "any barber", "don't mind", "whoever's free", "no preference"):
        assert u(text).any_barber, text
    assert not u("with sam").any_barber


def test_a_barber_named_like_a_common_word_needs_context() -> None:
    shop = parse_shop(
        """
[shop]
name = "Will's"
timezone = "Europe/London"
[hours]
mon = "09:00-18:00"
[[services]]
key = "haircut"
name = "Haircut"
minutes = 30
[[barbers]]
key = "will"
name = "Will"
phone = "+447700900001"
"""
    )
    assert u("I will come at 3", shop=shop).barber is None
    assert u("haircut with will", shop=shop).barber == "will"
    assert u("haircut, Will if possible", shop=shop).barber == "will"


@pytest.mark.parametrize(
    ("text", "code"),
    [("cancel K7Q2", "K7Q2"), ("cancel k7q2 please", "K7Q2"), ("move KQMP to friday", "KQMP"),
     ("noshow 2345", "2345"), ("code: h4x9", "H4X9")],
)
def test_booking_codes(text: str, code: str) -> None:
    assert u(text).code == code


@pytest.mark.parametrize("text", ["cancel kqmp", "HELP", "cancel my FREE trim", "at 2345", "K0Q1", "cancel it"])
def test_words_and_times_are_not_codes(text: str) -> None:
    assert u(text).code is None


@pytest.mark.parametrize(("text", "name"), [
    ("haircut tomorrow at 3pm with Bob", "Bob"), ("cut with jimmy pls", "Jimmy"),
    ("haircut with my son", None), ("beard trim with sam", None), ("book with anyone", None),
    ("haircut with a fade", None),
])
def test_a_name_after_with_that_is_no_barber_is_reported(text: str, name: str | None) -> None:
    assert understand(text, now=NOW, shop=SHOP).unknown_barber == name
