"""Group commit with more than one event loop in the process (the test client, `tests.live`).

A loop opens a group only while no other loop's group is open; a turn on another loop runs alone
(`TwilioWebhook._handle`). If two loops ever both opened a group, each would hold its turns'
phone locks until its own loop flushed, and a turn on one loop for a phone locked by the other
loop's group would block that loop's thread: with a second turn the other way round, neither
loop ever flushes again.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from bot.app import create_app
from bot.services import Services
from tests.webhooks.test_twilio_webhook import LOCAL_URL, PATH, messages, params
from webhooks import twilio
from webhooks.signature import sign

APOLOGY = "Sorry, something went wrong on our side. Please try again in a minute."
P, Q = "+447700900101", "+447700900102"


@pytest.fixture
def services(make_services: Callable[..., Services], sqlite_url: str) -> Services:
    return make_services(sqlite_url)


def test_two_loops_opening_a_group_at_the_same_moment_both_answer(
        services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app(services)
    # The interleaving a thread switch allows, made certain: both loops find no group open and
    # create one (a switch between `_group_here`'s check and its assignment), and each queues its
    # first turn before either goes on. Each meeting is once per thread and waits at most a second.
    created, queued = threading.Barrier(2, timeout=1.0), threading.Barrier(2, timeout=1.0)
    met: set[tuple[str, int]] = set()

    def meet(barrier: threading.Barrier, name: str) -> None:
        if (name, threading.get_ident()) in met:
            return
        met.add((name, threading.get_ident()))
        with contextlib.suppress(threading.BrokenBarrierError):  # the other loop did not get there
            barrier.wait()

    class MeetingGroup(twilio.Group):
        __slots__ = ()

        def __init__(self, hook: Any, loop: asyncio.AbstractEventLoop) -> None:
            meet(created, "created")
            super().__init__(hook, loop)

        def add(self, turn: Any) -> None:
            super().add(turn)
            meet(queued, "queued")

    monkeypatch.setattr(twilio, "Group", MeetingGroup)
    answers: dict[str, list[list[str]]] = {}

    def loop_posting(name: str, phones: list[str]) -> None:
        async def run() -> list[httpx.Response]:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver",
                                         timeout=30) as client:
                def one(p: dict[str, str]) -> Any:
                    headers = {"X-Twilio-Signature": sign(services.settings.auth_token, LOCAL_URL, p)}
                    return client.post(PATH, data=p, headers=headers)
                return await asyncio.gather(*(one(params("hi", phone=ph)) for ph in phones))

        answers[name] = [messages(r.text) for r in asyncio.run(run())]

    # each loop's round: a message from one phone, then one from the phone the other loop starts with
    threads = [threading.Thread(target=loop_posting, args=("a", [P, Q]), daemon=True),
               threading.Thread(target=loop_posting, args=("b", [Q, P]), daemon=True)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 10
    for t in threads:
        t.join(timeout=max(0.0, deadline - time.monotonic()))
    stuck = [t for t in threads if t.is_alive()]
    assert not stuck, "the two event loops blocked each other: their messages were never answered"
    assert sorted(answers) == ["a", "b"]
    for replies in answers.values():
        assert len(replies) == 2 and all(r and r != [APOLOGY] for r in replies), answers
