"""Reminders under faults, on a live serve + worker: every reminder due is sent once, none after a
cancel, none lost — whatever happens to the worker, the queue or Twilio."""

from __future__ import annotations

from typing import Any

import pytest
import scenarios as sc
from faultytwilio import FaultyTwilio
from livestack import Stack

pytestmark = pytest.mark.slow


def assert_clean(c: sc.Counts) -> None:
    assert c.reminders_due > 0
    assert c.failures() == {}, (c.row(), c.notes)
    assert c.sent == c.reminders_due


def test_worker_sigkilled_repeatedly_loses_and_doubles_nothing(stack: Stack, twilio: FaultyTwilio,
                                                               record: Any) -> None:
    c = record(sc.worker_killed_repeatedly(stack, twilio, bookings=10, window=7,
                                                   every=(0.5, 1.2)))
    assert c.notes["kills"] >= 4
    # The at-most-once limit: a kill after Twilio accepted a message but before its row was
    # written sends that message again once the claim is taken back. At most one per send in
    # flight (4 worker threads) per kill; bench/scenarios.py measures the rate for the runbook.
    assert c.sent_twice <= 4 * c.notes["kills"], c.row()
    c.sent_twice = 0
    assert_clean(c)


def test_queue_storage_lost_loses_no_reminder(stack: Stack, twilio: FaultyTwilio, record: Any) -> None:
    assert_clean(record(sc.queue_storage_lost(stack, twilio, bookings=8, window=6)))


def test_twilio_errors_and_timeouts_are_retried_to_one_send_each(stack: Stack, twilio: FaultyTwilio,
                                                                 record: Any) -> None:
    c = record(sc.twilio_misbehaving(stack, twilio, bookings=8, window=5))
    assert c.notes["twilio_answers"].get(500, 0) > 0 and c.notes["twilio_answers"].get(429, 0) > 0
    assert_clean(c)


def test_cancelling_as_reminders_come_due_sends_nothing_after_the_cancel(
        stack: Stack, twilio: FaultyTwilio, record: Any) -> None:
    c = record(sc.cancelled_as_due(stack, twilio, bookings=16, window=6, k=3))
    assert c.notes["cancels"] == 16
    assert c.sent > 0 and c.sent == c.reminders_due  # the reminders before the cancel went out
    assert c.failures() == {}, (c.row(), c.notes)
