"""The shop file: every problem is named by field, and a bad file changes nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.db import Database
from bot.models import ShopConfig
from bot.shop import ShopFileError, parse_shop, shop_from_dict, shop_to_dict
from bot.shop_store import load_shop, read_shop_file
from tests.conftest import DEMO_SHOP, NOW

GOOD = DEMO_SHOP.read_text()


def problems(text: str) -> list[str]:
    with pytest.raises(ShopFileError) as info:
        parse_shop(text)
    return info.value.problems


def test_demo_shop_loads_with_every_field() -> None:
    shop = parse_shop(GOOD)
    assert shop.timezone == "Europe/London"
    assert shop.hours[6] is None  # Sunday closed
    assert shop.barber("sam").phone == "+447700900001"  # type: ignore[union-attr]
    assert shop.barber_hours(shop.barber("sam"), 5) is None  # type: ignore[arg-type]
    assert shop.barber("alex").services == ("haircut", "skin-fade", "beard")  # type: ignore[union-attr]


def test_open_all_day_is_accepted() -> None:
    shop = parse_shop(GOOD.replace('sun = "closed"', 'sun = "00:00-24:00"'))
    assert shop.hours[6] == (0, 1440)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('phone = "+447700900001"', 'phone = "07700 900001"'), "barbers[0].phone: not an E.164 number"),
        (('phone = "+447700900002"', 'phone = "+1"'), "barbers[1].phone: not an E.164 number"),
        (('timezone = "Europe/London"', 'timezone = "Mars/Olympus"'), 'shop.timezone: unknown time zone "Mars/Olympus"'),
        (('mon = "09:00-18:00"', 'mon = "9am to 6pm"'), 'hours.mon: expected "HH:MM-HH:MM" or "closed", got "9am to 6pm"'),
        (('mon = "09:00-18:00"', 'mon = "18:00-09:00"'), 'hours.mon: closing time must be after opening time'),
        (('mon = "09:00-18:00"', 'mon = "09:00-25:00"'), 'hours.mon: "09:00-25:00" is not a valid time range'),
        (('sun = "closed"', 'sunday = "closed"'), "hours.sunday: unknown weekday"),
        (('services = ["haircut", "beard"]', 'services = ["haircut", "perm"]'), 'barbers[0].services: unknown service "perm"'),
        (('key = "alex"', 'key = "sam"'), 'barbers[1].key: duplicate barber key "sam"'),
        (('key = "beard"', 'key = "haircut"'), 'services[2].key: duplicate service key "haircut"'),
        (("minutes = 30", "minutes = 0"), "services[0].minutes: must be between 5 and 480, got 0"),
        (("minutes = 30", 'minutes = "thirty"'), "services[0].minutes: expected a whole number"),
        (('price = "25.00"', 'price = "cheap"'), 'services[0].price: expected an amount like "25.00", got "cheap"'),
        (("slot_minutes = 15", "slot_minutes = 7"), "shop.slot_minutes: must divide a day evenly, got 7"),
        (("horizon_days = 30", "horizon_days = 0"), "shop.horizon_days: must be between 1 and 366, got 0"),
        (('name = "Fade Factory"', 'name = ""'), "shop.name: required text"),
        (('hours = { sat = "closed" }', 'hours = { caturday = "closed" }'), "barbers[0].hours.caturday: unknown weekday"),
        (('aliases = ["fade"]', 'aliases = ["cut"]'), 'services[1].aliases: "cut" already names service "haircut"'),
        (('phone = "+447700900002"', 'phone = "+447700900001"'), "barbers[1].phone: +447700900001 is already another barber's phone"),
        (('key = "sam"', 'key = "Sam Smith"'), 'barbers[0].key: "Sam Smith" must be lowercase letters, digits, - or _'),
        (('name = "Sam"', 'name = "Sam"\nnickname = "S"'), "barbers[0].nickname: unknown field"),
        (("minutes = 30", "minutes = 32"), "services[0].minutes: must be a multiple of 5, got 32"),
        (('aliases = ["fade"]', 'aliases = "fade"'), "services[1].aliases: expected a list of words"),
        (('services = ["haircut", "beard"]', 'services = ["haircut", "haircut"]'), "barbers[0].services: lists a service twice"),
        (('services = ["haircut", "beard"]', "services = []"), "barbers[0].services: a barber must offer at least one service"),
        (('services = ["haircut", "beard"]', 'services = "haircut"'), "barbers[0].services: expected a list of service keys"),
        (('[shop]', '[extras]\nx = 1\n[shop]'), "extras: unknown section"),
        (('slot_minutes = 15', 'slot_minutes = 15\ncolour = "red"'), "shop.colour: unknown field"),
        (('mon = "09:00-18:00"', "mon = 9"), 'hours.mon: expected "HH:MM-HH:MM" or "closed"'),
    ],
)
def test_bad_shop_file_names_the_field(change: tuple[str, str], expected: str) -> None:
    old, new = change
    assert old in GOOD
    found = problems(GOOD.replace(old, new, 1))
    assert any(p.startswith(expected) for p in found), found


def test_missing_sections_are_each_reported() -> None:
    found = problems('[shop]\nname = "X"\ntimezone = "Europe/London"\n')
    assert "hours: missing [hours] table" in found
    assert "services: at least one [[services]] entry is required" in found
    assert "barbers: at least one [[barbers]] entry is required" in found


def test_missing_shop_table_is_reported() -> None:
    found = problems(GOOD.replace("[shop]", "[shopp]"))
    assert "shop: missing [shop] table" in found


def test_invalid_toml_is_one_clear_problem() -> None:
    found = problems("[shop\nname=")
    assert len(found) == 1 and found[0].startswith("not valid TOML")


def test_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ShopFileError, match="no such file"):
        read_shop_file(tmp_path / "nope.toml")


def test_loading_is_idempotent(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    shop = parse_shop(GOOD)
    assert load_shop(db, shop, now=NOW) is True
    assert load_shop(db, shop, now=NOW + dt.timedelta(hours=1)) is False
    with db.session() as s:
        assert s.get(ShopConfig, 1).loaded_at == NOW  # type: ignore[union-attr]
    db.dispose()


def test_a_bad_file_changes_nothing(sqlite_url: str, tmp_path: Path) -> None:
    from bot.cli import main

    db = Database(sqlite_url)
    load_shop(db, parse_shop(GOOD), now=NOW)
    bad = tmp_path / "bad.toml"
    bad.write_text(GOOD.replace('name = "Fade Factory"', 'name = "Renamed"').replace(
        'phone = "+447700900001"', 'phone = "nope"'))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATABASE_URL", sqlite_url)
        assert main(["shop", "load", str(bad)]) == 1
    with db.session() as s:
        assert s.get(ShopConfig, 1).name == "Fade Factory"  # type: ignore[union-attr]
    db.dispose()


SYDNEY = Path(__file__).parents[1] / "conversations" / "sydney_shop.toml"


def test_shop_facts_closures_quiet_hours_and_owner_load() -> None:
    shop = parse_shop(SYDNEY.read_text())
    assert shop.currency == "AUD"
    assert shop.address == "4 Pier St, Sydney NSW 2000"
    assert dict(shop.info)["parking"].startswith("Street parking")
    assert dt.date(2026, 12, 25) in shop.closed
    assert shop.quiet_hours == (21 * 60, 8 * 60)
    owner = shop.owner()
    assert owner is not None and owner.key == "jono"


def test_shop_facts_round_trip_through_the_stored_form() -> None:
    shop = parse_shop(SYDNEY.read_text())
    assert shop_from_dict(shop_to_dict(shop)) == shop


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('currency = "AUD"', 'currency = "XYZ1"'), "shop.currency"),
        (('dates = ["2026-12-25"', 'dates = ["25 Dec"'), "closed.dates[0]"),
        (('quiet_hours = "21:00-08:00"', 'quiet_hours = "late"'), "reminders.quiet_hours"),
        (('role = "owner"', 'role = "boss"'), "barbers[0].role"),
    ],
)
def test_bad_shop_facts_name_the_field(change: tuple[str, str], expected: str) -> None:
    text = SYDNEY.read_text()
    assert change[0] in text
    with pytest.raises(ShopFileError) as exc:
        parse_shop(text.replace(change[0], change[1]))
    assert any(p.startswith(expected) for p in exc.value.problems), exc.value.problems
