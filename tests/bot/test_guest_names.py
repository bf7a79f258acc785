"""Who a booking is for, as customers say it: the name after (or before) the relation word."""

from __future__ import annotations

import pytest

from bot.dialogue.references import guest_of
from bot.nlu.words import clean


@pytest.mark.parametrize(
    ("text", "guest"),
    [
        ("can i book a kids cut for my son jack saturday at 9", "Jack"),
        ("my son jack needs a haircut saturday", "Jack"),
        ("kids cut for my 8 year old son Jack fri 4pm", "Jack"),
        ("a cut for jack, my son, on sat", "Jack"),
        ("for my little boy tom at 3", "Tom"),
        ("my nephew oli needs a trim", "Oli"),
        ("for my son (jack) sat 10", "Jack"),
        ("kids cut for my boy aged 6 fri 4pm, his name is max", "Max"),
        ("for my son called leo", "Leo"),
        ("book my son jack in sat", "Jack"),
        ("for my son aged 6", "son"),  # no name said: who they are, never "Aged"
        ("for my son tomorrow", "son"),
        ("haircut sat 10", None),
        ("hi my name is dave, haircut sat", None),  # the customer's own name
        ("me and my son need cuts", None),
    ],
)
def test_guest_of(text: str, guest: str | None) -> None:
    assert guest_of(clean(text)) == guest
