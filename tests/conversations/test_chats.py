"""Our own chats (chats.json): phrasings and paths the shared corpus does not have, same runner."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from chat_support import ChatFactory
from test_corpus import run_case

DATA = json.loads(Path(__file__).with_name("chats.json").read_text())
CASES = DATA["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_chat(case: dict[str, Any], make_chat: ChatFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    run_case(make_chat, case, dt.datetime.fromisoformat(DATA["now"]), DATA["customer"])
