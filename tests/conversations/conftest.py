"""Fixtures for chats through the signed webhook, against the corpus shop at the corpus's `now`."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from chat_harness import Chat
from starlette.testclient import TestClient

from bot.app import create_app
from bot.clock import FixedClock
from bot.db import Database, upgrade
from bot.dispatch import RecordingDispatcher
from bot.services import Services, build_services
from bot.settings import Settings
from bot.shop import Shop, parse_shop
from bot.shop_store import load_shop

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("SHARED_DIR", ROOT.parent / "shared"))
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "barberbot_env": "test", "redis_url": None, "twilio_account_sid": None,
        "twilio_auth_token": "test-auth-token", "public_base_url": None, "api_key": "test-api-key",
        "send_rate_per_second": 0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]

CORPUS_DIR = SHARED / "conversations"
CUSTOMER = "+447700900123"
CORPUS_NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)
HERE_SHOP = Path(__file__).with_name("shop.toml")


def corpus() -> dict[str, Any] | None:
    path = CORPUS_DIR / "sample.json"
    if not path.exists():
        return None
    return json.loads(path.read_text())


def corpus_shop() -> Shop:
    path = CORPUS_DIR / "shop.toml"
    return parse_shop((path if path.exists() else HERE_SHOP).read_text())


@pytest.fixture
def need_corpus() -> dict[str, Any]:
    data = corpus()
    if data is None:
        reason = f"conversation corpus not found at {CORPUS_DIR} (set SHARED_DIR)"
        if REQUIRE_SERVICES:
            pytest.fail(reason)
        pytest.skip(reason)
    return data


ChatFactory = Callable[..., Chat]


@pytest.fixture
def make_chat(tmp_path: Path) -> Iterator[ChatFactory]:
    """A fresh database with the corpus shop, services at a fixed clock, and a signed client."""
    built: list[Services] = []

    def factory(*, now: dt.datetime = CORPUS_NOW, phone: str = CUSTOMER, shop: Shop | None = None,
                **overrides: Any) -> Chat:
        url = f"sqlite:///{tmp_path}/chat{len(built)}.db"
        upgrade(url)
        db = Database(url)
        clock = FixedClock(now)
        load_shop(db, shop or corpus_shop(), now=now)
        settings = make_settings(database_url=url, **overrides)
        services = build_services(settings, clock=clock, dispatcher=RecordingDispatcher(), db=db)
        built.append(services)
        client = TestClient(create_app(services), raise_server_exceptions=False)
        client.headers["Authorization"] = "Bearer test-api-key"
        return Chat(services, client, phone)

    yield factory
    for s in built:
        s.db.dispose()


@pytest.fixture
def chat(make_chat: ChatFactory) -> Chat:
    return make_chat()
