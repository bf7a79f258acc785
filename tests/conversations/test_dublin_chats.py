"""Chats against a stranger's shop (dublin_shop.toml: EUR, Irish English),
written as that stranger wrote to it (issue 17); same runner as the corpus, outcome checked in the database."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from chat_support import ChatFactory
from test_corpus import run_case

from bot.shop import parse_shop

HERE = Path(__file__).parent
DATA = json.loads((HERE / "dublin_chats.json").read_text())
SHOP = parse_shop((HERE / DATA["shop"]).read_text())
CASES = DATA["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_dublin_chat(case: dict[str, Any], make_chat: ChatFactory) -> None:
    run_case(make_chat, case, dt.datetime.fromisoformat(DATA["now"]), DATA["customer"], shop=SHOP)
