"""The send task and the reconciler in-process, with a fixed clock and a fake sender, on SQLite and PostgreSQL:
what a customer gets (or does not), and how notices and reminders are recovered."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from bot.customers import set_reminders_paused, touch_inbound
from bot.errors import SendFailed
from bot.models import OutboundMessage, Reminder, ReminderState
from bot.services import Services
from tasks.outbox import send_message
from tasks.reconcile import reconcile
from tasks.reminders import send_reminder
from tasks.sender import FakeSender

PHONE = "+447700900123"
START = dt.datetime(2026, 12, 2, 17, 0, tzinfo=dt.UTC)  # Wednesday, open; reminders at 11, 13, 15
TEMPLATE = "HX0123456789abcdef0123456789abcdef"


def booked(services: Services) -> tuple[Any, list[Reminder]]:
    services.sender = FakeSender()
    b = services.bookings.create(customer_phone=PHONE, service="haircut", barber="sam", start=START)
    return b, services.bookings.reminders(b.id)


def at(services: Services, when: dt.datetime) -> None:
    services.clock.now = when  # type: ignore[attr-defined]


def reminder(services: Services, rid: int | None) -> Reminder:
    with services.db.session() as s:
        r = s.get(Reminder, rid)
    assert r is not None
    return r


def inbound(services: Services, when: dt.datetime) -> None:
    with services.db.write() as s:
        touch_inbound(s, phone=PHONE, now=when)


def test_paused_customer_gets_no_reminder_and_it_is_recorded_as_skipped(services: Services) -> None:
    _, (first, *_) = booked(services)
    with services.db.write() as s:
        set_reminders_paused(s, phone=PHONE, paused=True, now=services.now())
    at(services, first.due_at)

    assert send_reminder(services, first.id).state == "skipped"

    assert services.sender.sent == []
    r = reminder(services, first.id)
    assert (r.state, r.error) == (ReminderState.SKIPPED, "reminders paused")


def test_inside_the_24_hour_window_the_reminder_is_free_text(make_services: Any, db_url: str) -> None:
    services = make_services(db_url, whatsapp_reminder_content_sid=TEMPLATE)
    _, (first, *_) = booked(services)
    inbound(services, first.due_at - dt.timedelta(hours=23, minutes=59))
    at(services, first.due_at)

    assert send_reminder(services, first.id).state == "sent"

    [(_, msg)] = services.sender.sent
    assert msg.content_sid is None and msg.body and "Haircut" in msg.body and msg.to == PHONE


def test_outside_the_24_hour_window_the_reminder_uses_the_approved_template(make_services: Any,
                                                                            db_url: str) -> None:
    services = make_services(db_url, whatsapp_reminder_content_sid=TEMPLATE)
    b, (first, *_) = booked(services)
    inbound(services, first.due_at - dt.timedelta(hours=24, seconds=1))
    at(services, first.due_at)

    assert send_reminder(services, first.id).state == "sent"

    [(_, msg)] = services.sender.sent
    assert msg.body is None and msg.content_sid == TEMPLATE
    assert dict(msg.content_variables or {}) == {
        "1": "Haircut", "2": "Sam", "3": msg.content_variables["3"], "4": "in 6 hours", "5": b.code}  # type: ignore[index]


def test_a_customer_who_never_wrote_gets_the_template(make_services: Any, db_url: str) -> None:
    services = make_services(db_url, whatsapp_reminder_content_sid=TEMPLATE)
    _, (first, *_) = booked(services)
    at(services, first.due_at)

    send_reminder(services, first.id)

    assert services.sender.sent[0][1].content_sid == TEMPLATE


def test_without_a_template_configured_the_reminder_is_free_text_even_outside_the_window(
        services: Services) -> None:
    _, (first, *_) = booked(services)
    at(services, first.due_at)

    send_reminder(services, first.id)

    msg = services.sender.sent[0][1]
    assert msg.content_sid is None and msg.body and "in 6 hours" in msg.body


def test_a_job_arriving_early_sends_nothing_and_leaves_the_reminder_scheduled(services: Services) -> None:
    _, (first, *_) = booked(services)
    at(services, first.due_at - dt.timedelta(seconds=30))

    assert send_reminder(services, first.id).state == "noop"

    assert services.sender.sent == [] and reminder(services, first.id).state == ReminderState.SCHEDULED


def test_running_the_task_twice_sends_once(services: Services) -> None:
    _, (first, *_) = booked(services)
    at(services, first.due_at)

    assert [send_reminder(services, first.id).state for _ in range(2)] == ["sent", "noop"]

    assert len(services.sender.sent) == 1


def test_a_reminder_stuck_in_sending_is_taken_back_and_sent_once(services: Services) -> None:
    _, (first, *_) = booked(services)
    at(services, first.due_at)
    # a worker claimed it and died: the claim is all that is left
    services.sender.on_send = lambda _m: (_ for _ in ()).throw(SystemExit)
    with contextlib.suppress(SystemExit):
        send_reminder(services, first.id)
    services.sender.on_send = None
    assert reminder(services, first.id).state == ReminderState.SENDING

    assert reconcile(services, now=first.due_at + dt.timedelta(seconds=5), stuck_after_seconds=30).reclaimed == 0
    at(services, first.due_at + dt.timedelta(seconds=31))
    report = reconcile(services, stuck_after_seconds=30, grace_seconds=10)

    assert report.reclaimed == 1 and report.requeued == 1  # enqueued in the same round, not a round later
    assert [p.reminder_id for p in services.dispatcher.scheduled[-1:]] == [first.id]  # type: ignore[attr-defined]
    assert send_reminder(services, first.id).state == "sent"
    assert (reminder(services, first.id).attempts, len(services.sender.sent)) == (2, 1)


def test_an_outcome_is_not_recorded_once_the_reconciler_has_taken_the_claim_back(services: Services) -> None:
    _, (first, *_) = booked(services)
    at(services, first.due_at)

    def reconciler_meanwhile(_: Any) -> None:  # while the message is at Twilio, the claim is taken back
        with services.db.write() as s:
            s.execute(sa.update(Reminder).where(col(Reminder.id) == first.id).values(state=ReminderState.SCHEDULED))

    services.sender.on_send = reconciler_meanwhile
    assert send_reminder(services, first.id).state == "sent"

    assert len(services.sender.sent) == 1
    r = reminder(services, first.id)
    assert (r.state, r.message_sid) == (ReminderState.SCHEDULED, None)  # the reconciler's word stands


def notice(services: Services) -> OutboundMessage:
    with services.db.session() as s:
        return s.exec(select(OutboundMessage)).one()


def test_a_notice_waiting_for_its_retry_is_not_sent_early(services: Services) -> None:
    b, _ = booked(services)
    services.bookings.cancel(b.id)
    m = notice(services)
    assert m.id is not None
    services.sender.failures = [SendFailed("busy", retryable=True, error_code="20429")]

    assert send_message(services, m.id) == "retrying"
    retry_at = notice(services).next_attempt_at
    assert notice(services).state == "retrying" and retry_at == services.now() + dt.timedelta(seconds=5)

    services.clock.advance(seconds=2)  # type: ignore[attr-defined]
    assert reconcile(services, grace_seconds=1).messages == 0  # not due yet: the reconciler leaves it
    assert send_message(services, m.id) == "noop"  # a stray early job does nothing
    assert services.sender.sent == []

    services.clock.advance(seconds=5)  # type: ignore[attr-defined]
    assert reconcile(services, grace_seconds=1).messages == 1
    assert send_message(services, m.id) == "sent"
    assert (notice(services).attempts, len(services.sender.sent)) == (2, 1)


def test_a_notice_stuck_in_sending_is_taken_back_and_sent_once(services: Services) -> None:
    b, _ = booked(services)
    services.bookings.cancel(b.id)
    m = notice(services)
    assert m.id is not None
    services.sender.on_send = lambda _m: (_ for _ in ()).throw(SystemExit)  # the worker dies mid-send
    with contextlib.suppress(SystemExit):
        send_message(services, m.id)
    services.sender.on_send = None
    assert notice(services).state == "sending" and notice(services).claimed_at == services.now()

    services.clock.advance(seconds=10)  # type: ignore[attr-defined]
    assert reconcile(services, stuck_after_seconds=30).messages == 0  # a live worker keeps its claim
    services.clock.advance(seconds=25)  # type: ignore[attr-defined]
    assert reconcile(services, stuck_after_seconds=30).messages == 1

    assert send_message(services, m.id) == "sent"
    assert send_message(services, m.id) == "noop"
    assert (notice(services).state, notice(services).attempts, len(services.sender.sent)) == ("sent", 2, 1)


def test_reconciler_timeouts_come_from_settings(make_services: Any, sqlite_url: str) -> None:
    from tasks.reconcile import default_grace, default_stuck_after

    services = make_services(sqlite_url, reconcile_grace_seconds=7, reminder_stuck_after_seconds=90)
    assert (default_grace(services), default_stuck_after(services)) == (7, 90)
    services = make_services(sqlite_url, reconcile_interval_seconds=60)
    assert (default_grace(services), default_stuck_after(services)) == (60, 120)
