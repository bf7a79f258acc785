"""A lean fake of Twilio's Messages API for benchmarks: asyncio (uvloop when installed), keep-alive,
a minimal HTTP/1.1 parser, so that the fake takes little of the CPU the bench measures (the real
Twilio does not run on our cores).

    python bench/fake_twilio.py [--latency-ms 0]     # prints its URL, serves until killed

POST …/Messages.json -> 201 {"sid": …}; GET /stats -> {"accepted", "received", "distinct_bodies"}.
`--latency-ms` holds each answer that long (Twilio's own response time), without holding the CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
from urllib.parse import parse_qsl

STATS = {"accepted": 0, "received": 0}
BODIES: set[tuple[str, str]] = set()


def answer(status: int, payload: dict[str, object]) -> bytes:
    data = json.dumps(payload).encode()
    reason = {200: "OK", 201: "Created", 404: "Not Found"}[status]
    return (f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n\r\n").encode() + data


class Twilio(asyncio.Protocol):
    latency = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.buf = b""
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buf[:end].decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if len(self.buf) < end + 4 + length:
                return
            body, self.buf = self.buf[end + 4:end + 4 + length], self.buf[end + 4 + length:]
            self.handle(head.split(" ", 2), body)

    def handle(self, request_line: list[str], body: bytes) -> None:
        method, path = request_line[0], request_line[1]
        if method == "GET" and path.startswith("/stats"):
            self.transport.write(answer(200, {**STATS, "distinct_bodies": len(BODIES)}))
            return
        if method != "POST" or not path.endswith("/Messages.json"):
            self.transport.write(answer(404, {"code": 20404, "message": "not found", "status": 404}))
            return
        form = dict(parse_qsl(body.decode()))
        STATS["received"] += 1
        STATS["accepted"] += 1
        BODIES.add((form.get("To", ""), form.get("Body", "")))
        reply = answer(201, {"sid": f"SM{STATS['accepted']:032d}", "status": "queued",
                             "to": form.get("To"), "body": form.get("Body"), "account_sid": "ACbench"})
        if self.latency:
            asyncio.get_running_loop().call_later(self.latency, self.transport.write, reply)
        else:
            self.transport.write(reply)


async def serve(latency_ms: float) -> None:
    Twilio.latency = latency_ms / 1000
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Twilio, "127.0.0.1", 0, backlog=1024)
    host, port = server.sockets[0].getsockname()[:2]
    print(f"http://{host}:{port}", flush=True)  # noqa: T201 - the bench reads it
    await server.serve_forever()


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--latency-ms", type=float, default=0.0)
    args = ap.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(serve(args.latency_ms))


if __name__ == "__main__":
    main()
