"""Customer rows: created on first contact or booking; hold the reminder opt-out and the 24h window."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from bot.booking_sql import session_tx
from bot.models import Customer
from bot.prepared import Tx

CUSTOMER = cast(sa.Table, Customer.__table__)  # type: ignore[attr-defined]


@functools.cache
def _statements(dialect: str) -> dict[str, Any]:
    """Built once per dialect: building a statement costs more than running it (values are bound at execute)."""
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    c = CUSTOMER.c
    return {
        "add": insert(CUSTOMER).on_conflict_do_nothing(index_elements=["phone"]),
        # only a row without a name is touched (and, on PostgreSQL, locked)
        "name": sa.update(CUSTOMER).where(c.phone == sa.bindparam("the_phone"),
                                          sa.or_(c.name.is_(None), c.name == ""))
        .values(name=sa.bindparam("the_name")),
    }


def add_customer(tx: Tx, *, phone: str, now: dt.datetime, name: str | None = None) -> None:
    """Insert the customer if new (race-free); fill in a name we did not have."""
    statements = _statements(tx.dialect.name)
    tx.execute(statements["add"], {"phone": phone, "name": name, "reminders_paused": False, "created_at": now,
                                   "last_inbound_at": None}, keys=True)
    if name:
        tx.execute(statements["name"], {"the_phone": phone, "the_name": name})


def ensure_customer(s: Session, *, phone: str, now: dt.datetime, name: str | None = None) -> None:
    """`add_customer` in the session's transaction."""
    with session_tx(s) as tx:
        add_customer(tx, phone=phone, now=now, name=name)


def touch_inbound(s: Session, *, phone: str, now: dt.datetime, name: str | None = None) -> Customer:
    """Record that the customer wrote to us now (opens WhatsApp's 24-hour window)."""
    ensure_customer(s, phone=phone, now=now, name=name)
    cust = s.get(Customer, phone)
    assert cust is not None
    cust.last_inbound_at = now
    s.add(cust)
    return cust


def set_reminders_paused(s: Session, *, phone: str, paused: bool, now: dt.datetime) -> None:
    ensure_customer(s, phone=phone, now=now)
    cust = s.get(Customer, phone)
    assert cust is not None
    cust.reminders_paused = paused
    s.add(cust)
