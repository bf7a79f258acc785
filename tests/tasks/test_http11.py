"""The sender's keep-alive HTTP/1.1 transport against a real socket server that answers as scripted."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import httpx
import pytest
import respx

from tasks import http11
from tasks.http11 import KeepAliveTransport

Answer = Callable[[bytes], bytes | None]  # the request's bytes -> what to write back (None: hang up)


class ScriptedServer:
    """Accepts connections; each request is answered by the next script entry (the last one repeats)."""

    def __init__(self, script: list[Answer]) -> None:
        self.script = script
        self.requests: list[bytes] = []
        self.connections = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/2010-04-01/Accounts/AC1/Messages.json"
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buf = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                head, _, rest = buf.partition(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                while len(rest) < length:
                    rest += conn.recv(65536)
                request, buf = head + b"\r\n\r\n" + rest[:length], rest[length:]
                self.requests.append(request)
                answer = self.script[min(len(self.requests), len(self.script)) - 1](request)
                if answer is None:
                    return
                conn.sendall(answer)

    def close(self) -> None:
        self._stop = True
        self.sock.close()


def created(sid: str = "SM1") -> Answer:
    body = f'{{"sid": "{sid}"}}'.encode()
    return lambda _req: (b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(body)) + body


@pytest.fixture
def serve() -> Iterator[Callable[[list[Answer]], ScriptedServer]]:
    servers: list[ScriptedServer] = []

    def start(script: list[Answer]) -> ScriptedServer:
        servers.append(ScriptedServer(script))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


def post(transport: KeepAliveTransport, url: str, body: str = "To=whatsapp%3A%2B447700900123&Body=hi",
         timeout: float = 5.0) -> httpx.Response:
    req = httpx.Request("POST", url, content=body.encode(),
                        headers={"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Basic eA=="},
                        extensions={"timeout": {"read": timeout}})
    answer = transport.handle_request(req)
    answer.read()
    return answer


def test_the_request_arrives_whole_and_the_connection_is_kept_for_the_next(serve: Callable[..., ScriptedServer]) -> None:
    server = serve([created("SM1"), created("SM2")])
    t = KeepAliveTransport()
    first, second = post(t, server.url), post(t, server.url, body="Body=again")
    assert (first.status_code, first.json(), second.json()) == (201, {"sid": "SM1"}, {"sid": "SM2"})
    assert server.connections == 1
    head, _, body = server.requests[0].partition(b"\r\n\r\n")
    assert head.startswith(b"POST /2010-04-01/Accounts/AC1/Messages.json HTTP/1.1\r\n")
    assert head.split(b"\r\n")[1:] == [b"Host: 127.0.0.1:%d" % server.port,
                                        b"Content-Type: application/x-www-form-urlencoded",
                                        b"Authorization: Basic eA==", b"Content-Length: 37"]
    assert body == b"To=whatsapp%3A%2B447700900123&Body=hi"
    t.close()


def test_a_chunked_answer_is_read_whole(serve: Callable[..., ScriptedServer]) -> None:
    chunked = (b"HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"5\r\n{\"cod\r\n11;ext=1\r\ne\": 21211, \"x\": 1\r\n1\r\n}\r\n0\r\nX-Trailer: 1\r\n\r\n")
    server = serve([lambda _r: chunked, created("SM2")])
    t = KeepAliveTransport()
    answer = post(t, server.url)
    assert (answer.status_code, answer.json()) == (400, {"code": 21211, "x": 1})
    assert post(t, server.url).json() == {"sid": "SM2"} and server.connections == 1


def test_connection_close_is_honoured(serve: Callable[..., ScriptedServer]) -> None:
    close = (b"HTTP/1.1 201 Created\r\nConnection: close\r\nContent-Length: 14\r\n\r\n{\"sid\": \"SM1\"}")
    server = serve([lambda _r: close, created("SM2")])
    t = KeepAliveTransport()
    assert post(t, server.url).json() == {"sid": "SM1"}
    assert post(t, server.url).json() == {"sid": "SM2"}
    assert server.connections == 2


def test_an_idle_connection_the_server_closed_is_not_reused(serve: Callable[..., ScriptedServer],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    server = serve([created("SM1"), created("SM2")])
    t = KeepAliveTransport()
    assert post(t, server.url).json() == {"sid": "SM1"}
    (conn,) = t._idle[("http", "127.0.0.1", server.port)]
    conn.sock.shutdown(socket.SHUT_RD)  # as if the server had closed it: reads see EOF at once
    monkeypatch.setattr(http11, "IDLE_CHECK_SECONDS", 0.0)
    assert post(t, server.url).json() == {"sid": "SM2"}
    assert server.connections == 2


def test_a_server_hanging_up_without_answering_is_an_httpx_error(serve: Callable[..., ScriptedServer]) -> None:
    server = serve([lambda _r: None, created("SM2")])
    t = KeepAliveTransport()
    with pytest.raises(httpx.RemoteProtocolError):
        post(t, server.url)
    assert post(t, server.url).json() == {"sid": "SM2"}  # a fresh connection for the next


def test_a_silent_server_times_out(serve: Callable[..., ScriptedServer]) -> None:
    gate = threading.Event()
    server = serve([lambda _r: (gate.wait(5), None)[1]])
    with pytest.raises(httpx.ReadTimeout):
        post(KeepAliveTransport(), server.url, timeout=0.2)
    gate.set()


def test_nothing_listening_is_a_connect_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(httpx.ConnectError):
        post(KeepAliveTransport(), f"http://127.0.0.1:{port}/x")


def test_respx_still_sees_the_request() -> None:
    with respx.mock() as router:
        route = router.post("https://api.twilio.com/x").respond(201, json={"sid": "SMr"})
        assert post(KeepAliveTransport(), "https://api.twilio.com/x").json() == {"sid": "SMr"}
        assert route.called
