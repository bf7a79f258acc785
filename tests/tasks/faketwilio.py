"""A tiny threaded fake of Twilio's Messages API that records what it is sent.

POST /2010-04-01/Accounts/{sid}/Messages.json -> 201 {"sid": ...}; GET /stats -> counts. `script` is a
list of (http_status, twilio_code) answers to give before succeeding; `hold`
makes requests wait (as if Twilio were slow) until released.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


@dataclass
class Received:
    at: float
    to: str
    body: str | None
    form: dict[str, str]
    sid: str | None = None
    status: int = 201


@dataclass
class FakeTwilio:
    script: list[tuple[int, int | None]] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    hold: threading.Event | None = None
    accept_after_hold: bool = False  # a held request, once released, is accepted (not 503)
    on_hold: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def accepted(self) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.status == 201]

    def start(self) -> FakeTwilio:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # headers and body go out in two writes: with Nagle on, the body waits for the client's
            # delayed ACK (40 ms a request on Linux), which made this fake the bench's bottleneck
            disable_nagle_algorithm = True

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - GET /stats: what was accepted (for the bench)
                with fake._lock:
                    accepted = [r for r in fake.received if r.status == 201]
                    self._answer(200, {"accepted": len(accepted), "received": len(fake.received),
                                       "distinct_bodies": len({(r.to, r.body) for r in accepted})})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if fake.hold is not None and not fake.hold.is_set():
                    fake.on_hold.set()
                    fake.hold.wait(60)
                    if not fake.accept_after_hold:
                        self._answer(503, {"code": 20500, "message": "held"})
                        return
                with fake._lock:
                    status, code = fake.script.pop(0) if fake.script else (201, None)
                    rec = Received(time.time(), form.get("To", ""), form.get("Body"), form, status=status)
                    if status == 201:
                        rec.sid = f"SM{next(fake._ids):032d}"
                    fake.received.append(rec)
                if status == 201:
                    self._answer(201, {"sid": rec.sid, "status": "queued", "to": rec.to,
                                       "body": rec.body, "account_sid": "ACtest"})
                else:
                    self._answer(status, {"code": code, "message": f"fake error {code}",
                                          "more_info": "", "status": status})

            def _answer(self, status: int, payload: dict[str, object]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.hold is not None:
            self.hold.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


if __name__ == "__main__":  # run standalone: python tests/tasks/faketwilio.py
    f = FakeTwilio().start()
    print(f.url, flush=True)  # noqa: T201 - a dev tool's output
    threading.Event().wait()
