"""Running the queue: the process's Services for tasks, Huey's consumer, and the reconciler loop.

Tasks take ids and look up the process's Services here (`bind` / `current`), so
a test can bind Services built with a fake sender or a fixed clock.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable

from huey.consumer import Consumer

from bot.services import Services
from tasks.queue import register_tasks
from tasks.ratelimit import SendRateLimit
from tasks.reminders import Pace

log = logging.getLogger(__name__)

_bound: Services | None = None
_limiter: SendRateLimit | None = None
_pace = Pace()
_lock = threading.Lock()


def bind(services: Services) -> None:
    """Make `services` the ones tasks in this process use; fills in the sender if missing."""
    global _bound, _limiter, _pace
    if services.sender is None:
        from tasks.sender import make_sender

        services.sender = make_sender(services.settings)
    with _lock:
        _bound = services
        _limiter = SendRateLimit(services.huey, services.settings.send_rate_per_second)
        _pace = Pace()


def current() -> Services:
    if _bound is None:
        raise RuntimeError("no Services bound: call tasks.runtime.bind(services) first")
    return _bound


def limiter() -> SendRateLimit:
    if _limiter is None:
        raise RuntimeError("no Services bound")
    return _limiter


def pace() -> Pace:
    """How fast this process's sends go (it sizes the sweeps)."""
    return _pace


def make_consumer(services: Services, workers: int) -> Consumer:
    """Huey's consumer for these Services' queue: `workers` threads polling at most every 0.25 s
    (Huey's SQLite storage is polled; Redis blocks), stopping gracefully on SIGTERM."""
    if services.huey is None:
        raise RuntimeError("these Services have no queue (REDIS_URL or QUEUE_PATH)")
    register_tasks(services.huey)
    return services.huey.create_consumer(  # type: ignore[no-any-return]
        workers=workers, periodic=False, worker_type="thread", initial_delay=0.05, backoff=1.5, max_delay=0.25,
        # SIGTERM (systemd, docker stop) finishes the sends in flight: a send cut off after
        # Twilio accepted it would be sent again by the reconciler
        graceful_signal="TERM")


def _start_reconciler(services: Services, stop: threading.Event, *, grace_seconds: float | None,
                      stuck_after_seconds: float | None) -> threading.Thread:
    from tasks.reconcile import reconcile_loop

    t = threading.Thread(target=reconcile_loop, args=(services, stop), name="reconciler", daemon=True,
                         kwargs={"grace_seconds": grace_seconds, "stuck_after_seconds": stuck_after_seconds})
    t.start()
    return t


def run_worker(services: Services, *, workers: int = 8, periodic: bool = True,
               grace_seconds: float | None = None, stuck_after_seconds: float | None = None) -> None:
    """The blocking consumer for `barberbot worker`; SIGTERM stops gracefully (a second one, or SIGINT, at once).

    `periodic` runs the reconciler here too (guarded by a shared per-interval lock,
    so several workers with it on still reconcile once per interval).
    """
    bind(services)
    consumer = make_consumer(services, workers)
    stop = threading.Event()
    if periodic:
        _start_reconciler(services, stop, grace_seconds=grace_seconds, stuck_after_seconds=stuck_after_seconds)
    log.info("worker started: %d threads, reconciler %s", workers, "on" if periodic else "off")
    try:
        consumer.run()
    finally:
        stop.set()


_HOST_SIGNALS = tuple(s for s in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s is not None)


def start_inprocess_worker(services: Services, *, workers: int = 4, periodic: bool = True,
                           grace_seconds: float | None = None,
                           stuck_after_seconds: float | None = None) -> Callable[[], None]:
    """Huey's consumer in background threads of this process (`barberbot run`, tests, the bench),
    started as Huey documents for embedding (`create_consumer`, `start`, `stop`). Call it from the
    main thread. The host keeps its own signal handling: `start` installs the consumer's handlers,
    which are put back as they were, since only `stop()` stops this consumer.

    Returns `stop()`, which waits for running tasks to finish.
    """
    bind(services)
    consumer = make_consumer(services, workers)
    host = {s: signal.getsignal(s) for s in _HOST_SIGNALS}
    consumer.start()
    for s, handler in host.items():
        if handler is not None:  # None: set outside Python, where it was not changed either
            signal.signal(s, handler)
    stop_event = threading.Event()
    reconciler = (_start_reconciler(services, stop_event, grace_seconds=grace_seconds,
                                    stuck_after_seconds=stuck_after_seconds) if periodic else None)
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
