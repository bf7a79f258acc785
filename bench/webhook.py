"""Benchmark: full signed chat turns on POST /webhooks/twilio vs a bare Starlette endpoint.

Starts the same uvicorn command for both apps (uvloop + httptools, `--workers N`, no access log:
what `barberbot serve --workers N` runs), on a fresh database with the demo shop at a fixed `now`,
drives each with C concurrent keep-alive connections of pre-signed requests, and prints throughput
and p50/p99 latency side by side, the ratio against the goals, what the chats did to the database,
and the NLU's cost per message (p95).

Each connection is a few customers typing one message at a time (a customer waits for the reply).
`--mix chat` (default) is real conversations: a greeting, a question about free times, "help",
a booking with an exact slot confirmed with YES, "what bookings do I have?", a cancel confirmed
with YES, thanks -- each customer on a slot of its own, so bookings do not all collide.
`--mix talk` is the same without the booking and cancelling turns (no BookingService writes).

    .venv/bin/python bench/webhook.py [--backend sqlite|postgres] [--workers 1] [--connections 64]
                                      [--seconds 10] [--mix chat|talk] [--repeat 1] [--staggered]

`--repeat N` measures bare and full N times, alternately, and judges the goals on the median run:
the machine's speed drifts from minute to minute, and one pair can land on either side of it.

By default every customer starts at the script's first line, so all connections send the same
line at once (lockstep): each round of the server is, say, 64 bookings' "yes", and the slowest
line decides p99. `--staggered` starts customers at different lines, as real customers are.

PostgreSQL: `--database-url` or TEST_DATABASE_URL (a server); the bench creates and drops a
database of its own there. The client runs on the same machine and takes some of its CPU from
both sides alike.

Goal: full turn >= 0.35x the bare endpoint's throughput, p99 < 50 ms at 64 connections;
understanding p95 < 2 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import logging
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from webhooks.signature import sign  # noqa: E402

TOKEN = "bench-token"
NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)  # a Wednesday
BOOK = "haircut with {barber} on {day} at {time}"
CHAT = ["hi", "any slots friday afternoon for a beard trim?", "help", BOOK, "yes",
        "what bookings do I have?", "cancel my booking", "yes", "thanks"]
TALK = ["hi", "any slots friday afternoon for a beard trim?", "help", "what bookings do I have?",
        "haircut tomorrow at 3pm", "no", "thanks"]
MIXES = {"chat": CHAT, "talk": TALK}

APP_SRC = textwrap.dedent('''
    import datetime as dt, os
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    def bare():
        xml = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Hi!</Message></Response>'
        async def hook(request):
            await request.form()
            return Response(xml, media_type="application/xml")
        return Starlette(routes=[Route("/webhooks/twilio", hook, methods=["POST"])])

    def full():
        from bot.app import create_app
        from bot.clock import FixedClock
        from bot.dispatch import RecordingDispatcher
        from bot.services import build_services
        from bot.settings import Settings
        settings = Settings(_env_file=None, database_url=os.environ["BENCH_DB"], twilio_auth_token="bench-token",
                            barberbot_env="test", api_key="k", log_level="WARNING", redis_url=None)
        now = dt.datetime.fromisoformat(os.environ["BENCH_NOW"])
        return create_app(build_services(settings, clock=FixedClock(now), dispatcher=RecordingDispatcher()))
''')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare_db(backend: str, tmp: Path, server_url: str | None) -> tuple[str, str | None]:
    """A fresh, migrated database with the demo shop: (its URL, the database to drop afterwards)."""
    from bot.db import Database, upgrade
    from bot.shop import parse_shop
    from bot.shop_store import load_shop

    dropme = None
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
    upgrade(url)
    db = Database(url)
    load_shop(db, parse_shop((ROOT / "bot" / "demo_shop.toml").read_text()), now=NOW)
    db.dispose()
    return url, dropme


def drop_db(server_url: str, name: str) -> None:
    import sqlalchemy as sa

    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def start_server(factory: str, port: int, workers: int, env: dict[str, str], workdir: str) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "uvicorn", f"bench_apps:{factory}", "--factory", "--port", str(port),
           "--host", "127.0.0.1", "--workers", str(workers), "--loop", "uvloop", "--http", "httptools",
           "--log-level", "warning", "--no-access-log"]
    proc = subprocess.Popen(cmd, env={**os.environ, **env, "PYTHONPATH": f"{workdir}:{ROOT}"}, cwd=workdir)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                time.sleep(1.0 if workers > 1 else 0.2)  # let every worker process come up
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"{factory} server did not start")


def slots() -> Iterator[tuple[str, str, str]]:
    """Distinct (barber, day, time) haircut slots inside opening hours, so bookings do not collide."""
    day = NOW.date()
    for _ in range(40):
        day += dt.timedelta(days=1)
        if day.weekday() >= 5:  # weekends: Sam is off on Saturdays, the shop on Sundays
            continue
        for minute in range(9 * 60, 17 * 60 + 1, 30):
            for barber in ("sam", "alex"):
                yield barber, day.strftime("%-d %b").lower(), f"{minute // 60:02d}:{minute % 60:02d}"


KINDS: dict[bytes, str] = {}  # a prepared request -> its script line (the per-kind figures)


def starts(script: list[str], lockstep: bool) -> list[int]:
    """The script lines customers begin at: all at the first (lockstep), or (`--staggered`) spread
    over every line that does not answer a question (a "yes" or "no" needs the line before it)."""
    if lockstep:
        return [0]
    return [i for i, text in enumerate(script) if text not in ("yes", "no")]


def build_requests(port: int, connections: int, phones: int, count: int, script: list[str],
                   tag: str, first_phone: int = 0, first_slot: int = 0,
                   lockstep: bool = True) -> list[list[bytes]]:
    """Signed raw HTTP/1.1 requests per connection, built before the clock starts.

    Connection c owns customers c, c+C, ...; each customer's messages go out in script order. With
    `lockstep` every customer starts at the first line, so all of them send the same line at once:
    the worst case, where the slowest line's cost x connections is its latency. Otherwise each
    starts at a line of its own (`starts`), so that at any moment customers are at different points
    of their chats, as real ones are."""
    begin = starts(script, lockstep)
    url = f"http://127.0.0.1:{port}/webhooks/twilio"
    per_conn = max(1, phones // connections)
    slot_of = dict(enumerate(slots()))
    if first_slot + phones > len(slot_of):
        raise SystemExit(f"--phones x --repeat must be <= {len(slot_of)} (distinct slots)")
    out: list[list[bytes]] = [[] for _ in range(connections)]
    for c in range(connections):
        customers = [c + k * connections for k in range(per_conn)]
        for i in range(count // connections):
            p = customers[i % per_conn]
            line = (begin[p % len(begin)] + i // per_conn) % len(script)
            text = script[line]
            if "{" in text:
                barber, day, at = slot_of[first_slot + p]
                text = text.format(barber=barber, day=day, time=at)
            params = {"From": f"whatsapp:+4477009{first_phone + first_slot + p:05d}", "To": "whatsapp:+14155238886", "Body": text,
                      "MessageSid": f"SM{tag}{c:04d}{i:08d}", "ProfileName": f"Customer {p}"}
            body = urlencode(params).encode()
            head = (f"POST /webhooks/twilio HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                    f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
                    f"X-Twilio-Signature: {sign(TOKEN, url, params)}\r\n\r\n").encode()
            out[c].append(head + body)
            KINDS[out[c][-1]] = script[line]
    return out


async def drive(port: int, seconds: float, requests: list[list[bytes]],
                by_kind: dict[str, list[float]] | None = None) -> tuple[list[float], int, float]:
    """Latencies, non-200 answers and the elapsed time; each connection stops when time is up or its list ends.

    `by_kind`: also the latencies of each script line."""
    latencies: list[float] = []
    errors = 0
    # The client's own heap (SQLAlchemy, alembic and the NLU, from preparing the database; the
    # prepared requests) is left out of its garbage collections: a full one took 50 ms, every
    # connection's latency at once, and it came in some runs and not in others.
    gc.collect()
    gc.freeze()
    t_start = time.monotonic()
    stop = t_start + seconds

    async def worker(reqs: list[bytes]) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for req in reqs:
                if time.monotonic() >= stop:
                    return
                t0 = time.perf_counter()
                writer.write(req)
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - t0)
                if by_kind is not None:
                    by_kind.setdefault(KINDS.get(req, "?"), []).append(latencies[-1])
                if not head.startswith(b"HTTP/1.1 200"):
                    errors += 1
        finally:
            writer.close()

    await asyncio.gather(*(worker(r) for r in requests))
    elapsed = time.monotonic() - t_start
    gc.unfreeze()
    return latencies, errors, elapsed


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(p / 100 * len(s)))] if s else float("nan")


CANCELLED = "SELECT count(*) FROM booking WHERE status = 'cancelled'"


def db_outcome(url: str) -> str:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        def n(sql: str) -> int:
            return int(conn.exec_driver_sql(sql).scalar() or 0)
        text = (f"{n('SELECT count(*) FROM inbound_message')} messages stored, "
                f"{n('SELECT count(*) FROM inbound_message WHERE reply IS NULL')} without a reply; bookings: "
                f"{n('SELECT count(*) FROM booking')} made, "
                f"{n(CANCELLED)} of them cancelled")
    engine.dispose()
    return text


def nlu_cost() -> float:
    from bot.nlu import understand
    from bot.shop import parse_shop

    shop = parse_shop((ROOT / "bot" / "demo_shop.toml").read_text())
    texts = [t for t in CHAT + TALK if "{" not in t] + [
        "can I get a fade with Sam tomorrow at 3?", "cn i book a hairct tmrw at 5", "move it to 4.30",
        "cancel the friday one", "dec 7 at 10:15, haircut with alex", BOOK.format(barber="sam", day="7 dec",
                                                                                   time="10:30")]
    for t in texts:
        understand(t, now=NOW, shop=shop)
    costs = []
    for _ in range(200):
        for t in texts:
            t0 = time.perf_counter()
            understand(t, now=NOW, shop=shop)
            costs.append(time.perf_counter() - t0)
    return pct(costs, 95)


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL"),
                    help="PostgreSQL server for --backend postgres (a database of the bench's own is made there)")
    ap.add_argument("--workers", type=int, default=1, help="server processes, the same for both sides")
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--mix", choices=sorted(MIXES), default="chat")
    ap.add_argument("--phones", type=int, default=256, help="distinct customers chatting (a multiple of connections)")
    ap.add_argument("--max-rate", type=int, default=4000,
                    help="full turns/s the prepared requests can sustain for --seconds")
    ap.add_argument("--repeat", type=int, default=1,
                    help="bare and full measured this many times, alternately (the machine's speed drifts)")
    ap.add_argument("--staggered", action="store_true",
                    help="customers start at different lines of the script (default: all at the first, so "
                         "all send the same line at once, the worst case)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    script = MIXES[args.mix]
    runs: list[dict[str, tuple[float, float, float, int]]] = []
    by_kind: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "bench_apps.py").write_text(APP_SRC)
        url, dropme = prepare_db(args.backend, Path(tmp), args.database_url)
        env = {"BENCH_DB": url, "BENCH_NOW": NOW.isoformat()}
        try:
            for r in range(args.repeat):
                rows: dict[str, tuple[float, float, float, int]] = {}
                for name in ("bare", "full"):
                    port = free_port()
                    proc = start_server(name, port, args.workers, env, tmp)
                    try:
                        warm = build_requests(port, args.connections, args.connections, args.connections * 8,
                                              TALK, f"w{r}", first_phone=50000 + 1000 * r)  # other customers
                        asyncio.run(drive(port, 5.0, warm))
                        # each repeat: customers and slots of its own
                        if name == "full":
                            count = int(args.max_rate * args.seconds)
                            reqs = build_requests(port, args.connections, args.phones, count, script, f"m{r}",
                                                  first_slot=r * args.phones, lockstep=not args.staggered)
                        else:  # the bare endpoint keeps nothing: a short list, sent over and over
                            reqs = build_requests(port, args.connections, args.phones, args.connections * 40,
                                                  script, f"m{r}", first_slot=r * args.phones,
                                                  lockstep=not args.staggered)
                            reqs = [q * int(1 + args.seconds * 30000 / (len(q) * args.connections)) for q in reqs]
                        lat, errors, elapsed = asyncio.run(drive(port, args.seconds, reqs,
                                                                 by_kind if name == "full" else None))
                    finally:
                        proc.terminate()
                        proc.wait(20)
                    rows[name] = (len(lat) / elapsed, pct(lat, 50) * 1000, pct(lat, 99) * 1000, errors)
                runs.append(rows)
            outcome = db_outcome(url)
        finally:
            if dropme and args.database_url:
                drop_db(args.database_url, dropme)
    print(f"{args.backend}, {args.workers} server process(es), {args.connections} connections, "
          f"mix '{args.mix}' ({len(script)} turns per customer, {args.phones} customers, "
          f"{'staggered' if args.staggered else 'lockstep'})")
    print(f"{'run':<5}{'endpoint':<10}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}{'ratio':>8}")
    for r, rows in enumerate(runs, 1):
        for name, (rps, p50, p99, errors) in rows.items():
            ratio_text = f"{rows['full'][0] / rows['bare'][0]:>8.2f}" if name == "full" else ""
            print(f"{r:<5}{name:<10}{rps:>10.0f}{p50:>10.1f}{p99:>10.1f}{errors:>8}{ratio_text}")
    ratios = sorted(rows["full"][0] / rows["bare"][0] for rows in runs)
    p99s = sorted(rows["full"][2] for rows in runs)
    # the median (of an even number, the worse of the middle two)
    ratio, p99 = ratios[(len(runs) - 1) // 2], p99s[len(runs) // 2]
    which = "" if len(runs) == 1 else f" (median of {len(runs)} runs)"
    print(f"full turn / bare = {ratio:.2f}x{which} (goal >= 0.35x: {'met' if ratio >= 0.35 else 'NOT met'}); "
          f"full p99 {p99:.1f} ms{which} (goal < 50 ms: {'met' if p99 < 50 else 'NOT met'})")
    print(f"the chats: {outcome}")
    # lockstep: every connection sends the same script line at once, so a line's cost x connections
    # is its latency, and the slowest lines decide p99
    print("full turn by message (ms): " + "; ".join(
        f"{text.split(' ')[0] if '{' in text else text[:24]!r} p50 {pct(v, 50) * 1000:.0f} p99 {pct(v, 99) * 1000:.0f}"
        for text, v in by_kind.items()))
    nlu = nlu_cost() * 1000
    print(f"understanding p95 = {nlu:.2f} ms per message (goal < 2 ms: {'met' if nlu < 2 else 'NOT met'})")


if __name__ == "__main__":
    main()
