"""The rows one webhook turn writes (the message claim, its reply, the customer's last inbound time),
as single Core SQL statements in the caller's transaction (`bot.prepared.Tx`), so a turn's
writes share one commit."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from bot.models import Customer, InboundMessage
from bot.prepared import Tx

INBOUND = cast(sa.Table, InboundMessage.__table__)  # type: ignore[attr-defined]
CUSTOMER = cast(sa.Table, Customer.__table__)  # type: ignore[attr-defined]
MAX_STORED_BODY = 4000


@functools.cache
def _statements(dialect: str) -> dict[str, Any]:
    """Built once per dialect: building a statement costs more than running it (values are bound at execute)."""
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    upsert = insert(CUSTOMER)
    return {
        # RETURNING, not rowcount: psycopg reports -1 for an INSERT ... ON CONFLICT run this way
        "claim": insert(INBOUND).on_conflict_do_nothing(index_elements=["message_sid"])
        .returning(INBOUND.c.message_sid),
        "customer": upsert.on_conflict_do_update(index_elements=["phone"], set_={
            "last_inbound_at": upsert.excluded.last_inbound_at,
            "name": sa.func.coalesce(sa.func.nullif(CUSTOMER.c.name, ""), upsert.excluded.name),
        }),
        "claim_all": insert(INBOUND).on_conflict_do_nothing(index_elements=["message_sid"]),
        "reply": sa.update(INBOUND).where(INBOUND.c.message_sid == sa.bindparam("sid")),
        "stored": sa.select(INBOUND.c.reply).where(INBOUND.c.message_sid == sa.bindparam("sid")),
    }


def claim(tx: Tx, *, sid: str, phone: str, body: str, now: dt.datetime,
          reply: str | None = None) -> bool:
    """Insert the message; False when its MessageSid is already claimed (a redelivery).

    The primary key decides between concurrent deliveries: exactly one insert wins, in any
    number of threads or server processes."""
    row = _message_row(sid, phone, body, now, reply)
    return tx.first(_statements(tx.dialect.name)["claim"], row, keys=True) is not None


def claim_all(tx: Tx, messages: list[tuple[str, str, str, dt.datetime, str | None]]) -> bool:
    """`claim` for many (sid, phone, body, now, reply or None) at once: True when every one was new.
    On False some were already claimed, and the caller rolls back and claims them one by one."""
    rows = [_message_row(*message) for message in messages]
    return tx.execute_many(_statements(tx.dialect.name)["claim_all"], rows) == len(rows)


def record_inbound_all(tx: Tx, customers: list[tuple[str, dt.datetime, str | None]]) -> None:
    """`record_inbound` for many (phone, now, name) at once."""
    tx.execute_many(_statements(tx.dialect.name)["customer"], [_customer_row(*c) for c in customers])


def record_inbound(tx: Tx, *, phone: str, now: dt.datetime, name: str | None) -> None:
    """`bot.customers.touch_inbound` in one statement: the customer is created if new, a missing
    name is filled in, and last_inbound_at (WhatsApp's 24-hour window) becomes `now`."""
    tx.execute(_statements(tx.dialect.name)["customer"], _customer_row(phone, now, name), keys=True)


def _message_row(sid: str, phone: str, body: str, now: dt.datetime, reply: str | None) -> dict[str, Any]:
    return {"message_sid": sid, "phone": phone, "body": body[:MAX_STORED_BODY], "reply": reply, "created_at": now}


def _customer_row(phone: str, now: dt.datetime, name: str | None) -> dict[str, Any]:
    return {"phone": phone, "name": name, "reminders_paused": False, "created_at": now, "last_inbound_at": now}


def store_reply(tx: Tx, sid: str, xml: str) -> None:
    tx.execute(_statements(tx.dialect.name)["reply"], {"reply": xml, "sid": sid}, keys=True)


def store_replies(tx: Tx, replies: list[tuple[str, str]]) -> None:
    """`store_reply` for many (sid, TwiML) at once."""
    tx.execute_many(_statements(tx.dialect.name)["reply"], [{"reply": xml, "sid": sid} for sid, xml in replies])


def stored_reply(tx: Tx, sid: str) -> str | None:
    """The TwiML answered to `sid`; None while its first delivery is still working."""
    return cast(str | None, tx.scalar(_statements(tx.dialect.name)["stored"], {"sid": sid}))
