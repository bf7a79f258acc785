"""Times said as an offset from now: "in 45 mins", "in an hour", "in half an hour"."""

from __future__ import annotations

import datetime as dt
import re

from bot.nlu.scan import Scan, has_any

# "in 45 mins", "in an hour", "in half an hour", "in 2 hours", "in less than an hour"
IN_OFFSET_RE = re.compile(r"\bin\s+(?:(?:less\s+than|under|about|around|roughly)\s+)?(?:(?P<n>\d{1,3}|an?|one|two|three|four|five|ten|fifteen|twenty|thirty|forty|forty[- ]five)\s*"
                          r"(?P<u>minutes?|mins?|hours?|hrs?)|(?:an?\s+)?half\s+an?\s+(?P<half>hour))\b")
_OFFSET_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "ten": 10, "fifteen": 15,
                 "twenty": 20, "thirty": 30, "forty": 40, "forty five": 45, "forty-five": 45}


def read_offset(scan: Scan, *, now: dt.datetime, slot_minutes: int) -> dt.datetime | None:
    """"in 45 mins", "in an hour": `now` (shop-local) plus that, rounded up to the shop's slot grid;
    the phrase is taken from the scan. None when the message says no such thing."""
    if "in " not in scan.text or not has_any(scan.text, ("min", "hour", "hr")):
        return None
    m = next(scan.matches(IN_OFFSET_RE), None)
    if m is None:
        return None
    if m["half"]:
        minutes = 30
    else:
        raw = m["n"]
        n = int(raw) if raw.isdigit() else _OFFSET_WORDS[raw]
        minutes = n * (60 if m["u"].startswith("h") else 1)
    scan.take(m)
    at = now + dt.timedelta(minutes=minutes)
    if at.second or at.microsecond:  # 09:00:30 + 45 min is after 09:45: up to the next minute first
        at = at.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    since_midnight = at.hour * 60 + at.minute
    return at + dt.timedelta(minutes=-since_midnight % slot_minutes)
