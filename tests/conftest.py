"""Shared fixtures: real SQLite and PostgreSQL databases, the demo shop, services with a fixed clock.

Tests that need PostgreSQL or Redis run when TEST_DATABASE_URL / REDIS_URL are set;
otherwise they skip with a reason, unless REQUIRE_SERVICES=1, where that is a failure.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot.clock import FixedClock
from bot.db import Database, upgrade
from bot.dispatch import RecordingDispatcher
from bot.models import SQLModel
from bot.services import Services, build_services
from bot.settings import Settings
from bot.shop import Shop, parse_shop
from bot.shop_store import load_shop

ROOT = Path(__file__).resolve().parents[1]
DEMO_SHOP = ROOT / "bot" / "demo_shop.toml"
SHARED = Path(os.environ.get("SHARED_DIR", ROOT.parent / "shared"))
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
# Wednesday 2 December 2026, 09:00 in London: the corpus's `now`.
NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)


def need_service(name: str, env: str) -> str:
    """The URL of a service the test needs, or skip (fail under REQUIRE_SERVICES=1)."""
    url = os.environ.get(env)
    if not url:
        reason = f"{name} not configured: set {env} to run this test"
        if REQUIRE_SERVICES:
            pytest.fail(reason + " (REQUIRE_SERVICES=1)")
        pytest.skip(reason)
    return url


def make_settings(**overrides: Any) -> Settings:
    """Settings for a test, independent of the developer's environment and .env file."""
    values: dict[str, Any] = {
        "barberbot_env": "test",
        "database_url": "sqlite:///:memory:",
        "redis_url": None,
        "twilio_account_sid": None,
        "twilio_auth_token": "test-auth-token",
        "twilio_whatsapp_from": "whatsapp:+14155238886",
        "public_base_url": None,
        "api_key": "test-api-key",
        "send_rate_per_second": 0,
        "whatsapp_reminder_content_sid": None,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def demo_shop() -> Shop:
    return parse_shop(DEMO_SHOP.read_text())


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    return need_service("PostgreSQL", "TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def pg_template(pg_admin_url: str) -> Iterator[str]:
    """A migrated PostgreSQL database for this test session, dropped at the end."""
    name = f"barberbot_t_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(_pg(pg_admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = str(sa.engine.make_url(_pg(pg_admin_url)).set(database=name).render_as_string(hide_password=False))
    upgrade(url)
    try:
        yield url
    finally:
        with admin.connect() as c:
            c.exec_driver_sql(
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        admin.dispose()


def _pg(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def _empty_tables(url: str) -> None:
    """Empty every table and restart the ids at 1, as the migrated database was.

    DELETE rather than TRUNCATE: TRUNCATE gives each table and index new files, about 0.2 s a test,
    and a test leaves a handful of rows."""
    eng = sa.create_engine(url)
    with eng.begin() as c:
        for table in reversed(SQLModel.metadata.sorted_tables):
            c.execute(table.delete())
        c.exec_driver_sql(
            "SELECT setval((quote_ident(schemaname) || '.' || quote_ident(sequencename))::regclass, 1, false) "
            "FROM pg_sequences WHERE schemaname = current_schema()")
    eng.dispose()


MigratedSqlite = Callable[[Path], str]


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> MigratedSqlite:
    """Makes a migrated, empty SQLite database at a path and returns its URL: the migrations run
    once a session into a template, and each database is a copy of it (SQLite's backup API)."""
    template = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite:///{template}")

    def copy_to(path: Path) -> str:
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(template)) as src, closing(sqlite3.connect(path)) as dst:
            src.backup(dst)
        return f"sqlite:///{path}"

    return copy_to


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: SQLite in a temp file, and PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("migrated_sqlite")(tmp_path / "test.db")  # type: ignore[no-any-return]
    url = request.getfixturevalue("pg_template")
    _empty_tables(url)
    return url


@pytest.fixture
def sqlite_url(migrated_sqlite: MigratedSqlite, tmp_path: Path) -> str:
    return migrated_sqlite(tmp_path / "test.db")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


ServicesFactory = Callable[..., Services]


@pytest.fixture
def make_services(demo_shop: Shop, clock: FixedClock) -> Iterator[ServicesFactory]:
    """Build Services on a migrated database with the demo shop loaded; disposed after the test."""
    built: list[Services] = []

    def factory(url: str, *, shop: Shop | None = None, dispatcher: Any = None, **overrides: Any) -> Services:
        settings = make_settings(database_url=url, **overrides)
        db = Database(url)
        load_shop(db, shop or demo_shop, now=clock())
        services = build_services(settings, clock=clock, dispatcher=dispatcher or RecordingDispatcher(), db=db)
        built.append(services)
        return services

    yield factory
    for s in built:
        s.db.dispose()


@pytest.fixture
def services(make_services: ServicesFactory, db_url: str) -> Services:
    return make_services(db_url)


@pytest.fixture
def api(services: Services) -> Any:
    from starlette.testclient import TestClient

    from bot.app import create_app

    client = TestClient(create_app(services), raise_server_exceptions=False)
    client.headers["Authorization"] = "Bearer test-api-key"
    return client
