"""A send rate shared by every worker: fixed one-second windows counted in the queue's storage.

The counter lives where the queue lives (Redis, or Huey's SQLite file), so
workers in several processes or hosts draw from one budget. Huey's own
`RateLimit` raises and reschedules the task; a reminder should instead wait
for the next window, so this one blocks.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any


class SendRateLimit:
    def __init__(self, huey: Any, rate_per_second: float, *, name: str = "send",
                 now: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.storage: Any = huey.storage if huey is not None else None
        self.rate = rate_per_second
        self.name = name
        self._now = now
        self._sleep = sleep
        if rate_per_second >= 1:
            self.per, self.limit = 1.0, int(math.floor(rate_per_second))
        elif rate_per_second > 0:
            self.per, self.limit = 1.0 / rate_per_second, 1
        else:
            self.per, self.limit = 1.0, 0

    @property
    def unlimited(self) -> bool:
        return self.rate <= 0 or self.storage is None

    def _key(self, window: int) -> str:
        return f"barberbot.rl.{self.name}.{window}"

    def acquire(self, timeout: float | None = None) -> bool:
        """Wait for a slot in the shared budget; False only if `timeout` passed first."""
        if self.unlimited:
            return True
        deadline = None if timeout is None else self._now() + timeout
        while True:
            now = self._now()
            window = int(now // self.per)
            count = self.storage.incr(self._key(window))
            if count == 1:
                self.storage.delete_counter(self._key(window - 2))  # keep storage small
            if count <= self.limit:
                return True
            wait = (window + 1) * self.per - now
            if deadline is not None and now + wait > deadline:
                return False
            self._sleep(wait + 0.001)
