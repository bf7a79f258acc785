"""One customer's messages are handled one at a time, each seeing what the one before did,
however they arrive: here a "yes" and a "no" to a pending move arriving at the same moment
on one event loop (as two connections to one server process deliver them)."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import xml.etree.ElementTree as ET
from collections.abc import Callable

import httpx

from bot.app import create_app
from bot.services import Services
from webhooks.signature import sign

CUSTOMER = "+447700900123"
URL = "http://testserver/webhooks/twilio"
_sids = itertools.count(1)


def _params(text: str) -> dict[str, str]:
    return {"From": f"whatsapp:{CUSTOMER}", "To": "whatsapp:+14155238886", "Body": text,
            "MessageSid": f"SMorder{next(_sids):026d}", "ProfileName": "Ana"}


async def _send(client: httpx.AsyncClient, services: Services, text: str) -> list[str]:
    p = _params(text)
    resp = await client.post(URL, data=p, headers={"X-Twilio-Signature": sign(services.settings.auth_token, URL, p)})
    assert resp.status_code == 200
    return [m.text or "" for m in ET.fromstring(resp.text).findall("Message")]


def test_yes_and_no_to_a_move_at_the_same_moment_answer_as_one_after_the_other(
        make_services: Callable[..., Services], db_url: str) -> None:
    services = make_services(db_url)
    booking = services.bookings.create(customer_phone=CUSTOMER, service="haircut", barber="sam",
                                       start=dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.UTC))
    app = create_app(services)

    async def chat() -> list[list[str]]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
            asked = await _send(client, services, "move my haircut to 11:00 tomorrow")
            assert "YES" in asked[-1], asked
            return list(await asyncio.gather(_send(client, services, "yes"), _send(client, services, "no")))

    yes, no = asyncio.run(chat())
    moved = services.bookings.get(booking.id).start_at == dt.datetime(2026, 12, 3, 11, 0, tzinfo=dt.UTC)  # type: ignore[arg-type]
    said_moved = any("Done" in m for m in yes + no)
    said_kept = any("stays as it was" in m for m in yes + no)
    assert moved == said_moved, (yes, no)
    assert not (said_moved and said_kept), (yes, no)  # one of them came first, and the other saw it
