"""`GET /metrics` on a live `barberbot run`, parsed with prometheus-client's own parser."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.dx.procs import Server, slot_ahead

pytestmark = pytest.mark.slow

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(server: Server) -> Samples:
    with server.api() as http:
        resp = http.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    out: Samples = {}
    for family in text_string_to_metric_families(resp.text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def eventually(server: Server, check: Callable[[Samples], bool], timeout: float = 30.0) -> Samples:
    deadline = time.monotonic() + timeout
    while True:
        now = scrape(server)
        if check(now) or time.monotonic() > deadline:
            return now
        time.sleep(0.3)


def test_metrics_move_after_a_chat_turn(server: Server, chat) -> None:
    before = scrape(server)
    assert value(before, "barberbot_database_up") == 1

    c = chat("+447700900124", wait=0.5)
    c.say("hello")
    c.wait_for(lambda t: "bot: " in t)
    assert c.close() == 0

    after = scrape(server)
    assert value(after, "barberbot_webhook_turns_total") == value(before, "barberbot_webhook_turns_total") + 1
    assert value(after, "barberbot_replies_total") == value(before, "barberbot_replies_total") + 1
    key = {"method": "POST", "route": "/webhooks/twilio", "status": "200"}
    assert value(after, "barberbot_http_requests_total", **key) == \
        value(before, "barberbot_http_requests_total", **key) + 1


def test_metrics_move_after_a_reminder_and_a_cancellation(server: Server) -> None:
    before = scrape(server)
    with server.api() as http:
        resp = http.post("/api/bookings", json={
            "customer_phone": "+447700900125", "customer_name": "Ana", "service": "haircut",
            "start": slot_ahead().isoformat()})
        assert resp.status_code == 201, resp.text
        booking = resp.json()

        planned = scrape(server)
        assert value(planned, "barberbot_bookings", status="confirmed") == \
            value(before, "barberbot_bookings", status="confirmed") + 1
        assert value(planned, "barberbot_queue_depth", when="later") > value(before, "barberbot_queue_depth", when="later")

        sent_before = value(before, "barberbot_reminders", state="sent")
        after = eventually(server, lambda m: value(m, "barberbot_reminders", state="sent") > sent_before)
        assert value(after, "barberbot_reminders", state="sent") > sent_before
        assert value(after, "barberbot_reminder_send_delay_seconds_count") > \
            value(before, "barberbot_reminder_send_delay_seconds_count")
        assert value(after, "barberbot_reminder_send_attempts_total") > \
            value(before, "barberbot_reminder_send_attempts_total")
        assert value(after, "barberbot_reminder_send_delay_seconds_bucket", le="+Inf") == \
            value(after, "barberbot_reminder_send_delay_seconds_count")

        assert http.delete(f"/api/bookings/{booking['id']}").status_code == 200
    notice_before = value(before, "barberbot_outbound_messages", state="sent")
    cancelled = eventually(server, lambda m: value(m, "barberbot_outbound_messages", state="sent") > notice_before)
    assert value(cancelled, "barberbot_bookings", status="cancelled") == \
        value(before, "barberbot_bookings", status="cancelled") + 1
    assert value(cancelled, "barberbot_reminders", state="revoked") > value(before, "barberbot_reminders", state="revoked")
    assert value(cancelled, "barberbot_outbound_messages", state="sent") == notice_before + 1
