"""Benchmark: full signed chat turns on POST /webhooks/twilio vs a bare Starlette endpoint.

Starts `uvicorn` (same settings for both apps) on a temporary SQLite database with the demo shop,
drives each with N concurrent keep-alive connections of signed requests, and prints throughput and
p50/p99 latency side by side, plus the NLU's cost per message (p95).

    .venv/bin/python bench/webhook.py [--connections 64] [--seconds 10]

Goal: full turn >= 0.35x the bare endpoint's throughput, p99 < 50 ms at 64 connections;
understanding p95 < 2 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from webhooks.signature import sign  # noqa: E402

TOKEN = "bench-token"
TURNS = ["help", "what bookings do I have?", "any slots friday afternoon for a beard trim?",
         "haircut tomorrow at 3pm", "no", "hi", "thanks"]

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
                            barberbot_env="test", api_key="k", log_level="WARNING")
        now = dt.datetime.fromisoformat(os.environ["BENCH_NOW"])
        return create_app(build_services(settings, clock=FixedClock(now), dispatcher=RecordingDispatcher()))
''')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare_db(path: Path, now: dt.datetime) -> str:
    from bot.db import Database, upgrade
    from bot.shop import parse_shop
    from bot.shop_store import load_shop

    url = f"sqlite:///{path}"
    upgrade(url)
    db = Database(url)
    load_shop(db, parse_shop((ROOT / "bot" / "demo_shop.toml").read_text()), now=now)
    db.dispose()
    return url


def start_server(factory: str, port: int, env: dict[str, str], workdir: str) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "uvicorn", f"bench_apps:{factory}", "--factory", "--port", str(port),
           "--host", "127.0.0.1", "--log-level", "warning", "--no-access-log"]
    proc = subprocess.Popen(cmd, env={**os.environ, **env, "PYTHONPATH": f"{workdir}:{ROOT}"}, cwd=workdir)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"{factory} server did not start")


def build_requests(port: int, count: int, phones: int) -> list[bytes]:
    """Signed raw HTTP/1.1 requests, built before the clock starts (the client must not be the bottleneck)."""
    from urllib.parse import urlencode

    url = f"http://127.0.0.1:{port}/webhooks/twilio"
    out = []
    for i in range(count):
        phone = f"+4477009{(i % phones):05d}"
        params = {"From": f"whatsapp:{phone}", "To": "whatsapp:+14155238886",
                  "Body": TURNS[(i // phones) % len(TURNS)], "MessageSid": f"SM{i:032d}"}
        body = urlencode(params).encode()
        head = (f"POST /webhooks/twilio HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
                f"X-Twilio-Signature: {sign(TOKEN, url, params)}\r\n\r\n").encode()
        out.append(head + body)
    return out


async def drive(port: int, connections: int, seconds: float, requests: list[bytes]) -> tuple[int, list[float], int]:
    latencies: list[float] = []
    errors = 0
    stop = time.monotonic() + seconds
    it = iter(requests)

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.monotonic() < stop:
                req = next(it, None)
                if req is None:
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
                if not head.startswith(b"HTTP/1.1 200"):
                    errors += 1
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return len(latencies), latencies, errors


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(p / 100 * len(s)))] if s else float("nan")


def nlu_cost(now: dt.datetime) -> float:
    from bot.nlu import understand
    from bot.shop import parse_shop

    shop = parse_shop((ROOT / "bot" / "demo_shop.toml").read_text())
    texts = TURNS + ["can I get a fade with Sam tomorrow at 3?", "cn i book a hairct tmrw at 5",
                     "move it to 4.30", "cancel the friday one", "dec 7 at 10:15, haircut with alex"]
    for t in texts:
        understand(t, now=now, shop=shop)
    costs = []
    for _ in range(200):
        for t in texts:
            t0 = time.perf_counter()
            understand(t, now=now, shop=shop)
            costs.append(time.perf_counter() - t0)
    return pct(costs, 95)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--phones", type=int, default=64, help="distinct customers chatting")
    ap.add_argument("--requests", type=int, default=40000, help="signed requests prepared per endpoint")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    now = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "bench_apps.py").write_text(APP_SRC)
        url = prepare_db(Path(tmp) / "bench.db", now)
        env = {"BENCH_DB": url, "BENCH_NOW": now.isoformat()}
        rows = {}
        for name in ("bare", "full"):
            port = free_port()
            proc = start_server(name, port, env, tmp)
            try:
                reqs = build_requests(port, args.requests, args.phones)
                asyncio.run(drive(port, args.connections, 1.0, reqs[: args.requests // 10]))  # warm up
                n, lat, errors = asyncio.run(drive(port, args.connections, args.seconds, reqs[args.requests // 10:]))
                seconds = args.seconds if n < len(reqs) - args.requests // 10 else sum(lat) / args.connections
            finally:
                proc.terminate()
                proc.wait(10)
            rows[name] = (n / seconds, pct(lat, 50) * 1000, pct(lat, 99) * 1000, errors)
    print(f"{'endpoint':<10}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}   ({args.connections} connections)")
    for name, (rps, p50, p99, errors) in rows.items():
        print(f"{name:<10}{rps:>10.0f}{p50:>10.1f}{p99:>10.1f}{errors:>8}")
    ratio = rows["full"][0] / rows["bare"][0]
    print(f"full turn / bare = {ratio:.2f}x (goal >= 0.35x); full p99 {rows['full'][2]:.1f} ms (goal < 50 ms)")
    print(f"understanding p95 = {nlu_cost(now) * 1000:.2f} ms per message (goal < 2 ms)")
    print(f"mean turn mix: {statistics.mean(len(t) for t in TURNS):.0f} chars over {len(TURNS)} kinds of turn")


if __name__ == "__main__":
    main()
