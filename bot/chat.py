"""`barberbot chat --from +E164`: talk to a running bot the way WhatsApp would, with no Twilio account.

Each line you type is posted to `/webhooks/twilio` as the form Twilio sends,
signed with `TWILIO_AUTH_TOKEN` over `PUBLIC_BASE_URL` (or `--url`) + the path,
exactly like Twilio's `X-Twilio-Signature`. The TwiML the bot answers with is
printed as plain text. Meanwhile `GET /api/messages` is polled, so what the
worker sends to your number (reminders, cancellation notices) shows up as it
goes out.

Interactive on a terminal; in a pipe it reads one message per line, echoes it,
and at end of input waits `--wait` seconds for the worker before exiting.
"""

from __future__ import annotations

import sys
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

import httpx

from bot.cli import UserError
from bot.phones import InvalidPhone, normalize_phone
from bot.settings import Settings
from webhooks.signature import sign

DEFAULT_URL = "http://127.0.0.1:8000"
WEBHOOK_PATH = "/webhooks/twilio"
SANDBOX_FROM = "whatsapp:+14155238886"
FAKE_ACCOUNT_SID = "AC" + "0" * 32
POLL_SECONDS = 0.5
TIMEOUT_SECONDS = 30.0


class ChatError(UserError):
    """The bot could not be reached or refused us; one line for the user."""


# -- pure pieces ---------------------------------------------------------------


def twilio_form(phone: str, body: str, *, to: str, account_sid: str, profile_name: str,
                message_sid: str | None = None) -> dict[str, str]:
    """The form fields Twilio posts for an incoming WhatsApp text."""
    return {
        "From": f"whatsapp:{phone}", "To": to if to.startswith("whatsapp:") else f"whatsapp:{to}",
        "Body": body, "MessageSid": message_sid or "SM" + uuid.uuid4().hex,
        "AccountSid": account_sid, "ProfileName": profile_name, "WaId": phone.lstrip("+"),
        "NumMedia": "0", "NumSegments": "1", "SmsStatus": "received", "ApiVersion": "2010-04-01",
    }


def twiml_messages(xml: str) -> list[str]:
    """The texts of a TwiML `<Response>`'s `<Message>`s (plain or with a `<Body>`)."""
    if not xml.strip():
        return []
    root = ET.fromstring(xml)
    out = []
    for msg in root.iter("Message"):
        body = msg.find("Body")
        text = (body.text if body is not None else msg.text) or ""
        media = [m.text for m in msg.iter("Media") if m.text]
        out.append("\n".join([text.strip(), *(f"[media] {m}" for m in media)]).strip())
    return out


def format_message(who: str, text: str) -> str:
    """'bot: first line' with continuation lines indented under it."""
    lines = text.splitlines() or [""]
    pad = " " * (len(who) + 2)
    return "\n".join([f"{who}: {lines[0]}", *(pad + line for line in lines[1:])])


# -- the edge: HTTP --------------------------------------------------------------


@dataclass
class BotConnection:
    base_url: str
    sign_url: str
    auth_token: str
    api_key: str | None
    to: str
    account_sid: str
    phone: str
    profile_name: str = "Guest"
    transport: httpx.BaseTransport | None = None
    cursor: str | None = None
    seen: set[str] = field(default_factory=set)
    worker_messages: bool = True

    def __post_init__(self) -> None:
        self._http = httpx.Client(base_url=self.base_url, timeout=TIMEOUT_SECONDS, transport=self.transport)
        self._poll_http = httpx.Client(base_url=self.base_url, timeout=10.0, transport=self.transport)

    def close(self) -> None:
        self._http.close()
        self._poll_http.close()

    def _unreachable(self, exc: httpx.HTTPError) -> ChatError:
        return ChatError(f"cannot reach the bot at {self.base_url} ({type(exc).__name__}): "
                         "is `barberbot run` running there?")

    def send(self, body: str) -> list[str]:
        form = twilio_form(self.phone, body, to=self.to, account_sid=self.account_sid,
                           profile_name=self.profile_name)
        headers = {"X-Twilio-Signature": sign(self.auth_token, self.sign_url, form),
                   "User-Agent": "TwilioProxy/1.1 (barberbot chat)"}
        try:
            resp = self._http.post(WEBHOOK_PATH, data=form, headers=headers)
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from exc
        if resp.status_code == 403:
            raise ChatError(f"the bot rejected the signature (403): the message was signed for "
                            f"{self.sign_url}; TWILIO_AUTH_TOKEN and PUBLIC_BASE_URL must match the server's")
        if resp.status_code == 404:
            raise ChatError(f"{self.base_url}{WEBHOOK_PATH} is not there (404): is this a barberbot?")
        if resp.status_code >= 400:
            raise ChatError(f"the bot answered HTTP {resp.status_code}: {resp.text[:200].strip()}")
        try:
            return twiml_messages(resp.text)
        except ET.ParseError as exc:
            raise ChatError(f"the bot's reply is not TwiML: {resp.text[:120]!r}") from exc

    def poll(self) -> list[dict[str, Any]]:
        """New messages the worker sent to our number since the last poll (none on the first call)."""
        if not self.worker_messages:
            return []
        params = {"to": self.phone}
        if self.cursor is None:
            params["limit"] = "0"
        else:
            params["after"] = self.cursor
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        try:
            resp = self._poll_http.get("/api/messages", params=params, headers=headers)
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from exc
        if resp.status_code == 401:
            raise ChatError("the API refused our key (401): set API_KEY to the server's to see "
                            "the messages the worker sends")
        if resp.status_code == 404:
            self.worker_messages = False
            raise ChatError("this bot has no /api/messages: the worker's messages will not be shown")
        if resp.status_code >= 400:
            raise ChatError(f"GET /api/messages answered HTTP {resp.status_code}")
        data = resp.json()
        self.cursor = data.get("cursor") or self.cursor
        fresh = [m for m in data.get("messages", []) if m.get("id") not in self.seen]
        self.seen.update(m["id"] for m in fresh)
        return fresh


def connection_for(settings: Settings, phone: str, url: str | None, *, name: str = "Guest",
                   transport: httpx.BaseTransport | None = None) -> BotConnection:
    base = (url or DEFAULT_URL).rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise UserError(f"--url must start with http:// or https://, got {base!r}")
    try:
        phone = normalize_phone(phone)
    except InvalidPhone as exc:
        raise UserError(f"--from must be an E.164 number like +447700900123, got {phone!r}") from exc
    sign_base = (settings.public_base_url or base).rstrip("/")
    return BotConnection(
        base_url=base, sign_url=sign_base + WEBHOOK_PATH, auth_token=settings.auth_token,
        api_key=settings.api_key.get_secret_value() if settings.api_key else None,
        to=settings.twilio_whatsapp_from or SANDBOX_FROM,
        account_sid=settings.twilio_account_sid or FAKE_ACCOUNT_SID, phone=phone, profile_name=name,
        transport=transport)


# -- the loop --------------------------------------------------------------------


class Transcript:
    """Prints from two threads without interleaving; redraws the prompt on a terminal."""

    def __init__(self, out: TextIO, *, prompt: str | None) -> None:
        self.out = out
        self.prompt = prompt
        self.lock = threading.Lock()
        self.waiting_for_input = False

    def line(self, text: str, *, from_worker: bool = False) -> None:
        with self.lock:
            redraw = from_worker and self.prompt and self.waiting_for_input
            if redraw:
                self.out.write("\r\033[K")
            self.out.write(text + "\n")
            if redraw:
                self.out.write(self.prompt or "")
            self.out.flush()


def worker_line(m: dict[str, Any]) -> str:
    stamp = str(m.get("sentAt") or "")[11:16]
    return format_message(f"bot [{m.get('kind', 'message')} {stamp}]", str(m.get("body", "")))


def _poller(conn: BotConnection, transcript: Transcript, stop: threading.Event,
            errors: list[ChatError]) -> None:
    while not stop.wait(POLL_SECONDS):
        try:
            for m in conn.poll():
                transcript.line(worker_line(m), from_worker=True)
        except ChatError as exc:
            if not conn.worker_messages:  # 404: say so once, keep chatting
                transcript.line(f"barberbot: {exc}", from_worker=True)
                return
            errors.append(exc)
            return


def chat(conn: BotConnection, lines: Iterable[str], transcript: Transcript, *, interactive: bool,
         wait: float) -> int:
    """Send each line, print replies and worker messages; raises ChatError when the bot is lost."""
    conn.poll()  # checks the bot is there and takes the cursor: only new messages from here on
    stop = threading.Event()
    poll_errors: list[ChatError] = []
    poller = threading.Thread(target=_poller, args=(conn, transcript, stop, poll_errors),
                              name="chat-poller", daemon=True)
    poller.start()
    if interactive:
        transcript.line(f"chatting with {conn.base_url} as {conn.phone} — Ctrl-D to quit")
    try:
        for raw in lines:
            text = raw.rstrip("\r\n")
            if not text.strip():
                continue
            if poll_errors:
                raise poll_errors[0]
            if not interactive:
                transcript.line(f"you: {text}")
            try:
                replies = conn.send(text)
            except ChatError as exc:
                if not interactive:
                    raise
                transcript.line(f"barberbot: {exc}")
                continue
            for reply in replies:
                transcript.line(format_message("bot", reply))
        end = time.monotonic() + wait
        while time.monotonic() < end and not poll_errors:
            time.sleep(min(0.1, max(0.0, end - time.monotonic())))
    finally:
        stop.set()
        poller.join(timeout=5)
    if poll_errors:
        raise poll_errors[0]
    for m in conn.poll():  # anything that went out in the last instant
        transcript.line(worker_line(m))
    return 0


def _interactive_lines(transcript: Transcript) -> Iterator[str]:
    import readline  # noqa: F401 - line editing and history for input()

    while True:
        transcript.waiting_for_input = True
        try:
            line = input(transcript.prompt or "")
        except EOFError:
            print()
            return
        finally:
            transcript.waiting_for_input = False
        yield line


def run_chat(settings: Settings, *, phone: str, url: str | None = None, wait: float = 3.0, name: str = "Guest",
             stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    """The `barberbot chat` command: interactive on a terminal, line by line in a pipe. `name` is
    sent as the WhatsApp profile name (Twilio's ProfileName), which barbers see on bookings."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    for stream in (stdin, stdout):
        if not stream.isatty() and hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8")
    conn = connection_for(settings, phone, url, name=name)
    interactive = stdin.isatty() and stdout.isatty()
    transcript = Transcript(stdout, prompt="you> " if interactive else None)
    lines: Iterable[str] = _interactive_lines(transcript) if interactive else stdin
    try:
        return chat(conn, lines, transcript, interactive=interactive, wait=0.0 if interactive else wait)
    except KeyboardInterrupt:
        return 130
    finally:
        conn.close()
