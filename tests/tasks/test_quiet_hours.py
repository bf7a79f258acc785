"""Quiet hours (SPEC §7): a reminder due inside the shop's `[reminders] quiet_hours` (local time)
is not sent and is recorded as skipped; the others keep their times and ids."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from engine_support import OPEN_SHOP, book, reminder_rows
from faketwilio import FakeTwilio

from bot.models import ReminderState
from bot.services import Services
from bot.shop import Shop, ShopFileError, parse_shop, shop_from_dict, shop_to_dict
from tasks.reminders import send_reminder
from tasks.runtime import wait_until
from tasks.sender import FakeSender

LONDON_WINTER = dt.UTC  # Europe/London is UTC in December


def at_local(h: int, m: int, s: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, 2, h, m, s, tzinfo=LONDON_WINTER)


def test_quiet_hours_are_read_from_the_shop_file_and_wrap_past_midnight() -> None:
    shop = parse_shop(OPEN_SHOP + '[reminders]\nquiet_hours = "21:00-08:00"\n')
    assert shop.quiet_hours == (21 * 60, 8 * 60)
    assert [shop.in_quiet_hours(at_local(*t)) for t in [(20, 59, 59), (21, 0), (3, 0), (7, 59, 59), (8, 0)]] == [
        False, True, True, True, False]
    assert shop_from_dict(shop_to_dict(shop)) == shop


def test_a_shop_without_quiet_hours_has_none() -> None:
    shop = parse_shop(OPEN_SHOP)
    assert shop.quiet_hours is None and not shop.in_quiet_hours(at_local(3, 0))
    assert "reminders" not in shop_to_dict(shop)


@pytest.mark.parametrize("value", ["21:00", "25:00-08:00", "09:00-09:00", 2100])
def test_a_bad_quiet_hours_value_names_the_field(value: object) -> None:
    text = OPEN_SHOP + f"[reminders]\nquiet_hours = {value!r}\n".replace("'", '"')
    with pytest.raises(ShopFileError) as err:
        parse_shop(text)
    assert any(p.startswith("reminders.quiet_hours") for p in err.value.problems)


def test_a_reminder_due_in_quiet_hours_is_skipped_and_one_outside_is_sent(
        make_services: Any, db_url: str, demo_shop: Shop) -> None:
    # booked Wednesday 09:00 for 17:00: reminders at 11:00, 13:00 and 15:00 (London = UTC in December)
    services: Services = make_services(db_url, shop=dataclasses.replace(demo_shop, quiet_hours=(12 * 60, 14 * 60)))
    services.sender = FakeSender()
    b = services.bookings.create(customer_phone="+447700900123", service="haircut", barber="sam",
                                 start=dt.datetime(2026, 12, 2, 17, 0, tzinfo=dt.UTC))
    first, second, third = services.bookings.reminders(b.id)

    services.clock.now = second.due_at  # type: ignore[attr-defined]
    assert send_reminder(services, second.id, sweep=1).state == "skipped"
    services.clock.now = third.due_at  # type: ignore[attr-defined]
    assert send_reminder(services, third.id, sweep=1).state == "sent"

    rows = {r.id: r for r in reminder_rows(services, b.id)}
    assert (rows[second.id].state, rows[second.id].error, rows[second.id].sent_at) == (
        ReminderState.SKIPPED, "quiet hours", None)
    assert rows[third.id].state == ReminderState.SENT
    assert [r.job_id for r in rows.values()] == [first.job_id, second.job_id, third.job_id]
    assert [r.due_at for r in rows.values()] == [first.due_at, second.due_at, third.due_at]
    assert len(services.sender.sent) == 1


def test_a_running_worker_skips_the_reminders_due_in_quiet_hours_and_sends_the_rest_on_time(
        engine: Any, worker: Any, fake_twilio: FakeTwilio) -> None:
    # reminders every second from 3.5 s before a 5-minute slot A: the first three fall in the minute
    # before A, which is made the quiet hours; the ones after A are outside them
    services = engine(twilio=fake_twilio)
    while True:  # the shop is loaded as the services are built: quiet hours from the slot they chose
        a = services.extras["appointment"].astimezone(services.shop.tz)
        quiet = f'{(a - dt.timedelta(minutes=1)):%H:%M}-{a:%H:%M}'
        services = engine(twilio=fake_twilio, shop_text=OPEN_SHOP + f'[reminders]\nquiet_hours = "{quiet}"\n')
        if services.extras["appointment"].astimezone(services.shop.tz) == a:
            break
    b = book(services, later_minutes=5)
    worker(services)

    def first_six() -> list[Any]:
        return [r for r in reminder_rows(services, b.id) if r.k <= 6]

    assert wait_until(lambda: all(r.state in ReminderState.FINAL for r in first_six()), timeout=15), [
        (r.k, r.state) for r in first_six()]
    rows = first_six()
    assert [(r.state, r.error) for r in rows[:3]] == [(ReminderState.SKIPPED, "quiet hours")] * 3
    assert [r.state for r in rows[3:]] == [ReminderState.SENT] * 3
    assert [r.job_id for r in rows] == [f"{b.id}-reminder-{k}" for k in range(1, 7)]
    for r in rows[3:]:
        assert dt.timedelta(0) <= r.sent_at - r.due_at < dt.timedelta(seconds=2), r
    assert {m.sid for m in fake_twilio.accepted()} >= {r.message_sid for r in rows[3:]}
    sent_for_skipped = [m for m in fake_twilio.accepted() if m.sid in {r.message_sid for r in rows[:3]}]
    assert sent_for_skipped == [] and len(fake_twilio.accepted()) >= 3


def test_the_api_lists_the_plans_reminders_in_quiet_hours_as_skipped(
        make_services: Any, db_url: str, demo_shop: Shop) -> None:
    from starlette.testclient import TestClient

    from bot.app import create_app

    services: Services = make_services(db_url, shop=dataclasses.replace(demo_shop, quiet_hours=(21 * 60, 8 * 60)))
    b = services.bookings.create(customer_phone="+447700900123", service="haircut", barber="sam",
                                 start=dt.datetime(2026, 12, 9, 17, 0, tzinfo=dt.UTC))
    api = TestClient(create_app(services))
    api.headers["Authorization"] = "Bearer test-api-key"
    listed = api.get(f"/api/bookings/{b.id}/reminders").json()

    def hour(r: dict[str, Any]) -> int:
        return dt.datetime.fromisoformat(r["scheduledFor"]).hour  # London = UTC in December

    quiet = [r for r in listed if hour(r) >= 21 or hour(r) < 8]
    awake = [r for r in listed if r not in quiet]
    assert quiet and awake
    assert {(r["state"], r["error"]) for r in quiet} == {("skipped", "quiet hours")}
    assert {r["state"] for r in awake} == {"scheduled", "planned"} and {r["error"] for r in awake} == {None}
