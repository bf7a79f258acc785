"""The chat under concurrency, through the signed webhook of a live server."""

from __future__ import annotations

from typing import Any

import scenarios as sc
from livestack import Stack


def test_every_message_delivered_three_times_books_once(stack: Stack, record: Any) -> None:
    c = record(sc.redelivered_three_times(stack, customers=12))
    assert c.failures() == {}, (c.row(), c.notes)
    assert c.notes["booked"] == 12, c.notes
    assert c.notes["replies_disagreeing"] == 0, c.notes


def test_fifty_customers_racing_for_one_slot_book_it_once(stack: Stack, record: Any) -> None:
    c = record(sc.race_for_one_slot(stack, customers=50))
    assert c.notes["reached_confirm"] == 50, c.notes
    assert c.notes["bookings_for_the_slot"] == 1, c.notes
    assert c.failures() == {}, (c.row(), c.notes)
