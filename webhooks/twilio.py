"""POST /webhooks/twilio: verify, parse, deduplicate by MessageSid, run one chat turn, answer TwiML.

Thin on purpose: the conversation lives in `bot.dialogue`. Whatever breaks inside, Twilio gets a
200 with a polite apology (never a 500 or a traceback); bad requests get 4xx and change nothing.

Cost: most turns ("hi", "any slots friday?", a question the bot asks back) only read and then
write once: the MessageSid claim, the customer's last inbound time, the conversation and the reply
are stored together, so a redelivery either finds the whole answer or wins the claim itself. A turn
that books or cancels does the same: the claim first (so it happens once), the BookingService's
change in a savepoint, the conversation and the reply; the queue is told after the commit. A move,
a pause or a barber's command claims in a transaction of its own, acts through the
BookingService, then stores the conversation and the reply.

Where a turn runs: on SQLite, inline on the event loop. A turn is a few hundred microseconds of
Python and local file I/O, and SQLite serialises writers anyway; handing it to a thread cost more
than the turn (the hop, and the GIL bouncing between the loop and the thread on every await), and
measured 40% more throughput inline. The price: while another process holds the write lock (a
reminder batch), this process's loop waits with it instead of only its turns. Inline turns share
one connection kept for them (`bot.prepared.HeldConnection`: 9 us a turn less than a pool
checkout and checkin), and the turns of one event-loop round commit together (`Group`: 17% less
CPU a turn at 64 connections). On PostgreSQL, where each statement is a network round trip, turns
run on a small thread pool of their own, each committing its own transaction.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from functools import lru_cache
from typing import Any, TypeVar
from urllib.parse import unquote_to_bytes
from xml.sax.saxutils import escape

from starlette.datastructures import URL
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from bot.bookings import Joint
from bot.dialogue import ChatEngine
from bot.dialogue import replies as r
from bot.dialogue.engine import Decision, save_conversation, save_conversations
from bot.phones import InvalidPhone, mask_phone, normalize_phone
from bot.prepared import HeldConnection, Savepoint, SharedReads, TurnConnection, Tx
from bot.services import Services

from .inbound import (
    claim,
    claim_all,
    record_inbound,
    record_inbound_all,
    store_replies,
    store_reply,
    stored_reply,
)
from .signature import is_valid, signed_url

log = logging.getLogger(__name__)
XML = "application/xml"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
REPLAY_WAIT_SECONDS = 15.0
_T = TypeVar("_T")
# the same customers write again and again; parsing a number with phonenumbers costs 40 us
_normalize_phone = lru_cache(maxsize=4096)(normalize_phone)
INLINE_DIALECTS = frozenset({"sqlite"})
# group commits so far (the tests read it): groups committed, turns in them, the largest group
group_stats = {"groups": 0, "turns": 0, "largest": 0}
TURN_THREADS = 8


def twiml(messages: list[str]) -> str:
    body = "".join(f"<Message>{escape(_NOT_XML.sub('', m))}</Message>" for m in messages if m)
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>'


@lru_cache(maxsize=256)
def _signed_url(public_base_url: str | None, scheme: str, host: bytes | None, server: tuple[str, int] | None,
                path: str, query: bytes) -> str:
    """The URL a request's signature is checked against: Twilio calls the same few URLs, so each is
    worked out once (as Starlette's Request.url reads the scope: scheme, Host or server, path, query)."""
    url = URL(scope={"scheme": scheme, "server": server, "path": path, "query_string": query,
                     "headers": [] if host is None else [(b"host", host)]})
    return signed_url(public_base_url, str(url), url.path, url.query)


class _Turn:
    """One message's turn: what was decided, and (once written) its answer."""

    __slots__ = ("sid", "phone", "body", "name", "now", "d", "xml", "joint", "redelivered", "error", "lock", "done")

    def __init__(self, sid: str, phone: str, body: str, name: str | None, now: dt.datetime,
                 d: Decision | None) -> None:
        self.sid, self.phone, self.body, self.name, self.now, self.d = sid, phone, body, name, now, d
        self.xml: str | None = None
        self.joint: Joint | None = None
        self.redelivered = False
        self.error: BaseException | None = None
        self.lock: threading.Lock | None = None
        self.done: asyncio.Future[None] | None = None  # set when its group has committed (Group.flush)

    @property
    def pure(self) -> bool:
        """Nothing to carry out: its replies and conversation are the whole turn (or the apology)."""
        return self.d is None or self.d.pure

    @property
    def apart(self) -> bool:
        """A move, a pause or a barber's command: acts in transactions of its own (`_apart`)."""
        return self.d is not None and not (self.d.pure or self.d.joinable)

    def pure_reply(self) -> str:
        """A pure turn's TwiML, known before anything is written (stored with its claim)."""
        return twiml(self.d.replies if self.d is not None else [r.APOLOGY])


class Group:
    """Group commit for the inline SQLite turns of one event loop round.

    The turns that start in one round of the event loop (under load: every connection that sent
    a message meanwhile) decide one after another, all in one read snapshot (`SharedReads`), and
    leave their writes here; at the end of the round (`loop.call_soon`, queued behind them) one
    write transaction runs them all (their claims, customers, conversations and replies as one
    statement each for all of them, each booking or cancel in a savepoint of its own) and commits
    once. Only then does any of them answer: a reply is never sent for a turn that is not stored.
    A turn that fails is undone alone and answers with the apology; a failed commit undoes them
    all, and all apologise (nothing of theirs was stored, so a redelivery runs them again) but
    the redeliveries among them, which wrote nothing and replay their first delivery's answer.

    What it saves: a commit writes each changed page to the WAL once, and one round's turns change
    the same few pages (the newest inbound messages, conversations, bookings and their indexes):
    a commit was 47 us of an average turn and 100 us of a booking's "yes" (one per turn). The
    write lock is held only while the round's writes run, not while turns decide, so another
    process (a reminder worker, a second server process) waits no longer than before.

    Each turn holds its phone's lock (`ChatEngine.lock`) until its group commits, so that a
    second message from the same phone decides on the first one's outcome: in the same round it
    commits the group first.
    """

    __slots__ = ("hook", "loop", "turns", "phones", "closed", "reads")

    def __init__(self, hook: TwilioWebhook, loop: asyncio.AbstractEventLoop) -> None:
        self.hook, self.loop = hook, loop
        self.turns: list[_Turn] = []
        self.phones: set[str] = set()
        self.closed = False
        assert hook._held is not None
        self.reads = SharedReads(hook._held)  # the round's turns decide in one snapshot, ended before the writes
        loop.call_soon(self.flush)

    def add(self, turn: _Turn) -> None:
        self.turns.append(turn)
        self.phones.add(turn.phone)

    def flush(self) -> None:
        """Write and commit the group's turns, tell the queue, and wake the turns up; once."""
        if self.closed:
            return
        self.closed = True
        turns = self.turns
        if turns:
            group_stats["groups"] += 1
            group_stats["turns"] += len(turns)
            group_stats["largest"] = max(group_stats["largest"], len(turns))
        try:
            self.reads.end()
            if turns:
                self.hook._commit_group(turns)
        except BaseException as exc:  # no connection to write with, or interrupted: nobody is told it was stored
            log.exception("a group of %d webhook turns could not be written", len(turns))
            for turn in turns:
                if not turn.redelivered:
                    turn.xml, turn.joint, turn.error = None, None, turn.error or exc
            if not isinstance(exc, Exception):
                raise
        finally:
            for turn in turns:
                if turn.lock is not None:
                    turn.lock.release()
                if turn.done is not None and not turn.done.done():  # (its request may have been cancelled)
                    turn.done.set_result(None)


class TooLarge(Exception):
    pass


class _AlreadyClaimed(Exception):
    """A group's turns included a redelivery: their shared writes are undone (`_write_together`)."""


async def read_limited(receive: Receive, declared: bytes | None, limit: int) -> bytes:
    """The request body, at most `limit` bytes (TooLarge past it, or when Content-Length says so)."""
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise TooLarge
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def parse_form(raw: bytes) -> dict[str, str]:
    """application/x-www-form-urlencoded -> dict; ValueError when it is not that.

    `dict(parse_qsl(text, keep_blank_values=True, strict_parsing=True, errors="strict"))`, field
    for field (the tests hold it to that), in a fifth of its time: a Twilio form is a dozen fields."""
    text = raw.decode("utf-8")  # UnicodeDecodeError is a ValueError
    form: dict[str, str] = {}
    if not text:
        return form
    if "+" in text:  # a space; a plus sign is sent as %2B
        text = text.replace("+", " ")
    for field in text.split("&"):
        name, eq, value = field.partition("=")
        if not eq:
            raise ValueError(f"bad form field: {field!r}")
        if "%" in field:
            if "%" in name:
                name = _unquote(name)
            if "%" in value:
                value = _unquote(value)
        form[name] = value
    return form


def _unquote(text: str) -> str:
    """`unquote(text, errors="strict")` in half its time: the text's UTF-8 with its escapes decoded,
    read back strictly (raw non-ASCII characters are whole characters, so the two agree)."""
    return unquote_to_bytes(text).decode("utf-8")


def plain(text: str, status: int) -> Response:
    return Response(text, status_code=status, media_type="text/plain")


class TwilioWebhook:
    """The endpoint, as a bare ASGI app: a turn is a few hundred microseconds, and Starlette's
    Request, form parser and response wrapper around it cost a tenth of that again. The route,
    the middleware (request ids, metrics) and the error handlers around it stay Starlette's."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.engine = ChatEngine(services)
        inline = services.db.dialect in INLINE_DIALECTS
        self._pool = None if inline else ThreadPoolExecutor(TURN_THREADS, thread_name_prefix="chat-turn")
        # inline turns run one at a time: one connection kept for all of them (bot.prepared)
        self._held = HeldConnection(services.db) if inline else None
        self._group: Group | None = None
        self._group_guard = threading.Lock()  # loops in other threads (tests) look at `_group` too
        settings = services.settings
        if not settings.auth_token:
            log.warning("TWILIO_AUTH_TOKEN is not set: webhook signatures are NOT checked (development only)")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        answer = await self.answer(scope, receive)
        if isinstance(answer, Response):
            await answer(scope, receive, send)
            return
        body = answer.encode("utf-8")
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-length", str(len(body)).encode("latin-1")), (b"content-type", b"application/xml")]})
        await send({"type": "http.response.body", "body": body})

    async def answer(self, scope: Scope, receive: Receive) -> str | Response:
        """The TwiML for a message, or the 4xx response for a request that is not one."""
        settings = self.services.settings
        declared = signature = host = None
        for key, value in scope["headers"]:
            if key == b"content-length" and declared is None:
                declared = value
            elif key == b"x-twilio-signature" and signature is None:
                signature = value.decode("latin-1")
            elif key == b"host" and host is None:
                host = value
        try:
            raw = await read_limited(receive, declared, settings.max_body_bytes)
        except TooLarge:
            return plain("body too large", 413)
        try:
            form = parse_form(raw)
        except ValueError:
            return plain("bad form body", 400)
        if not self._signature_ok(scope, host, form, signature):
            return plain("invalid signature", 403)
        sid, sender = form.get("MessageSid") or form.get("SmsMessageSid"), form.get("From", "")
        if not sid or len(sid) > 64:
            return plain("MessageSid is required", 400)
        try:
            phone = _normalize_phone(sender)
        except InvalidPhone:
            return plain("From is not a phone number", 400)
        body = form.get("Body", "") or form.get("ButtonPayload", "") or form.get("ButtonText", "")
        name = (form.get("ProfileName") or "").strip()[:80] or None
        try:
            group = self._group_here() if self._held is not None else None
            if group is not None:
                xml = await self._grouped(group, sid, phone, body, name)
            else:
                xml = await self._run(self._handle, sid, phone, body, name)
            if xml is None:
                xml = await self._replay(sid)
        except Exception:  # noqa: BLE001 - Twilio must always get a polite answer
            log.exception("webhook turn failed for %s (%s)", mask_phone(phone), sid)
            xml = twiml([r.APOLOGY])
        return xml

    def _signature_ok(self, scope: Scope, host: bytes | None, form: dict[str, str], signature: str | None) -> bool:
        settings = self.services.settings
        token = settings.auth_token
        if not token:
            # development without a token: accepted (warned at start-up); production never
            return settings.barberbot_env != "production"
        server = scope.get("server")
        url = _signed_url(settings.public_base_url, scope.get("scheme", "http"), host,
                          None if server is None else tuple(server), scope["path"], scope.get("query_string", b""))
        if is_valid(token, url, form, signature):
            return True
        log.warning("rejected a webhook with a %s signature (validated against %s)",
                    "missing" if not signature else "wrong", url)
        return False

    def _handle(self, sid: str, phone: str, body: str, name: str | None) -> str | None:
        """Run the turn once per MessageSid; the TwiML, or None for a redelivery still being answered."""
        with self.engine.lock(phone), self._connection() as conn:
            turn = self._decide(conn, sid, phone, body, name)
            if not turn.apart:
                with conn.write() as tx:  # claim, 24h window, conversation, reply (and the booking): one commit
                    self._write(conn, tx, turn)
                if turn.redelivered:
                    return self._redelivered(conn, sid, phone)
                self._committed(turn)
                return turn.xml
            return self._apart(conn, turn)

    def _decide(self, conn: TurnConnection, sid: str, phone: str, body: str, name: str | None) -> _Turn:
        """The turn, decided (reads only); a decision that raised is kept as None: the apology."""
        now = self.services.now()
        try:
            d: Decision | None = self.engine.decide(phone=phone, text=body, conn=conn)
        except Exception:  # noqa: BLE001
            log.exception("chat turn failed for %s (%s)", mask_phone(phone), sid)
            d = None
        return _Turn(sid, phone, body, name, now, d)

    def _group_here(self) -> Group | None:
        """This event loop's open group (a new one if none is open); None while another loop's
        group is open (the test client runs requests on loops of their own, in threads)."""
        loop = asyncio.get_running_loop()
        with self._group_guard:  # two loops must never both open a group: their turns' locks would cross
            group = self._group
            if group is None or group.closed:
                group = self._group = Group(self, loop)
            elif group.loop is not loop:
                return None
            return group

    async def _grouped(self, group: Group, sid: str, phone: str, body: str, name: str | None) -> str | None:
        """`_handle`, with a pure or joinable turn's writes left to the round's group commit."""
        if phone in group.phones:  # this phone's previous message is written first
            group.flush()
            again = self._group_here()
            if again is None:
                return self._handle(sid, phone, body, name)
            group = again
        lock = self.engine.lock(phone)
        lock.acquire()  # released when the group has committed (Group.flush), or below
        queued = False
        try:
            turn = self._decide(group.reads, sid, phone, body, name)
            if turn.apart:
                with self._connection() as conn:
                    return self._apart(conn, turn)
            turn.lock, turn.done = lock, group.loop.create_future()
            group.add(turn)
            queued = True
        finally:
            if not queued:
                lock.release()
        assert turn.done is not None
        await turn.done  # a future of its own: a cancelled request cancels no other turn's wait
        if turn.error is not None:
            raise turn.error
        if turn.redelivered:
            with self._connection() as conn:
                return self._redelivered(conn, sid, phone)
        return turn.xml

    def _commit_group(self, turns: list[_Turn]) -> None:
        """One write transaction for a round's turns: together (`_write_together`), else a
        savepoint each (see `Group`)."""
        with self._connection() as conn:
            try:
                with conn.write() as tx:
                    if len(turns) == 1 or not self._write_together(conn, tx, turns):
                        for turn in turns:
                            try:
                                with Savepoint(tx, "turn"):
                                    self._write(conn, tx, turn)
                            except Exception as exc:  # noqa: BLE001 - this turn alone was undone
                                turn.xml, turn.joint, turn.redelivered, turn.error = None, None, False, exc
            except Exception as exc:  # noqa: BLE001 - nothing was stored: every turn apologises
                log.exception("a group of %d webhook turns failed to commit", len(turns))
                for turn in turns:
                    turn.xml, turn.joint = None, None
                    if not turn.redelivered:  # a lost claim wrote nothing: it replays the first answer
                        turn.error = turn.error or exc
                return
        for turn in turns:
            try:
                self._committed(turn)
            except Exception:  # noqa: BLE001 - stored and answered; the reconciler plans what was missed
                log.exception("telling the queue about %s failed", turn.sid)

    def _write_together(self, conn: TurnConnection, tx: Tx, turns: list[_Turn]) -> bool:
        """The writes of a round's turns as a few statements for all of them, in one savepoint:
        their claims, their customers' last inbound time, then each booking or cancel (in the
        BookingService's savepoint, in the turns' order), then their conversations and the replies
        of the turns that booked or cancelled.

        What `_write` does turn by turn, and the same rows; a turn each cost five to seven
        statements of its own (a savepoint, its release, its claim, customer, conversation and
        reply). False, with nothing written and every decision as it was, when one of them was
        already claimed (a redelivery) or a statement failed: the caller then writes them one by
        one, which tells the redelivery and the failing turn from the rest."""
        xmls = [turn.pure_reply() if turn.pure else None for turn in turns]
        # carrying out adds to a decision's replies and moves its conversation on: kept to put back
        before = [(turn.d, list(turn.d.replies), turn.d.convo) for turn in turns if not turn.pure and turn.d is not None]
        try:
            with Savepoint(tx, "together"):
                if not claim_all(tx, [(t.sid, t.phone, t.body, t.now, xml) for t, xml in zip(turns, xmls, strict=True)]):
                    raise _AlreadyClaimed
                record_inbound_all(tx, [(turn.phone, turn.now, turn.name) for turn in turns])
                replies: list[tuple[str, str]] = []
                keep: list[_Turn] = []
                for turn, xml in zip(turns, xmls, strict=True):
                    if xml is None:
                        xml, kept = self._carry_out(conn, tx, turn)
                        replies.append((turn.sid, xml))
                    else:
                        kept = turn.d is not None and turn.d.keep
                    if kept:
                        keep.append(turn)
                    turn.xml = xml
                save_conversations(tx, [(turn.phone, turn.d.convo, turn.d.now) for turn in keep if turn.d is not None])
                store_replies(tx, replies)
        except Exception as exc:  # noqa: BLE001 - written one by one instead, where the failing turn apologises
            if not isinstance(exc, _AlreadyClaimed):
                log.exception("a group's %d turns could not be written together", len(turns))
            for turn in turns:
                turn.xml, turn.joint = None, None
            for d, replies_before, convo_before in before:  # what carrying out added is undone with it
                d.replies, d.convo = replies_before, convo_before
            return False
        return True

    def _write(self, conn: TurnConnection, tx: Tx, turn: _Turn) -> None:
        """A pure or joinable turn's writes, inside the caller's write transaction.

        The claim first: a redelivery (claim lost) writes nothing more. A booking or cancelling turn
        runs the BookingService's change here too, after the claim (so it happens once; a
        concurrent redelivery waits on it); what to tell the queue waits in `turn.joint` until the
        caller has committed (`_committed`)."""
        d = turn.d
        if turn.pure:
            xml = turn.pure_reply()
            if not claim(tx, sid=turn.sid, phone=turn.phone, body=turn.body, now=turn.now, reply=xml):
                turn.redelivered = True
                return
            record_inbound(tx, phone=turn.phone, now=turn.now, name=turn.name)
            if d is not None and d.keep:
                save_conversation(tx, turn.phone, d.convo, d.now)
            turn.xml = xml
            return
        assert d is not None  # not pure: a decision with bookings to make or cancel
        if not claim(tx, sid=turn.sid, phone=turn.phone, body=turn.body, now=turn.now):
            turn.redelivered = True
            return
        record_inbound(tx, phone=turn.phone, now=turn.now, name=turn.name)
        xml, keep = self._carry_out(conn, tx, turn)
        if keep:
            save_conversation(tx, turn.phone, d.convo, d.now)
        store_reply(tx, turn.sid, xml)
        turn.xml = xml

    def _carry_out(self, conn: TurnConnection, tx: Tx, turn: _Turn) -> tuple[str, bool]:
        """A claimed booking or cancelling turn's change, joined to `tx` (its customer already
        recorded there); its TwiML and whether its conversation is kept. A change that failed was
        undone (the BookingService's savepoint) and answers with the apology; the claim stands."""
        d = turn.d
        assert d is not None
        joint = Joint(tx, customer=turn.phone)  # record_inbound did what add_customer does
        turn.joint = joint
        try:
            self.engine.carry_out(d, name=turn.name, conn=conn, joint=joint)
            return twiml(d.replies), d.keep
        except Exception:  # noqa: BLE001
            log.exception("chat turn failed for %s (%s)", mask_phone(turn.phone), turn.sid)
            return twiml([r.APOLOGY]), False

    def _committed(self, turn: _Turn) -> None:
        if turn.joint is not None:
            joint, turn.joint = turn.joint, None
            self.services.bookings.committed(joint)

    def _apart(self, conn: TurnConnection, turn: _Turn) -> str | None:
        """A move, a pause or a barber's command: the claim commits first (so the actions happen
        once), the BookingService acts in transactions of its own, then the conversation and reply."""
        d, sid, phone = turn.d, turn.sid, turn.phone
        assert d is not None
        with conn.write() as tx:
            fresh = claim(tx, sid=sid, phone=phone, body=turn.body, now=turn.now)
            if fresh:
                record_inbound(tx, phone=phone, now=turn.now, name=turn.name)
        if not fresh:
            return self._redelivered(conn, sid, phone)
        try:
            self.engine.carry_out(d, name=turn.name, conn=conn)
            xml, keep = twiml(d.replies), d.keep
        except Exception:  # noqa: BLE001
            log.exception("chat turn failed for %s (%s)", mask_phone(phone), sid)
            xml, keep = twiml([r.APOLOGY]), False
        with conn.write() as tx:
            if keep:
                save_conversation(tx, phone, d.convo, d.now)
            store_reply(tx, sid, xml)
        return xml

    def _redelivered(self, conn: TurnConnection, sid: str, phone: str) -> str | None:
        log.info("redelivery of %s from %s: replaying", sid, mask_phone(phone))
        with conn.read() as tx:
            return stored_reply(tx, sid)

    def _stored(self, sid: str) -> str | None:
        with self._connection() as conn, conn.read() as tx:
            return stored_reply(tx, sid)

    def _connection(self) -> AbstractContextManager[TurnConnection]:
        return self._held.turn() if self._held is not None else self.engine.connection()

    async def _run(self, fn: Callable[..., _T], *args: Any) -> _T:
        if self._pool is None:
            return fn(*args)
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    async def _replay(self, sid: str) -> str:
        """Wait (without holding a turn thread) for the first delivery's answer."""
        deadline = time.monotonic() + REPLAY_WAIT_SECONDS
        delay = 0.01
        while time.monotonic() < deadline:
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.2)
            reply = await self._run(self._stored, sid)
            if reply is not None:
                return reply
        return twiml([])  # the first delivery is still working; it will answer


def twilio_routes(services: Services) -> list[Route]:
    return [Route("/webhooks/twilio", TwilioWebhook(services), methods=["POST"])]
