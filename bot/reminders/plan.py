"""The reminder plan (SPEC §7): a pure function of when the booking was made and when it is."""

from __future__ import annotations

import datetime as dt


def reminder_times(planned_at: dt.datetime, appointment: dt.datetime, interval_seconds: int) -> list[dt.datetime]:
    """One reminder at each planned_at + k·I (k = 1, 2, …) strictly before the appointment."""
    if interval_seconds <= 0:
        raise ValueError("interval must be positive")
    step = dt.timedelta(seconds=interval_seconds)
    out = []
    t = planned_at + step
    while t < appointment:
        out.append(t)
        t += step
    return out


def job_id(booking_id: int, revision: int, k: int) -> str:
    """`{id}-reminder-{k}` for the first plan, `{id}-r{rev}-reminder-{k}` after a change.

    A revoked Huey id stays revoked forever, so every new plan needs new ids.
    """
    if revision <= 1:
        return f"{booking_id}-reminder-{k}"
    return f"{booking_id}-r{revision}-reminder-{k}"
