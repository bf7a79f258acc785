"""Benchmark: signed chat turns on POST /webhooks/twilio, as `barberbot serve` runs them.

Starts `barberbot serve --workers N` (uvicorn, uvloop + httptools) on a fresh database with the
demo shop at a fixed `now`, and sends it real conversations from many customers: a greeting, a
question about free times, "help", a booking confirmed with YES, "what bookings do I have?", a
cancel confirmed with YES, thanks. Each customer has a slot of its own, and waits for the reply
before its next message.

Two ways to drive it:
- closed loop (default): `--connections C` customers' connections each send as soon as the last
  reply came; prints throughput and latency. Floors: >= 500 turns/s on SQLite (1 process),
  >= 400 on PostgreSQL (2 processes), at 64 connections.
- open loop: `--rate R` sends R messages a second on a fixed schedule whatever the replies do
  (latency counts from the moment a message was due, so a stalled server shows). 64 lanes of
  customers, each lane at a different step of the conversation, so greetings, questions,
  bookings and cancels arrive mixed as they would from many shops. Floor: p99 < 50 ms
  at 100 turns/s on both (about a thousand shops at their Saturday peak).

    .venv/bin/python bench/webhook.py [--backend sqlite|postgres] [--workers 1] [--connections 64]
                                      [--rate 100] [--seconds 10]

The queue is the real one: Redis when REDIS_URL is set, else Huey's SQLite storage beside the
SQLite database. The same client first drives a bare Starlette endpoint that only parses the form
(the baseline: what HTTP alone costs on this machine at this moment; the machine's speed varies
several-fold from hour to hour, so compare figures against their own run's baseline). PostgreSQL: `--database-url` or TEST_DATABASE_URL (a server); the bench makes
and drops a database of its own there. The client runs on the same two cores as the server.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from webhooks.signature import sign  # noqa: E402

TOKEN = "bench-token"
NOW = dt.datetime.now(dt.UTC)  # the server runs on the real clock; every slot is from tomorrow on
BOOK = "haircut with {barber} on {day} at {time}"
SCRIPT = ["hi", "any slots friday afternoon for a beard trim?", "help", BOOK, "yes",
          "what bookings do I have?", "cancel my booking", "yes", "thanks"]
BARBERBOT = str(Path(sys.executable).with_name("barberbot"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(backend: str, tmp: Path, server_url: str | None) -> tuple[dict[str, str], str | None]:
    """A fresh database with the demo shop: the server's environment, and the database to drop."""
    from bot.db import Database, upgrade
    from bot.shop import parse_shop
    from bot.shop_store import load_shop

    dropme = None
    env = {"BARBERBOT_ENV": "development", "TWILIO_AUTH_TOKEN": TOKEN, "LOG_LEVEL": "WARNING",
           "SHOP_FILE": str(ROOT / "bot" / "demo_shop.toml"),
           "QUEUE_PATH": str(tmp / "queue.db")}
    if backend == "sqlite":
        url = f"sqlite:///{tmp / 'bench.db'}"
    else:
        import sqlalchemy as sa

        if not server_url:
            raise SystemExit("--backend postgres needs --database-url or TEST_DATABASE_URL")
        name = f"barberbot_bench_{os.getpid()}"
        admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        admin.dispose()
        url, dropme = str(sa.engine.make_url(server_url).set(database=name).render_as_string(False)), name
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    env["DATABASE_URL"] = url
    upgrade(url)
    db = Database(url)
    load_shop(db, parse_shop((ROOT / "bot" / "demo_shop.toml").read_text()), now=NOW)
    db.dispose()
    return env, dropme


def drop_db(server_url: str, name: str) -> None:
    import sqlalchemy as sa

    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


BARE_APP = """
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

XML = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Hi!</Message></Response>'

async def hook(request):
    await request.form()
    return Response(XML, media_type="application/xml")

app = Starlette(routes=[Route("/webhooks/twilio", hook, methods=["POST"])])
"""


def start_server(port: int, workers: int, env: dict[str, str], workdir: str, *, bare: bool = False
                 ) -> subprocess.Popen[bytes]:
    if bare:
        Path(workdir, "bare_app.py").write_text(BARE_APP)
        cmd = [sys.executable, "-m", "uvicorn", "bare_app:app", "--port", str(port), "--workers", str(workers),
               "--log-level", "warning", "--no-access-log"]
    else:
        cmd = [BARBERBOT, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    proc = subprocess.Popen(cmd, env={**os.environ, **env, "PYTHONPATH": workdir}, cwd=workdir)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                time.sleep(1.0 if workers > 1 else 0.2)  # let every worker process come up
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")


def slots() -> Iterator[tuple[str, str, str]]:
    """Distinct (barber, day, time) haircut slots inside opening hours, so bookings do not collide."""
    day = NOW.date()
    for _ in range(28):  # inside the demo shop's 30-day horizon
        day += dt.timedelta(days=1)
        if day.weekday() >= 5:  # weekends: Sam is off on Saturdays, the shop on Sundays
            continue
        for minute in range(9 * 60, 17 * 60 + 1, 30):
            for barber in ("sam", "alex"):
                yield barber, day.strftime("%-d %b").lower(), f"{minute // 60:02d}:{minute % 60:02d}"


def conversations(port: int, customers: int, turns: int) -> list[list[tuple[str, bytes]]]:
    """Per customer, its signed raw HTTP/1.1 requests in script order (its line, the request)."""
    url = f"http://127.0.0.1:{port}/webhooks/twilio"
    slot_list = list(slots())
    if customers > len(slot_list):
        raise SystemExit(f"at most {len(slot_list)} customers (distinct slots)")
    out = []
    for c in range(customers):
        barber, day, at = slot_list[c]
        reqs = []
        for i in range(turns):
            line = SCRIPT[i % len(SCRIPT)]
            params = {"From": f"whatsapp:+4477009{c:05d}", "To": "whatsapp:+14155238886",
                      "Body": line.format(barber=barber, day=day, time=at), "MessageSid": f"SMb{c:05d}{i:08d}",
                      "ProfileName": f"Customer {c}"}
            body = urlencode(params).encode()
            head = (f"POST /webhooks/twilio HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                    f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
                    f"X-Twilio-Signature: {sign(TOKEN, url, params)}\r\n\r\n").encode()
            reqs.append((line.split(" ")[0] if "{" in line else line, head + body))
        out.append(reqs)
    return out


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, req: bytes) -> bool:
    writer.write(req)
    head = await reader.readuntil(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    await reader.readexactly(length)
    return head.startswith(b"HTTP/1.1 200")


async def closed_loop(port: int, convos: list[list[tuple[str, bytes]]], connections: int, seconds: float
                      ) -> tuple[list[tuple[str, float]], int, float]:
    """Each connection plays its customers' conversations back to back, one message at a time."""
    results: list[tuple[str, float]] = []
    errors = 0
    stop = time.monotonic() + seconds
    started = time.monotonic()

    async def connection(mine: list[list[tuple[str, bytes]]]) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for convo in mine:
                for line, req in convo:
                    if time.monotonic() >= stop:
                        return
                    t0 = time.perf_counter()
                    errors += not await _exchange(reader, writer, req)
                    results.append((line, time.perf_counter() - t0))
        finally:
            writer.close()

    await asyncio.gather(*(connection(convos[i::connections]) for i in range(connections)))
    return results, errors, time.monotonic() - started


async def open_loop(port: int, convos: list[list[tuple[str, bytes]]], rate: float, seconds: float,
                    lanes: int = 64) -> tuple[list[tuple[str, float]], int, float]:
    """`rate` messages a second on a fixed schedule, latency counted from when each was due.

    The schedule has `lanes` lanes taking turns, one slot each; a lane plays its customers'
    conversations one after another, a message per slot (waiting for the reply first). Lane l
    starts l slots into the script's cycle, so at any moment the lanes are at every step of a
    conversation (greetings, questions, bookings, cancels) in the mix a day of many shops has,
    rather than all booking in the same second."""
    results: list[tuple[str, float]] = []
    errors = 0
    started = time.perf_counter()
    cycle = len(SCRIPT)

    async def lane(lane_no: int, mine: list[list[tuple[str, bytes]]]) -> None:
        nonlocal errors
        slot = 0
        for i, convo in enumerate(mine):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            try:
                for line, req in convo[lane_no % cycle:] if i == 0 else convo:
                    due = started + (slot * lanes + lane_no) / rate
                    slot += 1
                    if due - started >= seconds:
                        return
                    await asyncio.sleep(max(0.0, due - time.perf_counter()))
                    errors += not await _exchange(reader, writer, req)
                    results.append((line, time.perf_counter() - due))
            finally:
                writer.close()

    await asyncio.gather(*(lane(n, convos[n::lanes]) for n in range(lanes)))
    return results, errors, time.perf_counter() - started


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(p / 100 * len(s)))] if s else float("nan")


CANCELLED = "SELECT count(*) FROM booking WHERE status = 'cancelled'"


def outcome(url: str) -> str:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        def n(sql: str) -> int:
            return int(conn.exec_driver_sql(sql).scalar() or 0)
        text = (f"{n('SELECT count(*) FROM inbound_message')} messages stored, "
                f"{n('SELECT count(*) FROM inbound_message WHERE reply IS NULL')} without a reply; "
                f"{n('SELECT count(*) FROM booking')} bookings made, "
                f"{n(CANCELLED)} cancelled")
    engine.dispose()
    return text


def drive(args: argparse.Namespace, workers: int, env: dict[str, str], tmp: str, *, bare: bool = False
          ) -> tuple[list[tuple[str, float]], int, float, str]:
    """Start a server (the chat, or the bare baseline), drive it as `args` say, stop it."""
    port = free_port()
    proc = start_server(port, workers, env, tmp, bare=bare)
    slot_count = len(list(slots()))
    try:
        if args.rate:
            lanes = 64
            per_lane = int(args.rate * args.seconds) // lanes // len(SCRIPT) + 2
            convos = conversations(port, min(slot_count, lanes * per_lane), len(SCRIPT))
            results, errors, elapsed = asyncio.run(open_loop(port, convos, args.rate, args.seconds, lanes))
            return results, errors, elapsed, f"open loop at {args.rate:g} messages/s, {lanes} lanes"
        customers = min(slot_count, args.connections * 4)
        convos = conversations(port, customers, len(SCRIPT) * (8 if bare else 1))
        results, errors, elapsed = asyncio.run(closed_loop(port, convos, args.connections, args.seconds))
        return results, errors, elapsed, f"closed loop, {args.connections} connections"
    finally:
        proc.terminate()
        proc.wait(30)


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL"),
                    help="PostgreSQL server for --backend postgres (the bench makes a database of its own there)")
    ap.add_argument("--workers", type=int, default=None, help="server processes (default: 1 SQLite, 2 PostgreSQL)")
    ap.add_argument("--connections", type=int, default=64, help="closed loop: concurrent connections")
    ap.add_argument("--rate", type=float, default=None, help="open loop: messages a second (e.g. 100)")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--no-baseline", action="store_true", help="skip the bare endpoint's run")
    args = ap.parse_args()
    workers = args.workers or (1 if args.backend == "sqlite" else 2)
    with tempfile.TemporaryDirectory() as tmp:
        env, dropme = prepare(args.backend, Path(tmp), args.database_url)
        try:
            baseline = None if args.no_baseline else drive(args, workers, env, tmp, bare=True)
            results, errors, elapsed, mode = drive(args, workers, env, tmp)
            chats = outcome(env["DATABASE_URL"])
        finally:
            if dropme and args.database_url:
                drop_db(args.database_url, dropme)
    latencies = [t for _, t in results]
    queue = "Redis" if "REDIS_URL" in env else "Huey SQLite storage"
    print(f"{args.backend} + {queue}, {workers} server process(es), {mode}, {elapsed:.1f} s")
    if baseline is not None:
        bare = [t for _, t in baseline[0]]
        print(f"baseline (bare endpoint): req/s {len(bare) / baseline[2]:.0f}  p50 {pct(bare, 50) * 1000:.1f} ms  "
              f"p99 {pct(bare, 99) * 1000:.1f} ms")
    print(f"chat turns: turns/s {len(results) / elapsed:.0f}  p50 {pct(latencies, 50) * 1000:.1f} ms  "
          f"p99 {pct(latencies, 99) * 1000:.1f} ms  non-200 {errors}")
    by_line: dict[str, list[float]] = {}
    for line, t in results:
        by_line.setdefault(line, []).append(t)
    print("by message (ms): " + "; ".join(
        f"{line[:24]!r} p50 {pct(v, 50) * 1000:.1f} p99 {pct(v, 99) * 1000:.1f}" for line, v in by_line.items()))
    print(f"the chats: {chats}")


if __name__ == "__main__":
    main()
