"""Helpers for the developer-experience tests: a full subprocess environment, `barberbot chat` in a pipe."""

from __future__ import annotations

import datetime as dt
import math
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

API_KEY = "dx-test-api-key"
AUTH_TOKEN = "dx-test-auth-token"
CUSTOMER = "+447700900123"
BARBER = "+447700900001"
INTERVAL = 3  # REMINDER_INTERVAL_SECONDS: the first reminder comes 3 s after booking

# Open around the clock in UTC, 5-minute slots: a booking a few minutes ahead is
# always valid whatever the real clock says, and has only a few dozen reminders.
ALWAYS_OPEN_SHOP = """
[shop]
name = "Night Owl Cuts"
timezone = "UTC"
slot_minutes = 5
horizon_days = 30

[hours]
mon = "00:00-24:00"
tue = "00:00-24:00"
wed = "00:00-24:00"
thu = "00:00-24:00"
fri = "00:00-24:00"
sat = "00:00-24:00"
sun = "00:00-24:00"

[[services]]
key = "haircut"
name = "Haircut"
minutes = 30
price = "25.00"
aliases = ["cut", "trim"]

[[barbers]]
key = "sam"
name = "Sam"
phone = "+447700900001"
"""


def barberbot_command() -> list[str]:
    script = Path(sys.executable).with_name("barberbot")
    if script.exists():
        return [str(script)]
    found = shutil.which("barberbot")
    return [found] if found else [sys.executable, "-m", "bot.cli"]


def base_env(home: Path, **extra: str) -> dict[str, str]:
    """A complete environment for a subprocess: nothing inherited but PATH."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "PYTHONIOENCODING": "utf-8",
        "BARBERBOT_ENV": "development",
        "DATABASE_URL": f"sqlite:///{home}/barberbot.db",
        "QUEUE_PATH": str(home / "queue.db"),
    }
    env.update(extra)
    return env


class Server:
    def __init__(self, proc: subprocess.Popen[str], url: str, home: Path, log: list[str]) -> None:
        self.proc, self.url, self.home, self.log = proc, url, home, log

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=10)


class Chat:
    """`barberbot chat` in a pipe: write lines when we like, read the transcript as it grows."""

    def __init__(self, server: Server, phone: str, *, wait: float = 2.0) -> None:
        env = base_env(server.home, API_KEY=API_KEY, TWILIO_AUTH_TOKEN=AUTH_TOKEN)
        self.proc = subprocess.Popen(
            [*barberbot_command(), "chat", "--from", phone, "--url", server.url, "--wait", str(wait)],
            cwd=server.home, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, encoding="utf-8")
        self.lines: list[str] = []
        self.errors: list[str] = []
        threading.Thread(target=lambda: self.lines.extend(self.proc.stdout or []), daemon=True).start()
        threading.Thread(target=lambda: self.errors.extend(self.proc.stderr or []), daemon=True).start()

    @property
    def transcript(self) -> str:
        return "".join(self.lines)

    def say(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.transcript):
                return self.transcript
            if self.proc.poll() is not None:
                time.sleep(0.2)
                break
            time.sleep(0.05)
        raise AssertionError(f"transcript never matched; so far:\n{self.transcript}\n"
                             f"stderr:\n{''.join(self.errors)}")

    def close(self, timeout: float = 30.0) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        rc = self.proc.wait(timeout=timeout)
        time.sleep(0.1)
        return rc


def slot_ahead(min_seconds: float = 100, minutes: int = 30) -> dt.datetime:
    """The first 5-minute slot at least `min_seconds` from now (UTC) where a booking of `minutes`
    fits in one day (a day's hours end at 24:00: a haircut at 23:35 would end tomorrow), for a
    booking a few minutes ahead."""
    earliest = dt.datetime.now(dt.UTC).timestamp() + min_seconds
    slot = dt.datetime.fromtimestamp(math.ceil(earliest / 300) * 300, dt.UTC)
    midnight = dt.datetime.combine(slot.date() + dt.timedelta(days=1), dt.time(), dt.UTC)
    return midnight if slot + dt.timedelta(minutes=minutes) > midnight else slot


def spoken(when: dt.datetime) -> str:
    """'today at 14:35' / 'tomorrow at 00:05', relative to the real clock, as a customer would say it."""
    today = dt.datetime.now(dt.UTC).date()
    day = "today" if when.date() == today else "tomorrow"
    return f"{day} at {when:%H:%M}"
