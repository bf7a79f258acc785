"""A cancelled booking's reminders are revoked in one Redis write (tasks.batching.revoke_tasks):
the same flags Huey's revoke_by_id stores, one by one."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest
from engine_support import redis_url_or_skip
from huey import RedisHuey

from tasks.batching import BatchWorker, revoke_tasks


@pytest.fixture
def hueys() -> Iterator[tuple[RedisHuey, RedisHuey]]:
    url = redis_url_or_skip()
    a = RedisHuey(f"bbtest-revoke-{uuid.uuid4().hex[:8]}", url=url, results=False, utc=True)
    b = RedisHuey(f"bbtest-revoke-{uuid.uuid4().hex[:8]}", url=url, results=False, utc=True)
    yield a, b
    a.storage.flush_all()
    b.storage.flush_all()


def test_revoke_tasks_stores_what_revoke_by_id_stores(hueys: tuple[RedisHuey, RedisHuey]) -> None:
    ours, stock = hueys
    ids = ["7-reminder-1", "7-reminder-2", "7-reminder-3"]
    revoke_tasks(ours, ids)
    for task_id in ids:
        stock.revoke_by_id(task_id)
    assert ours.storage.conn.hgetall(ours.storage.result_key) == stock.storage.conn.hgetall(stock.storage.result_key)
    assert all(ours.is_revoked(task_id) for task_id in ids)
    assert not ours.is_revoked("7-reminder-4")


def test_revoked_reminders_are_skipped_by_the_worker(hueys: tuple[RedisHuey, RedisHuey]) -> None:
    h, _ = hueys
    ran: list[int] = []

    @h.task(name="record")
    def record(n: int) -> None:
        ran.append(n)

    for n in range(4):
        h.enqueue(record.s(n, id=f"job-{n}"))
    revoke_tasks(h, ["job-1", "job-2"])
    revoke_tasks(h, [])
    BatchWorker(huey=h, stop_flag=threading.Event(), default_delay=0.05, max_delay=0.1, backoff=1.5).loop()
    assert ran == [0, 3]
