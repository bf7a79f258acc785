"""Every request's log lines carry one id, echoed to the caller; production logs are JSON."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from bot.logs import JsonFormatter, request_id
from bot.phones import mask_phone


def test_request_id_is_echoed_and_caller_ids_are_kept_if_sane(api: Any) -> None:
    r = api.get("/healthz")
    assert len(r.headers["x-request-id"]) == 16
    assert api.get("/healthz", headers={"X-Request-Id": "abc-123"}).headers["x-request-id"] == "abc-123"
    odd = api.get("/healthz", headers={"X-Request-Id": "bad id\twith spaces"}).headers["x-request-id"]
    assert odd != "bad id\twith spaces" and len(odd) == 16


def test_log_lines_inside_a_request_carry_its_id(api: Any, caplog: pytest.LogCaptureFixture) -> None:
    seen: list[str | None] = []

    class Grab(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(request_id.get())

    handler = Grab()
    logging.getLogger("bot.bookings").addHandler(handler)
    logging.getLogger("bot.bookings").setLevel(logging.INFO)
    try:
        r = api.post("/api/bookings", headers={"X-Request-Id": "req-42"}, json={
            "customer_phone": "+447700900123", "service": "haircut", "barber": "sam",
            "start": "2026-12-03T15:00:00+00:00"})
    finally:
        logging.getLogger("bot.bookings").removeHandler(handler)
    assert r.status_code == 201
    assert "req-42" in seen


def test_json_formatter_writes_one_object_per_line() -> None:
    token = request_id.set("rid-1")
    try:
        record = logging.LogRecord("bot", logging.INFO, __file__, 1, "booked for %s", (mask_phone("+447700900123"),), None)
        out = json.loads(JsonFormatter().format(record))
    finally:
        request_id.reset(token)
    assert out["request_id"] == "rid-1" and out["level"] == "info"
    assert out["msg"] == "booked for +44******0123"
