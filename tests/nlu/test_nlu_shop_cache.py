"""What the NLU keeps per shop (its lexicon, its hours by weekday) never leaks into another
shop's answers, however many shops come and go (the tables are dropped past 64 shops)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.nlu import understand
from bot.shop import Shop, parse_shop

DEMO = (Path(__file__).parents[2] / "bot" / "demo_shop.toml").read_text()
NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)


def _early_shop() -> Shop:
    """The demo shop, open 06:00-12:00 every day, with a barber called Jo."""
    text = DEMO
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        text = "\n".join(f'{day} = "06:00-12:00"' if line.startswith(f"{day} = ") else line
                         for line in text.splitlines())
    text = text.replace("hours = { sat = \"closed\" }", "")
    return parse_shop(text + '\n[[barbers]]\nkey = "jo"\nname = "Jo"\nphone = "+447700900009"\n')


def test_a_bare_hour_follows_each_shops_own_hours_when_shops_alternate() -> None:
    demo, early = parse_shop(DEMO), _early_shop()
    for _ in range(3):
        assert understand("haircut at 7", now=NOW, shop=demo).time == dt.time(19, 0)
        assert understand("haircut at 7", now=NOW, shop=early).time == dt.time(7, 0)


def test_first_thing_opens_with_each_shop() -> None:
    demo, early = parse_shop(DEMO), _early_shop()
    assert understand("first thing friday", now=NOW, shop=demo).window.start_min == 9 * 60  # type: ignore[union-attr]
    assert understand("first thing friday", now=NOW, shop=early).window.start_min == 6 * 60  # type: ignore[union-attr]


def test_a_barber_is_known_only_in_the_shop_that_has_them() -> None:
    demo, early = parse_shop(DEMO), _early_shop()
    assert understand("haircut with Jo friday", now=NOW, shop=early).barber == "jo"
    u = understand("haircut with Jo friday", now=NOW, shop=demo)
    assert u.barber is None and u.unknown_barber == "Jo"


def test_shops_made_and_dropped_one_after_another_each_get_their_own_answers() -> None:
    for i in range(140):
        shop = _early_shop() if i % 2 else parse_shop(DEMO)
        want = dt.time(7, 0) if i % 2 else dt.time(19, 0)
        assert understand("haircut at 7", now=NOW, shop=shop).time == want
        assert (understand("haircut with Jo", now=NOW, shop=shop).barber == "jo") == bool(i % 2)
