"""Reminder engine figures, on this machine, against a local fake Twilio. Run by hand:

    REDIS_URL=redis://127.0.0.1:6379/14 .venv/bin/python bench/reminders.py [--bookings 10000] [--due 2000]

Prints: time per booking to plan and schedule; reminders sent per second end to
end with the rate limit lifted; lateness p50/p99 for N reminders due at once;
Redis bytes per pending reminder; the at-most-once gap (Twilio accepted -> row
says sent).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "tasks"))

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
from tasks.queue import HueyDispatcher, make_huey  # noqa: E402
from tasks.runtime import start_inprocess_worker, wait_until  # noqa: E402
from tasks.sender import TwilioSender  # noqa: E402

BARBERS = 40


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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bookings", type=int, default=10_000)
    ap.add_argument("--due", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=16)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
    tmp = Path(tempfile.mkdtemp(prefix="bbbench-"))
    fake = subprocess.Popen([sys.executable, str(ROOT / "tests/tasks/faketwilio.py")], stdout=subprocess.PIPE)
    assert fake.stdout is not None
    twilio_url = fake.stdout.readline().decode().strip()
    try:
        settings = Settings(_env_file=None, barberbot_env="test", database_url=f"sqlite:///{tmp}/bench.db",  # type: ignore[call-arg]
                            redis_url=redis_url, send_rate_per_second=0, twilio_account_sid="ACbench",
                            twilio_auth_token="bench-token", twilio_whatsapp_from="+14155238886")
        upgrade(settings.database_url)
        db = Database(settings.database_url)
        load_shop(db, parse_shop(shop_text()), now=system_clock())
        r = redis.Redis.from_url(redis_url)
        r.flushdb()
        huey = make_huey(settings, name="bench")
        services = build_services(settings, dispatcher=HueyDispatcher(huey), huey=huey, db=db,
                                  sender=TwilioSender(account_sid="ACbench", auth_token="bench-token",
                                                      from_="+14155238886", base_url=twilio_url))

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

        # 2+3. N reminders due at the same instant, rate limit lifted, a real consumer
        r.flushdb()
        services.dispatcher = RecordingDispatcher()
        services.bookings.dispatcher = services.dispatcher
        due = system_clock() + dt.timedelta(seconds=3)
        with db.write() as s:
            ids = list(s.exec(select(Reminder.id).order_by(col(Reminder.id)).limit(args.due)).all())
            s.exec(sa.update(Reminder).where(col(Reminder.id).not_in(ids)).values(state="revoked"))  # type: ignore[call-overload]
            s.exec(sa.update(Reminder).where(col(Reminder.id).in_(ids)).values(due_at=due))  # type: ignore[call-overload]
        HueyDispatcher(huey).schedule_reminders([PlannedReminder(i, f"bench-{i}", due) for i in ids])
        stop = start_inprocess_worker(services, workers=args.workers, periodic=False)
        services.dispatcher = HueyDispatcher(huey)
        ok = wait_until(lambda: _sent(db) >= len(ids), timeout=120, poll=0.2)
        stop()
        with db.session() as s:
            rows = list(s.exec(select(Reminder).where(col(Reminder.id).in_(ids))).all())
        sent = [x for x in rows if x.sent_at]
        late = [(x.sent_at - x.due_at).total_seconds() for x in sent]  # type: ignore[operator]
        span = max(x.sent_at for x in sent) - min(x.sent_at for x in sent)  # type: ignore[type-var]
        print(f"end to end: {len(sent)}/{len(ids)} sent{'' if ok else ' (TIMED OUT)'}, "
              f"{len(sent) / max(span.total_seconds(), 1e-9):.0f} reminders/s with {args.workers} worker threads")
        print(f"lateness for {len(ids)} due at once: p50 {pct(late, 50):.3f} s, p99 {pct(late, 99):.3f} s, "
              f"max {max(late):.3f} s")
        per_sid = {x.message_sid: x for x in sent}
        print(f"duplicates at Twilio: {len(sent) - len(per_sid)}")
    finally:
        fake.terminate()


def _sent(db: Database) -> int:
    with db.session() as s:
        return int(s.exec(select(sa.func.count()).select_from(Reminder).where(Reminder.state == "sent")).one())


if __name__ == "__main__":
    main()
