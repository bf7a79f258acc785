"""A live stack per backend for the whole session: SQLite + Huey's SQLite queue, and PostgreSQL + Redis.

The PostgreSQL + Redis stack needs TEST_DATABASE_URL and REDIS_URL (we create our own database
and run our own redis-server, so the scenarios can restart and flush it); without them it is
skipped with a reason, or fails under REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faultytwilio import FaultyTwilio
from livestack import Stack, pg_redis_backend, running_stack, sqlite_backend
from scenarios import Counts

_spec = importlib.util.spec_from_file_location(
    "barberbot_root_conftest", Path(__file__).resolve().parents[1] / "conftest.py")
assert _spec and _spec.loader
_root = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_root)
need_service = _root.need_service

RESULTS: list[Counts] = []


@pytest.fixture(scope="session")
def twilio() -> Iterator[FaultyTwilio]:
    fake = FaultyTwilio().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session", params=["sqlite", "postgres+redis"])
def stack(request: pytest.FixtureRequest, twilio: FaultyTwilio,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp(request.param.replace("+", "-"))
    if request.param == "sqlite":
        backend = sqlite_backend(workdir / "data")
    else:
        admin = need_service("PostgreSQL", "TEST_DATABASE_URL")
        need_service("Redis", "REDIS_URL")
        backend = pg_redis_backend(workdir, admin)
    try:
        with running_stack(backend, twilio.url, workdir=workdir) as s:
            yield s
    finally:
        backend.close()


@pytest.fixture(autouse=True)
def cancel_what_the_test_booked(stack: Stack) -> Iterator[None]:
    """Cancel, through the API, every booking a test leaves confirmed: with a 1-second reminder
    interval each one would send a reminder a second for the rest of the session and load the
    stack under the next scenario (and its reminders would count nowhere)."""
    before = int(stack.query("SELECT coalesce(max(id), 0) FROM booking")[0][0])
    yield
    left = stack.query("SELECT id FROM booking WHERE id > :before AND status = 'confirmed'",
                       before=before)
    with stack.api() as c:
        for (bid,) in left:
            assert c.delete(f"/api/bookings/{bid}").status_code < 500


@pytest.fixture
def record() -> Any:
    def keep(c: Counts) -> Counts:
        RESULTS.append(c)
        print(f"\nCOUNTS {c.scenario} [{c.backend}]: {c.row()} {c.notes}")  # noqa: T201
        return c
    return keep


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not RESULTS:
        return
    tr = terminalreporter
    tr.section("reliability counts")
    cols = ["reminders_due", "sent", "sent_twice", "sent_after_cancel", "lost", "failed",
            "double_booked", "http_5xx", "unauthorised_accepted", "in_flight_at_cancel"]
    tr.write_line("scenario | backend | " + " | ".join(cols))
    for c in RESULTS:
        row = c.row()
        tr.write_line(f"{c.scenario} | {c.backend} | " + " | ".join(str(row[k]) for k in cols))
