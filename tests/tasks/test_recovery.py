"""Nothing lost, nothing doubled: a worker killed with SIGKILL mid-send, and a Redis that lost its data."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import redis
from engine_support import BARBERS, book, reminder_rows
from faketwilio import FakeTwilio

from bot.models import ReminderState
from tasks.runtime import wait_until

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def all_sent(services: Any, n: int) -> bool:
    rows = reminder_rows(services)
    return len(rows) == n and all(r.state == ReminderState.SENT for r in rows)


def spawn_worker(services: Any, twilio: FakeTwilio) -> subprocess.Popen[bytes]:
    """A `barberbot worker` process on the test's database, queue and fake Twilio."""
    cfg = {"tmp_path": services.extras["tmp_path"], "overrides": services.extras["overrides"],
           "offset": services.extras["offset"].total_seconds(), "queue_name": services.extras["queue_name"],
           "twilio_url": twilio.url}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = Path(services.extras["tmp_path"]) / f"worker-{len(list(Path(services.extras['tmp_path']).glob('worker-*.log')))}.log"
    with log.open("wb") as err:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([sys.executable, str(HERE / "worker_proc.py"), json.dumps(cfg)], env=env,
                                stdout=subprocess.PIPE, stderr=err, cwd=ROOT)


def worker_logs(services: Any) -> str:
    """The workers' own logs, for a failure message: what they did instead of what we waited for."""
    tails = [f"--- {p.name}\n" + "\n".join(p.read_text(errors="replace").splitlines()[-25:])
             for p in sorted(Path(services.extras["tmp_path"]).glob("worker-*.log"))]
    return "\n".join(tails)


def wait_ready(proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Block until the worker process has printed "ready" (its imports and setup are done)."""
    assert proc.stdout is not None
    line: list[bytes] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout)
    assert line and line[0].strip() == b"ready", f"worker not ready after {timeout} s (exit {proc.poll()})"


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(10)


def test_worker_killed_mid_send_still_sends_every_reminder_once(
        engine: Any, worker: Any, fake_twilio: FakeTwilio) -> None:
    # reminders at +6, +12, +18 s, the appointment at +21 s: room for a loaded machine to start
    # two worker processes, notice the dead one (stuck_after 2 s + a reconciler round) and resend
    # in time, each hop through Huey's schedule taking up to its one-second tick
    services = engine(twilio=fake_twilio, lead_seconds=3.5, reminder_interval_seconds=6)
    for i, b in enumerate(BARBERS[:3]):
        book(services, barber=b, phone=f"+44770090014{i}")
    fake_twilio.hold = threading.Event()  # the first sends hang inside Twilio...
    first = spawn_worker(services, fake_twilio)
    second: subprocess.Popen[bytes] | None = None
    try:
        wait_ready(first)  # a slow start-up on a loaded machine fails here, with its own message
        assert fake_twilio.on_hold.wait(15), "the worker never sent\n" + worker_logs(services)
        assert wait_until(lambda: ReminderState.SENDING in [r.state for r in reminder_rows(services)],
                          timeout=5)
        # the survivor is up before the kill, so its start-up time does not eat into the plan
        second = spawn_worker(services, fake_twilio)
        wait_ready(second)
        os.kill(first.pid, signal.SIGKILL)  # ...and the worker dies holding its claims
        first.wait(10)
        fake_twilio.hold.set()  # the held requests never reached Twilio's books
        # taken back after stuck_after (2 s) by the next reconciler round, long before the appointment
        assert wait_until(lambda: all_sent(services, 9), timeout=30), [
            (r.job_id, r.state, r.attempts) for r in reminder_rows(services)]
    finally:
        stop(first)
        if second is not None:
            stop(second)
    per_phone = Counter(r.to for r in fake_twilio.accepted())
    assert len(fake_twilio.accepted()) == 9 and set(per_phone.values()) == {3}
    assert len({r.sid for r in fake_twilio.accepted()}) == 9
    assert {r.message_sid for r in reminder_rows(services)} == {r.sid for r in fake_twilio.accepted()}


def test_redis_losing_its_data_loses_no_reminder(engine: Any, worker: Any, fake_twilio: FakeTwilio,
                                                 queue_kind: str) -> None:
    if queue_kind != "redis":
        return  # only Redis can be flushed under a running worker; SQLite storage is a file
    # reminders at +4 s and +8 s, the appointment at +11.6 s: a lost job is found within
    # grace + reconcile interval (2 s here), well before the appointment passes
    services = engine(twilio=fake_twilio, lead_seconds=2.9, reminder_interval_seconds=4)
    for i, b in enumerate(BARBERS[:3]):
        book(services, barber=b, phone=f"+44770090015{i}")
    worker(services)
    assert wait_until(lambda: len(fake_twilio.accepted()) >= 1, timeout=10)
    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()  # a Redis restart without persistence
    assert wait_until(lambda: all_sent(services, 6), timeout=20), [
        (r.job_id, r.state) for r in reminder_rows(services)]
    assert len(fake_twilio.accepted()) == 6
    assert set(Counter(r.to for r in fake_twilio.accepted()).values()) == {2}


def test_sigterm_lets_the_send_in_flight_finish_and_record_it(
        engine: Any, worker: Any, fake_twilio: FakeTwilio) -> None:
    """`docker stop` / systemd send SIGTERM: the reminder on the wire is recorded, not resent later."""
    services = engine(twilio=fake_twilio, lead_seconds=3.5, reminder_interval_seconds=4)
    b = book(services, barber="sam", phone="+447700900160")
    fake_twilio.hold = threading.Event()
    fake_twilio.accept_after_hold = True
    proc = spawn_worker(services, fake_twilio)
    try:
        wait_ready(proc)
        assert fake_twilio.on_hold.wait(15), "the worker never sent\n" + worker_logs(services)
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.poll() is None  # it waits for the send in flight...
        fake_twilio.hold.set()  # ...which Twilio now answers
        assert proc.wait(20) == 0
    finally:
        stop(proc)
    first = next(r for r in reminder_rows(services, b.id) if r.k == 1)
    assert first.state == ReminderState.SENT and first.message_sid == fake_twilio.accepted()[0].sid
