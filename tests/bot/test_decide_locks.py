"""`ChatEngine.lock`: one lock per phone while anyone uses it, and only so many kept otherwise."""

from __future__ import annotations

import weakref

from bot.dialogue import ChatEngine
from bot.dialogue.engine import RECENT_LOCKS


def phone(i: int) -> str:
    return f"+4477009{i:05d}"


def test_a_phone_in_a_turn_keeps_its_lock_however_many_others_write() -> None:
    engine = ChatEngine(None)  # type: ignore[arg-type]
    held = engine.lock(phone(0))
    with held:
        for i in range(1, 3 * RECENT_LOCKS):
            with engine.lock(phone(i)):
                pass
        again = engine.lock(phone(0))
        assert again is held
        assert not again.acquire(blocking=False)  # a second message from that phone waits


def test_a_phone_messaging_again_soon_finds_its_lock() -> None:
    engine = ChatEngine(None)  # type: ignore[arg-type]
    first = weakref.ref(engine.lock(phone(1)))  # nobody holds it now
    for i in range(2, 50):
        engine.lock(phone(i))
    assert first() is not None and engine.lock(phone(1)) is first()


def test_locks_of_phones_gone_quiet_are_let_go() -> None:
    engine = ChatEngine(None)  # type: ignore[arg-type]
    for i in range(3 * RECENT_LOCKS):
        with engine.lock(phone(i)):
            pass
    assert len(engine._locks) == RECENT_LOCKS
