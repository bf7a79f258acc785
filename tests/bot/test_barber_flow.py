"""The barber's pure step (bot.dialogue.barber_flow) over an in-memory day, and the parser's reading
of days and windows. The property test drives random commands from random barbers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from barber_world import World
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.availability import local_instant
from bot.dialogue import barber as cmd
from bot.dialogue.barber import BookingInfo, parse_command
from bot.dialogue.barber_flow import (
    AddTimeOff,
    BarberOutcome,
    CancelAndTell,
    MoveAndTell,
    SetOutcome,
    Tell,
    barber_step,
)
from bot.dialogue.model import IDLE, Convo, State
from bot.shop import parse_shop

SHOP = parse_shop((Path(__file__).parents[1] / "conversations" / "barbers_shop.toml").read_text())
NOW = dt.datetime(2026, 12, 7, 22, 0, tzinfo=dt.UTC)  # Tue 8 Dec 09:00 in Sydney
TUE = dt.date(2026, 12, 8)


def at(day: dt.date, hhmm: str) -> dt.datetime:
    h, m = map(int, hhmm.split(":"))
    return local_instant(SHOP, day, h * 60 + m)


def booking(i: int, barber: str, day: dt.date, hhmm: str, minutes: int = 30) -> BookingInfo:
    start = at(day, hhmm)
    return BookingInfo(i, f"C{i:03d}"[-4:].replace("0", "A").replace("1", "B"), "confirmed", barber, "haircut",
                       start, start + dt.timedelta(minutes=minutes), f"+6149157{i:04d}", f"Cust{i}")


def turn(world: World, who: str, text: str, convo: Convo = IDLE) -> BarberOutcome:
    barber = SHOP.barber(who)
    assert barber is not None
    command = parse_command(text, shop=SHOP, now=world.now)
    assert command is not None, text
    out = barber_step(convo, command, world.context(barber), world.now)
    for a in out.actions:
        world.apply(a)
    return out


# -- days and windows as written ------------------------------------------------


def test_an_explicit_date_wins_over_the_weekday_name() -> None:
    c = parse_command("block wed 16 dec 13:00-18:00", shop=SHOP, now=NOW)
    assert c == cmd.Block(dt.date(2026, 12, 16), 780, 1080, False)


def test_a_weekday_that_is_not_the_dates_is_a_question() -> None:
    assert parse_command("block tue 16 dec 13:00-18:00", shop=SHOP, now=NOW) == cmd.DayQuestion("tue", dt.date(2026, 12, 16))
    assert parse_command("agenda fri 16/12", shop=SHOP, now=NOW) == cmd.DayQuestion("fri", dt.date(2026, 12, 16))


def test_a_weekday_and_a_day_number_is_that_day_of_the_month() -> None:
    assert parse_command("agenda wed 16", shop=SHOP, now=NOW) == cmd.Agenda(dt.date(2026, 12, 16))
    assert parse_command("block fri 1-3", shop=SHOP, now=NOW) == cmd.Block(dt.date(2026, 12, 11), 780, 900, False)


def test_windows_are_the_shops_own() -> None:
    tomorrow = dt.date(2026, 12, 9)
    assert parse_command("block tomorrow afternoon", shop=SHOP, now=NOW) == cmd.Block(tomorrow, 720, 1020, False)
    assert parse_command("block fri morning", shop=SHOP, now=NOW) == cmd.Block(dt.date(2026, 12, 11), 540, 720, False)
    after = parse_command("block thurs after 3", shop=SHOP, now=NOW)
    assert isinstance(after, cmd.Block) and (after.start_min, after.whole_day) == (900, False)


def test_after_3_ends_at_closing_time() -> None:
    world = World(SHOP, NOW)
    out = turn(world, "sam", "block thurs after 3")
    assert world.time_off == [("sam", at(dt.date(2026, 12, 10), "15:00"), at(dt.date(2026, 12, 10), "20:00"))]
    assert out.actions and isinstance(out.actions[0], AddTimeOff)


def test_past_days_are_read_for_an_agenda() -> None:
    assert parse_command("agenda yesterday", shop=SHOP, now=NOW) == cmd.Agenda(dt.date(2026, 12, 7))


# -- the step ----------------------------------------------------------------------


def test_a_block_with_a_clash_waits_for_a_word_and_touches_no_customer() -> None:
    world = World(SHOP, NOW, [booking(1, "sam", TUE, "14:00")])
    out = turn(world, "sam", "block today 13:00-15:00")
    assert out.convo.state == State.BARBER_CLASH
    assert world.bookings[0].status == "confirmed" and world.sent == []
    assert "Reply MOVE THEM" in out.replies[0]
    again = turn(world, "sam", "yes", out.convo)  # a plain yes is not enough for a block
    assert again.convo == out.convo and world.bookings[0].status == "confirmed"
    done = turn(world, "sam", "cancel them", again.convo)
    assert done.convo == IDLE and world.bookings[0].status == "cancelled"
    assert [phone for phone, _ in world.sent] == [world.bookings[0].customer_phone]


def test_a_sick_day_yes_cancels_only_that_barbers_bookings_that_day() -> None:
    world = World(SHOP, NOW, [booking(1, "sam", TUE, "10:00"), booking(2, "jo", TUE, "10:00"),
                              booking(3, "sam", TUE + dt.timedelta(days=1), "10:00")])
    out = turn(world, "sam", "sick today cancel all my bookings")
    assert out.convo.state == State.BARBER_CONFIRM
    turn(world, "sam", "yes", out.convo)
    assert [b.status for b in world.bookings] == ["cancelled", "confirmed", "confirmed"]
    assert "Free times nearby" in world.sent[0][1]


def test_undo_removes_the_block_just_added_and_touches_no_booking() -> None:
    world = World(SHOP, NOW, [booking(1, "sam", TUE, "14:00")])
    out = turn(world, "sam", "block today 13:00-15:00")
    assert world.time_off
    turn(world, "sam", "undo", out.convo)
    assert world.time_off == [] and world.bookings[0].status == "confirmed" and world.sent == []


def test_a_sick_day_leaves_the_appointment_under_way_alone() -> None:
    world = World(SHOP, NOW + dt.timedelta(minutes=40), [booking(1, "sam", TUE, "09:30"), booking(2, "sam", TUE, "11:00")])
    out = turn(world, "sam", "sick today, cancel all my bookings")
    turn(world, "sam", "yes", out.convo)
    assert [b.status for b in world.bookings] == ["confirmed", "cancelled"]


def test_move_them_prefers_the_same_time_with_another_barber() -> None:
    world = World(SHOP, NOW, [booking(1, "sam", TUE, "14:00")])
    out = turn(world, "sam", "block today 13:00-15:00")
    turn(world, "sam", "move them", out.convo)
    moved = world.bookings[0]
    assert moved.barber != "sam" and moved.start == at(TUE, "14:00")


def test_noshow_before_the_start_is_refused_with_when() -> None:
    world = World(SHOP, NOW, [booking(1, "sam", TUE, "17:00")])
    out = turn(world, "sam", f"noshow {world.bookings[0].code}")
    assert out.actions == () and "starts Tue 8 Dec 17:00" in out.replies[0]


def test_late_tells_the_next_customer_only() -> None:
    world = World(SHOP, NOW, [booking(1, "sam", TUE, "09:30"), booking(2, "sam", TUE, "11:00")])
    out = turn(world, "sam", "running 10 mins late")
    assert [type(a) for a in out.actions] == [Tell]
    assert world.sent == [(world.bookings[0].customer_phone, world.sent[0][1])]
    assert "10 minutes late" in world.sent[0][1]


# -- the property: nobody but an owner changes another barber's bookings or time ----

BARBERS = [b.key for b in SHOP.barbers]
TEMPLATES = [
    "cancel {code}", "cancel {code} sorry", "noshow {code}", "done {code}", "no show {code}",
    "block {day} {window}", "block {barber} {day} {window}", "off {day}", "off {barber} {day}",
    "sick {day}, cancel all my bookings", "unblock {day}", "unblock {barber} {day}",
    "running {n} min late", "tell my {hour} i'm {n} min late", "agenda {barber}", "agenda {day}",
    "who's in {day}", "what's my week", "next free slot", "yes", "move them", "cancel them", "keep them",
    "no", "undo", "customer +61491570105",
]
DAYS = ["today", "tomorrow", "fri", "wed 16 dec", "tue 16 dec", "16/12", "sat", "yesterday"]
WINDOWS = ["13:00-15:00", "morning", "afternoon", "after 3", "9-11", "10am-2pm"]


@st.composite
def days_of_bookings(draw: st.DrawFn) -> list[BookingInfo]:
    n = draw(st.integers(min_value=1, max_value=10))
    rows = []
    for i in range(n):
        who = draw(st.sampled_from(BARBERS))
        day = TUE + dt.timedelta(days=draw(st.integers(min_value=-1, max_value=3)))
        hhmm = f"{draw(st.integers(min_value=9, max_value=16)):02d}:{draw(st.sampled_from([0, 30])):02d}"
        rows.append(booking(i + 1, who, day, hhmm))
    return rows


@st.composite
def messages(draw: st.DrawFn, codes: list[str]) -> tuple[str, str]:
    who = draw(st.sampled_from(BARBERS))
    text = draw(st.sampled_from(TEMPLATES)).format(
        code=draw(st.sampled_from(codes)), day=draw(st.sampled_from(DAYS)), window=draw(st.sampled_from(WINDOWS)),
        barber=draw(st.sampled_from(BARBERS)), n=draw(st.integers(min_value=1, max_value=45)),
        hour=draw(st.sampled_from(["9am", "10am", "11", "2pm"])))
    return who, text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_no_command_changes_another_barbers_booking_unless_sent_by_an_owner(data: st.DataObject) -> None:
    rows = data.draw(days_of_bookings())
    minutes = data.draw(st.integers(min_value=0, max_value=48 * 60))
    world = World(SHOP, NOW + dt.timedelta(minutes=minutes), list(rows))
    convos: dict[str, Convo] = {}
    for _ in range(data.draw(st.integers(min_value=1, max_value=8))):
        who, text = data.draw(messages([b.code for b in rows]))
        sender = SHOP.barber(who)
        assert sender is not None
        command = parse_command(text, shop=SHOP, now=world.now)
        if command is None:
            continue
        before = {b.id: b for b in world.bookings}
        blocks_before = list(world.time_off)
        out = barber_step(convos.get(who, IDLE), command, world.context(sender), world.now)
        convos[who] = out.convo
        for a in out.actions:
            if isinstance(a, (CancelAndTell, MoveAndTell, SetOutcome, Tell)) and not sender.is_owner:
                assert before[a.booking_id].barber == who, (who, text, a)
            if isinstance(a, AddTimeOff) and not sender.is_owner:
                assert a.barber == who, (who, text, a)
            if isinstance(a, SetOutcome):
                assert before[a.booking_id].start <= world.now, (text, a)
            world.apply(a)
        if not sender.is_owner:
            for b in world.bookings:
                if before[b.id].barber != who:
                    assert b == before[b.id], (who, text, before[b.id], b)
            others = [t for t in world.time_off if t[0] != who]
            assert others == [t for t in blocks_before if t[0] != who], (who, text)
