"""Wording of what we send on our own initiative (notices and reminders), in one place.

Times are always shown in the shop's local time.
"""

from __future__ import annotations

import datetime as dt

from bot.shop import Shop


def fmt_day(shop: Shop, when: dt.datetime) -> str:
    local = when.astimezone(shop.tz)
    return local.strftime("%a %-d %b")


def fmt_time(shop: Shop, when: dt.datetime) -> str:
    return when.astimezone(shop.tz).strftime("%H:%M")


def fmt_slot(shop: Shop, when: dt.datetime) -> str:
    """'Sat 5 Dec 15:00' in the shop's time zone."""
    return f"{fmt_day(shop, when)} {fmt_time(shop, when)}"


def time_left(now: dt.datetime, when: dt.datetime) -> str:
    """'in 6 hours', 'in 45 minutes', 'in 2 days' — rounded to what a person would say."""
    seconds = (when - now).total_seconds()
    if seconds <= 0:
        return "now"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"in {minutes} minute{'s' if minutes != 1 else ''}"
    hours = round(seconds / 3600)
    if hours < 48:
        return f"in {hours} hour{'s' if hours != 1 else ''}"
    days = round(seconds / 86400)
    return f"in {days} days"


def service_name(shop: Shop, key: str) -> str:
    svc = shop.service(key)
    return svc.name if svc else key


def barber_name(shop: Shop, key: str) -> str:
    b = shop.barber(key)
    return b.name if b else key


def reminder(shop: Shop, *, service: str, barber: str, start: dt.datetime, code: str, now: dt.datetime) -> str:
    return (
        f"Reminder: your {service_name(shop, service)} with {barber_name(shop, barber)} "
        f"is {fmt_slot(shop, start)} ({time_left(now, start)}) at {shop.name}. "
        f"Reply CANCEL to cancel or MOVE to change the time (booking {code})."
    )


def reminder_variables(shop: Shop, *, service: str, barber: str, start: dt.datetime, code: str,
                       now: dt.datetime) -> dict[str, str]:
    """Variables for the approved WhatsApp template used outside the 24-hour window."""
    return {
        "1": service_name(shop, service),
        "2": barber_name(shop, barber),
        "3": fmt_slot(shop, start),
        "4": time_left(now, start),
        "5": code,
    }


def cancelled_notice(shop: Shop, *, service: str, barber: str, start: dt.datetime, code: str,
                     reason: str | None) -> str:
    why = f" Reason: {reason}." if reason else ""
    return (
        f"Your {service_name(shop, service)} with {barber_name(shop, barber)} on "
        f"{fmt_slot(shop, start)} ({code}) has been cancelled.{why} "
        f"Reply BOOK to choose a new time. Sorry for any trouble."
    )


def rescheduled_notice(shop: Shop, *, service: str, barber: str, start: dt.datetime, code: str) -> str:
    return (
        f"Your booking {code} has moved: {service_name(shop, service)} with "
        f"{barber_name(shop, barber)} on {fmt_slot(shop, start)}. Reply CANCEL to cancel."
    )
