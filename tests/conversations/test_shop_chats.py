"""Chats against the shops strangers wrote for their own trials (issue 17), as they wrote to them:
sydney (AUD, an owner, shop facts, closures), toronto (CAD, Boxing Day, barbers off on different
days), chicago (USD, info keys that are service words, a noon-start barber) and dublin (EUR,
Irish English). Each `<shop>_chats.json` names its shop file, `now` and customer; same runner as
the corpus, outcome checked in the database."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from chat_support import ChatFactory
from test_corpus import run_case

from bot.shop import Shop, parse_shop

HERE = Path(__file__).parent
FILES = [json.loads((HERE / f"{name}_chats.json").read_text()) for name in ("sydney", "toronto", "chicago", "dublin", "auckland", "glasgow", "cardiff", "capetown", "houston", "belfast", "leeds", "perth", "atlanta", "nairobi", "liverpool", "vancouver", "manchester", "dubai", "melbourne", "lagos", "bristol", "sandiego", "edinburgh", "boston", "cork", "denver", "adelaide", "newcastle", "philadelphia", "johannesburg", "birmingham", "leicester", "miami", "brisbane", "dallas", "sheffield", "wellington", "phoenix", "nottingham", "singapore", "london", "durban", "calgary", "limerick", "portland", "kingston", "aberdeen")]
SHOPS = {data["shop"]: parse_shop((HERE / data["shop"]).read_text()) for data in FILES}
CASES = [(data, case) for data in FILES for case in data["cases"]]


@pytest.mark.parametrize(("data", "case"), CASES,
                         ids=[f"{data['shop'].removesuffix('_shop.toml')}: {case['id']}" for data, case in CASES])
def test_shop_chat(data: dict[str, Any], case: dict[str, Any], make_chat: ChatFactory) -> None:
    shop: Shop = SHOPS[data["shop"]]
    run_case(make_chat, case, dt.datetime.fromisoformat(data["now"]), data["customer"], shop=shop)
