"""Reminder engine figures, on this machine, against a local fake Twilio (a subprocess). Run by hand:

    REDIS_URL=redis://127.0.0.1:6379/14 .venv/bin/python bench/reminders.py \\
        [--backend sqlite|postgres] [--processes 2] [--threads 8] [--bookings 10000] [--due 2000] [--kill 0]

--backend postgres creates (and drops) a database on the TEST_DATABASE_URL server.
--processes N runs N `barberbot worker` processes (the production command; one of
them runs the reconciler); 0 runs one consumer as threads inside this process.
--kill K also runs a reliability round: K SIGKILLs of random workers at random
moments while D reminders are being sent, each restarted at once, then counts
the reminders Twilio accepted twice (the at-most-once gap: killed after Twilio
accepted, before the row said so) and any that were lost.

Prints, with the goals: time per booking to plan and schedule; reminders sent per
second end to end with the rate limit lifted; lateness p50/p99 for D reminders due
at once; Redis bytes per pending reminder.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import logging
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from sqlmodel import col, select  # noqa: E402

from bot.clock import system_clock  # noqa: E402
from bot.db import Database, upgrade  # noqa: E402
from bot.dispatch import PlannedReminder, RecordingDispatcher  # noqa: E402
from bot.models import Reminder  # noqa: E402
from bot.services import build_services  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.shop import parse_shop  # noqa: E402
from bot.shop_store import load_shop  # noqa: E402
from tasks.queue import QUEUE_NAME, HueyDispatcher, make_huey  # noqa: E402
from tasks.runtime import start_inprocess_worker, wait_until  # noqa: E402
from tasks.sender import TwilioSender  # noqa: E402

BARBERS = 40
GOAL_RATE = 400.0        # reminders/s end to end (Twilio's per-sender ceiling)
GOAL_P99 = 3.0           # seconds of lateness, D due at once
LEAD = 5.0               # seconds between scheduling the burst and its due time (in production: hours)
TOKEN = "bench-token"


def shop_text() -> str:
    barbers = "\n".join(f'[[barbers]]\nkey = "b{i}"\nname = "B{i}"\nphone = "+4477009{i:05d}"'
                        for i in range(BARBERS))
    hours = "\n".join(f'{d} = "00:00-24:00"' for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
    return (f'[shop]\nname = "Bench"\ntimezone = "Europe/London"\nslot_minutes = 5\nhorizon_days = 30\n'
            f'[hours]\n{hours}\n[[services]]\nkey = "haircut"\nname = "Haircut"\nminutes = 5\n'
            f'price = "1"\n{barbers}\n')


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def ratio(value: float, goal: float, *, higher_is_better: bool) -> str:
    ok = value >= goal if higher_is_better else value <= goal
    r = value / goal
    return f"{r:.2f}× goal {'OK' if ok else 'MISSED'}"


class PgDatabase:
    """A throwaway database on the TEST_DATABASE_URL server."""

    def __init__(self, admin_url: str) -> None:
        self.name = f"barberbot_bench_{uuid.uuid4().hex[:8]}"
        self.admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as c:
            c.exec_driver_sql(f'CREATE DATABASE "{self.name}"')
        self.url = sa.engine.make_url(admin_url).set(database=self.name).render_as_string(hide_password=False)

    def drop(self) -> None:
        with self.admin.connect() as c:
            c.exec_driver_sql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{self.name}'")
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}"')
        self.admin.dispose()


class Workers:
    """`barberbot worker` processes on the bench's database, Redis and fake Twilio."""

    def __init__(self, env: dict[str, str], n: int, threads: int) -> None:
        self.env, self.threads = env, threads
        self.procs: list[subprocess.Popen[bytes]] = [self._spawn(periodic=(i == 0)) for i in range(n)]
        self.kills = 0

    def _spawn(self, *, periodic: bool) -> subprocess.Popen[bytes]:
        argv = [str(ROOT / ".venv/bin/barberbot"), "worker", "--workers", str(self.threads)]
        if not periodic:
            argv.append("--no-periodic")
        return subprocess.Popen(argv, env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def wait_ready(self, timeout: float = 30) -> None:
        for p in self.procs:
            assert p.stderr is not None
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                line = p.stderr.readline()
                if not line or b"worker started" in line:
                    break
            threading_drain(p)

    def kill_one(self) -> None:
        i = random.randrange(len(self.procs))
        p = self.procs[i]
        p.send_signal(signal.SIGKILL)
        p.wait()
        self.kills += 1
        self.procs[i] = self._spawn(periodic=(i == 0))

    def stop(self) -> None:
        for p in self.procs:
            p.send_signal(signal.SIGKILL)
        for p in self.procs:
            p.wait()


def threading_drain(p: subprocess.Popen[bytes]) -> None:
    """Keep reading a worker's stderr so a full pipe never blocks it."""
    import threading

    def drain() -> None:
        assert p.stderr is not None
        for _ in p.stderr:
            pass

    threading.Thread(target=drain, daemon=True).start()


def cpu_seconds(*pids: int) -> list[float]:
    """user+system CPU of each process so far (Linux /proc), 0 where unreadable."""
    tick = os.sysconf("SC_CLK_TCK")
    out = []
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            out.append((int(fields[11]) + int(fields[12])) / tick)
        except (OSError, IndexError, ValueError):
            out.append(0.0)
    return out


def database_server_pids() -> list[int]:
    """The PostgreSQL server's processes on this machine (its CPU is part of a send's cost)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def fake_stats(url: str) -> dict[str, int]:
    with urllib.request.urlopen(url + "/stats", timeout=10) as resp:  # noqa: S310 - our local fake
        return dict(json.loads(resp.read()))


def count_sent(db: Database) -> int:
    """Reminders sent: arm_burst revokes every row outside the burst, so this counts the burst's.
    A plain indexed count: the bench polls it during the burst, on the cores it measures."""
    with db.engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM reminder WHERE state = 'sent'").scalar() or 0)


def arm_burst(db: Database, huey: Any, ids: list[int], due: dt.datetime, tag: str) -> None:
    """Make `ids` due at `due` (everything else revoked) and enqueue them as the booking service would."""
    with db.write() as s:
        s.exec(sa.update(Reminder).where(col(Reminder.id).not_in(ids)).values(state="revoked"))  # type: ignore[call-overload]
        s.exec(sa.update(Reminder).where(col(Reminder.id).in_(ids)).values(  # type: ignore[call-overload]
            due_at=due, state="scheduled", attempts=0, sent_at=None, message_sid=None, claimed_at=None,
            next_attempt_at=None, error=None))
    HueyDispatcher(huey).schedule_reminders([PlannedReminder(i, f"{tag}-{i}", due) for i in ids])


def burst(db: Database, ids: list[int], due: dt.datetime, *, during: Callable[[], None] | None = None,
          timeout: float = 180) -> tuple[list[float], float, bool]:
    """Wait until every id is sent; lateness list, throughput, finished?"""
    ok = wait_until(lambda: (during() if during else None, count_sent(db) >= len(ids))[1],
                    timeout=timeout, poll=0.2)
    with db.session() as s:
        rows = list(s.exec(select(Reminder).where(col(Reminder.id).in_(ids))).all())
    sent = [x for x in rows if x.sent_at]
    late = [(x.sent_at - x.due_at).total_seconds() for x in sent]  # type: ignore[operator]
    span = (max(x.sent_at for x in sent) - min(x.sent_at for x in sent)).total_seconds()  # type: ignore[type-var]
    return late, len(sent) / max(span, 1e-9), ok


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--bookings", type=int, default=10_000)
    ap.add_argument("--due", type=int, default=2000)
    ap.add_argument("--processes", type=int, default=2, help="`barberbot worker` processes (0: threads in here)")
    ap.add_argument("--threads", type=int, default=8, help="worker threads per process")
    ap.add_argument("--kill", type=int, default=0, help="SIGKILLs during a reliability round (0: skip it)")
    ap.add_argument("--twilio-latency-ms", type=float, default=0.0,
                    help="how long the fake Twilio takes to answer (real Twilio: ~100-300 ms)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
    tmp = Path(tempfile.mkdtemp(prefix="bbbench-"))
    pg = PgDatabase(os.environ["TEST_DATABASE_URL"]) if args.backend == "postgres" else None
    database_url = pg.url if pg else f"sqlite:///{tmp}/bench.db"
    fake = subprocess.Popen([sys.executable, str(ROOT / "bench/fake_twilio.py"),
                             "--latency-ms", str(args.twilio_latency_ms)], stdout=subprocess.PIPE)
    assert fake.stdout is not None
    twilio_url = fake.stdout.readline().decode().strip()
    workers: Workers | None = None
    try:
        settings = Settings(_env_file=None, barberbot_env="test", database_url=database_url,  # type: ignore[call-arg]
                            redis_url=redis_url, send_rate_per_second=0, twilio_account_sid="ACbench",
                            twilio_auth_token=TOKEN, twilio_whatsapp_from="+14155238886",
                            twilio_api_base_url=twilio_url)
        upgrade(settings.database_url)
        db = Database(settings.database_url)
        load_shop(db, parse_shop(shop_text()), now=system_clock())
        r = redis.Redis.from_url(redis_url)
        r.flushdb()
        huey = make_huey(settings, name=QUEUE_NAME)
        services = build_services(settings, dispatcher=HueyDispatcher(huey), huey=huey, db=db,
                                  sender=TwilioSender(account_sid="ACbench", auth_token=TOKEN,
                                                      from_="+14155238886", base_url=twilio_url))
        print(f"backend {args.backend}, Redis queue, {args.processes or 'in-process'} worker "
              f"process(es) × {args.threads} threads, {os.cpu_count()} cores")

        # 1. plan + schedule N bookings (2-hourly reminders, appointments spread over ~2 days)
        base = (system_clock() + dt.timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)
        t0 = time.perf_counter()
        for i in range(args.bookings):
            start = base + dt.timedelta(minutes=5 * (i // BARBERS))
            services.bookings.create(customer_phone=f"+447700{i:06d}", service="haircut",
                                     barber=f"b{i % BARBERS}", start=start)
        per_booking = (time.perf_counter() - t0) / args.bookings
        with db.session() as s:
            pending = s.exec(select(sa.func.count()).select_from(Reminder)).one()
        used = sum(r.memory_usage(k) or 0 for k in r.scan_iter("*"))
        print(f"plan+schedule: {per_booking * 1000:.2f} ms per booking ({args.bookings} bookings, "
              f"{pending} reminders)")
        print(f"redis: {used / max(pending, 1):.0f} bytes per pending reminder ({used} bytes total)")
        r.flushdb()
        services.dispatcher = services.bookings.dispatcher = RecordingDispatcher()
        with db.session() as s:
            ids = list(s.exec(select(Reminder.id).order_by(col(Reminder.id)).limit(args.due)).all())

        # 2+3. D reminders due at the same instant, rate limit lifted, real consumers
        env = {**os.environ, "BARBERBOT_ENV": "test", "DATABASE_URL": database_url, "REDIS_URL": redis_url,
               "TWILIO_ACCOUNT_SID": "ACbench", "TWILIO_AUTH_TOKEN": TOKEN,
               "TWILIO_WHATSAPP_FROM": "+14155238886", "TWILIO_API_BASE_URL": twilio_url,
               "SEND_RATE_PER_SECOND": "0", "LOG_LEVEL": "WARNING", "PUBLIC_BASE_URL": "",
               "RECONCILE_INTERVAL_SECONDS": "1", "RECONCILE_GRACE_SECONDS": "30",
               "REMINDER_STUCK_AFTER_SECONDS": os.environ.get("BENCH_STUCK", "5")}
        env.pop("PUBLIC_BASE_URL")
        stop: Callable[[], None] | None = None
        if args.processes:
            workers = Workers(env, args.processes, args.threads)
            workers.wait_ready()
        else:
            stop = start_inprocess_worker(services, workers=args.threads, periodic=False)
        due = system_clock() + dt.timedelta(seconds=LEAD)
        arm_burst(db, huey, ids, due, "bench")
        server = database_server_pids() if args.backend == "postgres" else []
        cpu_before = cpu_seconds(fake.pid, *(p.pid for p in (workers.procs if workers else [])))
        server_before = dict(zip(server, cpu_seconds(*server), strict=True))
        late, rate, ok = burst(db, ids, due)
        cpu_after = cpu_seconds(fake.pid, *(p.pid for p in (workers.procs if workers else [])))
        server_after = database_server_pids() if server else []  # with the backends opened meanwhile
        server_spent = sum(cpu_seconds(*server_after)) - sum(server_before.get(p, 0.0) for p in server_after)
        print(f"end to end: {rate:.0f} reminders/s ({len(late)}/{len(ids)} sent{'' if ok else ', TIMED OUT'}) "
              f"— goal ≥ {GOAL_RATE:.0f}/s: {ratio(rate, GOAL_RATE, higher_is_better=True)}")
        print(f"lateness, {len(ids)} due at once: p50 {pct(late, 50):.3f} s, p99 {pct(late, 99):.3f} s, "
              f"max {max(late):.3f} s — goal p99 ≤ {GOAL_P99} s: {ratio(pct(late, 99), GOAL_P99, higher_is_better=False)}")
        accepted = fake_stats(twilio_url)["accepted"]
        print(f"duplicates at Twilio: {accepted - len(late)}")
        spent = [b - a for a, b in zip(cpu_before, cpu_after, strict=True)]
        if workers:
            print(f"CPU during the burst: workers {sum(spent[1:]):.2f} s ({sum(spent[1:]) / len(ids) * 1000:.2f} ms "
                  f"a reminder), fake Twilio {spent[0]:.2f} s, on {os.cpu_count()} cores")
            if server:
                print(f"CPU of the PostgreSQL server during the burst: {server_spent:.2f} s "
                      f"({server_spent / len(ids) * 1000:.2f} ms a reminder; all of its processes)")

        # 4. the at-most-once gap: SIGKILL workers mid-burst, restart them, count double sends
        if args.kill and workers is not None:
            before = fake_stats(twilio_url)["accepted"]
            due = system_clock() + dt.timedelta(seconds=LEAD)
            arm_burst(db, huey, ids, due, "kill")
            plan = sorted(random.uniform(LEAD, LEAD + len(ids) / max(rate, 50)) for _ in range(args.kill))
            t_start = time.monotonic()

            def killer() -> None:
                while plan and time.monotonic() - t_start >= plan[0]:
                    plan.pop(0)
                    assert workers is not None
                    workers.kill_one()

            late, _, ok = burst(db, ids, due, during=killer, timeout=120)
            stats = fake_stats(twilio_url)
            doubles = stats["accepted"] - before - len(late)
            print(f"at-most-once gap: {workers.kills} SIGKILLs during {len(ids)} sends → {doubles} sent twice "
                  f"({doubles / max(workers.kills, 1):.2f} per kill), {len(ids) - len(late)} not sent"
                  f"{'' if ok else ' (TIMED OUT)'}; p99 lateness {pct(late, 99):.2f} s")
        if stop is not None:
            stop()
    finally:
        if workers is not None:
            workers.stop()
        fake.terminate()
        if pg is not None:
            with contextlib.suppress(NameError):
                db.dispose()
            pg.drop()


if __name__ == "__main__":
    main()
