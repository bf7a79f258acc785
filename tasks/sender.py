"""The WhatsApp sender: one method, `send`, returning Twilio's message SID or raising SendFailed.

`TwilioSender` is the real adapter (the Twilio SDK over an `httpx.Client`, so respx can
intercept it and `TWILIO_API_BASE_URL` can point at a local fake); `ConsoleSender`
logs messages for development without credentials; `FakeSender` is the in-memory
double tests use.
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
from twilio.base.exceptions import TwilioRestException
from twilio.http import HttpClient
from twilio.http.response import Response as TwilioResponse
from twilio.rest import Client

from bot.errors import SendFailed
from bot.phones import mask_phone
from bot.settings import Settings

log = logging.getLogger(__name__)

TWILIO_BASE = "https://api.twilio.com"
# Twilio error codes worth another attempt: rate limits, queue overflow, temporary channel trouble.
RETRYABLE_CODES = {"20429", "30001", "63018"}
HTTP_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class OutgoingMessage:
    to: str                                   # E.164, without the whatsapp: prefix
    body: str | None = None                   # free text (inside the 24-hour window)
    content_sid: str | None = None            # an approved template (outside it)
    content_variables: Mapping[str, str] | None = None


class Sender(Protocol):
    def send(self, message: OutgoingMessage) -> str: ...


def classify(status: int | None, code: int | str | None) -> bool:
    """True when a failure is worth retrying: network, 5xx, HTTP 429 or a transient Twilio code."""
    if code is not None and str(code) in RETRYABLE_CODES:
        return True
    if status is None:
        return True
    return status == 429 or status >= 500


class HttpxTwilioClient(HttpClient):
    """The Twilio SDK's HTTP client on an `httpx.Client`; sends what was meant for api.twilio.com
    to `base_url` instead (TWILIO_API_BASE_URL: a local fake in development and benchmarks).

    Network errors become SendFailed(retryable=True, error_code="network")."""

    def __init__(self, base_url: str = TWILIO_BASE, *, timeout: float = HTTP_TIMEOUT_SECONDS) -> None:
        super().__init__(logging.getLogger("twilio.http_client"), False, timeout)
        self.base_url = base_url.rstrip("/")
        self.client = httpx.Client(timeout=timeout)

    def request(self, method: str, uri: str, params: dict[str, object] | None = None,
                data: dict[str, object] | None = None, headers: dict[str, str] | None = None,
                auth: tuple[str, str] | None = None, timeout: float | None = None,
                allow_redirects: bool = False) -> TwilioResponse:
        if uri.startswith(TWILIO_BASE):
            uri = self.base_url + uri[len(TWILIO_BASE):]
        try:
            resp = self.client.request(method.upper(), uri, params=params, data=data,  # type: ignore[arg-type]
                                       headers=headers, auth=auth, timeout=timeout or self.timeout,
                                       follow_redirects=allow_redirects)
        except httpx.HTTPError as exc:
            raise SendFailed(f"network error talking to Twilio: {type(exc).__name__}",
                             retryable=True, error_code="network") from exc
        return TwilioResponse(resp.status_code, resp.text, resp.headers)

    def close(self) -> None:
        self.client.close()


class TwilioSender:
    def __init__(self, *, account_sid: str, auth_token: str, from_: str, base_url: str = TWILIO_BASE,
                 status_callback: str | None = None) -> None:
        self.from_ = from_ if from_.startswith("whatsapp:") else f"whatsapp:{from_}"
        self.status_callback = status_callback
        self.http = HttpxTwilioClient(base_url)
        self.client = Client(account_sid, auth_token, http_client=self.http)
        self.messages = self.client.api.v2010.account.messages

    def send(self, message: OutgoingMessage) -> str:
        kwargs: dict[str, Any] = {"from_": self.from_, "to": f"whatsapp:{message.to}"}
        if message.content_sid:
            kwargs["content_sid"] = message.content_sid
            kwargs["content_variables"] = json.dumps(dict(message.content_variables or {}))
        else:
            kwargs["body"] = message.body or ""
        if self.status_callback:
            kwargs["status_callback"] = self.status_callback
        try:
            msg = self.messages.create(**kwargs)
        except TwilioRestException as exc:
            code = str(exc.code) if exc.code is not None else f"http_{exc.status}"
            raise SendFailed(f"Twilio refused the message ({code}): {exc.msg}",
                             retryable=classify(exc.status, exc.code), error_code=code) from exc
        log.info("sent %s to %s", msg.sid, mask_phone(message.to))
        return str(msg.sid)


class ConsoleSender:
    """Development without Twilio credentials: logs what would have gone out."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)

    def send(self, message: OutgoingMessage) -> str:
        sid = f"SMconsole{next(self._ids):024d}"
        text = message.body if message.body is not None else (
            f"[template {message.content_sid}] {dict(message.content_variables or {})}")
        log.info("WhatsApp to %s (%s): %s", mask_phone(message.to), sid, text)
        return sid


@dataclass
class FakeSender:
    """In-memory sender for tests. `failures` is a queue of SendFailed to raise before succeeding."""

    sent: list[tuple[str, OutgoingMessage]] = field(default_factory=list)
    failures: list[SendFailed] = field(default_factory=list)
    on_send: Callable[[OutgoingMessage], None] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _n: int = 0

    def send(self, message: OutgoingMessage) -> str:
        if self.on_send:
            self.on_send(message)
        with self._lock:
            if self.failures:
                raise self.failures.pop(0)
            self._n += 1
            sid = f"SMfake{self._n:026d}"
            self.sent.append((sid, message))
            return sid


def status_callback_url(settings: Settings) -> str | None:
    if not settings.public_base_url:
        return None
    return settings.public_base_url.rstrip("/") + "/webhooks/twilio/status"


def make_sender(settings: Settings) -> Sender:
    """Twilio when credentials are set; the console sender otherwise (refused in production)."""
    if settings.twilio_configured:
        assert settings.twilio_account_sid is not None
        if not settings.twilio_whatsapp_from:
            raise SendFailed("TWILIO_WHATSAPP_FROM is not set", retryable=False, error_code="config")
        return TwilioSender(account_sid=settings.twilio_account_sid, auth_token=settings.auth_token,
                            from_=settings.twilio_whatsapp_from, base_url=settings.twilio_api_base_url,
                            status_callback=status_callback_url(settings))
    if settings.barberbot_env == "production":
        raise SendFailed("Twilio credentials are required in production", retryable=False,
                         error_code="config")
    return ConsoleSender()
