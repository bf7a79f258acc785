"""Customer rows: created on first contact or booking; hold the reminder opt-out and the 24h window."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from bot.models import Customer


def ensure_customer(s: Session, *, phone: str, now: dt.datetime, name: str | None = None) -> None:
    """Insert the customer if new (race-free); fill in a name we did not have."""
    dialect = s.get_bind().dialect.name
    values = {"phone": phone, "name": name, "reminders_paused": False, "created_at": now}
    table = Customer.__table__  # type: ignore[attr-defined]
    stmt: Any
    if dialect == "postgresql":
        stmt = postgresql.insert(table).values(**values).on_conflict_do_nothing(index_elements=["phone"])
    else:
        stmt = sqlite.insert(table).values(**values).on_conflict_do_nothing(index_elements=["phone"])
    s.execute(stmt)
    if name:
        cust = s.get(Customer, phone)
        if cust is not None and not cust.name:
            cust.name = name
            s.add(cust)


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
