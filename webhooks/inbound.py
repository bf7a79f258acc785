"""One inbound WhatsApp message, handled once per MessageSid in one database transaction.

`answer(services, engine, message)`: claim the MessageSid; record the customer's message (which
also locks the customer's row, so one customer's messages are handled one at a time, in order, in
any number of processes); run the chat turn (`ChatEngine.handle`); store the reply with the claim;
commit; then the queue hears of any reminders and notices. A redelivered MessageSid gets the
reply stored for it, and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from xml.sax.saxutils import escape

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from bot.customers import touch_inbound
from bot.db import savepoint
from bot.dialogue import ChatEngine
from bot.dialogue import replies as r
from bot.models import InboundMessage
from bot.phones import mask_phone
from bot.services import Services

log = logging.getLogger(__name__)
MAX_STORED_BODY = 4000
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


@dataclass(frozen=True)
class Inbound:
    sid: str
    phone: str  # E.164
    body: str
    name: str | None  # the WhatsApp profile name


def twiml(messages: list[str]) -> str:
    """A TwiML response with one <Message> per non-empty text (characters XML cannot carry dropped)."""
    body = "".join(f"<Message>{escape(_NOT_XML.sub('', m))}</Message>" for m in messages if m)
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>'


def answer(services: Services, engine: ChatEngine, msg: Inbound) -> str:
    """The TwiML answering `msg`, handled at most once per MessageSid.

    Whatever breaks inside the turn is undone and answered with an apology, which is stored
    like any reply (a redelivery gets the same). If the transaction itself fails, nothing is
    stored and the apology is returned: a redelivery runs the turn again."""
    now = services.now()
    with services.db.write() as s:
        if not claim(s, msg, now):
            log.info("redelivery of %s from %s: replaying", msg.sid, mask_phone(msg.phone))
            stored = s.get(InboundMessage, msg.sid)
            return stored.reply if stored is not None and stored.reply else twiml([])
        touch_inbound(s, phone=msg.phone, now=now, name=msg.name)
        try:
            with savepoint(s):
                replies = engine.handle(s, phone=msg.phone, text=msg.body, name=msg.name)
        except Exception:  # noqa: BLE001 - the customer gets an apology, never a traceback
            log.exception("chat turn failed for %s (%s)", mask_phone(msg.phone), msg.sid)
            replies = [r.APOLOGY]
        xml = twiml(replies)
        s.execute(sa.update(InboundMessage).where(col(InboundMessage.message_sid) == msg.sid).values(reply=xml))
    return xml


def claim(s: Session, msg: Inbound, now: dt.datetime) -> bool:
    """Insert the message; False when its MessageSid is already claimed (a redelivery).

    The primary key decides between concurrent deliveries: exactly one insert wins, in any number
    of threads or processes, and a second one waits for the first's transaction to end."""
    insert = postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = (insert(InboundMessage)
            .values(message_sid=msg.sid, phone=msg.phone, body=msg.body[:MAX_STORED_BODY], reply=None, created_at=now)
            .on_conflict_do_nothing(index_elements=["message_sid"])
            .returning(col(InboundMessage.message_sid)))
    return s.execute(stmt).first() is not None
