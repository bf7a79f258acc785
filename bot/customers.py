"""Customer rows: created on first contact or booking; hold the reminder opt-out and the 24h window."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from bot.models import Customer


def _insert(s: Session) -> Any:
    return (postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert)(Customer)


def ensure_customer(s: Session, *, phone: str, now: dt.datetime, name: str | None = None) -> None:
    """Insert the customer if new (race-free); fill in a name we did not have."""
    s.execute(_insert(s).values(phone=phone, name=name, reminders_paused=False, created_at=now,
                                last_inbound_at=None).on_conflict_do_nothing(index_elements=["phone"]))
    if name:
        s.execute(sa.update(Customer)
                  .where(col(Customer.phone) == phone, sa.or_(col(Customer.name).is_(None), col(Customer.name) == ""))
                  .values(name=name), execution_options={"synchronize_session": False})


def touch_inbound(s: Session, *, phone: str, now: dt.datetime, name: str | None = None) -> None:
    """Record that the customer wrote to us now (opens WhatsApp's 24-hour window): created if
    new, a missing name filled in. On PostgreSQL the upsert keeps the customer's row locked until
    the transaction ends, so one customer's messages are handled one at a time in any process."""
    stmt = _insert(s).values(phone=phone, name=name, reminders_paused=False, created_at=now, last_inbound_at=now)
    s.execute(stmt.on_conflict_do_update(index_elements=["phone"], set_={
        "last_inbound_at": stmt.excluded.last_inbound_at,
        "name": sa.func.coalesce(sa.func.nullif(Customer.__table__.c.name, ""), stmt.excluded.name),  # type: ignore[attr-defined]
    }))


def set_reminders_paused(s: Session, *, phone: str, paused: bool, now: dt.datetime) -> None:
    ensure_customer(s, phone=phone, now=now)
    cust = s.get(Customer, phone)
    assert cust is not None
    cust.reminders_paused = paused
    s.add(cust)
