"""Intents: whole-message replies, keywords, and what a correction looks like."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.nlu import Intent, understand
from bot.shop import parse_shop

SHOP = parse_shop((Path(__file__).parents[2] / "bot" / "demo_shop.toml").read_text())
NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)


def intent_of(text: str) -> Intent:
    return understand(text, now=NOW, shop=SHOP).intent


@pytest.mark.parametrize(
    ("intent", "texts"),
    [
        (Intent.YES, ["yes", "Y", "yeah", "yep", "ok", "okay", "OK!", "confirm", "sure", "👍",
                      "sounds good", "perfect", "yes please", "ok thanks", "Yes!!", "👍🏽"]),
        (Intent.NO, ["no", "n", "nope", "nah", "👎", "don't", "no thanks", "never mind"]),
        (Intent.STOP, ["STOP", "stop", "unsubscribe", "stop reminders", "Stop."]),
        (Intent.START, ["START", "start", "resume reminders"]),
        (Intent.HELP, ["help", "?", "menu", "what can you do", "HELP!"]),
        (Intent.GREETING, ["hi", "hello", "hey", "Hi there!", "good morning", "hiya 👋"]),
        (Intent.THANKS, ["thanks", "thank you", "cheers", "thx", "thanks!", "cheers mate see you then", "bye!",
                         "see you soon", "see you later", "thanks, have a good one"]),
        (Intent.CHOICE, ["2", "option 2", "#2", "the 2nd one", "the second one", "2 please", "2)"]),
        (Intent.CANCEL, ["cancel", "I need to cancel my appointment", "cancel the friday one",
                         "i can't make it tomorrow", "call it off", "cancle my booking",
                         "sorry something came up, I won't be able to make it friday",
                         "i will no longer be able to make it"]),
        (Intent.RESCHEDULE, ["can we move it to friday at 2pm", "reschedule please", "can I change my booking",
                             "push it back an hour", "can i come earlier", "another time please",
                             "can't make it, can we do friday instead"]),
        (Intent.LIST, ["what bookings do I have?", "my appointments", "when is my appointment",
                       "do i have a booking?", "show my bookings"]),
        (Intent.AVAILABILITY, ["any slots friday afternoon?", "are you free tomorrow", "availability",
                               "what times do you have on saturday", "when can i come in",
                               "are you open tomorrow at 3?"]),
        (Intent.HOURS, ["what time do you open on saturday", "what are your opening hours?", "are you open on sunday?",
                        "when do you close today", "how late are you open on thursday?", "hours?",
                        "what time does the shop shut", "open till when on friday"]),
        (Intent.PRICES, ["how much is a beard trim?", "how much for a fade", "prices", "price list please",
                         "what do you charge for a haircut", "what does a skin fade cost?",
                         "how long is a skin fade?", "how long does a beard trim take"]),
        (Intent.BOOK, ["book", "I'd like to book an appointment", "can I get a haircut",
                       "can I come in tomorrow", "i need a beard trim", "haircut", "friday at 10",
                       "with sam", "appointment please"]),
        (Intent.UNKNOWN, ["", "   ", "lol", "what's the wifi password", "see you at the thing"]),
    ],
)
def test_intent_phrasings(intent: Intent, texts: list[str]) -> None:
    assert {t: intent_of(t) for t in texts} == {t: intent for t in texts}


def test_a_bare_number_is_a_choice_and_nothing_else() -> None:
    u = understand("3", now=NOW, shop=SHOP)
    assert (u.intent, u.choice, u.time, u.date) == (Intent.CHOICE, 3, None, None)


def test_numbers_inside_dates_and_times_are_not_choices() -> None:
    for text in ("friday at 2", "the 2nd at 3pm", "2pm", "tomorrow 2", "in 2 days"):
        assert understand(text, now=NOW, shop=SHOP).choice is None, text


def test_no_followed_by_a_new_day_is_a_correction_not_a_refusal() -> None:
    u = understand("no, make it friday", now=NOW, shop=SHOP)
    assert u.intent is Intent.BOOK and u.correction and u.date == dt.date(2026, 12, 4)


def test_actually_make_it_is_an_implied_booking_correction() -> None:
    u = understand("actually make it friday at 11", now=NOW, shop=SHOP)
    assert (u.intent, u.correction, u.explicit_intent) == (Intent.BOOK, True, False)


def test_change_it_to_is_a_reschedule_marked_as_a_correction() -> None:
    u = understand("change it to 4pm instead", now=NOW, shop=SHOP)
    assert (u.intent, u.correction, u.time) == (Intent.RESCHEDULE, True, dt.time(16))


def test_cannot_make_it_is_not_a_correction() -> None:
    assert not understand("I can't make it tomorrow", now=NOW, shop=SHOP).correction


def test_slots_alone_imply_a_booking_but_not_explicitly() -> None:
    u = understand("beard trim", now=NOW, shop=SHOP)
    assert (u.intent, u.explicit_intent) == (Intent.BOOK, False)
    assert understand("book a beard trim", now=NOW, shop=SHOP).explicit_intent


def test_a_greeting_with_a_request_is_the_request() -> None:
    assert intent_of("hey! any slots tomorrow?") is Intent.AVAILABILITY
    assert intent_of("hi, can I book a haircut") is Intent.BOOK


def test_yes_with_new_details_carries_the_details() -> None:
    u = understand("yes, friday at 3", now=NOW, shop=SHOP)
    assert u.intent is Intent.BOOK and u.date == dt.date(2026, 12, 4) and u.time == dt.time(15)


SYDNEY = parse_shop((Path(__file__).parents[2] / "tests" / "conversations" / "sydney_shop.toml").read_text())


@pytest.mark.parametrize(
    ("intent", "texts"),
    [
        (Intent.PERSON, ["useless bot get me a real person", "can i speak to someone please", "talk to a human",
                         "this is ridiculous", "wtf", "can someone call me", "you're not helping"]),
        (Intent.LATE, ["running 10 min late sorry", "running late", "will you hold my spot?", "stuck in traffic",
                       "on my way, be 5 mins late", "gonna be a bit late", "sorry running late, traffic is shit"]),
        (Intent.WHO, ["is jono working saturday?", "is Jono in saturday", "who's on sunday", "who's working tomorrow",
                      "when is she next in?", "when is mia next in", "does mia work mondays"]),
        (Intent.INFO, ["where are you located?", "is there parking", "do you take card", "do you do walk ins",
                       "what's your address", "can i pay cash", "got wifi?"]),
        (Intent.LIST, ["whats my booking", "what's my appointment"]),
        (Intent.YES, ["yeh", "yse", "yess", "👍"]),
    ],
)
def test_everyday_intents(intent: Intent, texts: list[str]) -> None:
    for text in texts:
        assert understand(text, now=NOW, shop=SYDNEY).intent == intent, text


@pytest.mark.parametrize(
    ("text", "topic"),
    [("where are you located?", "address"), ("is there parking nearby", "parking"), ("do you take amex", "payment"),
     ("can i just walk in", "walk_ins"), ("do you do walk-ins", "walk_ins"), ("wifi password?", "wifi")],
)
def test_info_topics_are_named(text: str, topic: str) -> None:
    assert understand(text, now=NOW, shop=SYDNEY).topic == topic


@pytest.mark.parametrize("text", ["is it free at 3", "is there anything saturday", "when is sam free on monday",
                                  "my card is not working, can i book a cut friday at 3",
                                  "haircut friday at 3 with jono", "book a fade, can I pay by card?"])
def test_everyday_words_do_not_take_over_requests(text: str) -> None:
    assert understand(text, now=NOW, shop=SYDNEY).intent not in (Intent.WHO, Intent.PERSON, Intent.LATE)


def test_a_word_typed_as_it_sounds_is_the_service() -> None:
    assert understand("a faid tomorrow at 10", now=NOW, shop=SYDNEY).service == "skin-fade"
    assert understand("berd trim friday", now=NOW, shop=SYDNEY).service == "beard"


def test_an_info_key_that_is_part_of_the_service_named_does_not_take_the_booking() -> None:
    """A shop whose [shop.info] has `kids` still books "kids cut wed 10am"; `dogs` answers "my dog"."""
    import datetime as dt

    from bot.nlu import Intent, understand
    from bot.shop import parse_shop

    text = (Path(__file__).resolve().parents[1] / "conversations" / "sydney_shop.toml").read_text()
    text = text.replace("[shop.info]\n", '[shop.info]\nkids = "Under-5s need a parent in the shop."\n'
                                         'dogs = "Well-behaved dogs are welcome."\n')
    shop = parse_shop(text)
    now = dt.datetime(2026, 12, 1, 22, 0, tzinfo=dt.UTC)
    assert understand("kids cut wed 10am", now=now, shop=shop).intent == Intent.BOOK
    assert understand("do you let kids in on their own", now=now, shop=shop).topic == "kids"
    assert understand("can i bring my dog, hes pretty chill", now=now, shop=shop).topic == "dogs"
