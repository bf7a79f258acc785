"""Every customer turn of the conversation corpus parses into what its case needs
(now = Wednesday 2 Dec 2026 09:00 London, the demo shop)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.nlu import Intent, understand
from bot.shop import parse_shop

SHOP = parse_shop((Path(__file__).parents[2] / "bot" / "demo_shop.toml").read_text())
NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)
THU, FRI, SAT, SUN, MON, TEN = (dt.date(2026, 12, d) for d in (3, 4, 5, 6, 7, 10))
WED = dt.date(2026, 12, 2)


def t(h: int, m: int = 0) -> dt.time:
    return dt.time(h, m)


CASES = [
    ("Hi, can I book a haircut with Sam tomorrow at 3pm?", dict(intent=Intent.BOOK, service="haircut", barber="sam", date=THU, time=t(15))),
    ("haircut tomorrow at 3", dict(intent=Intent.BOOK, service="haircut", date=THU, time=t(15))),
    ("I'd like to book an appointment", dict(intent=Intent.BOOK, service=None, date=None, time=None)),
    ("beard trim", dict(intent=Intent.BOOK, service="beard")),
    ("friday at 10", dict(intent=Intent.BOOK, date=FRI, time=t(10))),
    ("fade tomorrow 4.30 with alex", dict(intent=Intent.BOOK, service="skin-fade", barber="alex", date=THU, time=t(16, 30))),
    ("book me in for a trim on saturday at 11", dict(intent=Intent.BOOK, service="haircut", barber=None, date=SAT, time=t(11))),
    ("cn i book a hairct tmrw at 5", dict(intent=Intent.BOOK, service="haircut", date=THU, time=t(17))),
    ("haircut with alex tomorrow at noon please", dict(intent=Intent.BOOK, service="haircut", barber="alex", date=THU, time=t(12))),
    ("can I get a beard trim tomorrow, half 4?", dict(intent=Intent.BOOK, service="beard", date=THU, time=t(16, 30))),
    ("can I come in on the 10th at 11am for a beard trim", dict(intent=Intent.BOOK, service="beard", date=TEN, time=t(11))),
    ("dec 7 at 10:15, haircut with alex", dict(intent=Intent.BOOK, service="haircut", barber="alex", date=MON, time=t(10, 15))),
    ("haircut next monday 9:30", dict(intent=Intent.BOOK, service="haircut", date=MON, time=t(9, 30))),
    ("hello there! hope you're well. i need a beard trim with sam on thursday at 11:30 please, thanks!",
     dict(intent=Intent.BOOK, service="beard", barber="sam", date=THU, time=t(11, 30))),
    ("book a haircut tomorrow", dict(intent=Intent.BOOK, service="haircut", date=THU, time=None)),
    ("actually make it friday at 11", dict(intent=Intent.BOOK, correction=True, date=FRI, time=t(11), service=None)),
    ("beard trim with alex friday 17:45", dict(intent=Intent.BOOK, service="beard", barber="alex", date=FRI, time=t(17, 45))),
    ("👍", dict(intent=Intent.YES)),
    ("haircut tomorrow at 2pm", dict(intent=Intent.BOOK, service="haircut", date=THU, time=t(14))),
    ("no", dict(intent=Intent.NO)),
    ("can i get a haircut on sunday at 12?", dict(intent=Intent.BOOK, service="haircut", date=SUN, time=t(12))),
    ("haircut today at 8am", dict(intent=Intent.BOOK, service="haircut", date=WED, time=t(8))),
    ("haircut with sam tomorrow at 3pm", dict(intent=Intent.BOOK, service="haircut", barber="sam", date=THU, time=t(15))),
    ("any slots friday afternoon for a beard trim?", dict(intent=Intent.AVAILABILITY, service="beard", date=FRI, time=None)),
    ("2", dict(intent=Intent.CHOICE, choice=2)),
    ("I need to cancel my appointment", dict(intent=Intent.CANCEL, date=None)),
    ("cancel the friday one", dict(intent=Intent.CANCEL, date=FRI)),
    ("can we move it to friday at 2pm", dict(intent=Intent.RESCHEDULE, date=FRI, time=t(14))),
    ("what bookings do I have?", dict(intent=Intent.LIST)),
    ("help", dict(intent=Intent.HELP)),
    ("cancel K7Q2", dict(intent=Intent.CANCEL, code="K7Q2")),
    ("haircut with sam friday at 2pm", dict(intent=Intent.BOOK, service="haircut", barber="sam", date=FRI, time=t(14))),
    ("STOP", dict(intent=Intent.STOP)),
    ("yes", dict(intent=Intent.YES)),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0][:40] for c in CASES])
def test_every_corpus_turn_parses_into_what_its_case_needs(text: str, expected: dict) -> None:
    u = understand(text, now=NOW, shop=SHOP)
    assert {k: getattr(u, k) for k in expected} == expected
    assert not u.ambiguous


def test_friday_afternoon_availability_asks_for_the_afternoon_window() -> None:
    u = understand("any slots friday afternoon for a beard trim?", now=NOW, shop=SHOP)
    assert u.window is not None and (u.window.start_min, u.window.end_min) == (720, 1020)


def test_the_corpus_turns_need_no_dateparser() -> None:
    from bot.nlu.understand import stats

    before = stats["dateparser_calls"]
    for text, _ in CASES:
        understand(text, now=NOW, shop=SHOP)
    assert stats["dateparser_calls"] == before


def test_barber_commands_read_as_a_day_and_a_code() -> None:
    assert understand("today", now=NOW, shop=SHOP).date == WED
    u = understand("cancel K7Q2 sick today", now=NOW, shop=SHOP)
    assert (u.intent, u.code) == (Intent.CANCEL, "K7Q2")
    u = understand("block fri 13:00-15:00", now=NOW, shop=SHOP)
    assert u.date == FRI and u.window is not None and (u.window.start_min, u.window.end_min) == (780, 900)
