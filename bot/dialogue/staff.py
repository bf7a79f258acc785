"""The edge of the dialogue's messages to people: a customer running late, a customer handed to a
person, the owner handing them back; and the customer facts the dialogue reads for that.

`carry_out(services, session, action, now)` performs a `NotifyStaff`, `Handoff` or `Resume`:
messages go out as OutboundMessage rows, handed to the dispatcher once the transaction commits
(the caller's `session`, else one of our own). `customer_facts(services, phone, session)` gives the
dialogue lazy readers of the customer's recent bookings, hand-off state and last messages.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from bot.customers import ensure_customer
from bot.db import after_commit
from bot.models import Booking, Conversation, Customer, InboundMessage, OutboundMessage
from bot.services import Services

from .model import Convo, CustomerFacts, Handoff, NotifyStaff, PastBooking, Resume, convo_data

RECENT = 20


def carry_out(services: Services, session: Session | None, action: NotifyStaff | Handoff | Resume,
              now: dt.datetime) -> list[str]:
    """Perform `action` in `session` (or a write transaction of our own); the extra replies (none)."""
    if session is None:
        with services.db.write() as s:
            ids = _apply(s, action, now)
        _dispatch(services, ids)
        return []
    ids = _apply(session, action, now)
    after_commit(session, lambda: _dispatch(services, ids))
    return []


def _apply(s: Session, action: NotifyStaff | Handoff | Resume, now: dt.datetime) -> list[int]:
    if isinstance(action, NotifyStaff):
        return [_queue(s, action.phone, action.text, now)]
    if isinstance(action, Handoff):
        _set_handoff(s, action.customer, action.until, now)
        return [_queue(s, action.staff_phone, action.text, now)]
    _set_handoff(s, action.customer, None, now)
    return []


def hand_back(s: Session, phone: str, now: dt.datetime) -> None:
    """The customer `phone`, handed to a person, is the bot's again (as `resume +…`), in `s`."""
    _set_handoff(s, phone, None, now)


def handed_off(s: Session, now: dt.datetime) -> list[str]:
    """The customers handed to a person at `now` (their hand-off not yet over), by phone, in order."""
    rows = s.execute(sa.select(_CUSTOMER.c.phone).where(_CUSTOMER.c.handoff_until > now).order_by(_CUSTOMER.c.phone))
    return [row[0] for row in rows]


def _set_handoff(s: Session, phone: str, until: dt.datetime | None, now: dt.datetime) -> None:
    ensure_customer(s, phone=phone, now=now)
    cust = s.get(Customer, phone)
    assert cust is not None
    cust.handoff_until = until
    s.add(cust)


def _queue(s: Session, phone: str, text: str, now: dt.datetime) -> int:
    row = OutboundMessage(kind="staff", to_phone=phone, body=text, created_at=now)
    s.add(row)
    s.flush()
    assert row.id is not None
    return row.id


def _dispatch(services: Services, ids: Sequence[int]) -> None:
    for mid in ids:
        services.dispatcher.send_message(mid)


_CUSTOMER = Customer.__table__  # type: ignore[attr-defined]
_BOOKING = Booking.__table__  # type: ignore[attr-defined]
_INBOUND = InboundMessage.__table__  # type: ignore[attr-defined]
_PHONE: sa.BindParameter[str] = sa.bindparam("phone")
_HANDOFF_UNTIL = sa.select(_CUSTOMER.c.handoff_until).where(_CUSTOMER.c.phone == _PHONE)
_RECENT = (sa.select(_BOOKING.c.id, _BOOKING.c.code, _BOOKING.c.service, _BOOKING.c.barber, _BOOKING.c.start_at,
                     _BOOKING.c.status, _BOOKING.c.guest_name)
           .where(_BOOKING.c.customer_phone == _PHONE)
           .order_by(_BOOKING.c.updated_at.desc(), _BOOKING.c.id.desc()).limit(RECENT))
_PAUSED = sa.select(_CUSTOMER.c.reminders_paused).where(_CUSTOMER.c.phone == _PHONE)
_SAID = (sa.select(_INBOUND.c.body).where(_INBOUND.c.phone == _PHONE)
         .order_by(_INBOUND.c.created_at.desc()).limit(3))


def customer_facts(services: Services, phone: str, session: Session | None = None) -> CustomerFacts:
    """Readers of `phone`'s recent bookings (any status, newest change first), hand-off time, last
    three messages (oldest first) and whether their reminders are paused, each read once, in
    `session` (the turn's transaction, so a turn sees its own message and changes) or else in a
    session of our own."""

    def read(stmt: sa.Select[Any]) -> list[Any]:
        if session is not None:
            return list(session.execute(stmt, {"phone": phone}))
        with services.db.session() as s:
            return list(s.execute(stmt, {"phone": phone}))

    @functools.cache
    def recent() -> Sequence[PastBooking]:
        return tuple(PastBooking(id_, code, service, barber, start, status, guest)
                     for id_, code, service, barber, start, status, guest in read(_RECENT))

    @functools.cache
    def handoff_until() -> dt.datetime | None:
        rows = read(_HANDOFF_UNTIL)
        return rows[0][0] if rows else None

    @functools.cache
    def said() -> Sequence[str]:
        return tuple(reversed([row[0] for row in read(_SAID)]))

    @functools.cache
    def reminders_paused() -> bool:
        rows = read(_PAUSED)
        return bool(rows and rows[0][0])

    return CustomerFacts(recent=recent, handoff_until=handoff_until, said=said, reminders_paused=reminders_paused)


_CONVERSATION = Conversation.__table__  # type: ignore[attr-defined]


def _upsert_conversation(insert: Any) -> Any:
    stmt = insert(_CONVERSATION)
    return stmt.on_conflict_do_update(index_elements=["phone"], set_={
        "state": stmt.excluded.state, "data": stmt.excluded.data, "updated_at": stmt.excluded.updated_at})


# statements built once, run with each turn's values (per dialect: the upsert is dialect SQL)
_SAVE = {"sqlite": _upsert_conversation(sqlite.insert), "postgresql": _upsert_conversation(postgresql.insert)}


def save_conversation(s: Session, phone: str, convo: Convo, now: dt.datetime) -> None:
    """Store `convo` as the phone's conversation, in the caller's transaction."""
    s.execute(_SAVE[s.get_bind().dialect.name],
              {"phone": phone, "state": convo.state.value, "data": convo_data(convo), "updated_at": now})


_STATE = sa.select(_CONVERSATION.c.state).where(_CONVERSATION.c.phone == _PHONE)


def in_conversation(s: Session, phone: str) -> bool:
    """Whether `phone` is in the middle of something with the bot (a question of its waiting)."""
    rows = list(s.execute(_STATE, {"phone": phone}))
    return bool(rows) and rows[0][0] not in ("idle", "unclear")
