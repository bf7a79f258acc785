"""Running the queue: the process's Services for tasks, the consumer, and the reconciler loop.

Tasks take ids and look up the process's Services here (`bind` / `current`), so
a test can bind Services built with a fake sender or a fixed clock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from huey.consumer import Consumer

from bot.checkpoints import Checkpointer
from bot.db import Database
from bot.services import Services
from tasks.batching import BatchScheduler, BatchWorker
from tasks.queue import register_tasks
from tasks.ratelimit import SendRateLimit

log = logging.getLogger(__name__)

WORKER_MAX_POLL_SECONDS = 0.25  # how long an idle worker sleeps at most between polls

_bound: Services | None = None
_limiter: SendRateLimit | None = None
_lock = threading.Lock()


def bind(services: Services) -> None:
    """Make `services` the ones tasks in this process use; fills in the sender if missing."""
    global _bound, _limiter
    if services.sender is None:
        from tasks.sender import make_sender

        services.sender = make_sender(services.settings)
    with _lock:
        _bound = services
        _limiter = SendRateLimit(services.huey, services.settings.send_rate_per_second)


def current() -> Services:
    if _bound is None:
        raise RuntimeError("no Services bound: call tasks.runtime.bind(services) first")
    return _bound


def limiter() -> SendRateLimit:
    if _limiter is None:
        raise RuntimeError("no Services bound")
    return _limiter


def worker_database(url: str, threads: int) -> Database:
    """The pool of a `barberbot worker` process.

    No ping before each pooled checkout (a round trip, ~0.5 ms here, on every job): a worker's
    statement on a connection the database dropped fails once, the pool is refreshed, and the
    reminder is retried (the reconciler), where a web request would have shown the error. And a
    connection for every thread (plus the reconciler's and the scheduler's): with fewer, threads
    past the pool's size wait for a connection, and under load time out after a send.
    """
    return Database(url, pool_pre_ping=False, pool_size=threads + 2, max_overflow=8)


def hold_connections(services: Services) -> None:
    """Let each task thread keep its connection (tasks.reminders): for a worker_database pool only."""
    from tasks.reminders import HOLD_CONNECTIONS

    services.extras[HOLD_CONNECTIONS] = True


class _Consumer(Consumer):
    worker_class = BatchWorker
    scheduler_class = BatchScheduler


def _consumer(services: Services, workers: int) -> Consumer:
    if services.huey is None:
        raise RuntimeError("these Services have no queue (REDIS_URL or QUEUE_PATH)")
    register_tasks(services.huey)
    return _Consumer(services.huey, workers=workers, periodic=False, worker_type="thread",
                     initial_delay=0.05, backoff=1.5, max_delay=WORKER_MAX_POLL_SECONDS,
                     check_worker_health=True, health_check_interval=5,
                     # SIGTERM (systemd, docker stop) finishes the sends in flight: a send cut
                     # off after Twilio accepted it would be sent again by the reconciler
                     graceful_signal="TERM")


def _start_reconciler(services: Services, stop: threading.Event, **kwargs: Any) -> threading.Thread:
    from tasks.reconcile import reconcile_loop

    t = threading.Thread(target=reconcile_loop, args=(services, stop), kwargs=kwargs,
                         name="reconciler", daemon=True)
    t.start()
    return t


def run_worker(services: Services, *, workers: int = 8, periodic: bool = True,
               grace_seconds: float | None = None, stuck_after_seconds: float | None = None) -> None:
    """The blocking consumer for `barberbot worker`; SIGTERM stops gracefully (a second one, or SIGINT, at once).

    `periodic` runs the reconciler here too (guarded by a shared per-interval lock,
    so several workers with it on still reconcile once per interval).
    """
    bind(services)
    consumer = _consumer(services, workers)
    stop = threading.Event()
    if periodic:
        _start_reconciler(services, stop, grace_seconds=grace_seconds,
                          stuck_after_seconds=stuck_after_seconds)
    # SQLite: the log is copied back by a thread, not inside an outcome's commit, which holds the
    # write gate of every worker process meanwhile
    checkpointer = Checkpointer.for_database(services.db)
    if checkpointer is not None:
        checkpointer.start()
    log.info("worker started: %d threads, reconciler %s", workers, "on" if periodic else "off")
    try:
        consumer.run()
    finally:
        stop.set()
        if checkpointer is not None:
            checkpointer.stop()


def start_inprocess_worker(services: Services, *, workers: int = 4, periodic: bool = True,
                           grace_seconds: float | None = None,
                           stuck_after_seconds: float | None = None) -> Callable[[], None]:
    """A consumer in background threads (no signal handlers) for `barberbot run` and tests.

    Returns `stop()`, which waits for running tasks to finish.
    """
    bind(services)
    consumer = _consumer(services, workers)
    consumer._set_signal_handlers = lambda: None  # type: ignore[method-assign]
    consumer.start()
    stop_event = threading.Event()
    reconciler = (_start_reconciler(services, stop_event, grace_seconds=grace_seconds,
                                    stuck_after_seconds=stuck_after_seconds)
                  if periodic else None)

    def health() -> None:
        while not stop_event.wait(5):
            consumer.check_worker_health()

    threading.Thread(target=health, name="worker-health", daemon=True).start()
    stopped = False

    def stop() -> None:
        nonlocal stopped
        if stopped:
            return
        stopped = True
        stop_event.set()
        consumer.stop(graceful=True)
        if reconciler is not None:
            reconciler.join(timeout=10)

    return stop


def wait_until(predicate: Callable[[], bool], *, timeout: float, poll: float = 0.05) -> bool:
    """Poll until predicate() is true or the deadline passes (for tests and the bench)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(poll)
    return predicate()
