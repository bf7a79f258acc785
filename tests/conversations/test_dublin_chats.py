"""Chats against a stranger's shop (dublin_shop.toml: EUR, Irish English),
written as that stranger wrote to it (issue 17); same runner as the corpus, outcome checked in the database.
A case may also expect `time_off` (each named barber's blocks, exactly, local times)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from chat_support import ChatFactory
from sqlmodel import col, select
from test_corpus import local, run_case

from bot.models import TimeOff
from bot.shop import parse_shop

HERE = Path(__file__).parent
DATA = json.loads((HERE / "dublin_chats.json").read_text())
SHOP = parse_shop((HERE / DATA["shop"]).read_text())
CASES = DATA["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_dublin_chat(case: dict[str, Any], make_chat: ChatFactory) -> None:
    chat = run_case(make_chat, case, dt.datetime.fromisoformat(DATA["now"]), DATA["customer"], shop=SHOP)
    with chat.services.db.session() as s:
        offs = [(t.barber, t.start_at, t.end_at) for t in s.exec(select(TimeOff).order_by(col(TimeOff.start_at))).all()]
    for barber, spans in case["expect"].get("time_off", {}).items():
        got = [(a, z) for who, a, z in offs if who == barber]
        want = [(local(SHOP.tz, a).astimezone(dt.UTC), local(SHOP.tz, z).astimezone(dt.UTC)) for a, z in spans]
        assert got == want, f"{barber}'s time off: {got}\n--- chat ---\n{chat.dump()}"
