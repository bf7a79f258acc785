"""Customer rows: created on first contact or booking; hold the reminder opt-out and the 24h window."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from bot.models import Customer

CUSTOMER = Customer.__table__  # type: ignore[attr-defined]


def _upsert_touch(insert: Any) -> Any:
    stmt = insert(CUSTOMER)
    return stmt.on_conflict_do_update(index_elements=["phone"], set_={
        "last_inbound_at": stmt.excluded.last_inbound_at,
        "name": sa.func.coalesce(sa.func.nullif(CUSTOMER.c.name, ""), stmt.excluded.name),
    })


# statements built once, run with each call's values (per dialect: the upsert is dialect SQL)
_ADD = {"sqlite": sqlite.insert(CUSTOMER).on_conflict_do_nothing(index_elements=["phone"]),
        "postgresql": postgresql.insert(CUSTOMER).on_conflict_do_nothing(index_elements=["phone"])}
_TOUCH = {"sqlite": _upsert_touch(sqlite.insert), "postgresql": _upsert_touch(postgresql.insert)}
_NAME = (sa.update(CUSTOMER)
         .where(CUSTOMER.c.phone == sa.bindparam("the_phone"), sa.or_(CUSTOMER.c.name.is_(None), CUSTOMER.c.name == ""))
         .values(name=sa.bindparam("the_name")))


def _row(phone: str, name: str | None, now: dt.datetime, last_inbound_at: dt.datetime | None) -> dict[str, Any]:
    return {"phone": phone, "name": name, "reminders_paused": False, "created_at": now,
            "last_inbound_at": last_inbound_at}


def ensure_customer(s: Session, *, phone: str, now: dt.datetime, name: str | None = None) -> None:
    """Insert the customer if new (race-free); fill in a name we did not have."""
    s.execute(_ADD[s.get_bind().dialect.name], _row(phone, name, now, None))
    if name:
        s.execute(_NAME, {"the_phone": phone, "the_name": name})


def touch_inbound(s: Session, *, phone: str, now: dt.datetime, name: str | None = None) -> None:
    """Record that the customer wrote to us now (opens WhatsApp's 24-hour window): created if
    new, a missing name filled in. On PostgreSQL the upsert keeps the customer's row locked until
    the transaction ends, so one customer's messages are handled one at a time in any process."""
    s.execute(_TOUCH[s.get_bind().dialect.name], _row(phone, name, now, now))


def set_reminders_paused(s: Session, *, phone: str, paused: bool, now: dt.datetime) -> None:
    ensure_customer(s, phone=phone, now=now)
    cust = s.get(Customer, phone)
    assert cust is not None
    cust.reminders_paused = paused
    s.add(cust)
