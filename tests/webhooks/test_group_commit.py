"""Group commit: the webhook turns that start in one event-loop round are written in one transaction.

Every test posts its messages concurrently on one event loop (httpx over ASGI, no threads), as
uvicorn runs the requests of many connections, so the turns do share a group; each test checks
that they did. What must hold whatever the grouping: each message gets its own answer, nothing is
answered that was not stored, a failed turn is undone alone, and a second message from the same
phone sees the first one's outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import sqlite3
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlmodel import select

from bot.app import create_app
from bot.models import Booking, BookingStatus, Customer, InboundMessage, Reminder
from bot.services import Services
from tests.webhooks.test_twilio_webhook import LOCAL_URL, PATH, count, messages, params
from webhooks import twilio
from webhooks.signature import sign

APOLOGY = "Sorry, something went wrong on our side. Please try again in a minute."


@pytest.fixture
def services(make_services: Callable[..., Services], sqlite_url: str) -> Services:
    return make_services(sqlite_url)


@pytest.fixture
def stats() -> Iterator[dict[str, int]]:
    """The group-commit counters, from zero for this test."""
    saved = dict(twilio.group_stats)
    twilio.group_stats.update(groups=0, turns=0, largest=0)
    yield twilio.group_stats
    twilio.group_stats.update(saved)


def round_of(services: Services, batch: list[dict[str, str]], app: Any = None) -> list[list[str]]:
    """Post every message of `batch` at once (to `app`, else a new app); each one's reply
    messages, in the batch's order."""
    app = app or create_app(services)

    async def run() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            def one(p: dict[str, str]) -> Any:
                headers = {"X-Twilio-Signature": sign(services.settings.auth_token, LOCAL_URL, p)}
                return client.post(PATH, data=p, headers=headers)
            return await asyncio.gather(*(one(p) for p in batch))

    responses = asyncio.run(run())
    assert all(r.status_code == 200 for r in responses)
    return [messages(r.text) for r in responses]


def phone(i: int) -> str:
    return f"+4477009{i:05d}"


def confirmed(services: Services) -> list[Booking]:
    with services.db.session() as s:
        return list(s.exec(select(Booking).where(Booking.status == BookingStatus.CONFIRMED)))


def record_with(monkeypatch: pytest.MonkeyPatch, record: Callable[..., None]) -> None:
    """Every turn records its customer's last inbound time through `record`, whether it is written
    alone or together with its round's other pure turns (`record_inbound_all`)."""
    def one_by_one(tx: Any, customers: list[tuple[str, dt.datetime, str | None]]) -> None:
        for phone_, now, name in customers:
            record(tx, phone=phone_, now=now, name=name)

    monkeypatch.setattr(twilio, "record_inbound", record)
    monkeypatch.setattr(twilio, "record_inbound_all", one_by_one)


def break_the_commit_for(monkeypatch: pytest.MonkeyPatch, breaker: str) -> Callable[..., None]:
    """From now on a turn from `breaker` writes a change that only COMMIT finds wrong (a deferred
    foreign key), so its group's commit fails; the real `record_inbound`, to put back with
    `record_with`."""
    record = twilio.record_inbound

    def breaks_the_commit(tx: Any, *, phone: str, now: dt.datetime, name: str | None) -> None:
        record(tx, phone=phone, now=now, name=name)
        if phone == breaker:
            tx.cursor.execute("PRAGMA defer_foreign_keys = ON")
            tx.cursor.execute("UPDATE service SET key = 'gone' WHERE key = 'haircut'")

    record_with(monkeypatch, breaks_the_commit)
    return record


def test_customers_in_one_round_each_get_their_own_booking(services: Services, stats: dict[str, int]) -> None:
    times = [f"{h}:{m:02d}" for h in (10, 11, 12, 13, 14) for m in (0, 30)]
    asked = round_of(services, [params(f"haircut with sam tomorrow at {t}", phone=phone(i))
                                for i, t in enumerate(times)])
    assert stats["largest"] == len(times), stats  # the ten turns were written together
    for t, reply in zip(times, asked, strict=True):
        assert "Reply YES" in " ".join(reply) and t.replace(":00", "") in " ".join(reply).replace(":00", ""), reply
    booked = round_of(services, [params("yes", phone=phone(i)) for i in range(len(times))])
    assert all(reply[0].startswith("Booked ✅") for reply in booked), booked
    rows = confirmed(services)
    assert sorted(b.customer_phone for b in rows) == sorted(phone(i) for i in range(len(times)))
    codes = {b.customer_phone: b.code for b in rows}
    for i, reply in enumerate(booked):  # each customer was told their own code
        assert codes[phone(i)] in reply[0]
    # the queue was told after the commit, about every booking's reminders
    with services.db.session() as s:
        planned = {r.booking_id for r in s.exec(select(Reminder))}
    assert planned == {b.id for b in rows}
    assert len(services.dispatcher.scheduled) >= len(rows)  # type: ignore[attr-defined]
    with services.db.session() as s:  # every message is stored with the answer it got
        stored = list(s.exec(select(InboundMessage)))
    assert len(stored) == 2 * len(times) and all(m.reply and "<Message>" in m.reply for m in stored)


def test_one_slot_asked_by_many_in_one_round_is_booked_once(services: Services, stats: dict[str, int]) -> None:
    n = 8
    round_of(services, [params("haircut with sam tomorrow at 11", phone=phone(i)) for i in range(n)])
    answers = round_of(services, [params("yes", phone=phone(i)) for i in range(n)])
    assert stats["largest"] == n
    assert sum(a[0].startswith("Booked ✅") for a in answers) == 1, answers
    assert len(confirmed(services)) == 1
    # the others were told the time had gone and offered others, not an apology
    others = [" ".join(a) for a in answers if not a[0].startswith("Booked")]
    assert all(APOLOGY not in a and "isn't free" in a and "1)" in a for a in others), others


def test_the_same_message_three_times_in_one_round_books_once(services: Services, stats: dict[str, int]) -> None:
    round_of(services, [params("haircut with alex tomorrow at 15:00")])
    yes = params("yes", sid="SM" + "e" * 32)
    answers = round_of(services, [yes, yes, yes])
    assert stats["groups"] == 4  # one phone: each delivery waits for the one before to be written
    assert answers[0] == answers[1] == answers[2] and answers[0][0].startswith("Booked ✅"), answers
    assert len(confirmed(services)) == 1
    assert count(services, InboundMessage) == 2


def test_a_second_message_from_the_same_phone_in_the_round_sees_the_first(
        services: Services, stats: dict[str, int]) -> None:
    answers = round_of(services, [params("haircut with sam tomorrow at 10", phone=phone(1)),
                                  params("hi", phone=phone(2)),
                                  params("yes", phone=phone(1))])
    assert "Reply YES" in " ".join(answers[0])
    assert answers[2][0].startswith("Booked ✅"), answers
    assert [b.customer_phone for b in confirmed(services)] == [phone(1)]
    assert stats["groups"] == 2  # the first message was committed before the second one decided


def test_a_turn_that_fails_to_store_is_undone_alone(
        services: Services, stats: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    record = twilio.record_inbound

    def failing(tx: Any, *, phone: str, now: dt.datetime, name: str | None) -> None:
        record(tx, phone=phone, now=now, name=name)
        if phone == "+447700900003":
            raise RuntimeError("disk trouble")

    record_with(monkeypatch, failing)
    answers = round_of(services, [params("haircut with sam tomorrow at 10", phone=phone(i)) for i in range(1, 6)])
    assert stats["largest"] == 5
    assert answers[2] == [APOLOGY]
    assert all("Reply YES" in " ".join(a) for k, a in enumerate(answers) if k != 2), answers
    with services.db.session() as s:
        senders = sorted(m.phone for m in s.exec(select(InboundMessage)))
    assert senders == [phone(i) for i in (1, 2, 4, 5)]  # nothing of the failed turn was kept


def test_a_redelivery_among_a_rounds_other_messages_replays_and_the_others_are_stored(
        services: Services, stats: dict[str, int]) -> None:
    ask = params("haircut with sam tomorrow at 10", phone=phone(1))
    first = round_of(services, [ask])[0]
    round_of(services, [params("no", phone=phone(1))])  # the customer changed their mind
    before = count(services, InboundMessage)
    answers = round_of(services, [params("hi", phone=phone(2)), ask, params("help", phone=phone(3))])
    assert stats["largest"] == 3
    assert answers[1] == first  # Twilio's late second delivery gets the first answer again
    assert answers[0] != first and answers[2] != first and APOLOGY not in answers[0] + answers[2]
    assert count(services, InboundMessage) == before + 2
    with services.db.session() as s:
        customers = {c.phone for c in s.exec(select(Customer))}
    assert {phone(2), phone(3)} <= customers
    # and it changed nothing: the question it asked was answered "no", so "yes" books nothing
    assert "Booked" not in " ".join(round_of(services, [params("yes", phone=phone(1))])[0])
    assert not confirmed(services)


def test_the_turns_of_a_round_read_what_was_written_before_it_and_leave_nothing_open(
        services: Services, stats: dict[str, int], sqlite_url: str) -> None:
    app = create_app(services)  # one app (one kept connection) for every round
    def question() -> list[dict[str, str]]:
        return [params("what bookings do I have?", phone=phone(i)) for i in range(1, 4)]

    assert all("no upcoming bookings" in " ".join(a) for a in round_of(services, question(), app))
    start = services.now().replace(hour=10, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
    booked = services.bookings.create(customer_phone=phone(2), service="haircut", barber="sam", start=start)
    answers = round_of(services, question(), app)
    assert stats["largest"] == 3
    assert booked.code in " ".join(answers[1]) and booked.code not in " ".join(answers[0] + answers[2])
    # no read transaction outlives its round: a checkpoint copies the whole log back
    with contextlib.closing(sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))) as conn:
        busy, log_frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert busy == 0 and log_frames == copied


def test_free_times_read_once_for_a_round_are_read_again_for_the_next(
        services: Services, stats: dict[str, int]) -> None:
    app = create_app(services)
    ask = "any haircuts friday afternoon with sam?"
    first = round_of(services, [params(ask, phone=phone(i)) for i in (1, 2)], app)
    assert first[0] == first[1] and "Fri 4 Dec 12:00 with Sam" in first[0][0]
    services.bookings.create(customer_phone=phone(9), service="haircut", barber="sam",
                             start=dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC))
    again = round_of(services, [params(ask, phone=phone(i)) for i in (3, 4)], app)
    assert stats["largest"] == 2
    assert again[0] == again[1] and "12:00" not in again[0][0] and "Fri 4 Dec" in again[0][0]


def test_a_failed_commit_answers_nobody_with_what_was_not_stored(
        services: Services, stats: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    round_of(services, [params("haircut with sam tomorrow at 10", phone=phone(1))])
    round_of(services, [params("yes", phone=phone(1))])
    assert len(confirmed(services)) == 1
    record = break_the_commit_for(monkeypatch, phone(3))
    before = count(services, InboundMessage)
    answers = round_of(services, [params("hi", phone=phone(i)) for i in range(2, 6)])
    assert answers == [[APOLOGY]] * 4
    assert count(services, InboundMessage) == before
    record_with(monkeypatch, record)
    again = round_of(services, [params("hi", phone=phone(i)) for i in range(2, 6)])  # the next round works
    assert all(a != [APOLOGY] for a in again)
    assert count(services, InboundMessage) == before + 4


def test_a_group_that_cannot_be_written_at_all_apologises_at_once(
        services: Services, stats: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    def no_connection(self: Any, turns: Any) -> None:
        raise OSError("unable to open database file")

    monkeypatch.setattr(twilio.TwilioWebhook, "_commit_group", no_connection)
    started = time.monotonic()
    answers = round_of(services, [params("hi", phone=phone(i)) for i in range(1, 4)])
    assert answers == [[APOLOGY]] * 3
    assert time.monotonic() - started < twilio.REPLAY_WAIT_SECONDS / 3  # not taken for a redelivery
    assert count(services, InboundMessage) == 0
