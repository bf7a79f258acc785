"""A local fake of Twilio's Messages API that records every message and can misbehave on purpose.

Generalises tests/tasks/faketwilio.py: besides answering 201 with a fresh SID it
can answer a share of requests with 500 or 429, hang past the client's timeout
without accepting the message (`timeout_rate`), or accept the message and then
hang (`accept_then_timeout_rate`: the case no client can tell from a lost
request, so a retry duplicates it). Rates are read per request, so a scenario
can change them while the stack runs.
"""

from __future__ import annotations

import itertools
import json
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

CLIENT_TIMEOUT_SECONDS = 10.0  # tasks.sender.HTTP_TIMEOUT_SECONDS


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """A worker SIGKILLed mid-request resets its connection: expected here, not worth a traceback."""
        exc = sys.exc_info()[1]
        if not isinstance(exc, ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


@dataclass
class Received:
    at: float
    to: str
    body: str
    sid: str | None
    status: int  # what we answered (0: the client gave up before the answer)


@dataclass
class Faults:
    rate_500: float = 0.0
    rate_429: float = 0.0
    timeout_rate: float = 0.0             # hang, never accept
    accept_then_timeout_rate: float = 0.0  # accept (the customer gets it), then hang
    hang_seconds: float = CLIENT_TIMEOUT_SECONDS + 1.5


@dataclass
class FaultyTwilio:
    faults: Faults = field(default_factory=Faults)
    seed: int = 7
    received: list[Received] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _rng: random.Random = field(default_factory=random.Random)
    server: ThreadingHTTPServer | None = None
    stopping: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def accepted(self) -> list[Received]:
        """Every message Twilio took (and would deliver), including those whose answer was lost."""
        with self._lock:
            return [r for r in self.received if r.sid is not None]

    def answers(self) -> dict[int, int]:
        with self._lock:
            out: dict[int, int] = {}
            for r in self.received:
                out[r.status] = out.get(r.status, 0) + 1
            return out

    def _decide(self) -> str:
        f = self.faults
        x = self._rng.random()
        for kind, rate in (("500", f.rate_500), ("429", f.rate_429), ("timeout", f.timeout_rate),
                           ("accept_timeout", f.accept_then_timeout_rate)):
            if x < rate:
                return kind
            x -= rate
        return "ok"

    def start(self) -> FaultyTwilio:
        fake = self
        self._rng.seed(self.seed)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                to, body = form.get("To", "").removeprefix("whatsapp:"), form.get("Body", "")
                with fake._lock:
                    kind = fake._decide()
                    rec = Received(time.time(), to, body, None, 0)
                    if kind in ("ok", "accept_timeout"):
                        rec.sid = f"SM{next(fake._ids):032d}"
                    fake.received.append(rec)
                if kind in ("timeout", "accept_timeout"):
                    fake.stopping.wait(fake.faults.hang_seconds)
                    self._answer(503, {"code": 20500, "message": "too late"}, rec)
                elif kind == "500":
                    self._answer(500, {"code": 20500, "message": "fake internal error",
                                       "more_info": "", "status": 500}, rec)
                elif kind == "429":
                    self._answer(429, {"code": 20429, "message": "fake too many requests",
                                       "more_info": "", "status": 429}, rec)
                else:
                    self._answer(201, {"sid": rec.sid, "status": "queued", "to": form.get("To"),
                                       "body": body, "account_sid": "ACreliability"}, rec)

            def _answer(self, status: int, payload: dict[str, object], rec: Received) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    return
                rec.status = status

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.request_queue_size = 256
        threading.Thread(target=self.server.serve_forever, daemon=True, name="faulty-twilio").start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
