"""Load run: N simulated customers chatting and booking through the signed webhook while reminders flow.

    .venv/bin/python bench/load.py --customers 20 --duration 180
    TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/load.py --backend postgres

Each customer repeats a real two-turn flow ("can I book a haircut with Barber07 on 29 November at
10:15?" -> the bot repeats the slot and asks for YES -> "yes") on slots a few minutes ahead, so
each booking plans reminders every --interval seconds that come due during the run. Prints webhook
p50/p99, the booking rate, reminder lateness (sent_at - due_at) and the RSS of the server and the
worker over time; exits non-zero if anything was double-booked, answered 5xx, or RSS grew more
than --max-rss-growth between the first and the last third of the run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "reliability")]

import httpx  # noqa: E402
import scenarios as sc  # noqa: E402
from faultytwilio import FaultyTwilio  # noqa: E402
from livestack import barbers_at, phone_for, running_stack, twiml_texts, utcnow  # noqa: E402


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--customers", type=int, default=20)
    p.add_argument("--duration", type=float, default=180, help="seconds")
    p.add_argument("--interval", type=int, default=30, help="REMINDER_INTERVAL_SECONDS")
    p.add_argument("--barbers", type=int, default=200)
    p.add_argument("--think", type=float, default=0.2, help="seconds a customer waits between turns")
    p.add_argument("--sample", type=float, default=10, help="seconds between RSS samples")
    p.add_argument("--max-rss-growth", type=float, default=0.25, help="allowed growth, as a fraction")
    a = p.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="barberbot-load-"))
    twilio = FaultyTwilio().start()
    if a.backend == "sqlite":
        from livestack import sqlite_backend

        backend = sqlite_backend(work / "data")
    else:
        from livestack import pg_redis_backend

        admin = os.environ.get("TEST_DATABASE_URL")
        if not admin:
            raise SystemExit("--backend postgres needs TEST_DATABASE_URL")
        backend = pg_redis_backend(work, admin)

    latencies: list[float] = []
    outcomes = {"booked": 0, "not_confirmed": 0, "5xx": 0, "errors": 0}
    lock = threading.Lock()
    slot_lock = threading.Lock()
    first = (utcnow() + dt.timedelta(minutes=3)).replace(second=0, microsecond=0)
    slots = ((b, first + dt.timedelta(minutes=m)) for m in itertools.count()
             for b in barbers_at((first + dt.timedelta(minutes=m)).hour * 60
                                 + (first + dt.timedelta(minutes=m)).minute, a.barbers))
    rss: list[tuple[float, dict[str, int]]] = []

    try:
        with running_stack(backend, twilio.url, workdir=work, interval_seconds=a.interval,
                           n_barbers=a.barbers) as stack:
            stop = time.monotonic() + a.duration
            t0 = time.monotonic()

            def turn(client: httpx.Client, phone: str, text: str) -> list[str]:
                params = stack.webhook_params(phone, text)
                started = time.perf_counter()
                r = client.post("/webhooks/twilio", data=params, headers=stack.signed_headers(params))
                with lock:
                    latencies.append(time.perf_counter() - started)
                    if r.status_code >= 500:
                        outcomes["5xx"] += 1
                r.raise_for_status()
                return twiml_texts(r.text)

            def customer(i: int) -> None:
                phone = phone_for(90, i)
                with httpx.Client(base_url=stack.url, timeout=60) as client:
                    while time.monotonic() < stop:
                        with slot_lock:
                            barber, start = next(slots)
                        try:
                            ask = (f"can I book a haircut with {barber.capitalize()} on "
                                   f"{start.strftime('%-d %B')} at {start.strftime('%H:%M')}?")
                            replies = turn(client, phone, ask)
                            time.sleep(a.think)
                            if any("YES" in t for t in replies):
                                turn(client, phone, "yes")
                                key = "booked"
                            else:
                                turn(client, phone, "no")
                                key = "not_confirmed"
                        except httpx.HTTPError:
                            key = "errors"
                        with lock:
                            outcomes[key] += 1
                        time.sleep(a.think)

            def sampler() -> None:
                while time.monotonic() < stop:
                    rss.append((time.monotonic() - t0, stack.rss_kib()))
                    time.sleep(a.sample)
                rss.append((time.monotonic() - t0, stack.rss_kib()))

            threads = [threading.Thread(target=customer, args=(i,)) for i in range(a.customers)]
            threads.append(threading.Thread(target=sampler))
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.monotonic() - t0
            late = _lateness(stack)
            states = dict(stack.query("SELECT state, count(*) FROM reminder GROUP BY state"))
            doubles = sc.double_booked(stack)
    finally:
        backend.close()
        twilio.stop()

    print(f"load: {a.customers} customers, {elapsed:.0f}s, backend {a.backend}, interval {a.interval}s")
    print(f"  webhook turns: {len(latencies)}  p50 {1000 * pct(latencies, 0.5):.1f} ms  "
          f"p99 {1000 * pct(latencies, 0.99):.1f} ms  max {1000 * max(latencies or [0]):.1f} ms")
    print(f"  bookings: {outcomes['booked']} ({outcomes['booked'] / elapsed:.1f}/s); not confirmed "
          f"{outcomes['not_confirmed']}; transport errors {outcomes['errors']}; 5xx {outcomes['5xx']}; "
          f"double-booked {doubles}")
    print(f"  reminders: {states}; lateness p50 {pct(late, 0.5):.2f}s p99 {pct(late, 0.99):.2f}s "
          f"max {max(late or [float('nan')]):.2f}s (n={len(late)})")
    print("  RSS (KiB) over time:")
    for at, kib in rss:
        print(f"    t={at:6.0f}s  " + "  ".join(f"{k}={v}" for k, v in sorted(kib.items())))
    growth = _growth(rss)
    print(f"  RSS growth after {WARM_UP_SECONDS}s of warm-up, first third -> last third: "
          + ", ".join(f"{k} {v:+.1%}" for k, v in growth.items()))
    bad = doubles or outcomes["5xx"] or any(v > a.max_rss_growth for v in growth.values())
    return 1 if bad else 0


def _lateness(stack: object) -> list[float]:
    rows = stack.query("SELECT sent_at, due_at FROM reminder WHERE state = 'sent'")  # type: ignore[attr-defined]
    return [(sc._aware(s) - sc._aware(d)).total_seconds() for s, d in rows]


WARM_UP_SECONDS = 15  # imports, pools and caches filling: not growth


def _growth(rss: list[tuple[float, dict[str, int]]]) -> dict[str, float]:
    rss = [(at, kib) for at, kib in rss if at >= WARM_UP_SECONDS]
    if len(rss) < 3:
        return {}
    third = max(1, len(rss) // 3)
    out = {}
    for name in rss[0][1]:
        head = [k[name] for _, k in rss[:third] if name in k]
        tail = [k[name] for _, k in rss[-third:] if name in k]
        if head and tail:
            out[name] = statistics.mean(tail) / statistics.mean(head) - 1
    return out


if __name__ == "__main__":
    sys.exit(main())
