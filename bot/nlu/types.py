"""The values the NLU hands to the dialogue: an intent and the slots found in one message.

Decisions the dialogue can rely on:

- `intent` is BOOK both for explicit requests ("book a haircut") and for messages that only
  carry slots ("friday at 10", "beard trim"); `explicit_intent` tells the two apart, so a
  flow in progress can treat an implied BOOK as an answer to its question.
- A correction ("actually make it friday at 11", "no, make it friday") has `correction=True`
  and the intent its words imply: BOOK (implied) unless a keyword names another one
  ("change it to friday" -> RESCHEDULE). It is never a plain NO.
- A bare number ("2", "option 2", "#2", "the 2nd one") is CHOICE; no time is guessed from
  it. A dialogue that has just asked "what time?" can re-run `understand(f"at {text}")`.
- "next week", "this week", "the weekend" set `date_range` (inclusive) and put "date" in
  `ambiguous`; `date` stays None.
- "tonight" / "this afternoon" set today's date and the matching window.
- "next friday" is the coming Friday (strictly after today: on a Friday it is +7), the same
  as "this friday"/"friday" except on that weekday itself, where "friday" means today.
- "the 2nd" alone is CHOICE 2 *and* date = the next 2nd; the dialogue picks by context.
  "the 2nd one" / "second" is only a choice; "on the 2nd" is only a date.
- Two dates where one is the existing booking ("move my friday one to monday"): `old_date`
  is friday, `date` monday. Two times: the last one wins ("3pm, no wait, 4pm").
- A weekday that contradicts an explicit date ("friday the 5th" when the 5th is a Saturday)
  keeps the explicit date and puts "date" in `ambiguous`.
- Windows: "after 5" = [17:00, 24:00), "before 11" = [00:00, 11:00), "between 2 and 4" =
  [14:00, 16:00); an am/pm tie inside a window is settled by the fallback rule, never asked.
- Two dates or two times joined by "or" ("this sat or sun", "at 5 or 6") are both kept, in
  `date_options` / `time_options`, with `date` / `time` None and the slot in `ambiguous`: the
  dialogue asks with numbered choices. Consecutive days also set `date_range`.
- "in 45 mins", "in an hour": today's date (or tomorrow's) and now plus that, rounded up to the
  shop's slot grid.
- A month-day without a year is its nearest occurrence: "jan 20" said in December is next
  January even beyond the horizon; "1 dec" said on 2 December is `past_date`.
- A range of days over before today ("late last month", "the past 3 weeks") is `date_range` with
  `past_date`, and alone implies no BOOK: "for the past 3 years" is talk, not a request.
- A time word settles a bare hour: "at 7 tonight" is 19:00 even in a shop open 24 hours.
- Slots alone with a leading "yes"/"ok" ("yes, friday at 3") are an implied BOOK, not YES.
- The customer's own day is a window, not the booking's time: "i start work at 10" / "i have to
  leave by 3" = before (`done_by`: the booking ends by then), "i finish at 5" / "i'm at work till 3"
  = after.
- A question the rules cannot otherwise read is INFO, never UNKNOWN: "do you do eyebrows?" (no
  such service) sets `not_offered`; "can i bring my dog" has no `topic` (the shop file has none).
- A barber ruled out ("not with jono", "anyone but jono", "with mia instead of jono") is in
  `not_barbers`, never `barber`; with no other barber named, `any_barber` is True.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass


class Intent(str, enum.Enum):  # noqa: UP042 - the shared contract spells it this way
    BOOK = "book"
    RESCHEDULE = "reschedule"
    CANCEL = "cancel"
    LIST = "list"
    AVAILABILITY = "availability"
    HELP = "help"
    STOP = "stop"
    START = "start"
    YES = "yes"
    NO = "no"
    CHOICE = "choice"
    GREETING = "greeting"
    THANKS = "thanks"
    PRICES = "prices"  # "how much is a fade?": what the services cost
    HOURS = "hours"  # "what time do you open on saturday?": the shop's opening hours
    INFO = "info"  # "where are you?", "is there parking?", "do you take card?": `topic` names the fact
    WHO = "who"  # "is jono in saturday?", "who's on sunday?", "when is mia next in?"
    PERSON = "person"  # "get me a real person", "useless bot": a barber takes over
    LATE = "late"  # "running 10 min late", "will you hold my spot?": told to their barber
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class TimeWindow:
    start_min: int  # local minutes from midnight, inclusive (a start time must be >= this)
    end_min: int  # exclusive upper bound for a START time (<= 1440)
    label: str  # "afternoon", "after 17:00", ...
    done_by: bool = False  # "i start work at 10": the booking must also END by end_min


    def contains(self, minute: int) -> bool:
        return self.start_min <= minute < self.end_min


@dataclass(frozen=True)
class Understanding:
    intent: Intent
    service: str | None = None  # service key from the shop (the first one named)
    barber: str | None = None  # barber key from the shop
    any_barber: bool = False  # "anyone", "any barber", "don't mind"
    unknown_barber: str | None = None  # a name after "with" that is none of the shop's barbers
    date: dt.date | None = None  # local date in the shop's time zone
    time: dt.time | None = None  # local wall-clock start time
    window: TimeWindow | None = None  # "afternoon", "after 5", "between 2 and 4", ...
    choice: int | None = None  # a bare number reply "2", "option 2", "the second one"
    code: str | None = None  # a booking code found in the text, upper case
    correction: bool = False  # "actually", "instead", "make it", "change it to", "no, ..."
    ambiguous: tuple[str, ...] = ()  # slots that need a question: "time", "date"
    past_date: bool = False  # an explicit date before today, or a `date_range` over before today: never silently moved
    text: str = ""  # the normalized text (lower case, typos and abbreviations corrected)
    # Added beyond the shared contract:
    services: tuple[str, ...] = ()  # every service named, in order ("haircut and beard")
    date_range: tuple[dt.date, dt.date] | None = None  # "next week": (monday, sunday)
    explicit_intent: bool = False  # the intent came from a keyword, not inferred from slots
    old_date: dt.date | None = None  # "move my friday one to monday": the booking's date (friday)
    bare_weekday: bool = False  # `date` is a weekday's name alone ("the tues"): the next one, or in the week talked about
    week_later: dt.date | None = None  # "next friday" read as this week's: the other reading, a week later
    date_options: tuple[dt.date, ...] = ()  # "this sat or sun": each date offered, in order; `date` is then None
    time_options: tuple[dt.time, ...] = ()  # "at 5 or 6": each time offered, in order; `time` is then None
    topic: str | None = None  # INFO: "address" or a key of the shop's [shop.info]
    pronoun: bool = False  # "her", "him", "she", "he": a barber already talked about
    not_offered: str | None = None  # INFO: "do you do eyebrows?" names no service of the shop: "eyebrows"
    not_barbers: tuple[str, ...] = ()  # "not with jono", "anyone but mia": barbers ruled out (then `any_barber`)
