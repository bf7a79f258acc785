"""Helpers for chats through the signed webhook, against the corpus shop at the corpus's `now`."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chat_harness import Chat

from bot.settings import Settings
from bot.shop import Shop, parse_shop

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


ChatFactory = Callable[..., Chat]
