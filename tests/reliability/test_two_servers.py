"""One customer's messages sent at the same moment to two `barberbot serve` processes on one
database are handled one after the other: each turn sees what the one before it did."""

from __future__ import annotations

import datetime as dt
import threading

import httpx
from livestack import Stack, phone_for, say, utcnow


def _at_once(calls: list[tuple[httpx.Client, str]], stack: Stack, phone: str) -> list[list[str]]:
    """Send each (client, text) from its own thread, released together; the replies in that order."""
    out: list[list[str]] = [[] for _ in calls]
    go = threading.Barrier(len(calls))

    def send(i: int, client: httpx.Client, text: str) -> None:
        go.wait()
        out[i] = say(stack, client, phone, text)

    threads = [threading.Thread(target=send, args=(i, c, t)) for i, (c, t) in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


def test_one_customers_messages_to_two_servers_are_handled_in_order(stack: Stack) -> None:
    start = (utcnow() + dt.timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
    customers = 6
    with stack.another_server() as other_url, \
            httpx.Client(base_url=stack.url, timeout=60) as a, httpx.Client(base_url=other_url, timeout=60) as b:
        for i in range(customers):
            phone = phone_for(91, i)
            when = start + dt.timedelta(minutes=30 * i)
            asked = say(stack, a, phone, f"haircut with sam on {when:%d %b} at {when:%H:%M}")
            assert "YES" in asked[-1], asked
            # "yes" to one server and "yes" again to the other, at the same moment
            first, second = _at_once([(a, "yes"), (b, "yes")], stack, phone)
            booked = [r for r in (first, second) if any("Booked" in m for m in r)]
            assert len(booked) == 1, (first, second)
            other = second if booked[0] is first else first
            assert any("nothing waiting for a yes" in m for m in other), other
            # a move asked at one server, then "yes" and "no" at once to both
            asked = say(stack, b, phone, f"move it to {when + dt.timedelta(minutes=15):%H:%M}")
            assert "YES" in asked[-1], asked
            yes, no = _at_once([(a, "yes"), (b, "no")], stack, phone)
            said_moved = any("Done" in m for m in yes + no)
            said_kept = any("stays as it was" in m for m in yes + no)
            assert said_moved != said_kept, (yes, no)
            with stack.api() as api:
                rows = api.get("/api/bookings", params={"customer_phone": phone, "status": "confirmed"}).json()
            assert len(rows) == 1, rows
            moved = dt.datetime.fromisoformat(rows[0]["start"]) == when + dt.timedelta(minutes=15)
            assert moved == said_moved, (rows, yes, no)
