"""Wording of what we send on our own initiative (notices and reminders), in one place.

Times are always shown in the shop's local time.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency

from bot.shop import Shop, derived

# what strftime's %a and %b write in the C locale (the process never sets another)
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def fmt_date(day: dt.date) -> str:
    """'Sat 5 Dec' (`day.strftime("%a %-d %b")`, built from its fields: a third of the cost)."""
    return f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]}"


def fmt_day(shop: Shop, when: dt.datetime) -> str:
    return fmt_date(when.astimezone(shop.tz))


def fmt_time(shop: Shop, when: dt.datetime) -> str:
    local = when.astimezone(shop.tz)
    return f"{local.hour:02d}:{local.minute:02d}"


def fmt_slot(shop: Shop, when: dt.datetime) -> str:
    """'Sat 5 Dec 15:00' in the shop's time zone."""
    local = when.astimezone(shop.tz)
    return f"{_WEEKDAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]} {local.hour:02d}:{local.minute:02d}"


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


def money(shop: Shop, amount: Decimal) -> str:
    """`amount` in the shop's currency, written as its country writes it ("$45.00" in AUD for
    English, "£25.00" in GBP): the locale is the shop's first language in the currency's country
    (en_AU for AUD), else the language alone."""
    return format_currency(amount, shop.currency, locale=_money_locale(shop.languages[0], shop.currency))


@functools.lru_cache(maxsize=64)
def _money_locale(language: str, currency: str) -> str:
    for tag in (f"{language}_{currency[:2]}", language, "en"):
        try:
            Locale.parse(tag)
        except (UnknownLocaleError, ValueError):
            continue
        return tag
    return "en"


def possessive(name: str) -> str:
    """"Harbour Cuts'" and "Sam's"."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def service_name(shop: Shop, key: str) -> str:
    return _names(shop)[0].get(key, key)


def barber_name(shop: Shop, key: str) -> str:
    return _names(shop)[1].get(key, key)


def _names(shop: Shop) -> tuple[dict[str, str], dict[str, str]]:
    """The shop's service and barber names by key, as `shop.service(key)` and `shop.barber(key)`
    find them (the first of a key)."""
    return derived(shop, "names", lambda s: ({v.key: v.name for v in reversed(s.services)},
                                             {b.key: b.name for b in reversed(s.barbers)}))


def reminder(shop: Shop, *, service: str, barber: str, start: dt.datetime, code: str, now: dt.datetime) -> str:
    return (
        f"Reminder: your {service_name(shop, service)} with {barber_name(shop, barber)} "
        f"is {fmt_slot(shop, start)} ({time_left(now, start)}) at {shop.name.rstrip('.')}. "
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
