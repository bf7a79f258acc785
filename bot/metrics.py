"""`GET /metrics` in Prometheus text format.

Business figures are read from the database at scrape time (`DatabaseCollector`),
so they are right whatever process or host did the work: any API process can
be scraped and gives the same answer. HTTP request counts and latency are the
one in-process part (`HttpMetrics`, an ASGI middleware); each API process
reports its own, so scrape every process (or sum by `instance`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlmodel import col, select
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.models import (
    Booking,
    BookingStatus,
    InboundMessage,
    OutboundMessage,
    Reminder,
    ReminderState,
    as_utc,
)
from bot.services import Services

log = logging.getLogger(__name__)

# seconds between a reminder's due time and Twilio accepting it
SEND_DELAY_BUCKETS = (0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600)
OUTBOUND_STATES = ("queued", "sending", "sent", "failed")
REMINDER_STATES = (*ReminderState.PENDING, *ReminderState.FINAL)


def _seconds_between(dialect: str, later: Any, earlier: Any) -> Any:
    if dialect == "sqlite":
        return (sa.func.julianday(later) - sa.func.julianday(earlier)) * 86400.0
    return sa.extract("epoch", later - earlier)


class DatabaseCollector(Collector):
    """Counts and states straight from the tables: correct across processes, a few queries a scrape."""

    def __init__(self, services: Services) -> None:
        self.s = services

    def describe(self) -> Iterator[Metric]:
        return iter(())  # figures are only known at scrape time

    def collect(self) -> Iterator[Metric]:
        start = time.perf_counter()
        up = GaugeMetricFamily("barberbot_database_up", "1 when the last scrape could read the database")
        try:
            families = self._families()
        except Exception:  # noqa: BLE001 - a scrape must answer; the gauge says the DB is down
            log.warning("metrics: could not read the database", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families
        took = GaugeMetricFamily("barberbot_metrics_scrape_seconds", "time spent reading the database for this scrape")
        took.add_metric([], time.perf_counter() - start)
        yield took

    def _families(self) -> list[Metric]:
        now = self.s.now()
        dialect = self.s.db.dialect
        out: list[Metric] = []
        with self.s.db.session() as s:
            turns = s.exec(select(sa.func.count()).select_from(InboundMessage)).one()
            replied = s.exec(select(sa.func.count()).select_from(InboundMessage).where(
                col(InboundMessage.reply).like("%<Message%"))).one()
            bookings = dict(s.exec(select(Booking.status, sa.func.count()).group_by(Booking.status)).all())
            reminders = dict(s.exec(select(Reminder.state, sa.func.count()).group_by(Reminder.state)).all())
            attempts, retries = s.exec(select(
                sa.func.coalesce(sa.func.sum(Reminder.attempts), 0),
                sa.func.coalesce(sa.func.sum(sa.case((col(Reminder.attempts) > 1, Reminder.attempts - 1),
                                                     else_=0)), 0))).one()
            outbound = dict(s.exec(select(OutboundMessage.state, sa.func.count())
                                   .group_by(OutboundMessage.state)).all())
            pending = (ReminderState.SCHEDULED, ReminderState.RETRYING)
            due_at = sa.func.coalesce(Reminder.next_attempt_at, Reminder.due_at)
            due = s.exec(select(sa.func.count()).select_from(Reminder).where(
                col(Reminder.state).in_(pending), due_at <= now)).one()
            oldest_due = s.exec(select(sa.func.min(due_at)).where(
                col(Reminder.state).in_(pending), due_at <= now)).one()
            delay = _seconds_between(dialect, Reminder.sent_at, Reminder.due_at)
            sent = (col(Reminder.state) == ReminderState.SENT, col(Reminder.sent_at).is_not(None))
            bucket_cols = [sa.func.coalesce(sa.func.sum(sa.case((delay <= le, 1), else_=0)), 0)
                           for le in SEND_DELAY_BUCKETS]
            row = s.exec(select(sa.func.count(), sa.func.coalesce(sa.func.sum(delay), 0.0),
                                *bucket_cols).where(*sent)).one()

        c = CounterMetricFamily("barberbot_webhook_turns", "incoming WhatsApp messages handled (one per MessageSid)")
        c.add_metric([], turns)
        out.append(c)
        c = CounterMetricFamily("barberbot_replies", "webhook turns answered with at least one message")
        c.add_metric([], replied)
        out.append(c)

        g = GaugeMetricFamily("barberbot_bookings", "bookings by status (outcome)", labels=["status"])
        for status in BookingStatus.ALL:
            g.add_metric([status], bookings.get(status, 0))
        out.append(g)

        g = GaugeMetricFamily("barberbot_reminders", "reminders by state", labels=["state"])
        for state in REMINDER_STATES:
            g.add_metric([state], reminders.get(state, 0))
        out.append(g)

        c = CounterMetricFamily("barberbot_reminder_send_attempts", "reminder send attempts, first ones included")
        c.add_metric([], int(attempts))
        out.append(c)
        c = CounterMetricFamily("barberbot_reminder_retries", "reminder send attempts beyond the first")
        c.add_metric([], int(retries))
        out.append(c)

        count, total = row[0], row[1]
        cumulative: list[Any] = list(row[2:])
        h = HistogramMetricFamily("barberbot_reminder_send_delay_seconds",
                                  "sent reminders: seconds from due time to Twilio accepting it")
        buckets = [(_le(le), float(n)) for le, n in zip(SEND_DELAY_BUCKETS, cumulative, strict=True)]
        h.add_metric([], [*buckets, ("+Inf", float(count))], sum_value=float(total or 0.0))
        out.append(h)

        g = GaugeMetricFamily("barberbot_outbound_messages", "notices to customers by state", labels=["state"])
        for state in OUTBOUND_STATES:
            g.add_metric([state], outbound.get(state, 0))
        out.append(g)

        g = GaugeMetricFamily("barberbot_queue_depth",
                              "pending reminders: due now (should be near 0) or waiting for their time",
                              labels=["when"])
        waiting = sum(reminders.get(p, 0) for p in pending)
        g.add_metric(["due"], due)
        g.add_metric(["later"], waiting - due)
        out.append(g)
        g = GaugeMetricFamily("barberbot_queue_oldest_due_seconds",
                              "how long the oldest due, unsent reminder has been waiting (0 when none)")
        g.add_metric([], max(0.0, (now - as_utc(oldest_due)).total_seconds()) if oldest_due else 0.0)
        out.append(g)
        return out


def _le(value: float) -> str:
    return str(float(value))


class HttpMetrics:
    """In-process request counts and latency by route template (not by raw path: no ids in labels)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter("barberbot_http_requests", "HTTP requests served by this process",
                                ["method", "route", "status"], registry=registry)
        self.latency = Histogram("barberbot_http_request_duration_seconds",
                                 "HTTP request latency in this process", ["method", "route"],
                                 registry=registry,
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))

    def middleware(self) -> Middleware:
        return Middleware(_HttpMetricsMiddleware, metrics=self)


class _HttpMetricsMiddleware:
    """Counts and times every HTTP request, by method, route template and status."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        start = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            took = time.perf_counter() - start
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope.get("method", "GET")
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(took)


def registry_for(services: Services) -> CollectorRegistry:
    """One registry per Services (so tests with several apps do not share counters)."""
    reg = services.extras.get("metrics_registry")
    if reg is None:
        reg = CollectorRegistry(auto_describe=False)
        reg.register(DatabaseCollector(services))
        services.extras["metrics_registry"] = reg
        services.extras["http_metrics"] = HttpMetrics(reg)
    return reg  # type: ignore[no-any-return]


def http_metrics_middleware(services: Services) -> Middleware:
    registry_for(services)
    metrics: HttpMetrics = services.extras["http_metrics"]
    return metrics.middleware()


def metrics_routes(services: Services) -> list[Route]:
    registry = registry_for(services)

    async def metrics(request: Request) -> Response:
        body = await run_in_threadpool(generate_latest, registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return [Route("/metrics", metrics, methods=["GET"])]
