"""A customer (or barber) chatting through the real, signed webhook."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import xml.etree.ElementTree as ET
from typing import Any

from starlette.testclient import TestClient

from bot.services import Services
from webhooks.signature import sign

WEBHOOK = "/webhooks/twilio"
_sids = itertools.count(1)


def twiml_messages(xml: str) -> list[str]:
    root = ET.fromstring(xml)
    assert root.tag == "Response"
    return [m.text or "" for m in root.findall("Message")]


class Chat:
    def __init__(self, services: Services, client: TestClient, phone: str) -> None:
        self.services = services
        self.client = client
        self.phone = phone
        self.transcript: list[tuple[str, str]] = []  # (who, text)

    @property
    def token(self) -> str:
        return self.services.settings.auth_token

    def post(self, params: dict[str, str], *, signature: str | None = None, url: str | None = None) -> Any:
        full = url or f"http://testserver{WEBHOOK}"
        headers = {}
        if signature is None:
            signature = sign(self.token, full, params)
        if signature:
            headers["X-Twilio-Signature"] = signature
        return self.client.post(WEBHOOK, data=params, headers=headers)

    def send(self, text: str, *, phone: str | None = None, sid: str | None = None) -> list[str]:
        phone = phone or self.phone
        params = {"From": f"whatsapp:{phone}", "To": "whatsapp:+14155238886", "Body": text,
                  "MessageSid": sid or f"SM{next(_sids):032d}", "ProfileName": "Test", "WaId": phone[1:]}
        resp = self.post(params)
        assert resp.status_code == 200, resp.text
        assert resp.headers["content-type"].startswith("application/xml")
        replies = twiml_messages(resp.text)
        self.transcript.append((phone, text))
        self.transcript.extend(("bot", x) for x in replies)
        return replies

    def dump(self) -> str:
        return "\n".join(f"{who:>14}: {text}" for who, text in self.transcript)


OPTION_RE = re.compile(r"^(\d+)\)\s*(.*)$", re.M)


def options(reply: str) -> list[tuple[int, str]]:
    return [(int(m.group(1)), m.group(2)) for m in OPTION_RE.finditer(reply)]


def asks_to_confirm(reply: str) -> bool:
    return bool(re.search(r"\breply\s+yes\b", reply, re.I))


def option_start(text: str, now: dt.datetime, tz: Any) -> dt.datetime | None:
    """'Thu 3 Dec 14:30 with Sam' -> the local datetime (the year of `now`, or the next)."""
    m = re.search(r"(\d{1,2}) ([A-Z][a-z]{2}) (\d{2}):(\d{2})", text)
    if not m:
        return None
    local_now = now.astimezone(tz)
    month = dt.datetime.strptime(m.group(2), "%b").month
    year = local_now.year + (1 if month < local_now.month else 0)
    return dt.datetime(year, month, int(m.group(1)), int(m.group(3)), int(m.group(4)), tzinfo=tz)
