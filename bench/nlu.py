"""Per-message cost of `bot.nlu.understand` over ~200 varied customer messages.

    .venv/bin/python bench/nlu.py [--rounds 5]

Prints p50/p95/p99 in ms for the first (cold: empty typo cache, dateparser not imported)
pass and for the warm passes, and the share of messages that called dateparser.
Goal: warm p95 under 2 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.nlu import understand  # noqa: E402
from bot.nlu.understand import stats  # noqa: E402
from bot.shop import parse_shop  # noqa: E402

FIXED = [
    "Hi, can I book a haircut with Sam tomorrow at 3pm?", "haircut tomorrow at 3",
    "I'd like to book an appointment", "beard trim", "friday at 10", "fade tomorrow 4.30 with alex",
    "book me in for a trim on saturday at 11", "cn i book a hairct tmrw at 5",
    "haircut with alex tomorrow at noon please", "can I get a beard trim tomorrow, half 4?",
    "can I come in on the 10th at 11am for a beard trim", "dec 7 at 10:15, haircut with alex",
    "haircut next monday 9:30", "actually make it friday at 11", "beard trim with alex friday 17:45",
    "👍", "no", "yes", "2", "option 3", "the second one", "STOP", "start", "help", "?", "menu",
    "hello there! hope you're well. i need a beard trim with sam on thursday at 11:30 please, thanks!",
    "any slots friday afternoon for a beard trim?", "I need to cancel my appointment",
    "cancel the friday one", "can we move it to friday at 2pm", "what bookings do I have?",
    "cancel K7Q2 sick today", "block fri 13:00-15:00", "thanks!", "hi", "good morning",
    "no, make it friday", "can't make it, can we do friday instead", "move my friday one to monday",
    "december the seventh at 2", "sometime in january?", "the 2nd of march", "next week sometime",
    "this weekend?", "between 2 and 4 on thursday", "after 5 tmrw", "before 11 on sat",
    "lunchtime tomorrow", "tonight?", "is 3pm free on the 12th", "7/12 at 16h30", "2026-12-09 9am",
    "", "lol", "what's the wifi password", "🙂🙂🙂", "x" * 3000,
    "tomoro at 5 pls", "skin faid thurs night?", "1630", "next tuesday around 5 30", "after 3 if possible",
    "in 45 mins?", "this sat or sun", "at 5 or 6", "combo january 20", "sometime early next week",
    "from the 4th to the 10th", "the week of the 18th", "last sunday", "eight forty", "5 to 6pm",
]
SERVICES = ["haircut", "hair cut", "trim", "hairct", "skin fade", "fade", "beard trim", "beared", "shave", "cut"]
DAYS = ["today", "tmrw", "tomorrow", "friday", "sat", "next monday", "the 14th", "dec 9", "9 dec",
        "in 3 days", "weds", "thurs"]
TIMES = ["at 3", "3pm", "at 11", "4.30", "half 4", "quarter past 2", "noon", "17:45", "10am", "at 5"]
LEADS = ["", "hi ", "can i get a ", "book a ", "any slots for a ", "i need a ", "move my booking to a "]
TAILS = ["", " please", " with sam", " with alex", " thanks!", " anyone is fine", "?"]


def corpus() -> list[str]:
    combos = itertools.product(LEADS, SERVICES, DAYS, TIMES, TAILS)
    generated = [f"{lead}{svc} {day} {tm}{tail}" for lead, svc, day, tm, tail in itertools.islice(combos, 0, None, 397)]
    return FIXED + generated[: 200 - len(FIXED)]


def percentiles(samples: list[float]) -> str:
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return f"p50 {q[49]:.3f} ms  p95 {q[94]:.3f} ms  p99 {q[98]:.3f} ms  max {max(samples):.3f} ms"


def run(messages: list[str], shop, now: dt.datetime) -> list[float]:
    out = []
    for text in messages:
        t0 = time.perf_counter()
        understand(text, now=now, shop=shop)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    shop = parse_shop((ROOT / "bot" / "demo_shop.toml").read_text())
    now = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)
    messages = corpus()

    calls0, dp0 = stats["calls"], stats["dateparser_calls"]
    cold = run(messages, shop, now)
    warm: list[float] = []
    for _ in range(args.rounds):
        warm += run(messages, shop, now)

    print(f"messages: {len(messages)}  warm rounds: {args.rounds}")
    print(f"cold  {percentiles(cold)}")
    print(f"warm  {percentiles(warm)}")
    calls, dp_calls = stats["calls"] - calls0, stats["dateparser_calls"] - dp0
    print(f"dateparser called for {dp_calls / calls:.1%} of messages ({dp_calls} calls over {calls} messages)")


if __name__ == "__main__":
    main()
