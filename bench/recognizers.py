"""How many of Microsoft Recognizers-Text's English DateTime spec cases our understanding reads right.

    .venv/bin/python bench/recognizers.py --specs /path/to/Recognizers-Text/Specs/DateTime/English [-v]

The spec data is not part of this repository: fetch the Recognizers-Text repository and pass its
`Specs/DateTime/English` directory.

Which cases: every case of the five parser files whose types a booking uses, and nothing else
dropped from them, so the figure compares with the Python port's share of the same cases (the
cases the spec files do not mark `NotSupported` for python):

- DateParser.json (a day: "on the 15th", "next friday", "Oct 2", "tomorrow"),
- TimeParser.json (a start time: "7:56pm", "half past eight", "noon"),
- DateTimeParser.json (a day and a time: "tomorrow 8:00am", "tonight around 7", "in an hour"),
- TimePeriodParser.json (a window in a day: "between 5 and 6pm", "in the morning"),
- DatePeriodParser.json (a range of days: "next week", "this weekend", "from 4 to 22 this month").

Two figures are printed: every case of those files, and the booking-relevant share, which leaves
out the date ranges longer than a month (a year, a quarter, a half year, a decade, a century,
"the next 3 years", "between 2015 and 2018"), the seasons, which the spec resolves to nothing,
and the date ranges that are open at one end: no booking is made for a quarter or a decade, the
booking horizon is a month or two.

The extractor files only mark spans, and the model, set, duration, holiday and time zone files
hold recurrences, durations and zones a booking does not ask for.

What "right" means, per expected type (each message goes through `understand` with the case's
reference datetime as the shop's local `now`; a case without one uses 2016-11-07 00:00):

- date: `Understanding.date` is the future resolution, or the past resolution when the
  understanding says the date has passed (`past_date`): both are the spec's readings, and a
  booking must say which one it took.
- time: `Understanding.time` to the minute (a booking starts on a minute). A clock said with no
  am/pm and no part of the day ("at 7", "eight forty") is right on either half of the clock: the
  spec's own model resolves such a time to both, and a shop's hours decide it for us.
- datetime: the date as above and the time as above, both.
- timerange: `Understanding.window` starts and ends at the expected minutes (23:59:59 is 24:00).
- daterange: `Understanding.date_range` starts on the expected start date and ends on the
  expected (exclusive) end date or the day before it (ours is inclusive); the past resolution
  counts when our range is over before the reference day (a range that has passed is that reading,
  said as plainly as a `past_date`).
- no expected result, or an unresolvable one ("Feb 30"): right when nothing of that kind is read.

The shop reading the cases is open 08:00-20:00 every day, in America/New_York (the specs are US
English: "4/22" is April 22), with 15-minute slots.

Prints the share right overall and per file, and the Python port's share of the same cases.
`-v` lists the cases read wrong.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.nlu import Understanding, understand  # noqa: E402
from bot.shop import Shop, parse_shop  # noqa: E402

FILES = ("DateParser.json", "TimeParser.json", "DateTimeParser.json", "TimePeriodParser.json", "DatePeriodParser.json")
DEFAULT_REFERENCE = dt.datetime(2016, 11, 7, 0, 0)
SHOP = """
[shop]
name = "Spec Shop"
timezone = "America/New_York"
slot_minutes = 15
horizon_days = 60
[hours]
mon = "08:00-20:00"
tue = "08:00-20:00"
wed = "08:00-20:00"
thu = "08:00-20:00"
fri = "08:00-20:00"
sat = "08:00-20:00"
sun = "08:00-20:00"
[[services]]
key = "haircut"
name = "Haircut"
minutes = 30
[[barbers]]
key = "sam"
name = "Sam"
phone = "+12025550123"
"""
# a clock phrase that says which half of the day it is
_HALF_SAID_RE = re.compile(r"\d\s*[ap]\b|[ap]\.?\s?m\b|morning|afternoon|evening|night|tonight|noon|midnight|lunch|\b(?:1[3-9]|2[0-3]|00)[:.h]?\d\d\b")


def cases(specs: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    for name in FILES:
        for case in json.loads((specs / name).read_text(encoding="utf-8-sig")):
            yield name, case


def python_port_reads(case: dict[str, Any]) -> bool:
    """Whether the spec files count the case as one the Python port passes."""
    marks = f"{case.get('NotSupported', '')},{case.get('NotSupportedByDesign', '')}"
    return "python" not in marks.lower()


def _minute(text: str, *, end: bool = False) -> int:
    """Minutes from midnight of "HH:MM:SS"; an end time's seconds round up ("23:59:59" is 24:00)."""
    h, m, s = (int(x) for x in text.split(":"))
    return h * 60 + m + (1 if s and end else 0)


def _date(text: str) -> dt.date | None:
    d = dt.date.fromisoformat(text[:10])
    return None if d.year == 1 else d


def _date_right(u: Understanding, future: dt.date | None, past: dt.date | None) -> bool:
    return u.date is not None and (u.date == future or (u.past_date and u.date == past))


def _time_right(u: Understanding, expected: int, said: str) -> bool:
    if u.time is None:
        return False
    got = u.time.hour * 60 + u.time.minute
    if got == expected:
        return True
    return not _HALF_SAID_RE.search(said.lower()) and got % 720 == expected % 720


def read_right(u: Understanding, result: dict[str, Any] | None, reference: dt.date) -> bool:
    """Whether `u` holds the case's expected resolution (see the module docstring)."""
    if result is None:
        return u.date is None and u.time is None and u.window is None and u.date_range is None
    kind = result["Type"].rsplit(".", 1)[-1]
    value = result["Value"]
    fut, past = value.get("FutureResolution") or {}, value.get("PastResolution") or {}
    said = result.get("Text", "")
    if kind == "date":
        if "date" not in fut or _date(fut["date"]) is None:
            return u.date is None
        return _date_right(u, _date(fut["date"]), _date(past["date"]))
    if kind == "time":
        return _time_right(u, _minute(fut["time"]), said)
    if kind == "datetime":
        f, p = fut["dateTime"], past["dateTime"]
        return _date_right(u, _date(f), _date(p)) and _time_right(u, _minute(f[11:]), said)
    if kind == "timerange":
        w = u.window
        return w is not None and (w.start_min, w.end_min) == (_minute(fut["startTime"]), _minute(fut["endTime"], end=True))
    if kind == "daterange":
        if "startDate" not in fut:
            return u.date_range is None and u.date is None
        start, r = dt.date.fromisoformat(fut["startDate"]), u.date_range
        if "endDate" not in fut:  # open-ended: "more than 2 weeks after today"
            return r is not None and r[0] == start
        end = dt.date.fromisoformat(fut["endDate"])
        if r is not None and r[0] == start and r[1] in (end, end - dt.timedelta(days=1)):
            return True
        if r is None or "startDate" not in past or r[1] >= reference:
            return False
        p_start, p_end = dt.date.fromisoformat(past["startDate"]), dt.date.fromisoformat(past["endDate"])
        return r[0] == p_start and r[1] in (p_end, p_end - dt.timedelta(days=1))
    return False


def booking_relevant(case: dict[str, Any]) -> bool:
    """Whether a booking could ask for what the case says (see the module docstring)."""
    results = case.get("Results") or []
    if not results:
        return True
    value = results[0]["Value"]
    fut = value.get("FutureResolution") or {}
    if results[0]["Type"].endswith("daterange"):
        if "startDate" not in fut or "endDate" not in fut:
            return False
        span = dt.date.fromisoformat(fut["endDate"]) - dt.date.fromisoformat(fut["startDate"])
        return span.days <= 31
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--specs", type=Path, required=True, help="Recognizers-Text's Specs/DateTime/English")
    parser.add_argument("-v", "--verbose", action="store_true", help="list the cases read wrong")
    args = parser.parse_args()
    shop: Shop = parse_shop(SHOP)
    per_file: dict[str, list[int]] = {name: [0, 0, 0] for name in FILES}  # right, cases, python port
    booking = [0, 0, 0]
    for name, case in cases(args.specs):
        ref = case.get("Context", {}).get("ReferenceDateTime")
        now = dt.datetime.fromisoformat(ref) if ref else DEFAULT_REFERENCE
        u = understand(case["Input"], now=now, shop=shop)
        results = case.get("Results") or [None]
        right = read_right(u, results[0], now.date())
        counts = per_file[name]
        counts[0] += right
        counts[1] += 1
        counts[2] += python_port_reads(case)
        if booking_relevant(case):
            booking[0] += right
            booking[1] += 1
            booking[2] += python_port_reads(case)
        if args.verbose and not right:
            want = results[0]["Value"].get("FutureResolution") if results[0] else None
            print(f"  {name[:-5]:18} {case['Input']!r} ref={ref} want={want} got date={u.date} "
                  f"time={u.time} window={u.window and (u.window.start_min, u.window.end_min)} "
                  f"range={u.date_range} past={u.past_date}")
    total = [sum(c[i] for c in per_file.values()) for i in range(3)]
    for name, (right, n, port) in per_file.items():
        print(f"{name:24} {right:4}/{n:<4} {right / n:6.1%}   python port {port / n:6.1%}")
    print(f"{'all':24} {total[0]:4}/{total[1]:<4} {total[0] / total[1]:6.1%}   python port {total[2] / total[1]:6.1%}")
    print(f"{'booking-relevant':24} {booking[0]:4}/{booking[1]:<4} {booking[0] / booking[1]:6.1%}   "
          f"python port {booking[2] / booking[1]:6.1%}")


if __name__ == "__main__":
    main()
