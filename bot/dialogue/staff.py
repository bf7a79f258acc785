"""The edge of the dialogue's messages to people: a customer running late, a customer handed to a
person, the owner handing them back; and the customer facts the dialogue reads for that.

`carry_out(services, session, action, now)` performs a `NotifyStaff`, `Handoff` or `Resume`:
messages go out as OutboundMessage rows, handed to the dispatcher once the transaction commits
(the caller's `session`, else one of our own). `customer_facts(services, phone)` gives the
dialogue lazy readers of the customer's recent bookings and hand-off state.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.customers import ensure_customer
from bot.db import after_commit
from bot.models import Booking, Customer, InboundMessage, OutboundMessage
from bot.services import Services

from .model import CustomerFacts, Handoff, NotifyStaff, PastBooking, Resume

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


_HANDOFF_UNTIL = sa.select(Customer.__table__.c.handoff_until).where(  # type: ignore[attr-defined]
    Customer.__table__.c.phone == sa.bindparam("phone"))  # type: ignore[attr-defined]


def customer_facts(services: Services, phone: str, session: Session | None = None) -> CustomerFacts:
    """Readers of `phone`'s recent bookings (any status, newest change first), hand-off time and
    last messages (committed ones). The hand-off time, asked on every turn, is read in `session`
    (the turn's) when given."""

    @functools.cache
    def recent() -> Sequence[PastBooking]:
        with services.db.session() as s:
            rows = s.exec(select(Booking).where(Booking.customer_phone == phone)
                          .order_by(col(Booking.updated_at).desc(), col(Booking.id).desc()).limit(RECENT)).all()
            return tuple(PastBooking(b.id or 0, b.code, b.service, b.barber, b.start_at, b.status, b.guest_name)
                         for b in rows)

    @functools.cache
    def handoff_until() -> dt.datetime | None:
        if session is not None:
            return session.execute(_HANDOFF_UNTIL, {"phone": phone}).scalar()  # type: ignore[no-any-return]
        with services.db.session() as s:
            return s.exec(select(Customer.handoff_until).where(Customer.phone == phone)).first()

    @functools.cache
    def said() -> Sequence[str]:
        with services.db.session() as s:
            rows = s.exec(select(InboundMessage.body).where(InboundMessage.phone == phone)
                          .order_by(col(InboundMessage.created_at).desc()).limit(3)).all()
            return tuple(reversed(rows))

    return CustomerFacts(recent=recent, handoff_until=handoff_until, said=said)
