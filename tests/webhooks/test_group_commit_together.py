"""A round's turns written together: bookings, cancels and plain answers share their claims,
customers, conversations and replies (`TwilioWebhook._write_together`), and when anything of
that fails, every turn is written again on its own, with nothing of the first attempt left over.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import select

from bot.models import InboundMessage, Reminder
from bot.services import Services
from tests.webhooks.test_group_commit import APOLOGY, confirmed, phone, round_of
from tests.webhooks.test_twilio_webhook import params
from webhooks import twilio

TIMES = ["10:00", "10:30", "11:00", "11:30"]


@pytest.fixture
def services(make_services: Callable[..., Services], sqlite_url: str) -> Services:
    return make_services(sqlite_url)


def ask_for_haircuts(services: Services) -> None:
    """Customers 1-4 each have a haircut of their own waiting for YES."""
    asked = round_of(services, [params(f"haircut with sam tomorrow at {t}", phone=phone(i))
                                for i, t in enumerate(TIMES, 1)])
    assert all("Reply YES" in " ".join(a) for a in asked), asked


def stored_senders(services: Services, body: str) -> list[str]:
    with services.db.session() as s:
        return sorted(m.phone for m in s.exec(select(InboundMessage).where(InboundMessage.body == body)))


def test_bookings_and_plain_answers_of_one_round_are_written_together(
        services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    ask_for_haircuts(services)
    alone: list[str] = []
    write = twilio.TwilioWebhook._write

    def spy(self: Any, conn: Any, tx: Any, turn: Any) -> None:
        alone.append(turn.phone)
        write(self, conn, tx, turn)

    monkeypatch.setattr(twilio.TwilioWebhook, "_write", spy)
    answers = round_of(services, [params("yes", phone=phone(i)) for i in (1, 2)]
                       + [params("hi", phone=phone(8)), params("yes", phone=phone(3))])
    assert alone == []  # no turn needed a write of its own
    rows = {b.customer_phone: b for b in confirmed(services)}
    assert sorted(rows) == [phone(1), phone(2), phone(3)]
    for i, answer in zip((1, 2, 3), (answers[0], answers[1], answers[3]), strict=True):
        assert len(answer) == 1 and answer[0].startswith("Booked ✅") and rows[phone(i)].code in answer[0], answer
    assert APOLOGY not in answers[2][0] and "Booked" not in answers[2][0]
    assert stored_senders(services, "yes") == [phone(1), phone(2), phone(3)]
    with services.db.session() as s:  # each reply stored for a redelivery to replay
        replies = {m.phone: m.reply for m in s.exec(select(InboundMessage).where(InboundMessage.body == "yes"))}
    assert all(rows[p].code in (replies[p] or "") for p in rows)


def test_a_write_that_fails_after_the_bookings_leaves_one_booking_each_and_undoes_the_failing_turn(
        services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    ask_for_haircuts(services)
    breaker = phone(3)
    save_one, save_all = twilio.save_conversation, twilio.save_conversations

    def save_one_breaking(tx: Any, phone_: str, convo: Any, now: Any) -> None:
        if phone_ == breaker:
            raise RuntimeError("disk trouble")
        save_one(tx, phone_, convo, now)

    def save_all_breaking(tx: Any, rows: list[tuple[str, Any, Any]]) -> None:
        if any(p == breaker for p, _, _ in rows):
            raise RuntimeError("disk trouble")
        save_all(tx, rows)

    monkeypatch.setattr(twilio, "save_conversation", save_one_breaking)
    monkeypatch.setattr(twilio, "save_conversations", save_all_breaking)
    answers = round_of(services, [params("yes", phone=phone(i)) for i in range(1, 5)])
    assert answers[2] == [APOLOGY]
    rows = {b.customer_phone: b for b in confirmed(services)}
    assert sorted(rows) == [phone(1), phone(2), phone(4)]  # the failing turn's booking was undone
    for i in (1, 2, 4):  # told once, with the code that was kept (not the undone first attempt's)
        answer = answers[i - 1]
        assert len(answer) == 1 and answer[0].startswith("Booked ✅") and rows[phone(i)].code in answer[0], answer
    assert stored_senders(services, "yes") == [phone(1), phone(2), phone(4)]  # Twilio may retry the 3rd
    # the queue heard only of the reminders that were committed, once each
    scheduled = services.dispatcher.scheduled  # type: ignore[attr-defined]
    with services.db.session() as s:
        stored = sorted(r.id for r in s.exec(select(Reminder)))
    assert stored and sorted(p.reminder_id for p in scheduled) == stored
    monkeypatch.setattr(twilio, "save_conversation", save_one)
    monkeypatch.setattr(twilio, "save_conversations", save_all)
    again = round_of(services, [params("yes", phone=breaker)])  # the customer (or Twilio) tries again
    assert again[0][0].startswith("Booked ✅"), again


def test_a_redelivery_in_a_round_with_bookings_replays_and_the_bookings_are_made_once(
        services: Services) -> None:
    ask_for_haircuts(services)
    yes = params("yes", phone=phone(1))
    first = round_of(services, [yes])[0]
    assert first[0].startswith("Booked ✅")
    answers = round_of(services, [params("yes", phone=phone(2)), yes, params("yes", phone=phone(3))])
    assert answers[1] == first
    assert all(len(a) == 1 and a[0].startswith("Booked ✅") for a in answers), answers
    assert sorted(b.customer_phone for b in confirmed(services)) == [phone(1), phone(2), phone(3)]
    assert stored_senders(services, "yes") == [phone(1), phone(2), phone(3)]
