"""One inbound WhatsApp message, handled once per MessageSid in one database transaction.

`answer(services, engine, message)`: claim the MessageSid; record the customer's message (which
also locks the customer's row, so one customer's messages are handled one at a time, each
seeing what the one before did, in any number of processes); run the chat turn (`ChatEngine.handle`); store the reply with the claim;
commit; then the queue hears of any reminders and notices (`bot.db.after_commit`). A redelivered MessageSid gets the
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
from sqlmodel import Session

from bot.customers import touch_inbound
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

    If the turn raises, all of it is undone and the apology is stored as the answer instead
    (a redelivery gets the same). If even that cannot be stored, the apology is returned with
    nothing stored, and a redelivery runs the turn again."""
    now = services.now()
    try:
        with services.db.write() as s:
            if not claim_message(s, msg, now):
                return _redelivered(s, msg)
            touch_inbound(s, phone=msg.phone, now=now, name=msg.name)
            xml = twiml(engine.handle(s, phone=msg.phone, text=msg.body, name=msg.name))
            s.execute(_STORE_REPLY, {"sid": msg.sid, "xml": xml})
        return xml
    except Exception:  # noqa: BLE001 - the customer gets an apology, never a traceback
        log.exception("chat turn failed for %s (%s)", mask_phone(msg.phone), msg.sid)
    apology = twiml([r.APOLOGY])
    with services.db.write() as s:
        if not claim_message(s, msg, now, reply=apology):
            return _redelivered(s, msg)
    return apology


def _redelivered(s: Session, msg: Inbound) -> str:
    log.info("redelivery of %s from %s: replaying", msg.sid, mask_phone(msg.phone))
    return s.execute(_STORED_REPLY, {"sid": msg.sid}).scalar() or twiml([])


INBOUND = InboundMessage.__table__  # type: ignore[attr-defined]
# statements built once, run with each call's values (per dialect: the upsert is dialect SQL)
_CLAIM = {name: insert(INBOUND).on_conflict_do_nothing(index_elements=["message_sid"]).returning(INBOUND.c.message_sid)
          for name, insert in (("sqlite", sqlite.insert), ("postgresql", postgresql.insert))}
_STORE_REPLY = sa.update(INBOUND).where(INBOUND.c.message_sid == sa.bindparam("sid")).values(reply=sa.bindparam("xml"))
_STORED_REPLY = sa.select(INBOUND.c.reply).where(INBOUND.c.message_sid == sa.bindparam("sid"))


def claim_message(s: Session, msg: Inbound, now: dt.datetime, *, reply: str | None = None) -> bool:
    """Insert the message; False when its MessageSid is already claimed (a redelivery).

    The primary key decides between concurrent deliveries: exactly one insert wins, in any number
    of threads or processes, and a second one waits for the first's transaction to end."""
    row = {"message_sid": msg.sid, "phone": msg.phone, "body": msg.body[:MAX_STORED_BODY], "reply": reply,
           "created_at": now}
    return s.execute(_CLAIM[s.get_bind().dialect.name], row).first() is not None
