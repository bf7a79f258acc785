"""Fifty customers ask for the same barber and slot at once: exactly one gets it."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import Counter

import httpx
import pytest

from bot.app import create_app
from bot.services import Services
from tests.live import live_server


async def _race(base: str, n: int) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=base, timeout=60,
                                 headers={"Authorization": "Bearer test-api-key"}) as client:
        async def one(i: int) -> httpx.Response:
            return await client.post("/api/bookings", json={
                "customer_phone": f"+4477009{i:05d}", "service": "haircut", "barber": "sam",
                "start": "2026-12-03T15:00:00+00:00"})
        return await asyncio.gather(*(one(i) for i in range(n)))


def test_fifty_concurrent_requests_for_one_slot_book_exactly_once(services: Services) -> None:
    with live_server(create_app(services)) as base:
        responses = asyncio.run(_race(base, 50))
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: 49}, statuses
    assert all(r.json()["error"]["code"] == "slot_taken" for r in responses if r.status_code == 409)
    confirmed = services.bookings.list(barber="sam", status="confirmed")
    assert len(confirmed) == 1


def test_concurrent_overlapping_requests_never_overlap(services: Services) -> None:
    """Different but overlapping starts (15-minute grid, 30-minute cuts) race too."""
    starts = ["2026-12-03T15:00:00+00:00", "2026-12-03T15:15:00+00:00", "2026-12-03T14:45:00+00:00"]

    async def race(base: str) -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=base, timeout=60,
                                     headers={"Authorization": "Bearer test-api-key"}) as client:
            return await asyncio.gather(*(client.post("/api/bookings", json={
                "customer_phone": f"+4477009{i:05d}", "service": "haircut", "barber": "sam",
                "start": starts[i % 3]}) for i in range(30)))

    with live_server(create_app(services)) as base:
        responses = asyncio.run(race(base))
    assert {r.status_code for r in responses} <= {201, 409}
    confirmed = sorted(services.bookings.list(barber="sam", status="confirmed"), key=lambda b: b.start_at)
    for a, b in zip(confirmed, confirmed[1:], strict=False):
        assert a.end_at <= b.start_at


def test_a_write_opened_inside_another_fails_at_once_and_the_outer_one_still_commits(services: Services) -> None:
    start = dt.datetime(2026, 12, 3, 15, 0, tzinfo=dt.UTC)
    t0 = time.monotonic()
    with services.db.write() as s:
        services.bookings.create(customer_phone="+447700900123", service="haircut", barber="sam", start=start,
                                 session=s)
        with pytest.raises(RuntimeError, match="session="):
            services.bookings.create(customer_phone="+447700900124", service="haircut", barber="alex", start=start)
    assert time.monotonic() - t0 < 5  # never waits for its own locks
    assert [b.barber for b in services.bookings.list(date=start.date())] == ["sam"]
