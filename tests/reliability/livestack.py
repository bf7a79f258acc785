"""A live barberbot: `barberbot serve` and `barberbot worker` as subprocesses, on a backend we own.

Used by tests/reliability (small N) and bench/scenarios.py, bench/load.py (large N).
Everything the product reads comes from the environment we pass explicitly; the
test process reads the database only to count outcomes.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from webhooks.signature import sign

ROOT = Path(__file__).resolve().parents[2]
BARBERBOT = str(Path(sys.executable).with_name("barberbot"))
API_KEY = "reliability-api-key"
AUTH_TOKEN = "reliability-auth-token"
ACCOUNT_SID = "AC" + "0" * 30 + "re"
WHATSAPP_FROM = "whatsapp:+14155238886"
N_BARBERS = 40
_sids = itertools.count(1)
_run = uuid.uuid4().hex[:6]


def shop_toml(n_barbers: int = N_BARBERS) -> str:
    """Always open, 5-minute slots and services; barber i opens at minute i % 5, so every minute
    of the day is a start time for some barber (reminder tests need appointments a minute away)."""
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    lines = ['[shop]', 'name = "Reliability Cuts"', 'timezone = "Etc/UTC"', "slot_minutes = 5",
             "horizon_days = 30", "[hours]", *[f'{d} = "00:00-24:00"' for d in days],
             "[[services]]", 'key = "haircut"', 'name = "Haircut"', "minutes = 5", 'price = "25.00"',
             'aliases = ["cut", "trim"]']
    for i in range(n_barbers):
        name = "Sam" if i == 0 else f"Barber{i:02d}"
        opening = f"00:{i % 5:02d}-23:55"
        hours = ", ".join(f'{d} = "{opening}"' for d in days)
        lines += ["[[barbers]]", f'key = "{name.lower()}"', f'name = "{name}"',
                  f'phone = "+447690{i:06d}"', f"hours = {{ {hours} }}"]
    return "\n".join(lines) + "\n"


def barber_key(i: int) -> str:
    return "sam" if i == 0 else f"barber{i:02d}"


def barbers_at(minute_of_day: int, n_barbers: int = N_BARBERS) -> list[str]:
    """The barbers whose 5-minute grid contains this minute."""
    return [barber_key(i) for i in range(n_barbers) if (minute_of_day - i % 5) % 5 == 0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate: Callable[[], bool], *, timeout: float, poll: float = 0.1,
             what: str = "condition") -> None:
    """Poll until predicate() holds; AssertionError naming `what` when the deadline passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except Exception:  # noqa: BLE001 - a service restarting: keep polling
            pass
        time.sleep(poll)
    if not predicate():
        raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def phone_for(tag: int, i: int) -> str:
    """Distinct possible UK mobile numbers per scenario tag: +447700 9xxxxx is a reserved range."""
    return f"+4477{(tag * 10000 + i) % 10**8:08d}"


# -- child processes: each in its own session, killed as a group, never left behind -------------

_children: set[subprocess.Popen[bytes]] = set()
_children_lock = threading.Lock()


def spawn(args: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    """Popen in a new session (its own process group), remembered until `kill_group` reaps it, so
    teardown, atexit and SIGTERM can kill the child and everything it started."""
    _install_sigterm_cleanup()
    proc = subprocess.Popen(args, start_new_session=True, **kwargs)
    with _children_lock:
        _children.add(proc)
    return proc


def signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    """Send `sig` to the child's whole process group (the group id is its pid: start_new_session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def kill_group(proc: subprocess.Popen[bytes], *, first: int = signal.SIGKILL, wait: float = 15) -> None:
    """Signal the group with `first`, wait for the child, SIGKILL the group whatever happened (so no
    grandchild survives a graceful stop), and reap."""
    if proc.poll() is None:
        signal_group(proc, first)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(wait)
    signal_group(proc, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(10)
    with _children_lock:
        _children.discard(proc)


def kill_all_children() -> None:
    """Every child this process started and has not reaped: SIGKILL to each group (atexit, SIGTERM)."""
    with _children_lock:
        left = list(_children)
    for proc in left:
        kill_group(proc, wait=5)


atexit.register(kill_all_children)
_sigterm_installed = False


def _install_sigterm_cleanup() -> None:
    """A SIGTERM (CI cancelling the job, `timeout`) skips atexit: make it an exit that runs it."""
    global _sigterm_installed
    if _sigterm_installed or threading.current_thread() is not threading.main_thread():
        return
    _sigterm_installed = True
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        def on_term(signum: int, frame: object) -> None:
            kill_all_children()
            raise SystemExit(128 + signum)
        signal.signal(signal.SIGTERM, on_term)


# -- backends -----------------------------------------------------------------------------------

class RedisServer:
    """Our own redis-server on a free port in a temp dir, no persistence: restart = empty."""

    def __init__(self, workdir: Path) -> None:
        self.dir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.proc = spawn(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        wait_for(lambda: bool(redis.Redis.from_url(self.url).ping()), timeout=10, what="redis-server")

    def kill(self) -> None:
        if self.proc is not None:
            kill_group(self.proc)

    def restart(self, down_seconds: float = 0.5) -> None:
        self.kill()
        time.sleep(down_seconds)  # the outage itself, not a wait for a condition
        self.start()

    def flushall(self) -> None:
        import redis

        redis.Redis.from_url(self.url).flushall()


@dataclass
class Backend:
    name: str
    database_url: str
    redis: RedisServer | None = None
    queue_path: str | None = None
    _cleanup: list[Callable[[], None]] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        out = {"DATABASE_URL": self.database_url}
        if self.redis is not None:
            out["REDIS_URL"] = self.redis.url
        else:
            assert self.queue_path
            out["QUEUE_PATH"] = self.queue_path
        return out

    def close(self) -> None:
        for fn in reversed(self._cleanup):
            with contextlib.suppress(Exception):  # best-effort teardown
                fn()


def sqlite_backend(workdir: Path) -> Backend:
    workdir.mkdir(parents=True, exist_ok=True)
    return Backend("sqlite", f"sqlite:///{workdir}/barberbot.db", queue_path=str(workdir / "queue.db"))


def pg_redis_backend(workdir: Path, admin_url: str) -> Backend:
    """A fresh PostgreSQL database (dropped at close) and our own redis-server."""
    if admin_url.startswith("postgresql://"):
        admin_url = "postgresql+psycopg://" + admin_url.removeprefix("postgresql://")
    name = f"barberbot_rel_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as c:
            c.exec_driver_sql(
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        admin.dispose()

    if shutil.which("redis-server") is None:
        drop()
        raise RuntimeError("redis-server is not installed: the PostgreSQL+Redis scenarios need "
                           "their own Redis they can restart and flush")
    redis = RedisServer(workdir / "redis")
    redis.start()
    backend = Backend("postgres+redis", url, redis=redis)
    backend._cleanup += [drop, redis.kill]
    return backend


# -- the stack ------------------------------------------------------------------------------------

@dataclass
class Stack:
    backend: Backend
    workdir: Path
    twilio_url: str
    interval_seconds: int = 1
    extra_env: dict[str, str] = field(default_factory=dict)
    n_barbers: int = N_BARBERS
    port: int = field(default_factory=free_port)
    server: subprocess.Popen[bytes] | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    worker_starts: int = 0
    _engine: sa.Engine | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items()
                if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")}
        return {
            **keep,
            **self.backend.env(),
            "BARBERBOT_ENV": "development",
            "SHOP_FILE": str(self.workdir / "shop.toml"),
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_WHATSAPP_FROM": WHATSAPP_FROM,
            "TWILIO_API_BASE_URL": self.twilio_url,
            "PUBLIC_BASE_URL": self.url,
            "API_KEY": API_KEY,
            "REMINDER_INTERVAL_SECONDS": str(self.interval_seconds),
            "REMINDER_MAX_ATTEMPTS": "10",
            "REMINDER_RETRY_DELAY_SECONDS": "0.2",
            "REMINDER_RETRY_BACKOFF": "1.5",
            "SEND_RATE_PER_SECOND": "0",
            "RECONCILE_INTERVAL_SECONDS": "1",
            "RECONCILE_GRACE_SECONDS": "1",
            "REMINDER_STUCK_AFTER_SECONDS": "3",
            "LOG_FORMAT": "text",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }

    def _cli(self, *args: str) -> None:
        out = subprocess.run([BARBERBOT, *args], env=self.env(), cwd=self.workdir, capture_output=True,
                             text=True, timeout=120)
        if out.returncode != 0:
            raise RuntimeError(f"barberbot {' '.join(args)} failed: {out.stderr.strip()[-2000:]}")

    def prepare(self, shop: str | None = None) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "shop.toml").write_text(shop or shop_toml(self.n_barbers))
        self._cli("db", "upgrade")
        self._cli("shop", "load", str(self.workdir / "shop.toml"))

    def _spawn(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 - owned by the child
        try:
            return spawn([BARBERBOT, *args], env=self.env(), cwd=self.workdir, stdout=log,
                         stderr=subprocess.STDOUT)
        finally:
            log.close()  # the child has its own copy

    def start_server(self) -> None:
        self.server = self._spawn("server", "serve", "--port", str(self.port))
        wait_for(lambda: httpx.get(self.url + "/healthz", timeout=1).status_code == 200, timeout=30,
                 what="barberbot serve to answer /healthz")

    @contextmanager
    def another_server(self) -> Iterator[str]:
        """A second `barberbot serve` process on the same database and queue; its URL.
        (Signatures are over PUBLIC_BASE_URL, the first server's URL, so one signing serves both.)"""
        port = free_port()
        proc = self._spawn(f"server-{port}", "serve", "--port", str(port))
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for(lambda: httpx.get(url + "/healthz", timeout=1).status_code == 200, timeout=30,
                     what="a second barberbot serve to answer /healthz")
            yield url
        finally:
            kill_group(proc, first=signal.SIGTERM, wait=15)

    def start_worker(self, threads: int = 4) -> subprocess.Popen[bytes]:
        self.worker_starts += 1
        w = self._spawn(f"worker{len(self.workers)}", "worker", "--workers", str(threads))
        self.workers.append(w)
        return w

    def live_workers(self) -> list[subprocess.Popen[bytes]]:
        return [w for w in self.workers if w.poll() is None]

    def kill_workers(self, sig: int = signal.SIGKILL) -> None:
        """`sig` to every live worker's process group at once, then wait for each (SIGKILL after 30 s)."""
        live = self.live_workers()
        for w in live:
            signal_group(w, sig)
        for w in self.workers:
            kill_group(w, first=sig, wait=30)

    def stop_workers_gracefully(self) -> None:
        """SIGINT: Huey finishes the tasks it is running, then exits."""
        self.kill_workers(signal.SIGINT)

    def stop(self) -> None:
        self.kill_workers(signal.SIGKILL)
        if self.server is not None:
            kill_group(self.server, first=signal.SIGTERM, wait=15)
        if self._engine is not None:
            self._engine.dispose()

    def rss_kib(self) -> dict[str, int]:
        """Resident memory of the server and each live worker (from /proc)."""
        out = {}
        procs = [("server", self.server)] + [(f"worker{i}", w) for i, w in enumerate(self.workers)]
        for name, p in procs:
            if p is None or p.poll() is not None:
                continue
            try:
                for line in Path(f"/proc/{p.pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        out[name] = int(line.split()[1])
            except OSError:
                pass
        return out

    # -- reading the database (observation only) ---------------------------------------------

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:
            self._engine = sa.create_engine(self.backend.database_url, pool_pre_ping=True)
        return self._engine

    def query(self, sql: str, **params: Any) -> list[Any]:
        with self.engine.connect() as c:
            return list(c.execute(sa.text(sql), params).all())

    # -- talking to it -------------------------------------------------------------------------

    def api(self, timeout: float = 30) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=timeout,
                            headers={"Authorization": f"Bearer {API_KEY}"})

    def webhook_params(self, phone: str, body: str, sid: str | None = None) -> dict[str, str]:
        return {"From": f"whatsapp:{phone}", "To": WHATSAPP_FROM, "Body": body,
                "MessageSid": sid or f"SMrel{_run}{next(_sids):026d}", "ProfileName": "Tester",
                "WaId": phone[1:], "NumMedia": "0", "AccountSid": ACCOUNT_SID}

    def signed_headers(self, params: dict[str, str], path: str = "/webhooks/twilio") -> dict[str, str]:
        return {"X-Twilio-Signature": sign(AUTH_TOKEN, self.url + path, params)}


@contextmanager
def running_stack(backend: Backend, twilio_url: str, *, workdir: Path | None = None,
                  interval_seconds: int = 1, worker: bool = True, n_barbers: int = N_BARBERS,
                  extra_env: dict[str, str] | None = None) -> Iterator[Stack]:
    tmp = workdir or Path(tempfile.mkdtemp(prefix="barberbot-rel-"))
    stack = Stack(backend, tmp / "stack", twilio_url, interval_seconds, extra_env or {}, n_barbers)
    stack.prepare()
    try:
        stack.start_server()
        if worker:
            stack.start_worker()
        yield stack
    finally:
        stack.stop()


# -- a chat turn --------------------------------------------------------------------------------

def twiml_texts(xml: str) -> list[str]:
    import xml.etree.ElementTree as ET

    root = ET.fromstring(xml)
    return [m.text or "" for m in root.findall("Message")]


class Counter5xx:
    """Counts answers >= 500 across threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.n = 0
        self.total = 0

    def saw(self, status: int) -> None:
        with self.lock:
            self.total += 1
            if status >= 500:
                self.n += 1


def say(stack: Stack, client: httpx.Client, phone: str, body: str, *, sid: str | None = None,
        seen: Counter5xx | None = None) -> list[str]:
    p = stack.webhook_params(phone, body, sid)
    r = client.post("/webhooks/twilio", data=p, headers=stack.signed_headers(p))
    if seen is not None:
        seen.saw(r.status_code)
    r.raise_for_status()
    return twiml_texts(r.text)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
