"""Fixtures for chats through the signed webhook, against the corpus shop at the corpus's `now`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from chat_harness import Chat
from chat_support import (  # noqa: F401
    CORPUS_DIR,
    CORPUS_NOW,
    CUSTOMER,
    HERE_SHOP,
    REQUIRE_SERVICES,
    ROOT,
    SHARED,
    ChatFactory,
    corpus,
    corpus_shop,
    make_settings,
)
from starlette.testclient import TestClient

from bot.app import create_app
from bot.clock import FixedClock
from bot.db import Database
from bot.dispatch import RecordingDispatcher
from bot.services import Services, build_services
from bot.shop import Shop
from bot.shop_store import load_shop


@pytest.fixture
def need_corpus() -> dict[str, Any]:
    data = corpus()
    if data is None:
        reason = f"conversation corpus not found at {CORPUS_DIR} (set SHARED_DIR)"
        if REQUIRE_SERVICES:
            pytest.fail(reason)
        pytest.skip(reason)
    return data


@pytest.fixture
def make_chat(tmp_path: Path, migrated_sqlite: Callable[[Path], str]) -> Iterator[ChatFactory]:
    """A fresh database with the corpus shop, services at a fixed clock, and a signed client."""
    built: list[Services] = []

    def factory(*, now: dt.datetime = CORPUS_NOW, phone: str = CUSTOMER, shop: Shop | None = None,
                **overrides: Any) -> Chat:
        url = migrated_sqlite(tmp_path / f"chat{len(built)}.db")
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
