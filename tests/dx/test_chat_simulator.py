"""`barberbot chat` in a pipe against a live `barberbot run`: book, get a reminder, cancel."""

from __future__ import annotations

import re

import pytest

from tests.dx.procs import CUSTOMER, slot_ahead, spoken

pytestmark = pytest.mark.slow

REMINDER_LINE = re.compile(r"^bot \[reminder \d\d:\d\d\]: Reminder: your Haircut with Sam is .*"
                           r"\(booking (\w+)\)", re.M)


def _bot_lines(transcript: str) -> list[str]:
    return [line for line in transcript.splitlines() if line.startswith("bot: ")]


def test_chat_books_sees_the_reminder_arrive_and_cancels(chat) -> None:
    when = slot_ahead()
    c = chat(CUSTOMER, wait=2.0)

    c.say(f"haircut {spoken(when)}")
    c.wait_for(lambda t: "YES" in t)
    assert f"{when:%H:%M}" in c.transcript, "the confirmation prompt repeats the exact slot"
    c.say("yes")
    booked = c.wait_for(lambda t: len(_bot_lines(t)) >= 2)

    # the worker's reminder shows up in the same transcript, on its own, between our messages
    with_reminder = c.wait_for(lambda t: REMINDER_LINE.search(t) is not None, timeout=30)
    code = REMINDER_LINE.search(with_reminder).group(1)  # type: ignore[union-attr]
    assert code in booked, "the booking's code was in the bot's confirmation"

    c.say("cancel")
    c.wait_for(lambda t: t.count("YES") >= 2)
    c.say("yes")
    c.wait_for(lambda t: any("cancelled" in line.lower()
                             for line in _bot_lines(t.rsplit("you: yes", 1)[1])))
    assert c.close() == 0
    transcript = c.transcript

    # in order: our lines echoed, the bot's answers, the reminder before we cancelled
    assert transcript.index("you: haircut") < transcript.index("you: yes") \
        < REMINDER_LINE.search(transcript).start() < transcript.index("you: cancel")  # type: ignore[union-attr]
    after_cancel = transcript.rsplit("you: yes", 1)[1]
    assert len(REMINDER_LINE.findall(after_cancel)) <= 1, "reminders stop once cancelled (one may be in flight)"
    assert not c.errors, "".join(c.errors)


def test_chat_reports_an_unreachable_bot_in_one_line(tmp_path) -> None:
    import subprocess

    from tests.dx.procs import barberbot_command, base_env
    from tests.live import free_port

    proc = subprocess.run(
        [*barberbot_command(), "chat", "--from", CUSTOMER, "--url", f"http://127.0.0.1:{free_port()}"],
        input="hello\n", capture_output=True, text=True, cwd=tmp_path, env=base_env(tmp_path), timeout=60)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach the bot" in lines[0], proc.stderr
