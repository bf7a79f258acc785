"""Batched scheduling and dequeueing on real Redis (tasks/batching.py): Huey's semantics, fewer round trips."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from engine_support import redis_url_or_skip
from huey import RedisHuey, SqliteHuey

from tasks.batching import BatchScheduler, BatchWorker, schedule_tasks
from tasks.runtime import wait_until


@pytest.fixture
def huey() -> Iterator[RedisHuey]:
    h = RedisHuey(f"bbtest-batch-{uuid.uuid4().hex[:8]}", url=redis_url_or_skip(), results=False, utc=True)
    yield h
    h.storage.flush_all()


def recorder(h: Any) -> tuple[Any, list[int]]:
    ran: list[int] = []

    @h.task(name="record")
    def record(n: int) -> None:
        ran.append(n)

    return record, ran


def worker(h: Any, stop: threading.Event | None = None) -> BatchWorker:
    return BatchWorker(huey=h, stop_flag=stop or threading.Event(), default_delay=0.05, max_delay=0.1,
                       backoff=1.5)


def test_a_batch_runs_in_order_and_skips_the_revoked_one(huey: RedisHuey) -> None:
    record, ran = recorder(huey)
    for n in range(5):
        huey.enqueue(record.s(n, id=f"job-{n}"))
    huey.revoke_by_id("job-2")
    w = worker(huey)
    w.loop()
    assert ran == [0, 1, 3, 4]
    assert huey.pending_count() == 0
    assert huey.is_revoked("job-2")  # Huey's revoke_by_id flags stay: a new task under that id is skipped too


def test_a_graceful_stop_puts_the_unstarted_tasks_back_at_the_head(huey: RedisHuey) -> None:
    stop = threading.Event()
    ran: list[int] = []

    @huey.task(name="first_stops")
    def step(n: int) -> None:
        ran.append(n)
        stop.set()  # SIGTERM arrives while the first task of the batch runs

    for n in range(4):
        huey.enqueue(step.s(n))
    huey.enqueue(step.s(99))
    w = worker(huey, stop)
    w.loop()
    assert ran == [0]
    assert huey.pending_count() == 4
    stop.clear()
    worker(huey).loop()
    assert ran == [0, 1, 2, 3, 99]  # nothing lost, nothing out of order


def test_scheduled_tasks_go_straight_to_the_schedule_and_come_due_together(huey: RedisHuey) -> None:
    record, ran = recorder(huey)
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=0.3)
    schedule_tasks(huey, [record.s(n, eta=soon, id=f"r-{n}") for n in range(20)])
    assert (huey.pending_count(), huey.scheduled_count()) == (0, 20)
    scheduler = BatchScheduler(huey=huey, stop_flag=threading.Event(), interval=1, periodic=False)
    assert scheduler.interval == 0.1
    scheduler.loop()
    assert huey.pending_count() == 0  # not due yet
    assert wait_until(lambda: (scheduler.loop(), huey.pending_count() == 20)[1], timeout=5)
    w = worker(huey)
    while huey.pending_count():
        w.loop()
    assert ran == list(range(20))


def test_sqlite_storage_keeps_hueys_own_paths(tmp_path: Any) -> None:
    h = SqliteHuey("bbtest", filename=str(tmp_path / "q.db"), results=False, utc=True)
    record, ran = recorder(h)
    schedule_tasks(h, [record.s(1, eta=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1), id="s-1")])
    assert h.scheduled_count() == 1
    for task in h.read_schedule(dt.datetime.now(dt.UTC).replace(tzinfo=None)):
        h.enqueue(task)
    worker(h).loop()
    assert ran == [1]


def test_a_task_with_retries_keeps_hueys_retry(huey: RedisHuey) -> None:
    calls: list[int] = []

    @huey.task(name="flaky", retries=1)
    def flaky() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("first attempt fails")

    huey.enqueue(flaky.s())
    w = worker(huey)
    w.loop()
    assert calls == [1] and huey.pending_count() == 1  # Huey re-queued it
    w.loop()
    assert calls == [1, 1] and huey.pending_count() == 0


def test_a_redis_without_rpop_count_still_gets_every_task(huey: RedisHuey, monkeypatch: pytest.MonkeyPatch) -> None:
    import redis

    from tasks import batching

    record, ran = recorder(huey)
    for n in range(3):
        huey.enqueue(record.s(n))
    conn = huey.storage.conn
    real_rpop = conn.rpop

    def old_server_rpop(name: str, count: int | None = None) -> Any:
        if count is not None:  # what Redis < 6.2 answers to RPOP key count
            raise redis.ResponseError("wrong number of arguments for 'rpop' command")
        return real_rpop(name)

    monkeypatch.setattr(conn, "rpop", old_server_rpop)
    monkeypatch.setattr(batching, "_RPOP_COUNT", True)
    w = worker(huey)
    for _ in range(3):
        w.loop()
    assert ran == [0, 1, 2] and batching._RPOP_COUNT is False


def test_each_worker_thread_runs_the_start_steps_and_a_failing_one_does_not_stop_it(
        huey: RedisHuey, monkeypatch: pytest.MonkeyPatch) -> None:
    """A thread's set-up (its database connection) happens as it starts, not in its first burst;
    a failing step is logged and the thread still works."""
    import tasks.batching as batching

    record, ran = recorder(huey)
    started: list[str] = []

    def broken() -> None:
        raise RuntimeError("database down at start")

    monkeypatch.setattr(batching, "THREAD_STARTS", [lambda: started.append(threading.current_thread().name), broken])
    stop = threading.Event()
    workers = [worker(huey, stop) for _ in range(3)]

    def run(w: BatchWorker) -> None:
        w.initialize()
        while not stop.is_set():
            w.loop()

    threads = [threading.Thread(target=run, args=(w,), name=f"w{i}") for i, w in enumerate(workers)]
    for t in threads:
        t.start()
    try:
        huey.enqueue(record.s(7))
        assert wait_until(lambda: ran == [7], timeout=10)
        assert sorted(started) == ["w0", "w1", "w2"]
    finally:
        stop.set()
        for t in threads:
            t.join(10)
