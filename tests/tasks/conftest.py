"""Fixtures for the reminder engine: a migrated SQLite db with the demo shop, a Huey on
Redis (REDIS_URL) or on SQLite, a fake Twilio, and a real in-process consumer."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from engine_support import (  # noqa: F401
    BARBERS,
    OPEN_SHOP,
    REQUIRE_SERVICES,
    ROOT,
    Factory,
    OffsetClock,
    ShiftedDispatcher,
    book,
    engine_settings,
    redis_url_or_skip,
    reminder_rows,
    slot_ahead,
)
from faketwilio import FakeTwilio

from bot.clock import system_clock
from bot.db import Database
from bot.services import Services, build_services
from bot.shop import parse_shop
from bot.shop_store import load_shop
from tasks.queue import make_huey
from tasks.sender import FakeSender, TwilioSender


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio().start()
    yield fake
    fake.stop()


@pytest.fixture(params=["sqlite", "redis"])
def queue_kind(request: pytest.FixtureRequest) -> str:
    if request.param == "redis":
        redis_url_or_skip()
    return str(request.param)


@pytest.fixture
def engine(tmp_path: Path, queue_kind: str, migrated_sqlite: Callable[[Path], str]) -> Iterator[Factory]:
    """Build Services on a real queue (a fresh Huey name per test) with the always-open shop loaded."""
    built: list[Services] = []
    name = f"bbtest-{uuid.uuid4().hex[:8]}"

    def factory(*, sender: Any = None, twilio: FakeTwilio | None = None, lead_seconds: float = 3.5,
                shop_text: str = OPEN_SHOP, **overrides: Any) -> Services:
        if queue_kind == "redis":
            overrides.setdefault("redis_url", os.environ["REDIS_URL"])
        settings = engine_settings(tmp_path, **overrides)
        path = Path(sa.engine.make_url(settings.database_url).database or "")
        if not path.exists():  # a second factory call in a test shares the first one's database
            migrated_sqlite(path)
        db = Database(settings.database_url)
        load_shop(db, parse_shop(shop_text), now=system_clock())
        huey = make_huey(settings, name=name)
        if sender is None and twilio is not None:
            sender = TwilioSender(account_sid="ACtest", auth_token="test-auth-token",
                                  from_="+14155238886", base_url=twilio.url)
        appointment, offset = slot_ahead(lead_seconds * settings.reminder_interval_seconds)
        clock = OffsetClock(offset)
        services = build_services(settings, clock=clock, dispatcher=ShiftedDispatcher(huey, offset),
                                  huey=huey, sender=sender or FakeSender(), db=db)
        services.extras.update(appointment=appointment, offset=offset, queue_name=name,
                               overrides=overrides, tmp_path=str(tmp_path))
        built.append(services)
        return services

    yield factory
    for s in built:
        if s.huey is not None:
            s.huey.flush()
            s.huey.storage.flush_counters() if hasattr(s.huey.storage, "flush_counters") else None
        s.db.dispose()


@pytest.fixture
def worker() -> Iterator[Callable[..., Callable[[], None]]]:
    from tasks.runtime import start_inprocess_worker

    stops: list[Callable[[], None]] = []

    def start(services: Services, **kwargs: Any) -> Callable[[], None]:
        stop = start_inprocess_worker(services, **kwargs)
        stops.append(stop)
        return stop

    yield start
    for stop in stops:
        stop()
