"""A lean HTTP/1.1 keep-alive transport for httpx, for the one request shape the sender makes.

Why: a reminder's send is one small POST to one host. httpx's default transport runs it through
httpcore and h11, which cost ~0.4 ms of CPU a request here and up to seven system calls (two
sends, a poll, timeout toggles), each of which hands the GIL to another worker thread. This one
writes the request with one `sendall`, reads the answer with as few `recv`s as it takes, and
keeps the connection for the next send: ~0.1 ms.

What it does not do: HTTP/2, proxies, redirects, `Expect: 100-continue`, streaming. The
sender needs none of them (the SDK sends Basic auth and never follows redirects).

respx (and any other test double that patches httpcore's connection pool) still sees every
request: while httpcore's pool is patched, requests go through the inherited httpx transport.
"""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
import threading
import time
from typing import Any

import httpcore
import httpx

_HTTPCORE_HANDLE = httpcore.ConnectionPool.handle_request
IDLE_CHECK_SECONDS = 0.5   # a connection idle longer than this is checked for a server-side close
MAX_HEAD_BYTES = 64 * 1024
MAX_BODY_BYTES = 16 * 1024 * 1024


class _Conn:
    __slots__ = ("sock", "buf", "last_used", "timeout")

    def __init__(self, sock: socket.socket, timeout: float) -> None:
        self.sock = sock
        self.buf = b""
        self.last_used = time.monotonic()
        self.timeout = timeout

    def usable(self) -> bool:
        """False when the server closed (or wrote to) an idle connection: it can't carry a request."""
        if time.monotonic() - self.last_used < IDLE_CHECK_SECONDS:
            return True
        try:
            readable, _, _ = select.select([self.sock], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


class KeepAliveTransport(httpx.HTTPTransport):
    """httpx transport: HTTP/1.1 over kept-alive sockets, thread-safe, one request per connection at a time."""

    def __init__(self, *, max_idle: int = 64, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_idle = max_idle
        self._idle: dict[tuple[str, str, int], list[_Conn]] = {}
        self._lock = threading.Lock()
        self._ssl: ssl.SSLContext | None = None

    # -- connections ---------------------------------------------------------------------------

    def _origin(self, url: httpx.URL) -> tuple[str, str, int]:
        scheme = url.scheme
        if scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {scheme!r}")
        return scheme, url.host, url.port or (443 if scheme == "https" else 80)

    def _checkout(self, origin: tuple[str, str, int], timeout: float) -> _Conn:
        while True:
            with self._lock:
                idle = self._idle.get(origin)
                conn = idle.pop() if idle else None
            if conn is None:
                return self._connect(origin, timeout)
            if conn.usable():
                if conn.timeout != timeout:
                    conn.sock.settimeout(timeout)
                    conn.timeout = timeout
                return conn
            conn.close()

    def _checkin(self, origin: tuple[str, str, int], conn: _Conn) -> None:
        conn.last_used = time.monotonic()
        with self._lock:
            idle = self._idle.setdefault(origin, [])
            if len(idle) < self.max_idle:
                idle.append(conn)
                return
        conn.close()

    def _connect(self, origin: tuple[str, str, int], timeout: float) -> _Conn:
        scheme, host, port = origin
        try:
            sock = socket.create_connection((host, port), timeout=timeout)
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(str(exc)) from exc
        except OSError as exc:
            raise httpx.ConnectError(str(exc)) from exc
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if scheme == "https":
            if self._ssl is None:
                self._ssl = httpx.create_ssl_context()
            try:
                sock = self._ssl.wrap_socket(sock, server_hostname=host)
            except TimeoutError as exc:
                sock.close()
                raise httpx.ConnectTimeout(str(exc)) from exc
            except (OSError, ssl.SSLError) as exc:
                sock.close()
                raise httpx.ConnectError(str(exc)) from exc
        return _Conn(sock, timeout)

    def close(self) -> None:
        with self._lock:
            conns = [c for idle in self._idle.values() for c in idle]
            self._idle.clear()
        for c in conns:
            c.close()
        super().close()

    # -- one exchange --------------------------------------------------------------------------

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if httpcore.ConnectionPool.handle_request is not _HTTPCORE_HANDLE:
            return super().handle_request(request)  # httpcore is patched (respx.mock): go through it
        timeouts = request.extensions.get("timeout") or {}
        timeout = float(timeouts.get("read") or 10.0)
        origin = self._origin(request.url)
        body = request.read()
        head = [request.method.encode(), b" ", request.url.raw_path, b" HTTP/1.1\r\n"]
        for name, value in request.headers.raw:
            head += (name, b": ", value, b"\r\n")
        head.append(b"\r\n")
        payload = b"".join(head) + body
        conn = self._checkout(origin, timeout)
        try:
            try:
                conn.sock.sendall(payload)
            except TimeoutError as exc:
                raise httpx.WriteTimeout(str(exc), request=request) from exc
            except OSError as exc:
                raise httpx.WriteError(str(exc), request=request) from exc
            status, headers, content, keep = self._read_response(conn, request)
        except BaseException:
            conn.close()  # half a request or half an answer on it: never reuse
            raise
        if keep:
            self._checkin(origin, conn)
        else:
            conn.close()
        return httpx.Response(status, headers=headers, content=content, request=request)

    def _recv(self, conn: _Conn, request: httpx.Request) -> bytes:
        try:
            data = conn.sock.recv(65536)
        except TimeoutError as exc:
            raise httpx.ReadTimeout(str(exc), request=request) from exc
        except OSError as exc:
            raise httpx.ReadError(str(exc), request=request) from exc
        return data

    def _read_response(self, conn: _Conn, request: httpx.Request
                       ) -> tuple[int, list[tuple[bytes, bytes]], bytes, bool]:
        buf = conn.buf
        while True:  # the status line and headers
            end = buf.find(b"\r\n\r\n")
            if end >= 0:
                break
            if len(buf) > MAX_HEAD_BYTES:
                raise httpx.RemoteProtocolError("response head too large", request=request)
            data = self._recv(conn, request)
            if not data:
                raise httpx.RemoteProtocolError("server closed the connection without answering",
                                                request=request)
            buf += data
        lines = buf[:end].split(b"\r\n")
        rest = buf[end + 4:]
        parts = lines[0].split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
            raise httpx.RemoteProtocolError(f"bad status line {lines[0][:80]!r}", request=request)
        status = int(parts[1])
        headers: list[tuple[bytes, bytes]] = []
        length: int | None = None
        chunked = False
        keep = parts[0] == b"HTTP/1.1"
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if not sep:
                raise httpx.RemoteProtocolError("bad header line", request=request)
            name, value = name.strip(), value.strip()
            headers.append((name, value))
            lower = name.lower()
            if lower == b"content-length":
                if not value.isdigit():
                    raise httpx.RemoteProtocolError("bad Content-Length", request=request)
                length = int(value)
            elif lower == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif lower == b"connection":
                v = value.lower()
                keep = (keep and b"close" not in v) or b"keep-alive" in v
        if request.method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            content, rest = b"", rest
        elif chunked:
            content, rest = self._read_chunked(conn, request, rest)
        elif length is not None:
            if length > MAX_BODY_BYTES:
                raise httpx.RemoteProtocolError("response body too large", request=request)
            while len(rest) < length:
                data = self._recv(conn, request)
                if not data:
                    raise httpx.RemoteProtocolError("connection closed mid-body", request=request)
                rest += data
            content, rest = rest[:length], rest[length:]
        else:  # delimited by the server closing the connection
            chunks = [rest]
            while data := self._recv(conn, request):
                chunks.append(data)
            content, rest, keep = b"".join(chunks), b"", False
        conn.buf = rest
        return status, headers, content, keep

    def _read_chunked(self, conn: _Conn, request: httpx.Request, buf: bytes) -> tuple[bytes, bytes]:
        out: list[bytes] = []
        total = 0
        while True:
            while (eol := buf.find(b"\r\n")) < 0:
                buf = self._more(conn, request, buf)
            size_text = buf[:eol].split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError as exc:
                raise httpx.RemoteProtocolError("bad chunk size", request=request) from exc
            buf = buf[eol + 2:]
            if size == 0:  # trailers, then the final empty line
                while (eol := buf.find(b"\r\n")) != 0:
                    buf = self._more(conn, request, buf) if eol < 0 else buf[eol + 2:]
                return b"".join(out), buf[2:]
            total += size
            if total > MAX_BODY_BYTES:
                raise httpx.RemoteProtocolError("response body too large", request=request)
            while len(buf) < size + 2:
                buf = self._more(conn, request, buf)
            out.append(buf[:size])
            buf = buf[size + 2:]

    def _more(self, conn: _Conn, request: httpx.Request, buf: bytes) -> bytes:
        data = self._recv(conn, request)
        if not data:
            raise httpx.RemoteProtocolError("connection closed mid-body", request=request)
        return buf + data
