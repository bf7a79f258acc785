"""The fault scenarios, each ending in counts. Tests run them small; bench/scenarios.py runs them big.

Reminders: bookings are made through the API a minute or two ahead, with a
1-second reminder interval, so each booking's reminders come due every second.
A scenario watches a window; every reminder due inside it must end `sent`
exactly once (counted at the fake Twilio, by SID), none may reach Twilio after
its booking was cancelled, and none may be left behind.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx
from faultytwilio import Faults, FaultyTwilio
from livestack import (
    API_KEY,
    AUTH_TOKEN,
    Counter5xx,
    Stack,
    barbers_at,
    phone_for,
    say,
    twiml_texts,
    utcnow,
    wait_for,
)

PENDING = ("scheduled", "sending", "retrying")
CODE = re.compile(r"\(booking (\w+)\)")
_tags = iter(range(11, 10**6))


@dataclass
class Counts:
    scenario: str
    backend: str
    reminders_due: int = 0
    sent: int = 0
    sent_twice: int = 0
    sent_after_cancel: int = 0
    lost: int = 0
    failed: int = 0              # gave up (permanent error or attempts used up)
    double_booked: int = 0
    http_5xx: int = 0
    unauthorised_accepted: int = 0
    # measured limits and context, not failures
    in_flight_at_cancel: int = 0
    notes: dict[str, Any] = field(default_factory=dict)

    FAILURES = ("sent_twice", "sent_after_cancel", "lost", "failed", "double_booked", "http_5xx",
                "unauthorised_accepted")

    def failures(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in self.FAILURES if getattr(self, k)}

    def row(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("notes")
        return d


# -- counting ------------------------------------------------------------------------------------

def double_booked(stack: Stack) -> int:
    """Pairs of confirmed bookings of one barber that overlap."""
    rows = stack.query("SELECT a.id FROM booking a JOIN booking b ON a.barber = b.barber AND a.id < b.id "
                       "AND a.start_at < b.end_at AND b.start_at < a.end_at "
                       "WHERE a.status = 'confirmed' AND b.status = 'confirmed'")
    return len(rows)


def _aware(v: Any) -> dt.datetime:
    if isinstance(v, str):
        v = dt.datetime.fromisoformat(v)
    return v if v.tzinfo else v.replace(tzinfo=dt.UTC)


def tally_reminders(stack: Stack, twilio: FaultyTwilio, booking_ids: list[int], t_cut: dt.datetime,
                    counts: Counts) -> Counts:
    """Fill the reminder counts for these bookings; reminders due after t_cut are not judged."""
    if not booking_ids:
        return counts
    ids = ",".join(str(int(i)) for i in booking_ids)
    rows = stack.query(
        "SELECT r.id, r.booking_id, r.due_at, r.state, r.message_sid, r.claimed_at, r.error, "
        f"b.code, b.status, b.updated_at FROM reminder r JOIN booking b ON b.id = r.booking_id "
        f"WHERE r.booking_id IN ({ids})")
    codes = {r.code for r in rows}
    row_sids = {r.message_sid for r in rows if r.message_sid}
    cancelled_at = {r.code: _aware(r.updated_at) for r in rows if r.status == "cancelled"}
    in_flight_revoked: dict[str, int] = defaultdict(int)
    for r in rows:
        if r.state == "revoked" and r.claimed_at is not None:
            in_flight_revoked[r.code] += 1
        if r.state == "revoked" or _aware(r.due_at) > t_cut:
            continue
        counts.reminders_due += 1
        if r.state == "sent":
            counts.sent += 1
        elif r.state == "failed" and r.error != "worker lost":
            counts.failed += 1
        else:
            counts.lost += 1
            counts.notes.setdefault("lost_states", defaultdict(int))[f"{r.state}:{r.error}"] += 1
    after_cancel: dict[str, int] = defaultdict(int)
    for m in twilio.accepted():
        found = CODE.search(m.body)
        if not m.body.startswith("Reminder:") or not found or found.group(1) not in codes:
            continue
        if m.sid in row_sids:
            continue  # the one recorded send of its row
        code = found.group(1)
        at = dt.datetime.fromtimestamp(m.at, dt.UTC)
        if in_flight_revoked[code] > 0:
            # claimed before the cancel, revoked while its send was on the wire: sent once, but the
            # row says "revoked" and lost its SID (the cancel overwrote the worker's claim)
            in_flight_revoked[code] -= 1
            counts.in_flight_at_cancel += 1
        elif code in cancelled_at and at >= cancelled_at[code]:
            after_cancel[code] += 1
        else:
            counts.sent_twice += 1
    for n in after_cancel.values():
        counts.sent_after_cancel += n
    counts.double_booked = double_booked(stack)
    if counts.notes.get("lost_states"):
        counts.notes["lost_states"] = dict(counts.notes["lost_states"])
    return counts


# -- making reminders come due ---------------------------------------------------------------------

@dataclass
class Plan:
    booking_ids: list[int]
    codes: list[str]
    t_cut: dt.datetime
    phones: list[str]


def book_ahead(stack: Stack, n_bookings: int, *, window: float, tag: int | None = None,
               seen: Counter5xx | None = None) -> Plan:
    """n bookings a minute or two ahead, made through the API; their reminders come due every
    interval from now on. `t_cut` = the end of the window the scenario judges."""
    tag = tag if tag is not None else next(_tags)
    # appointments well after the window plus the retry budget (two 10 s Twilio timeouts and the
    # backoff), so a reminder due late in the window is never expired by its own appointment
    lead = max(window, stack.interval_seconds * 2) + 60
    first = (utcnow() + dt.timedelta(seconds=lead)).replace(second=0, microsecond=0)
    first += dt.timedelta(minutes=1)
    slots: list[tuple[str, dt.datetime]] = []
    minute = 0
    while len(slots) < n_bookings:
        at = first + dt.timedelta(minutes=minute)
        slots += [(b, at) for b in barbers_at(at.hour * 60 + at.minute, stack.n_barbers)]
        minute += 1
    # a barber appears again 5 minutes later; 5-minute services never overlap
    def book(item: tuple[int, tuple[str, dt.datetime]]) -> tuple[int, str, str]:
        i, (barber, start) = item
        phone = phone_for(tag, i)
        with stack.api() as c:
            r = c.post("/api/bookings", json={"customer_phone": phone, "customer_name": f"R{i}",
                                              "service": "haircut", "barber": barber,
                                              "start": start.isoformat()})
        if seen is not None:
            seen.saw(r.status_code)
        assert r.status_code == 201, r.text
        return r.json()["id"], r.json()["code"], phone

    with ThreadPoolExecutor(max_workers=4) as pool:
        made = list(pool.map(book, enumerate(slots[:n_bookings])))
    ids, codes, phones = (list(x) for x in zip(*made, strict=True))
    return Plan(ids, codes, utcnow() + dt.timedelta(seconds=window), phones)


def drain(stack: Stack, plan: Plan, *, timeout: float) -> None:
    """Wait until every reminder due by t_cut has reached a final state."""
    ids = ",".join(str(i) for i in plan.booking_ids)
    cut = plan.t_cut.astimezone(dt.UTC).replace(tzinfo=None) if "sqlite" in stack.backend.database_url \
        else plan.t_cut

    def settled() -> bool:
        left = stack.query(f"SELECT count(*) FROM reminder WHERE booking_id IN ({ids}) AND due_at <= :cut "
                           "AND state IN ('scheduled', 'sending', 'retrying')", cut=cut)
        return left[0][0] == 0

    wait_for(lambda: utcnow() > plan.t_cut + dt.timedelta(seconds=1), timeout=600, what="the window")
    wait_for(settled, timeout=timeout, what="every due reminder to settle")


def finish(stack: Stack, plan: Plan) -> None:
    """Stop the scenario's later reminders while the workers keep running: its bookings still
    confirmed are cancelled through the API (pending reminders revoked), then we wait for the sends
    already in flight to be recorded, so the tally sees every SID the rows will ever hold."""
    ids = ",".join(str(i) for i in plan.booking_ids)
    confirmed = stack.query(f"SELECT id FROM booking WHERE id IN ({ids}) AND status = 'confirmed'")
    with stack.api() as c:
        for (bid,) in confirmed:
            assert c.delete(f"/api/bookings/{bid}").status_code == 200

    def quiet() -> bool:
        left = stack.query(f"SELECT count(*) FROM reminder WHERE booking_id IN ({ids}) "
                           "AND state IN ('scheduled', 'sending', 'retrying')")
        return left[0][0] == 0

    wait_for(quiet, timeout=60, what="the scenario's reminders in flight to settle")


def run_reminder_scenario(stack: Stack, twilio: FaultyTwilio, name: str, *, bookings: int, window: float,
                          during: Callable[[Plan, threading.Event], dict[str, Any] | None] | None = None,
                          settle_timeout: float = 90) -> Counts:
    """Book, let reminders come due for `window` seconds while `during` misbehaves, settle, count."""
    if not stack.live_workers():
        stack.start_worker()
    seen = Counter5xx()
    plan = book_ahead(stack, bookings, window=window, seen=seen)
    done = threading.Event()
    notes: dict[str, Any] = {}
    if during is not None:
        notes = during(plan, done) or {}
    done.set()
    if not stack.live_workers():
        stack.start_worker()
    drain(stack, plan, timeout=settle_timeout)
    finish(stack, plan)
    counts = tally_reminders(stack, twilio, plan.booking_ids, plan.t_cut,
                             Counts(name, stack.backend.name, http_5xx=seen.n))
    counts.notes.update(notes)
    return counts


# -- the reminder scenarios ------------------------------------------------------------------------

def worker_killed_repeatedly(stack: Stack, twilio: FaultyTwilio, *, bookings: int, window: float,
                             every: tuple[float, float] = (0.7, 2.0), seed: int = 1) -> Counts:
    rng = random.Random(seed)

    def during(plan: Plan, done: threading.Event) -> dict[str, Any]:
        kills = 0
        while utcnow() < plan.t_cut:
            time.sleep(rng.uniform(*every))  # the fault's own rhythm, not a wait for a condition
            stack.kill_workers()
            kills += 1
            stack.start_worker()
        return {"kills": kills}

    return run_reminder_scenario(stack, twilio, "worker SIGKILLed repeatedly", bookings=bookings,
                                 window=window, during=during)


def queue_storage_lost(stack: Stack, twilio: FaultyTwilio, *, bookings: int, window: float) -> Counts:
    """PostgreSQL+Redis: Redis restarted (no persistence), later FLUSHALL. SQLite: the queue file emptied."""

    def during(plan: Plan, done: threading.Event) -> dict[str, Any]:
        start = utcnow()
        third = (plan.t_cut - start) / 3
        wait_for(lambda: utcnow() >= start + third, timeout=600, what="a third of the window")
        redis = stack.backend.redis
        if redis is not None:
            redis.restart()
        else:
            _empty_sqlite_queue(stack)
        wait_for(lambda: utcnow() >= start + 2 * third, timeout=600, what="two thirds of the window")
        if redis is not None:
            redis.flushall()
        else:
            _empty_sqlite_queue(stack)
        return {"events": "redis restart + FLUSHALL" if redis else "queue file emptied twice"}

    return run_reminder_scenario(stack, twilio, "queue storage lost (Redis restart/FLUSHALL)",
                                 bookings=bookings, window=window, during=during)


def _empty_sqlite_queue(stack: Stack) -> None:
    import sqlite3

    assert stack.backend.queue_path
    con = sqlite3.connect(stack.backend.queue_path, timeout=30)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for t in tables:
            if t in ("task", "schedule"):
                con.execute(f"DELETE FROM {t}")
        con.commit()
    finally:
        con.close()


def twilio_misbehaving(stack: Stack, twilio: FaultyTwilio, *, bookings: int, window: float,
                       faults: Faults | None = None) -> Counts:
    faults = faults or Faults(rate_500=0.30, rate_429=0.10, timeout_rate=0.01)

    def during(plan: Plan, done: threading.Event) -> dict[str, Any]:
        twilio.faults = faults
        return {}

    before = len(twilio.received)
    try:
        counts = run_reminder_scenario(stack, twilio, "Twilio 30% 500, 10% 429, timeouts",
                                       bookings=bookings, window=window, during=during,
                                       settle_timeout=180)
    finally:
        twilio.faults = Faults()
    answers: dict[int, int] = defaultdict(int)
    for r in twilio.received[before:]:
        answers[r.status] += 1
    counts.notes["twilio_answers"] = dict(answers)
    return counts


def cancelled_as_due(stack: Stack, twilio: FaultyTwilio, *, bookings: int, window: float,
                     k: int = 5) -> Counts:
    """Each booking cancelled through the API at the instant its k-th reminder comes due."""

    def during(plan: Plan, done: threading.Event) -> dict[str, Any]:
        with stack.api() as c:
            plans = {bid: [dt.datetime.fromisoformat(r["scheduledFor"])
                           for r in c.get(f"/api/bookings/{bid}/reminders").json()]
                     for bid in plan.booking_ids}
        # the k-th reminder, or (a large run takes a while to book and list) the first one still
        # ahead of us, so every cancel really lands at the instant a reminder comes due
        ahead = utcnow() + dt.timedelta(seconds=1)
        due = []
        for bid, times in plans.items():
            later = [t for t in times[k - 1:] if t >= ahead]
            if later:
                due.append((later[0], bid))
        due.sort()
        late: list[float] = []

        def cancel(item: tuple[dt.datetime, int]) -> int:
            at, bid = item
            delay = (at - utcnow()).total_seconds()
            if delay > 0:
                time.sleep(delay)  # the scenario is "at the moment it comes due"
            late.append((utcnow() - at).total_seconds())
            with stack.api() as c2:
                return c2.delete(f"/api/bookings/{bid}").status_code

        with ThreadPoolExecutor(max_workers=32) as pool:
            statuses = list(pool.map(cancel, due))
        bad = [s for s in statuses if s >= 500]
        late.sort()
        return {"cancels": len(statuses), "cancel_5xx": len(bad),
                "cancel_offset_p50_ms": round(1000 * late[len(late) // 2], 1) if late else None}

    counts = run_reminder_scenario(stack, twilio, "cancelled as reminders come due", bookings=bookings,
                                   window=window, during=during)
    counts.http_5xx += counts.notes.get("cancel_5xx", 0)
    return counts


# -- conversations -----------------------------------------------------------------------------------

def _slot_phrase(when: dt.datetime) -> str:
    return f"{when.strftime('%-d %B')} at {when.strftime('%H:%M')}"


def future_slot(days: int = 3, hour: int = 15, minute: int = 0) -> dt.datetime:
    d = (utcnow() + dt.timedelta(days=days)).date()
    return dt.datetime(d.year, d.month, d.day, hour, minute, tzinfo=dt.UTC)


def bookings_of(stack: Stack, phones: list[str]) -> dict[str, int]:
    if not phones:
        return {}
    rows = stack.query("SELECT customer_phone, count(*) FROM booking WHERE status = 'confirmed' "
                       "AND customer_phone IN (" + ",".join(f"'{p}'" for p in phones) + ") "
                       "GROUP BY customer_phone")
    return {r[0]: int(r[1]) for r in rows}


def redelivered_three_times(stack: Stack, *, customers: int, seed: int = 3) -> Counts:
    """Every inbound message delivered three times at once (same MessageSid): each customer's two-turn
    booking must happen once, and the three answers must agree."""
    tag = next(_tags)
    seen = Counter5xx()
    day = future_slot(days=4)
    disagreements = 0
    lock = threading.Lock()

    def deliver_thrice(client: httpx.Client, phone: str, body: str) -> None:
        nonlocal disagreements
        p = stack.webhook_params(phone, body)
        headers = stack.signed_headers(p)
        barrier = threading.Barrier(3)

        def one() -> str:
            barrier.wait(10)
            r = client.post("/webhooks/twilio", data=p, headers=headers)
            seen.saw(r.status_code)
            return r.text

        with ThreadPoolExecutor(3) as pool:
            texts = list(pool.map(lambda _: one(), range(3)))
        if len({t for t in texts if twiml_texts(t)}) > 1:
            with lock:
                disagreements += 1

    def customer(i: int) -> str:
        phone = phone_for(tag, i)
        start = day + dt.timedelta(minutes=5 * (i // 8))
        barber = barbers_at(start.hour * 60 + start.minute)[i % 8]
        name = barber.capitalize()
        with httpx.Client(base_url=stack.url, timeout=60) as client:
            deliver_thrice(client, phone, f"can I book a haircut with {name} on {_slot_phrase(start)}?")
            deliver_thrice(client, phone, "yes")
        return phone

    with ThreadPoolExecutor(max_workers=8) as pool:
        phones = list(pool.map(customer, range(customers)))
    per = bookings_of(stack, phones)
    c = Counts("every inbound message delivered 3x", stack.backend.name, http_5xx=seen.n,
               double_booked=double_booked(stack))
    c.notes.update(customers=customers, booked=sum(1 for p in phones if per.get(p) == 1),
                   booked_more_than_once=sum(1 for p in phones if per.get(p, 0) > 1),
                   replies_disagreeing=disagreements, requests=seen.total)
    c.double_booked += c.notes["booked_more_than_once"]
    return c


def race_for_one_slot(stack: Stack, *, customers: int) -> Counts:
    """N customers get to 'reply YES' for the same slot with Sam, then all say yes at once."""
    tag = next(_tags)
    seen = Counter5xx()
    start = future_slot(days=5, hour=11, minute=0)
    phones = [phone_for(tag, i) for i in range(customers)]
    prompts_ok = 0
    with httpx.Client(base_url=stack.url, timeout=60,
                      limits=httpx.Limits(max_connections=customers + 5)) as client:
        for p in phones:
            texts = say(stack, client, p, f"haircut with Sam on {_slot_phrase(start)} please", seen=seen)
            prompts_ok += any("YES" in t for t in texts)
        barrier = threading.Barrier(customers)

        def yes(p: str) -> list[str]:
            barrier.wait(30)
            return say(stack, client, p, "yes", seen=seen)

        with ThreadPoolExecutor(max_workers=customers) as pool:
            list(pool.map(yes, phones))
    sam_rows = stack.query("SELECT count(*) FROM booking WHERE barber = 'sam' AND status = 'confirmed' "
                           "AND customer_phone IN (" + ",".join(f"'{p}'" for p in phones) + ")")
    c = Counts("50 customers race for one slot (chat)", stack.backend.name, http_5xx=seen.n,
               double_booked=double_booked(stack))
    c.notes.update(customers=customers, reached_confirm=prompts_ok, bookings_for_the_slot=sam_rows[0][0])
    return c


# -- signatures and auth ------------------------------------------------------------------------------

def signatures_and_auth(stack: Stack) -> Counts:
    """Missing, wrong, foreign-URL and replayed signatures; API calls without the key."""
    tag = next(_tags)
    c = Counts("missing/wrong/replayed signatures, no API key", stack.backend.name)
    accepted = 0
    five = Counter5xx()

    def inbound_count() -> int:
        return int(stack.query("SELECT count(*) FROM inbound_message")[0][0])

    with httpx.Client(base_url=stack.url, timeout=30) as h:
        phone = phone_for(tag, 1)
        for path in ("/webhooks/twilio", "/webhooks/twilio/status"):
            p = stack.webhook_params(phone, "book a haircut with Sam tomorrow at 3pm")
            if path.endswith("status"):
                p = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "delivered", "AccountSid": "AC1"}
            before = inbound_count()
            variants = {
                "missing": {},
                "empty": {"X-Twilio-Signature": ""},
                "wrong": {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"},
                "other token": {"X-Twilio-Signature": _sign("not-" + AUTH_TOKEN, stack.url + path, p)},
                "other url": {"X-Twilio-Signature": _sign(AUTH_TOKEN, "https://evil.example" + path, p)},
                "body changed": stack.signed_headers({**p, "Body": "cancel"} if "Body" in p
                                                     else {**p, "MessageStatus": "failed"}, path),
            }
            for _name, headers in variants.items():
                r = h.post(path, data=p, headers=headers)
                five.saw(r.status_code)
                accepted += r.status_code != 403
            assert inbound_count() == before
        # a replay: the same signed request twice changes nothing the second time
        p = stack.webhook_params(phone, "can I get a haircut with Sam " + _slot_phrase(future_slot(6)))
        first = h.post("/webhooks/twilio", data=p, headers=stack.signed_headers(p))
        p2 = stack.webhook_params(phone, "yes")
        h.post("/webhooks/twilio", data=p2, headers=stack.signed_headers(p2))
        snap = _snapshot(stack, phone)
        replays = [h.post("/webhooks/twilio", data=q, headers=stack.signed_headers(q)) for q in (p, p2, p2)]
        for r in [first, *replays]:
            five.saw(r.status_code)
        replay_changed = int(_snapshot(stack, phone) != snap)
        # the replayed signature on a different body (a different MessageSid or text) is refused
        tampered = [{**p2, "Body": "cancel"}, {**p2, "MessageSid": p2["MessageSid"] + "x"}]
        for q in tampered:
            r = h.post("/webhooks/twilio", data=q, headers=stack.signed_headers(p2))
            five.saw(r.status_code)
            accepted += r.status_code != 403
        # the API without, or with a wrong, bearer token
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": API_KEY},
                        {"Authorization": f"Basic {API_KEY}"}):
            for method, path, body in (("GET", "/api/bookings", None), ("GET", "/api/bookings/1", None),
                                       ("POST", "/api/bookings", {"customer_phone": phone,
                                                                  "service": "haircut",
                                                                  "start": future_slot(7).isoformat()}),
                                       ("PATCH", "/api/bookings/1", {"start": future_slot(8).isoformat()}),
                                       ("DELETE", "/api/bookings/1", None),
                                       ("GET", "/api/bookings/1/reminders", None),
                                       ("GET", "/api/availability?date=2030-01-01&service=haircut", None),
                                       ("GET", "/api/queue/stats", None)):
                r = h.request(method, path, json=body, headers=headers)
                five.saw(r.status_code)
                accepted += r.status_code != 401
    c.unauthorised_accepted = accepted
    c.http_5xx = five.n
    c.notes.update(replay_changed_something=replay_changed,
                   replay_same_answer=int(replays[0].text == first.text),
                   requests=five.total)
    c.unauthorised_accepted += replay_changed
    c.double_booked = double_booked(stack)
    return c


def _sign(token: str, url: str, params: dict[str, str]) -> str:
    from webhooks.signature import sign

    return sign(token, url, params)


def _snapshot(stack: Stack, phone: str) -> tuple[Any, ...]:
    return (
        stack.query("SELECT id, status, start_at, revision FROM booking WHERE customer_phone = :p "
                    "ORDER BY id", p=phone),
        stack.query("SELECT state, data FROM conversation WHERE phone = :p", p=phone),
        stack.query("SELECT count(*) FROM inbound_message WHERE phone = :p", p=phone),
        stack.query("SELECT count(*) FROM outbound_message WHERE to_phone = :p", p=phone),
    )
