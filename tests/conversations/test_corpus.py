"""Every chat of ../shared/conversations/sample.json, through the signed webhook at the corpus's `now`.

The runner answers the bot exactly as the corpus README says, then checks the outcome in the database.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from chat_harness import Chat, asks_to_confirm, option_start, options
from chat_support import ChatFactory, corpus
from sqlmodel import col, select

from bot.models import Booking, BookingStatus, Customer, OutboundMessage, TimeOff

CASES = (corpus() or {}).get("cases", [])


def local(shop_tz: Any, text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=shop_tz)


def fits(start: dt.datetime, exp: dict[str, Any], tz: Any) -> bool:
    """Does a booking (or offered) start satisfy one expected booking's time constraints?"""
    if "start" in exp and start != local(tz, exp["start"]):
        return False
    if "between" in exp:
        lo, hi = (local(tz, x) for x in exp["between"])
        if not lo <= start <= hi:
            return False
    if "not" in exp and start == local(tz, exp["not"]):
        return False
    if "not_between" in exp:
        lo, hi = (local(tz, x) for x in exp["not_between"])
        if lo <= start < hi:
            return False
    return True


def answer_like_the_readme(chat: Chat, case: dict[str, Any], last: list[str]) -> list[str]:
    finish = case.get("finish", "confirm")
    tz = chat.services.shop.tz
    now = chat.services.now()
    if finish == "none":
        return last
    if finish != "confirm":
        if asks_to_confirm("\n".join(last)):
            return chat.send(finish)
        return last
    expected = case["expect"].get("bookings") or []
    for _ in range(4):
        reply = "\n".join(last)
        offered = options(reply)
        if offered:
            pick = next((n for n, text in offered
                         if expected and (start := option_start(text, now, tz)) is not None
                         and fits(start, expected[0], tz)), None)
            if pick is None:
                return last
            last = chat.send(str(pick))
        elif asks_to_confirm(reply):
            last = chat.send("yes")
        else:
            return last
    return last


def check(chat: Chat, case: dict[str, Any], named: dict[str, Any], customer: str) -> None:
    exp = case["expect"]
    services = chat.services
    tz = services.shop.tz
    replies = [text for who, text in chat.transcript if who == "bot"]

    def sub(text: str) -> str:
        for name, b in named.items():
            text = text.replace(f"{{{name}.code}}", b.code)
        return text

    if "bookings" in exp:
        got = services.bookings.list(customer_phone=customer, status=BookingStatus.CONFIRMED)
        assert len(got) == len(exp["bookings"]), f"bookings: {[(b.service, b.start_at) for b in got]}"
        left = list(got)
        for e in exp["bookings"]:
            match = next((b for b in left if b.service == e["service"]
                          and (e.get("barber") is None or b.barber == e["barber"])
                          and fits(b.start_at.astimezone(tz).replace(tzinfo=tz), e, tz)), None)
            assert match is not None, f"no booking like {e}: {[(b.service, b.barber, b.start_at) for b in left]}"
            if "guest_name" in e:
                assert match.guest_name == e["guest_name"], f"guest_name {match.guest_name!r}, not {e['guest_name']!r}"
            left.remove(match)
    for name, status in (exp.get("status") or {}).items():
        assert services.bookings.get(named[name].id).status == status, name
    for text in map(sub, exp.get("reply_not_contains", [])):
        assert not any(text in r for r in replies), f"a reply contains {text!r}"
    for text in map(sub, exp.get("reply_contains", [])):
        assert any(text in r for r in replies), f"no reply contains {text!r}"
    if "reply_contains_any" in exp:
        assert any(t in r for t in exp["reply_contains_any"] for r in replies)
    if exp.get("reply_has_options"):
        assert any(options(r) for r in replies), "no reply offered numbered options"
    if "sent_to" in exp:
        with services.db.session() as s:
            sent = set(s.exec(select(OutboundMessage.to_phone)).all())
        assert set(exp["sent_to"]) <= sent
    sent_wanted = exp.get("sent", [])
    if isinstance(sent_wanted, dict):  # {phone: [texts]}: the same, written per phone
        sent_wanted = [{"to": phone, "contains": texts} for phone, texts in sent_wanted.items()]
    for want in sent_wanted:  # an outbound message to `to` whose body holds every `contains`
        with services.db.session() as s:
            bodies = s.exec(select(OutboundMessage.body).where(OutboundMessage.to_phone == want["to"])).all()
        assert any(all(t in body for t in want.get("contains", [])) for body in bodies), \
            f"no message to {want['to']} holding {want.get('contains')}: {bodies}"
        assert chat.services.dispatcher.messages, "nothing was handed to the dispatcher"  # type: ignore[attr-defined]
    for phone in exp.get("not_sent_to", []):
        with services.db.session() as s:
            assert not s.exec(select(OutboundMessage.body).where(OutboundMessage.to_phone == phone)).all(), phone
    for text in map(sub, exp.get("last_reply_contains", [])):
        assert text in "\n".join(replies[-1:]), f"the last reply does not contain {text!r}"
    for text in map(sub, exp.get("last_reply_not_contains", [])):
        assert text not in "\n".join(replies[-1:]), f"the last reply contains {text!r}"
    if "reminders_paused" in exp:
        with services.db.session() as s:
            cust = s.get(Customer, customer)
        assert bool(cust and cust.reminders_paused) == exp["reminders_paused"]
    if "time_off" in exp:
        with services.db.session() as s:
            offs = [(t.barber, t.start_at, t.end_at) for t in s.exec(select(TimeOff).order_by(col(TimeOff.start_at))).all()]
        for barber, spans in exp["time_off"].items():
            blocks = [(a, z) for who, a, z in offs if who == barber]
            want = [(local(tz, a).astimezone(dt.UTC), local(tz, z).astimezone(dt.UTC)) for a, z in spans]
            assert blocks == want, f"{barber}'s time off: {blocks}"


def run_case(make_chat: ChatFactory, case: dict[str, Any], now: dt.datetime, customer: str,
             shop: Any = None) -> Chat:
    """Set up, chat, answer like the README, check. Beyond the corpus format, our own cases may use:
    `customer` (whose bookings `expect` means), `reminded` (setup names a reminder was just sent
    about), turns `{"advance_minutes": n}` and `{"book": {...}}` (someone else books meanwhile),
    `expect.reply_not_contains`, `expect.last_reply_contains` / `last_reply_not_contains`, `expect.sent` ([{"to", "contains"}]:
    outbound messages), `expect.not_sent_to`, `expect.time_off` (each named barber's blocks, exactly, local times), and
    `guest_name` in an expected booking; `shop` (a
    Shop) replaces the corpus shop."""
    customer = case.get("customer", customer)
    chat = make_chat(now=now, phone=customer, shop=shop)
    services = chat.services
    shop = services.shop
    named: dict[str, Any] = {}

    def book(b: dict[str, Any]) -> Any:
        made = services.bookings.create(
            customer_phone=b.get("customer_phone", customer), service=b["service"], barber=b.get("barber"),
            start=local(shop.tz, b["start"]), customer_name=b.get("customer_name"),
            **({"guest_name": b["guest_name"]} if "guest_name" in b else {}))
        if "code" in b:  # a code chosen by the case ("QTWY": all letters, as people may write it in lower case)
            with services.db.write() as s:
                row = s.get(Booking, made.id)
                row.code = b["code"]
                s.add(row)
            made = services.bookings.get(made.id)
        return made

    for item in case.get("setup", []):
        named[item.get("as", f"_{len(named)}")] = book(dict(item["booking"]))
    for name in case.get("reminded", []):
        mark_reminded(services, named[name].id)
    last: list[str] = []
    for turn in case["turns"]:
        if isinstance(turn, dict) and "advance_minutes" in turn:
            services.clock.advance(minutes=turn["advance_minutes"])  # type: ignore[attr-defined]
            continue
        if isinstance(turn, dict) and "book" in turn:
            book(turn["book"])
            continue
        text, phone = (turn, customer) if isinstance(turn, str) else (turn["text"], None)
        if phone is None:
            who = turn["from"]
            barber = shop.barber(who.removeprefix("barber:")) if who.startswith("barber:") else None
            phone = barber.phone if barber else who
        for name, b in named.items():
            text = text.replace(f"{{{name}.code}}", b.code)
        last = chat.send(text, phone=phone)
    answer_like_the_readme(chat, case, last)
    try:
        check(chat, case, named, customer)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n--- chat ---\n{chat.dump()}") from None
    return chat


def mark_reminded(services: Any, booking_id: int) -> None:
    """As if the worker had just sent this booking's first reminder."""
    from bot.models import Reminder, ReminderState

    with services.db.write() as s:
        r = s.exec(select(Reminder).where(Reminder.booking_id == booking_id)).first()
        if r is None:
            r = Reminder(booking_id=booking_id, job_id=f"{booking_id}-test-reminder", k=1, revision=1,
                         due_at=services.now(), updated_at=services.now())
        r.state, r.sent_at = ReminderState.SENT, services.now() - dt.timedelta(minutes=5)
        s.add(r)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_corpus_case(case: dict[str, Any], need_corpus: dict[str, Any], make_chat: ChatFactory) -> None:
    run_case(make_chat, case, dt.datetime.fromisoformat(need_corpus["now"]), need_corpus["customer"])
