"""Messages to people (a hand-off, running late) on both databases: rows first, the queue after commit."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from bot.dialogue import staff
from bot.dialogue.model import Handoff, NotifyStaff, Resume
from bot.models import Customer, OutboundMessage
from bot.services import Services

CUSTOMER = "+447700900123"
OWNER = "+447700900001"


def test_a_handoff_queues_the_message_and_keeps_the_customer_quiet_until_resumed(services: Services) -> None:
    now = services.now()
    until = now + dt.timedelta(hours=24)
    staff.carry_out(services, None, Handoff(CUSTOMER, OWNER, "wants a person", until), now)
    with services.db.session() as s:
        sent = s.exec(select(OutboundMessage).where(OutboundMessage.to_phone == OWNER)).all()
        assert [m.body for m in sent] == ["wants a person"] and sent[0].state == "queued"
    assert services.dispatcher.messages == [sent[0].id]  # type: ignore[attr-defined]
    assert staff.customer_facts(services, CUSTOMER).handoff_until() == until

    staff.carry_out(services, None, Resume(CUSTOMER), now)
    assert staff.customer_facts(services, CUSTOMER).handoff_until() is None


def test_in_the_callers_transaction_the_queue_is_told_only_after_it_commits(services: Services) -> None:
    now = services.now()
    with services.db.write() as s:
        staff.carry_out(services, s, NotifyStaff(OWNER, "running late"), now)
        assert services.dispatcher.messages == []  # type: ignore[attr-defined]
    assert len(services.dispatcher.messages) == 1  # type: ignore[attr-defined]


def test_recent_bookings_and_messages_are_read_for_the_dialogue(services: Services) -> None:
    start = dt.datetime(2026, 12, 3, 15, 0, tzinfo=dt.UTC)
    b = services.bookings.create(customer_phone=CUSTOMER, service="haircut", barber="sam", start=start,
                                 guest_name="Jack")
    facts = staff.customer_facts(services, CUSTOMER)
    (seen,) = facts.recent()
    assert (seen.id, seen.guest_name, seen.status) == (b.id, "Jack", "confirmed")
    assert facts.said() == ()
    with services.db.session() as s:
        assert s.get(Customer, CUSTOMER) is not None
