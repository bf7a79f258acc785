from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from engine_support import engine_settings, redis_url_or_skip

from tasks.queue import make_huey
from tasks.ratelimit import SendRateLimit


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_send_rate_is_shared_by_every_worker(kind: str, tmp_path: Path) -> None:
    overrides: dict[str, Any] = {"redis_url": redis_url_or_skip()} if kind == "redis" else {}
    settings = engine_settings(tmp_path, **overrides)
    name = f"rl-{time.monotonic_ns()}"
    # two Huey objects on one storage: as two worker processes would see it
    # each thread's last reading of the clock is the instant its acquire() counted in: stamping
    # after it returns would put a thread descheduled at x.999 s into the next second
    seen = threading.local()

    def clock() -> float:
        seen.t = time.time()
        return float(seen.t)

    limiters = [SendRateLimit(make_huey(settings, name=name), 10, now=clock) for _ in range(2)]
    stamps: list[float] = []
    lock = threading.Lock()

    def send(limiter: SendRateLimit) -> None:
        for _ in range(5):
            limiter.acquire()
            with lock:
                stamps.append(seen.t)

    threads = [threading.Thread(target=send, args=(limiters[i % 2],)) for i in range(6)]
    start = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert len(stamps) == 30
    assert max(Counter(int(s) for s in stamps).values()) <= 10
    assert time.time() - start >= 1.9 or int(start) + 2 <= int(max(stamps))


def test_zero_rate_means_no_limit() -> None:
    limiter = SendRateLimit(None, 0)
    t = time.monotonic()
    for _ in range(1000):
        assert limiter.acquire()
    assert time.monotonic() - t < 0.5
