"""The reminder plan (SPEC §7): a pure function of when the booking was made and when it is."""

from __future__ import annotations

import datetime as dt


def job_id(booking_id: int, revision: int, k: int) -> str:
    """`{id}-reminder-{k}` for the first plan, `{id}-r{rev}-reminder-{k}` after a change.

    A revoked Huey id stays revoked forever, so every new plan needs new ids.
    """
    if revision <= 1:
        return f"{booking_id}-reminder-{k}"
    return f"{booking_id}-r{revision}-reminder-{k}"


# The plan is materialised as rows a window at a time (`next_reminders`), so a booking a
# month away with a short interval does not become thousands of rows and queued jobs at
# once; the reconciler tops the window up as time passes (every RECONCILE_INTERVAL_SECONDS,
# far inside the window). Six hours: the window's rows are written inside the customer's
# booking turn and revoked inside a cancelling one (3 rows at the default 2-hour interval). A reconciler that
# stops for longer than the window (the worker is down) sends nothing meanwhile either way,
# and writes the window when it comes back.
PLAN_AHEAD = dt.timedelta(hours=6)
PLAN_BATCH = 100


def next_reminders(
    planned_at: dt.datetime,
    appointment: dt.datetime,
    interval_seconds: int,
    *,
    after_k: int,
    until: dt.datetime,
    limit: int = PLAN_BATCH,
) -> tuple[list[tuple[int, dt.datetime]], dt.datetime | None]:
    """The plan's reminders k > after_k due by `until` (at most `limit`), and when the next one
    after those is due (None once the plan is complete)."""
    if interval_seconds <= 0:
        raise ValueError("interval must be positive")
    step = dt.timedelta(seconds=interval_seconds)
    out: list[tuple[int, dt.datetime]] = []
    k = after_k + 1
    due = planned_at + k * step
    while due < appointment and due <= until and len(out) < limit:
        out.append((k, due))
        k += 1
        due = planned_at + k * step
    return out, (due if due < appointment else None)
