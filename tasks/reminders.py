"""The send task: one reminder id in; the rows say whether, what and to whom.

Peek -> claim (a sweep) -> for each: re-check -> render -> send -> record. The claim is a
conditional UPDATE (scheduled/retrying -> sending) that also takes other reminders already
due, so of two workers holding the same id only one ever sends, and a burst of reminders due
together costs a few transactions. Running the task twice, early or late, is harmless.
Outcomes are recorded by tasks.recording.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from bot import messages
from bot.dispatch import PlannedReminder
from bot.errors import SendFailed
from bot.models import Booking, BookingStatus, Customer, ReminderState
from bot.phones import mask_phone
from bot.prepared import TurnConnection
from bot.services import Services
from bot.settings import Settings
from tasks.batching import BATCH
from tasks.recording import (
    REMINDER,
    GroupWriter,
    finish_params,
    finish_statement,
    group_writer,
    param,
)
from tasks.sender import OutgoingMessage

log = logging.getLogger(__name__)

WINDOW = dt.timedelta(hours=24)            # WhatsApp's customer service window
EARLY_TOLERANCE = dt.timedelta(seconds=1)  # a job that arrives earlier is a stale duplicate
SWEEP = 16              # reminders one job may claim: its own plus others already due
RELEASE_AFTER = 5.0     # seconds a sweep may run before it gives back what it has not tried


def retry_delay(settings: Settings, attempt: int) -> float:
    """Seconds to wait after the `attempt`-th failed attempt: delay × backoff^(attempt-1)."""
    base = float(settings.reminder_retry_delay_seconds)
    backoff = float(settings.reminder_retry_backoff)
    return base * backoff ** (attempt - 1)


@dataclass(frozen=True)
class Outcome:
    state: str            # what the task did: sent, retrying, failed, skipped, revoked, expired, noop, early
    detail: str | None = None


def send_reminder_task(reminder_id: int) -> str:
    """The Huey task body."""
    from tasks import runtime

    return send_reminder(runtime.current(), reminder_id, limiter=runtime.limiter()).state


@contextmanager
def write(services: Services) -> Iterator[Session]:
    """A write transaction (the database's write gate queues threads and processes on SQLite)."""
    with services.db.write() as s:
        yield s


@dataclass(frozen=True)
class Claimed:
    """What the winning claim returns: enough to re-check the booking and to retry."""

    id: int
    job_id: str
    booking_id: int
    revision: int
    attempts: int
    when: dt.datetime | None = None   # when it is due (its retry time for a retry)


# The hot path's statements are built once per process, with bind parameters: building a
# SQLAlchemy statement costs more CPU than running it.
_T = REMINDER


def _claimable(by: str = "p_soon") -> sa.ColumnElement[bool]:
    """Scheduled and due, or retrying and its retry time come, by the instant bound as `by`."""
    return sa.or_(
        sa.and_(_T.c.state == ReminderState.SCHEDULED, _T.c.due_at <= param(by, "due_at")),
        sa.and_(_T.c.state == ReminderState.RETRYING,
                sa.or_(_T.c.next_attempt_at <= param(f"{by}2", "next_attempt_at"),
                       sa.and_(_T.c.next_attempt_at.is_(None), _T.c.due_at <= param(f"{by}3", "due_at")))),
    )


@functools.cache
def _peek_statement() -> sa.Select[Any]:
    return sa.select(_T.c.id).where(_T.c.id == sa.bindparam("p_id"), _claimable())


@functools.cache
def _claim_statement(dialect: str, limit: int) -> sa.Update:
    """Claim this reminder and up to limit-1 others already due, oldest first, in one UPDATE … RETURNING.

    The others' own jobs then find them taken and do nothing: one transaction (and, on SQLite,
    one turn of the write lock) serves a whole burst instead of one per reminder. PostgreSQL
    skips rows another worker is claiming at this moment instead of waiting for them.

    The candidates come in three parts, each of which stops after `limit` rows of the
    (state, due_at) index: its own reminder (a moment early: a job's eta is the due time), the
    scheduled ones due, the retries due. One ORDER BY over all of them (its own first, then by
    due time and id) fetched and sorted every reminder due, the whole burst, for every claim.
    Among reminders due at the same instant the order is now the index's, not the id's.
    (2,000 due at once on PostgreSQL, A/B on a noisy machine: server CPU 0.38-0.48 ms a reminder
    with this, 0.48-0.63 without; p99 lateness 1.40-1.76 s against 1.78-2.30 s.)
    """
    pg = dialect == "postgresql"

    def part(stmt: sa.Select[Any], *, wait: bool = False) -> Any:
        if pg:  # lock as it picks, passing over rows another worker is claiming
            stmt = stmt.with_for_update(skip_locked=not wait)
        sub = stmt.subquery()
        return sa.select(sub.c.id, sub.c.due_at)

    cols = (_T.c.id, _T.c.due_at)
    # its own reminder waits for a lock another claim holds on it: that claim may only have looked
    # at it among the others due and claimed its own instead, and passing over it here left it to
    # nobody until the reconciler (a job finds its reminder claimed when PostgreSQL checks the row
    # again after the wait). It waits holding no other row: its own part comes first.
    own = part(sa.select(*cols).where(_T.c.id == sa.bindparam("p_id"), _claimable()), wait=True)
    scheduled = part(sa.select(*cols)
                     .where(_T.c.state == ReminderState.SCHEDULED, _T.c.due_at <= param("p_due", "due_at"))
                     .order_by(_T.c.due_at).limit(limit))
    retries = part(sa.select(*cols)
                   .where(_T.c.state == ReminderState.RETRYING,
                          sa.or_(_T.c.next_attempt_at <= param("p_due2", "next_attempt_at"),
                                 sa.and_(_T.c.next_attempt_at.is_(None), _T.c.due_at <= param("p_due3", "due_at"))))
                   .order_by(_T.c.due_at).limit(limit))
    candidates = sa.union(own, scheduled, retries).subquery("candidates")
    pick = (sa.select(candidates.c.id)
            .order_by(sa.case((candidates.c.id == sa.bindparam("p_id2"), 0), else_=1), candidates.c.due_at)
            .limit(limit))
    chosen: Any = _T.c.id.in_(pick.scalar_subquery())
    if pg:
        # a materialized CTE runs once: as a plain IN (subquery … LIMIT) PostgreSQL may run the
        # subquery again per row and claim more than the limit. `id = ANY(ARRAY(…))` finds the
        # picked rows by primary key: with `IN`, the planner (its estimates off in a burst) scanned
        # every claimable row and matched each against the pick, 8,000 comparisons for 500 due.
        # The rows are locked as they are picked (a row changed meanwhile is checked again, by
        # PostgreSQL, before it is locked), so they are still claimable here: checking again would
        # only give the planner that scan back.
        cte = pick.cte("pick").prefix_with("MATERIALIZED")
        chosen = _T.c.id == sa.any_(sa.func.array(sa.select(cte.c.id).scalar_subquery()))
    else:  # SQLite: the whole statement runs under the write lock; the check costs nothing there
        chosen = sa.and_(chosen, _claimable())
    return (sa.update(_T)
            .where(chosen)
            .values(state=ReminderState.SENDING, attempts=_T.c.attempts + 1,
                    claimed_at=param("p_now", "claimed_at"), updated_at=param("p_now2", "updated_at"))
            .returning(_T.c.id, _T.c.job_id, _T.c.booking_id, _T.c.revision, _T.c.attempts,
                       _T.c.due_at, _T.c.next_attempt_at))


def _soon(now: dt.datetime) -> dict[str, dt.datetime]:
    """Its own reminder counts as due up to EARLY_TOLERANCE ahead; the others once due."""
    soon = now + EARLY_TOLERANCE
    return {"p_soon": soon, "p_soon2": soon, "p_soon3": soon, "p_due": now, "p_due2": now, "p_due3": now}


def is_claimable(services: Services, reminder_id: int, now: dt.datetime) -> bool:
    """A read, no lock: is there anything for this job to do? Most jobs of a burst find their
    reminder already taken by a sweep, and must not queue for the write lock to learn it."""
    with _connection(services) as conn, conn.read() as tx:
        return tx.first(_peek_statement(), {"p_id": reminder_id, **_soon(now)}) is not None


PREFILTER_SIZE = BATCH  # reminder ids per prefilter read: a worker's batch


@functools.cache
def _claimable_among_statement() -> sa.Select[Any]:
    ids = [sa.bindparam(f"p_id{i}", type_=_T.c.id.type) for i in range(PREFILTER_SIZE)]
    return sa.select(_T.c.id).where(_T.c.id.in_(ids), _claimable())


def claimable_among(services: Services, reminder_ids: list[int], now: dt.datetime) -> set[int]:
    """Which of these reminders a job could claim now: one read for a batch of jobs."""
    found: set[int] = set()
    with _connection(services) as conn, conn.read() as tx:
        for i in range(0, len(reminder_ids), PREFILTER_SIZE):
            chunk = reminder_ids[i:i + PREFILTER_SIZE]
            padded = chunk + [-1] * (PREFILTER_SIZE - len(chunk))
            params: dict[str, object] = {f"p_id{k}": v for k, v in enumerate(padded)}
            found.update(int(r[0]) for r in tx.all(_claimable_among_statement(), {**params, **_soon(now)}))
    return found


def idle_reminder_jobs(tasks: list[Any]) -> set[str]:
    """tasks.batching prefilter: the jobs of a batch whose reminder is not claimable (most of a
    burst's jobs, whose reminders other jobs' sweeps have taken): they need not run."""
    from tasks import runtime

    services = runtime.current()
    ids = [int(t.args[0]) for t in tasks]
    claimable = claimable_among(services, ids, services.now())
    return {t.id for t, rid in zip(tasks, ids, strict=True) if rid not in claimable}


def claim(services: Services, reminder_id: int, now: dt.datetime, *, sweep: int = 1) -> list[Claimed]:
    """scheduled/retrying -> sending, attempts+1, claimed_at=now, in one UPDATE … RETURNING:
    this reminder if it is claimable (first), plus up to sweep-1 others already due, oldest
    first. Of two workers claiming the same row, one gets it."""
    stmt = _claim_statement(services.db.dialect, max(1, sweep))
    with _connection(services) as conn, conn.write() as tx:
        rows = tx.all(stmt, {"p_id": reminder_id, "p_id2": reminder_id, "p_now": now, "p_now2": now, **_soon(now)})
    claimed = [Claimed(int(r[0]), r[1], r[2], r[3], r[4], r[6] or r[5]) for r in rows]
    claimed.sort(key=lambda c: c.id != reminder_id)  # its own first, then oldest first
    return claimed


def _finish(services: Services, reminder_id: int, now: dt.datetime, **values: Any) -> bool:
    """Record one outcome while we still hold the claim: on SQLite in a group commit (one turn
    of the write lock for many senders); on PostgreSQL in a worker in a group statement on the
    writing thread's own connection; elsewhere on the job's own connection."""
    params = finish_params(reminder_id, now, **values)
    writer = _group(services)
    if writer is not None:
        return writer.record([params]) == 1
    with _connection(services) as conn, conn.write() as tx:
        # the outcome need not wait for the WAL flush (~4 ms here): a database crash in that
        # instant leaves the claim, and the reconciler sends again, like a worker killed mid-send
        if not getattr(conn, "autocommit", False):  # a held connection commits so already
            tx.cursor.execute("SET LOCAL synchronous_commit TO OFF")
        tx.execute(finish_statement(), params)
        return bool(tx.cursor.rowcount == 1)


def _group(services: Services) -> GroupWriter | None:
    """Where outcomes are written in groups: on SQLite (one turn of the write lock for many), and
    on PostgreSQL in a worker (one statement on the writing thread's own connection); else None."""
    if services.db.gate is not None:
        return group_writer(services)
    if _held(services) is not None:
        return group_writer(services, held=True)
    return None


_local = threading.local()


HOLD_CONNECTIONS = "hold_connections"  # services.extras flag: worker threads keep a connection each


class _HeldConnection(TurnConnection):
    """A worker thread's own connection. On PostgreSQL it leaves the pool, in autocommit mode with
    asynchronous commit: every statement this module runs on it is a transaction by itself (one
    round trip, where BEGIN, the statement and COMMIT took three or four), and need not wait for
    the WAL flush (~4 ms here). A PostgreSQL crash in that instant can lose a claim or an outcome
    just written: the reconciler then sends that reminder again, the same gap as a worker killed
    mid-send (docs/guarantees.md)."""

    autocommit = False

    def _connection(self) -> Any:
        if self._raw is None:
            raw = self.db.engine.raw_connection()
            if not self._sqlite:
                raw.detach()  # never back in the pool in this mode: closing it closes it
                raw.dbapi_connection.autocommit = True  # type: ignore[union-attr]
                cur = raw.cursor()
                cur.execute("SET synchronous_commit TO OFF")
                cur.close()
                self.autocommit = True
            self._raw = raw
        return self._raw

    def close(self) -> None:
        self.autocommit = False
        super().close()


def _held(services: Services) -> TurnConnection | None:
    """In a `barberbot worker` process, whose pool has a connection for every thread, a thread keeps
    its connection between statements: a pool checkout and checkin cost more than a SQLite read."""
    if not services.extras.get(HOLD_CONNECTIONS):
        return None
    conn: TurnConnection | None = getattr(_local, "held", None)
    if conn is None or conn.db is not services.db:
        conn = _local.held = _HeldConnection(services.db)
    return conn


def open_held_connection() -> None:
    """tasks.batching thread start: a worker thread connects as it starts, not in its first burst
    (on PostgreSQL a new backend costs a few ms: 2 processes x 8 threads of them used to land in
    the first 2,000-reminder burst after a start). A database down at start is only logged:
    the first statement connects again."""
    from tasks import runtime

    try:
        services = runtime.current()
    except RuntimeError:
        return  # no Services bound in this process (a test's bare consumer)
    held = _held(services)
    if held is not None:
        held._connection()


@contextmanager
def _connection(services: Services) -> Iterator[TurnConnection]:
    """The running job's connection (one checkout, one pool ping, for all its statements), or a new one."""
    conn = getattr(_local, "conn", None)
    if conn is not None and conn.db is services.db:
        yield conn
        return
    held = _held(services)
    if held is not None:
        try:
            yield held
        except BaseException:
            held.close()  # it may be broken (a database restart): the next statement checks out a fresh one
            raise
        return
    with TurnConnection(services.db) as conn:
        yield conn


def thread_connection(services: Services) -> Any:
    """tasks.recording: the calling thread's connection (its held one in a worker), as a context manager."""
    return _connection(services)


@contextmanager
def _job_connection(services: Services) -> Iterator[None]:
    """One connection for a job's statements before its sends: never held across an HTTP call,
    where 64 threads would hold the whole pool and wait for it."""
    if _held(services) is not None:
        yield  # the thread's own connection serves every statement already
        return
    with TurnConnection(services.db) as conn:
        _local.conn = conn
        try:
            yield
        finally:
            _local.conn = None


@dataclass(frozen=True)
class Due:
    """The booking (and its customer's window and pause flag) a claimed reminder is about."""

    status: str
    revision: int
    start_at: dt.datetime
    service: str
    barber: str
    code: str
    customer_phone: str
    reminders_paused: bool = False
    last_inbound_at: dt.datetime | None = None


_DUE_COLUMNS = tuple(col(c) for c in (
    Booking.status, Booking.revision, Booking.start_at, Booking.service, Booking.barber, Booking.code,
    Booking.customer_phone, Customer.reminders_paused, Customer.last_inbound_at))


@functools.cache
def _recheck_statement() -> Any:
    """Just before a send: do we still hold the claim, and is the booking still the one planned for?"""
    return (sa.select(_T.c.state, _T.c.attempts, *_DUE_COLUMNS)
            .select_from(_T)
            .join(Booking, col(Booking.id) == _T.c.booking_id)
            .outerjoin(Customer, col(Customer.phone) == col(Booking.customer_phone))
            .where(_T.c.id == sa.bindparam("p_id", type_=_T.c.id.type)))


def in_window(last_inbound_at: dt.datetime | None, now: dt.datetime) -> bool:
    """Inside WhatsApp's 24-hour customer service window: free text is allowed."""
    return last_inbound_at is not None and now - last_inbound_at < WINDOW


def render(services: Services, due: Due, now: dt.datetime) -> OutgoingMessage:
    """Free text inside the 24-hour window; the approved template outside it when configured."""
    shop = services.shop
    content_sid = services.settings.whatsapp_reminder_content_sid
    if content_sid and not in_window(due.last_inbound_at, now):
        variables = messages.reminder_variables(shop, service=due.service, barber=due.barber,
                                                start=due.start_at, code=due.code, now=now)
        return OutgoingMessage(to=due.customer_phone, content_sid=content_sid, content_variables=variables)
    body = messages.reminder(shop, service=due.service, barber=due.barber, start=due.start_at,
                             code=due.code, now=now)
    return OutgoingMessage(to=due.customer_phone, body=body)


def send_reminder(services: Services, reminder_id: int, *, limiter: object | None = None,
                  sweep: int | None = None) -> Outcome:
    """The job of one reminder. It claims its reminder and the others already due (up to `sweep`,
    by default as many as this thread sends in half the release budget at the pace sends go)
    in one transaction, then sends them one by one, each after re-checking its claim and booking,
    so a burst of reminders due together costs a few transactions, and the other jobs of the
    burst find their reminder taken with one read. Returns what happened to `reminder_id`."""
    now = services.now()
    with _job_connection(services):  # the peek and the claim on one checkout
        if not is_claimable(services, reminder_id, now):
            return Outcome("noop", "sent, claimed elsewhere, final or early")
        batch = claim(services, reminder_id, now, sweep=sweep or pace(services).sweep(release_after(services) / 2))
    outcomes: dict[int, Outcome] = {}
    for i, r in enumerate(batch):
        if i and (services.now() - now).total_seconds() > release_after(services):
            release(services, batch[i:])
            break
        _wait_until(services, r.when, EARLY_TOLERANCE)  # its own job may come a moment early
        outcomes[r.id] = send_claimed(services, r, limiter)
    return outcomes.get(reminder_id, Outcome("noop", "released to another worker"))


def _timed_send(services: Services, message: OutgoingMessage) -> str:
    started = time.monotonic()
    try:
        return str(services.sender.send(message))
    finally:
        pace(services).record(time.monotonic() - started)  # failures and timeouts hold the thread too


class Pace:
    """How long a send takes in this process (a moving average): a sweep takes only what one
    thread can send within its budget, so with a slow Twilio sweeps shrink instead of claiming
    reminders they would have to give back."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def record(self, seconds: float) -> None:
        self.seconds = seconds if self.seconds == 0.0 else 0.9 * self.seconds + 0.1 * seconds

    def sweep(self, budget: float) -> int:
        if self.seconds <= 0.0:
            return SWEEP
        return max(1, min(SWEEP, int(budget / self.seconds)))


def pace(services: Services) -> Pace:
    """The pace of these Services' sender (one per worker process)."""
    found = services.extras.get("send_pace")
    if found is None:
        found = services.extras.setdefault("send_pace", Pace())
    return found  # type: ignore[no-any-return]


def release_after(services: Services) -> float:
    """How long a sweep may run before it gives back what it has not tried: well inside the time
    after which the reconciler takes a claim back (REMINDER_STUCK_AFTER_SECONDS)."""
    from tasks.reconcile import default_stuck_after

    return min(RELEASE_AFTER, default_stuck_after(services) / 3)


def _wait_until(services: Services, when: dt.datetime | None, most: dt.timedelta) -> None:
    if when is None:
        return
    wait = (when - services.now()).total_seconds()
    if wait > 0:
        time.sleep(min(wait, most.total_seconds()))


def send_claimed(services: Services, r: Claimed, limiter: object | None) -> Outcome:
    """Re-check the claim and the booking (cancelled or moved since the claim?), then send and record."""
    now = services.now()
    with _connection(services) as conn, conn.read() as tx:
        row = tx.first(_recheck_statement(), {"p_id": r.id})
    if row is None or row[0] != ReminderState.SENDING or row[1] != r.attempts:
        return Outcome("noop", "claim taken back")
    status, revision, start_at, service, barber, code, phone, paused, last_inbound_at = row[2:]
    due = Due(status, revision, start_at, service, barber, code, phone,
              reminders_paused=bool(paused), last_inbound_at=last_inbound_at)
    if due.status != BookingStatus.CONFIRMED or due.revision != r.revision:
        _finish(services, r.id, now, state=ReminderState.REVOKED, error="booking changed")
        return Outcome("revoked")
    if due.start_at <= now:
        _finish(services, r.id, now, state=ReminderState.EXPIRED)
        return Outcome("expired")
    if due.reminders_paused:
        _finish(services, r.id, now, state=ReminderState.SKIPPED, error="reminders paused")
        return Outcome("skipped")
    if limiter is not None:
        limiter.acquire()  # type: ignore[attr-defined]
        now = services.now()
    message = render(services, due, now)
    try:
        sid = _timed_send(services, message)
    except SendFailed as exc:
        return _failed(services, r, now, exc)
    except Exception as exc:  # noqa: BLE001 - an unknown error: assume it may pass, but bounded by attempts
        log.exception("reminder %s: unexpected send error", r.job_id)
        return _failed(services, r, now, SendFailed(str(exc), retryable=True, error_code="unexpected"))
    sent_at = services.now()
    if not _finish(services, r.id, sent_at, state=ReminderState.SENT, sent_at=sent_at, message_sid=sid):
        log.error("reminder %s sent as %s but its claim was taken back", r.job_id, sid)
    if log.isEnabledFor(logging.INFO):
        log.info("reminder %s sent to %s (%s)", r.job_id, mask_phone(due.customer_phone), sid)
    return Outcome("sent", sid)


def release(services: Services, rest: list[Claimed]) -> None:
    """A slow sweep (a slow Twilio, a tight rate limit) gives back what it has not tried, before
    the reconciler would think it stuck, and wakes other workers for it under fresh job ids."""
    now = services.now()
    (_group(services) or group_writer(services)).record([{"p_id": r.id, "p_updated_at": now} for r in rest])
    stamp = int(now.timestamp() * 1000)
    try:
        services.dispatcher.schedule_reminders([PlannedReminder(r.id, f"{r.job_id}-s{stamp}", now) for r in rest])
    except Exception:  # noqa: BLE001 - the reconciler re-enqueues them
        log.exception("could not re-enqueue %d released reminders", len(rest))


def _failed(services: Services, r: Claimed, now: dt.datetime, exc: SendFailed) -> Outcome:
    settings = services.settings
    code = exc.error_code or "unknown"
    if not exc.retryable or r.attempts >= settings.reminder_max_attempts:
        _finish(services, r.id, now, state=ReminderState.FAILED, error=code)
        log.warning("reminder %s failed for good after %d attempt(s): %s", r.job_id, r.attempts, code)
        return Outcome("failed", code)
    delay = retry_delay(settings, r.attempts)
    next_at = now + dt.timedelta(seconds=delay)
    _finish(services, r.id, now, state=ReminderState.RETRYING, next_attempt_at=next_at, error=code)
    log.info("reminder %s attempt %d failed (%s); retrying in %.1fs", r.job_id, r.attempts, code, delay)
    try:
        services.dispatcher.schedule_reminders(
            [PlannedReminder(r.id, f"{r.job_id}-a{r.attempts + 1}", next_at)])
    except Exception:  # noqa: BLE001 - the reconciler re-enqueues overdue retries
        log.exception("could not enqueue the retry of %s", r.job_id)
    return Outcome("retrying", code)
