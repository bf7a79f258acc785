"""A redelivery in a group commit: its answer is the first delivery's, whatever the rest of the group does.

A redelivered MessageSid writes nothing (its claim is lost to the committed first delivery), so
nothing of its own can fail with the group's commit; it must still replay what was answered the
first time, as it did when each turn committed alone.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.models import Booking, InboundMessage
from bot.services import Services
from tests.webhooks.test_group_commit import (
    APOLOGY,
    break_the_commit_for,
    confirmed,
    phone,
    round_of,
)
from tests.webhooks.test_twilio_webhook import count, params


@pytest.fixture
def services(make_services: Callable[..., Services], sqlite_url: str) -> Services:
    return make_services(sqlite_url)


def test_a_redelivery_replays_its_booking_even_when_the_rest_of_its_group_fails_to_commit(
        services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    round_of(services, [params("haircut with sam tomorrow at 10", phone=phone(11))])
    yes = params("yes", phone=phone(11))
    first = round_of(services, [yes])[0]
    assert first[0].startswith("Booked ✅"), first
    break_the_commit_for(monkeypatch, phone(12))
    # Twilio lost the answer to "yes" and delivers it again, in the same round as another
    # customer's message whose writes make the group's commit fail
    again, other = round_of(services, [yes, params("hi", phone=phone(12))])
    assert other == [APOLOGY]  # that customer's message was not stored: they are asked to retry
    assert again == first  # the booked customer is told their booking again, not asked to retry
    assert len(confirmed(services)) == 1 and count(services, Booking) == 1
    assert count(services, InboundMessage) == 2
