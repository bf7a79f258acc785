"""The long fault scenarios against a live `barberbot serve` + `barberbot worker`, printed as a table.

    .venv/bin/python bench/scenarios.py                      # SQLite + SQLite queue
    TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/scenarios.py --backend postgres   # PostgreSQL + its own redis-server
    .venv/bin/python bench/scenarios.py --only kill,cancel --reminders 1000

The same scenarios as tests/reliability, at full size: 1,000 reminders coming due while the
worker is SIGKILLed; the queue's storage lost; Twilio answering 30% 500s, 10% 429s and
timeouts; 1,000 bookings cancelled as their reminders come due; every inbound message
delivered three times; 50 customers racing for one slot; signatures. Also measures the
at-most-once limit: with `--accept-timeouts`, Twilio accepts a share of messages and then
never answers (the duplicate no client can avoid without an idempotency key).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "reliability")]

import scenarios as sc  # noqa: E402
from faultytwilio import Faults, FaultyTwilio  # noqa: E402
from livestack import Backend, Stack, pg_redis_backend, running_stack, sqlite_backend  # noqa: E402

COLS = ["reminders_due", "sent", "sent_twice", "sent_after_cancel", "lost", "failed", "double_booked",
        "http_5xx", "unauthorised_accepted", "in_flight_at_cancel"]


def make_backend(kind: str, workdir: Path) -> Backend:
    if kind == "sqlite":
        return sqlite_backend(workdir / "data")
    admin = os.environ.get("TEST_DATABASE_URL")
    if not admin:
        raise SystemExit("--backend postgres needs TEST_DATABASE_URL (an admin URL; we create our own database)")
    return pg_redis_backend(workdir, admin)


def run(kind: str, name: str, body: Callable[[Stack, FaultyTwilio], sc.Counts], *,
        interval: int = 1, n_barbers: int = 40) -> sc.Counts:
    work = Path(tempfile.mkdtemp(prefix=f"barberbot-bench-{name}-"))
    twilio = FaultyTwilio().start()
    backend = make_backend(kind, work)
    started = time.monotonic()
    try:
        with running_stack(backend, twilio.url, workdir=work, interval_seconds=interval,
                           n_barbers=n_barbers) as stack:
            counts = body(stack, twilio)
    finally:
        backend.close()
        twilio.stop()
    counts.notes["seconds"] = round(time.monotonic() - started)
    print(f"  {counts.scenario} [{counts.backend}]: {json.dumps(counts.row())} {json.dumps(counts.notes)}",
          flush=True)
    return counts


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="sqlite")
    p.add_argument("--reminders", type=int, default=1000, help="reminders coming due per reminder scenario")
    p.add_argument("--cancels", type=int, default=1000, help="bookings cancelled as a reminder comes due")
    p.add_argument("--window", type=float, default=20, help="seconds reminders come due for")
    p.add_argument("--customers", type=int, default=50, help="customers racing for one slot")
    p.add_argument("--only", default="", help="comma list: kill,queue,twilio,cancel,redeliver,race,signatures,"
                                              "accept-timeouts")
    p.add_argument("--accept-timeout-rate", type=float, default=0.05,
                   help="share of sends Twilio accepts and then never answers, for the at-most-once figure")
    a = p.parse_args(argv)
    kinds = ["sqlite", "postgres"] if a.backend == "both" else [a.backend]
    only = set(filter(None, a.only.split(",")))
    per_booking = max(1, int(a.window))  # 1-second interval: one reminder per second per booking
    n = max(1, a.reminders // per_booking)
    w = a.window

    def want(key: str) -> bool:
        return not only or key in only

    results: list[sc.Counts] = []
    for kind in kinds:
        print(f"backend {kind}:", flush=True)
        if want("kill"):
            results.append(run(kind, "kill", lambda s, t: sc.worker_killed_repeatedly(
                s, t, bookings=n, window=w)))
        if want("queue"):
            results.append(run(kind, "queue", lambda s, t: sc.queue_storage_lost(s, t, bookings=n, window=w)))
        if want("twilio"):
            results.append(run(kind, "twilio", lambda s, t: sc.twilio_misbehaving(
                s, t, bookings=n, window=w)))
        if want("accept-timeouts"):
            results.append(run(kind, "accept-timeouts", _accept_timeouts(a.accept_timeout_rate, n, w)))
        if want("cancel"):
            # 30-second interval so 1,000 bookings (spread over many minutes) plan few reminders each;
            # every booking is cancelled at the instant its first reminder comes due
            results.append(run(kind, "cancel", lambda s, t: sc.cancelled_as_due(
                s, t, bookings=a.cancels, window=35, k=1), interval=30, n_barbers=200))
        if want("redeliver"):
            results.append(run(kind, "redeliver", lambda s, t: sc.redelivered_three_times(
                s, customers=a.customers)))
        if want("race"):
            results.append(run(kind, "race", lambda s, t: sc.race_for_one_slot(s, customers=a.customers)))
        if want("signatures"):
            results.append(run(kind, "signatures", lambda s, t: sc.signatures_and_auth(s)))
    print()
    print("| scenario | backend | " + " | ".join(COLS) + " |")
    print("|" + "---|" * (len(COLS) + 2))
    for c in results:
        row = c.row()
        print(f"| {c.scenario} | {c.backend} | " + " | ".join(str(row[k]) for k in COLS) + " |")
    bad = [c for c in results if c.failures()]
    return 1 if bad else 0


def _accept_timeouts(rate: float, n: int, window: float) -> Callable[[Stack, FaultyTwilio], sc.Counts]:
    def body(stack: Stack, twilio: FaultyTwilio) -> sc.Counts:
        c = sc.twilio_misbehaving(stack, twilio, bookings=max(1, n // 4), window=window,
                                  faults=Faults(accept_then_timeout_rate=rate))
        c.scenario = f"Twilio accepts, then times out ({rate:.0%})"
        return c
    return body


if __name__ == "__main__":
    sys.exit(main())
