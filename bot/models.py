"""Tables. Times are stored in UTC and always come back as aware UTC datetimes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC in, aware UTC out, on SQLite (naive storage) and PostgreSQL (timestamptz)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def as_utc(value: Any) -> dt.datetime:
    """Aware UTC from a value read past the column type: an aggregate (func.max) gives SQLite's
    stored text or a naive datetime."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _ts(**kw: Any) -> Any:
    nullable = kw.pop("nullable", False)
    return Field(sa_column=sa.Column(UTCDateTime(), nullable=nullable, **kw))


class BookingStatus:
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    ALL = (CONFIRMED, CANCELLED, COMPLETED, NO_SHOW)


class ReminderState:
    SCHEDULED = "scheduled"   # planned and enqueued, waiting for its time
    SENDING = "sending"       # claimed by a worker
    RETRYING = "retrying"     # a transient failure; another attempt is queued
    SENT = "sent"             # Twilio accepted it
    FAILED = "failed"         # permanent failure or attempts used up
    REVOKED = "revoked"       # booking cancelled or moved
    SKIPPED = "skipped"       # came due in quiet hours, or after the customer sent STOP
    EXPIRED = "expired"       # the appointment passed before it could be sent
    PENDING = (SCHEDULED, SENDING, RETRYING)
    FINAL = (SENT, FAILED, REVOKED, SKIPPED, EXPIRED)


class ShopConfig(SQLModel, table=True):
    __tablename__ = "shop_config"
    id: int = Field(default=1, primary_key=True)
    name: str
    timezone: str
    data: str  # the validated shop as JSON (bot.shop.shop_to_dict)
    checksum: str
    loaded_at: dt.datetime = _ts()


class Barber(SQLModel, table=True):
    __tablename__ = "barber"
    key: str = Field(primary_key=True, max_length=40)
    name: str
    phone: str = Field(index=True)
    active: bool = True


class Service(SQLModel, table=True):
    __tablename__ = "service"
    key: str = Field(primary_key=True, max_length=40)
    name: str
    minutes: int
    price: str
    active: bool = True


class Booking(SQLModel, table=True):
    __tablename__ = "booking"
    __table_args__ = (
        sa.Index("ix_booking_barber_start", "barber", "start_at"),
        sa.Index("ix_booking_customer", "customer_phone", "status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_column=sa.Column(sa.String(8), unique=True, nullable=False))
    status: str = Field(default=BookingStatus.CONFIRMED, max_length=16)
    customer_phone: str = Field(max_length=32)
    customer_name: str | None = None
    guest_name: str | None = Field(default=None, max_length=100)  # who the chair is for, if not the customer
    service: str = Field(foreign_key="service.key", max_length=40)
    barber: str = Field(foreign_key="barber.key", max_length=40)
    start_at: dt.datetime = _ts()
    end_at: dt.datetime = _ts()
    revision: int = 1
    cancel_reason: str | None = None
    created_at: dt.datetime = _ts()
    updated_at: dt.datetime = _ts()
    # when the current reminder plan was made (creation or last reschedule)
    planned_at: dt.datetime = _ts()
    # how much of the current plan exists as reminder rows: its last k, and when the
    # next one is due (None: the plan is complete, or the booking is closed)
    reminders_planned: int = 0
    next_reminder_at: dt.datetime | None = Field(
        default=None, sa_column=sa.Column(UTCDateTime(), nullable=True, index=True))


class TimeOff(SQLModel, table=True):
    __tablename__ = "time_off"
    id: int | None = Field(default=None, primary_key=True)
    barber: str = Field(foreign_key="barber.key", index=True, max_length=40)
    start_at: dt.datetime = _ts()
    end_at: dt.datetime = _ts()
    reason: str | None = None
    created_at: dt.datetime = _ts()


class Customer(SQLModel, table=True):
    __tablename__ = "customer"
    phone: str = Field(primary_key=True, max_length=32)
    name: str | None = None
    reminders_paused: bool = False
    last_inbound_at: dt.datetime | None = _ts(nullable=True)
    created_at: dt.datetime = _ts()
    # handed to a person ("real person", anger): the bot stays quiet until then, or an owner's `resume`
    handoff_until: dt.datetime | None = _ts(nullable=True)


class Conversation(SQLModel, table=True):
    __tablename__ = "conversation"
    phone: str = Field(primary_key=True, max_length=32)
    state: str = "idle"
    data: str = "{}"
    updated_at: dt.datetime = _ts()


class InboundMessage(SQLModel, table=True):
    __tablename__ = "inbound_message"
    message_sid: str = Field(primary_key=True, max_length=64)
    phone: str = Field(max_length=32)
    body: str = ""
    reply: str | None = None  # the TwiML answered, replayed for a redelivery
    created_at: dt.datetime = _ts()


class Reminder(SQLModel, table=True):
    __tablename__ = "reminder"
    __table_args__ = (sa.Index("ix_reminder_state_due", "state", "due_at"),)
    id: int | None = Field(default=None, primary_key=True)
    booking_id: int = Field(foreign_key="booking.id", index=True)
    job_id: str = Field(sa_column=sa.Column(sa.String(80), unique=True, nullable=False))
    k: int
    revision: int
    due_at: dt.datetime = _ts()
    state: str = Field(default=ReminderState.SCHEDULED, max_length=16)
    attempts: int = 0
    sent_at: dt.datetime | None = _ts(nullable=True)
    claimed_at: dt.datetime | None = _ts(nullable=True)
    next_attempt_at: dt.datetime | None = _ts(nullable=True)
    message_sid: str | None = Field(default=None, max_length=64, index=True)
    delivery_status: str | None = None
    error: str | None = None
    updated_at: dt.datetime = _ts()


class OutboundMessage(SQLModel, table=True):
    """A message we send on our own initiative (not a webhook reply): notices to customers."""

    __tablename__ = "outbound_message"
    __table_args__ = (sa.Index("ix_outbound_state", "state", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)  # cancellation, reschedule, notice
    to_phone: str = Field(max_length=32, index=True)
    body: str
    booking_id: int | None = Field(default=None, foreign_key="booking.id")
    state: str = Field(default="queued", max_length=16)  # queued, sending, retrying, sent, failed
    attempts: int = 0
    claimed_at: dt.datetime | None = _ts(nullable=True)
    next_attempt_at: dt.datetime | None = _ts(nullable=True)
    message_sid: str | None = Field(default=None, max_length=64, index=True)
    delivery_status: str | None = None
    error: str | None = None
    created_at: dt.datetime = _ts()
    sent_at: dt.datetime | None = _ts(nullable=True)
