"""Fewer Redis round trips per reminder: scheduling, enqueueing and dequeueing in batches.

Stock Huey spends four Redis round trips on each scheduled task besides the task's own work,
and twice that when it is scheduled: `schedule()` pushes it on the queue, a worker pops it,
sees its ETA and adds it to the schedule; at its time the scheduler moves it back to the queue
(one LPUSH each); a worker pops it (BRPOP), reads its revocation flags (HMGET), runs it, and
deletes its flag (HDEL). On our two cores each costs ~0.1 ms of client CPU and a GIL hand-off,
which is as much as sending the reminder. With 2,000 reminders due at once that is seconds.

Here, for Redis storage (SQLite storage keeps Huey's own paths):
- `schedule_tasks` writes a booking's reminders straight into the schedule with one ZADD;
- `BatchScheduler` moves what has come due onto the queue with one LPUSH, as stored;
- `BatchWorker` pops up to `BATCH` tasks with one RPOP and reads all their revocation flags
  with one HMGET. It does not delete a task's flag after running it, as Huey does for a revoke
  that lands while the task runs: our ids are never reused, so such a flag (a cancel racing a
  send, which the database settles) only costs its few bytes in Redis.

Tasks are still Huey tasks with our own ids: `revoke_by_id` works as before, and anything
unusual (a revoked task, one whose ETA has not come, another task type) goes through
`Huey.execute`, unchanged. A worker killed while holding a batch loses it, as Huey loses the
task in flight: the database is the truth and the reconciler re-enqueues what is overdue. A
graceful stop puts the tasks it has not started back at the head of the queue.
"""

from __future__ import annotations

import collections
import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import redis
from huey import Huey
from huey.api import Task
from huey.consumer import Scheduler, Worker
from huey.storage import RedisStorage

log = logging.getLogger(__name__)

BATCH = 8                       # tasks a worker thread takes per round trip
_RPOP_COUNT = True              # False once Redis (< 6.2) has refused RPOP with a count
SCHEDULER_TICK_SECONDS = 0.1    # Huey's own minimum is 1 s; reminders should not wait that long


# task name -> a check run once for all of a batch's tasks of that name, before any runs: the
# ids of tasks it knows would do nothing now (their own first read would find nothing to do).
# Skipping them saves a read each; the tasks are never needed again, as whatever makes their
# work due again enqueues a task of its own (tasks.reminders: a release, a retry, the reconciler).
Prefilter = Callable[[list[Any]], set[str]]
PREFILTERS: dict[str, Prefilter] = {}

# run in each worker thread as it starts, before its first task: what a thread's first task would
# otherwise set up in the middle of a burst (tasks.reminders: the thread's own database connection)
THREAD_STARTS: list[Callable[[], None]] = []


def _redis(huey: Huey) -> RedisStorage | None:
    storage = huey.storage
    return storage if type(storage) is RedisStorage else None


def schedule_tasks(huey: Huey, tasks: Sequence[Any]) -> None:
    """Put tasks (with their ETAs set) straight into Huey's schedule: one ZADD on Redis."""
    if not tasks:
        return
    storage = _redis(huey)
    if storage is None:
        for task in tasks:
            huey.add_schedule(task)
        return
    epoch = dt.datetime.fromtimestamp(0)
    storage.conn.zadd(storage.schedule_key,
                      {huey.serialize_task(t): storage.convert_ts(t.eta or epoch) for t in tasks})


def revoke_tasks(huey: Huey, ids: Sequence[str]) -> None:
    """`huey.revoke_by_id(id)` for each id (for good, not once): on Redis, one HSET of all their
    flags, the same fields and values, where each revoke was a round trip of its own (a cancelled
    booking's window is three reminders)."""
    storage = _redis(huey)
    if storage is None or len(ids) < 2:
        for task_id in ids:
            huey.revoke_by_id(task_id)
        return
    flag = huey.serializer.serialize((None, False))  # what revoke_by_id stores: (revoke_until, revoke_once)
    storage.conn.hset(storage.result_key, mapping={Task(id=task_id).revoke_id: flag for task_id in ids})


class BatchScheduler(Scheduler):
    """Huey's scheduler, ticking every 0.1 s, moving due tasks onto the queue in one LPUSH."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.interval = SCHEDULER_TICK_SECONDS

    def loop(self, now: dt.datetime | None = None) -> None:
        storage = _redis(self.huey)
        if storage is None or self.periodic:
            return super().loop(now)  # type: ignore[no-any-return]
        current: float = self._next_loop  # type: ignore[has-type]
        self._next_loop = max(current + self.interval, time.monotonic())
        try:
            # the schedule holds serialized tasks, which is what the queue holds: move them as they are
            due = storage.read_schedule(now or self.huey._get_timestamp())
            if due:
                # LPUSH a b c: RPOP returns a first, as one LPUSH each would have
                storage.conn.lpush(storage.queue_key, *due)
        except Exception:  # noqa: BLE001 - Huey's scheduler logs and goes on, and so do we
            self._logger.exception("Error moving due tasks to the queue")
        self.sleep_for_interval(current, self.interval)


class BatchWorker(Worker):
    """Huey's worker, taking up to BATCH tasks per round trip on Redis."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held: collections.deque[bytes] = collections.deque()

    def initialize(self) -> None:
        super().initialize()
        for start in THREAD_STARTS:
            try:
                start()
            except Exception:  # noqa: BLE001 - only a head start: the first task sets up for itself
                self._logger.exception("worker thread start-up step failed")

    def loop(self, now: dt.datetime | None = None) -> None:
        storage = _redis(self.huey)
        if storage is None:
            return super().loop(now)  # type: ignore[no-any-return]
        try:
            raw = self._pop_batch(storage)
            if not raw:
                one = storage.dequeue()  # blocks up to its read timeout, as Huey's worker does
                raw = [one] if one is not None else []
        except Exception:  # noqa: BLE001 - a Redis hiccup: back off and try again, as Huey does
            self._logger.exception("Error reading from queue")
            self.sleep()
            return None
        if not raw:
            return None
        self.delay = self.default_delay
        self._held.extend(raw)
        try:
            self._run_held(storage, now)
        finally:
            if self._held:  # an exception escaped a task's bookkeeping: the rest go back to the queue
                self._give_back(storage)
        return None

    def _pop_batch(self, storage: RedisStorage) -> list[bytes] | None:
        global _RPOP_COUNT
        if _RPOP_COUNT:
            try:
                return storage.conn.rpop(storage.queue_key, BATCH)  # type: ignore[no-any-return]
            except redis.ResponseError:  # Redis before 6.2 has no RPOP count: one task per round trip
                _RPOP_COUNT = False
                self._logger.warning("this Redis has no RPOP count (6.2+): taking one task per round trip")
        one = storage.conn.rpop(storage.queue_key)
        return [one] if one is not None else None

    def _run_held(self, storage: RedisStorage, now: dt.datetime | None) -> None:
        huey = self.huey
        tasks: list[Any] = []
        for data in list(self._held):
            try:
                tasks.append(huey.deserialize_task(data))
            except Exception:  # noqa: BLE001 - not a task we can read: drop it, as Huey's dequeue would
                self._logger.exception("Dropping a queue entry that is not a task")
                self._held.remove(data)
        revoke_keys = [huey._revoke_keys(t) for t in tasks]
        keys = {key for ks in revoke_keys for key in ks}
        flags = storage.peek_many(list(keys)) if keys else {}  # one HMGET for the whole batch
        timestamp = now or huey._get_timestamp()
        idle = self._prefilter(tasks)
        for task, task_keys in zip(tasks, revoke_keys, strict=True):
            if self.stop_flag.is_set():
                return  # graceful stop: what is left goes back to the queue
            self._held.popleft()
            self.task_count += 1
            # ours: no retries, pipelines, expiry or timeout (what Huey would do after the task)
            plain = (not any(flags.get(k) for k in task_keys)
                     and huey.ready_to_run(task, timestamp) and not task.expires_resolved
                     and not task.retries and not task.timeout
                     and task.on_complete is None and task.on_error is None)
            if not plain:
                try:
                    huey.execute(task, timestamp)  # Huey's own path: revocation, scheduling, expiry
                except Exception:  # noqa: BLE001 - as Huey's worker: log and carry on
                    self._logger.exception("Unhandled error during execution of task %s.", task.id)
                continue
            if task.id in idle:
                continue
            try:
                task.execute()
            except Exception:  # noqa: BLE001 - our tasks record their own failures; this is a bug
                self._logger.exception("Unhandled exception in task %s.", task.id)

    def _prefilter(self, tasks: list[Any]) -> set[str]:
        by_name: dict[str, list[Any]] = {}
        for t in tasks:
            if t.name in PREFILTERS:
                by_name.setdefault(t.name, []).append(t)
        idle: set[str] = set()
        for name, group in by_name.items():
            if len(group) < 2:
                continue  # the task's own first read costs the same
            try:
                idle |= PREFILTERS[name](group)
            except Exception:  # noqa: BLE001 - only an optimisation: the tasks check for themselves
                self._logger.exception("prefilter for %s failed", name)
        return idle

    def _give_back(self, storage: RedisStorage) -> None:
        held = list(self._held)
        self._held.clear()
        try:
            storage.conn.rpush(storage.queue_key, *reversed(held))  # back at the head, in order
        except Exception:  # noqa: BLE001 - lost to the queue; the reconciler re-enqueues them
            self._logger.exception("Could not put %d tasks back on the queue", len(held))

    def shutdown(self) -> None:
        storage = _redis(self.huey)
        if storage is not None and self._held:
            self._give_back(storage)
        super().shutdown()
