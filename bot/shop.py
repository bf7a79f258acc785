"""The shop: its catalogue, hours and barbers, and the TOML file that describes it.

`parse_shop(text)` validates a whole file and returns a `Shop` or raises
`ShopFileError` listing every problem by field. Building a `Shop` does no I/O.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.phones import InvalidPhone, normalize_phone

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_HOURS_RE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")

# Opening hours of one day: (start minute, end minute) from local midnight, end <= 1440.
DayHours = tuple[int, int]


@dataclass(frozen=True)
class Service:
    key: str
    name: str
    minutes: int
    price: Decimal
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Barber:
    key: str
    name: str
    phone: str
    services: tuple[str, ...]
    # weekday (0 = Monday) -> hours, or None when closed; only days overridden.
    hours: dict[int, DayHours | None] = field(default_factory=dict)
    role: str = "barber"  # "owner": acts on every barber's bookings and time; "barber": their own

    @property
    def is_owner(self) -> bool:
        return self.role == "owner"


ROLES = ("barber", "owner")


@dataclass(frozen=True)
class Shop:
    name: str
    timezone: str
    slot_minutes: int
    horizon_days: int
    # weekday (0 = Monday) -> hours, or None when closed.
    hours: dict[int, DayHours | None]
    services: tuple[Service, ...]
    barbers: tuple[Barber, ...]
    currency: str = "GBP"  # ISO 4217: prices are shown in it
    languages: tuple[str, ...] = ("en",)
    address: str | None = None
    map_url: str | None = None
    info: tuple[tuple[str, str], ...] = ()  # [shop.info]: (key, short answer), in file order
    closed: frozenset[dt.date] = frozenset()  # shop-wide closures, local dates
    quiet_hours: DayHours | None = None  # local; may wrap midnight (start > end)
    # what `derived` worked out from this shop, by name (not part of its value)
    _derived: dict[str, Any] = field(default_factory=dict, init=False, compare=False, repr=False, hash=False)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def in_quiet_hours(self, when: dt.datetime) -> bool:
        """Whether the instant `when` falls inside the shop's quiet hours, in its local time."""
        if self.quiet_hours is None:
            return False
        local = when.astimezone(self.tz)
        minute = local.hour * 60 + local.minute + (local.second + local.microsecond / 1e6) / 60
        start, end = self.quiet_hours
        return start <= minute < end if start < end else (minute >= start or minute < end)

    def service(self, key: str) -> Service | None:
        return next((s for s in self.services if s.key == key), None)

    def barber(self, key: str) -> Barber | None:
        return next((b for b in self.barbers if b.key == key), None)

    def barber_by_phone(self, phone: str) -> Barber | None:
        return next((b for b in self.barbers if b.phone == phone), None)

    def barber_hours(self, barber: Barber, weekday: int) -> DayHours | None:
        """The barber's working hours on a weekday: their override, else the shop's."""
        if weekday in barber.hours:
            return barber.hours[weekday]
        return self.hours.get(weekday)

    def barbers_for(self, service_key: str) -> tuple[Barber, ...]:
        return tuple(b for b in self.barbers if service_key in b.services)

    def owner(self) -> Barber | None:
        """The first barber with role "owner", if any."""
        return next((b for b in self.barbers if b.role == "owner"), None)


_T = TypeVar("_T")


def derived(shop: Shop, name: str, build: Callable[[Shop], _T]) -> _T:
    """`build(shop)`, worked out once per Shop and kept on it under `name`: for tables read on
    every message (the NLU's lexicon and day windows, reply names, availability grids). A Shop is
    frozen, so what is derived from it never goes stale; loading the shop file again makes a new Shop."""
    kept = shop._derived
    if name not in kept:
        kept[name] = build(shop)
    return kept[name]  # type: ignore[no-any-return]


class ShopFileError(ValueError):
    """A shop file that cannot be loaded; `problems` names each bad field."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def format_hours(hours: DayHours | None) -> str:
    if hours is None:
        return "closed"
    (s, e) = hours
    return f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}"


def parse_hours(value: Any, where: str, problems: list[str]) -> DayHours | None:
    if not isinstance(value, str):
        problems.append(f'{where}: expected "HH:MM-HH:MM" or "closed"')
        return None
    text = value.strip().lower()
    if text == "closed":
        return None
    m = _HOURS_RE.match(text)
    if not m:
        problems.append(f'{where}: expected "HH:MM-HH:MM" or "closed", got "{value}"')
        return None
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if h1 > 23 or m1 > 59 or m2 > 59 or end > 1440:
        problems.append(f'{where}: "{value}" is not a valid time range')
        return None
    if end <= start:
        problems.append(f'{where}: closing time must be after opening time in "{value}"')
        return None
    return (start, end)


def _hours_table(raw: Any, where: str, problems: list[str]) -> dict[int, DayHours | None]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append(f"{where}: expected a table of weekdays")
        return {}
    out: dict[int, DayHours | None] = {}
    for day, value in raw.items():
        if day not in WEEKDAYS:
            problems.append(f"{where}.{day}: unknown weekday (use {', '.join(WEEKDAYS)})")
            continue
        out[WEEKDAYS.index(day)] = parse_hours(value, f"{where}.{day}", problems)
    return out


def _require_str(d: dict[str, Any], key: str, where: str, problems: list[str]) -> str:
    v = d.get(key)
    if not isinstance(v, str) or not v.strip():
        problems.append(f"{where}.{key}: required text")
        return ""
    return v.strip()


def _require_int(
    d: dict[str, Any], key: str, where: str, problems: list[str], lo: int, hi: int, default: int | None = None
) -> int:
    v = d.get(key, default)
    if isinstance(v, bool) or not isinstance(v, int):
        problems.append(f"{where}.{key}: expected a whole number")
        return lo
    if not lo <= v <= hi:
        problems.append(f"{where}.{key}: must be between {lo} and {hi}, got {v}")
        return lo
    return v


def parse_shop(text: str) -> Shop:
    """Validate a shop file's text. Raises ShopFileError naming every bad field."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ShopFileError([f"not valid TOML: {exc}"]) from exc
    return shop_from_dict(data)


def shop_from_dict(data: dict[str, Any]) -> Shop:
    problems: list[str] = []
    raw_shop = data.get("shop")
    if not isinstance(raw_shop, dict):
        problems.append("shop: missing [shop] table")
        raw_shop = {}
    name = _require_str(raw_shop, "name", "shop", problems)
    tz_name = _require_str(raw_shop, "timezone", "shop", problems)
    if tz_name:
        try:
            ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(f'shop.timezone: unknown time zone "{tz_name}" (use an IANA name like "Europe/London")')
            tz_name = ""
    slot = _require_int(raw_shop, "slot_minutes", "shop", problems, 5, 240, default=15)
    if slot and 1440 % slot:
        problems.append(f"shop.slot_minutes: must divide a day evenly, got {slot}")
    horizon = _require_int(raw_shop, "horizon_days", "shop", problems, 1, 366, default=30)
    currency = _currency(raw_shop.get("currency", "GBP"), problems)
    languages = _text_list(raw_shop.get("languages", ["en"]), "shop.languages", problems) or ("en",)
    address = _optional_text(raw_shop, "address", "shop", problems)
    map_url = _optional_text(raw_shop, "map_url", "shop", problems)
    info = _info(raw_shop.get("info", {}), problems)
    for extra in sorted(set(raw_shop) - _SHOP_FIELDS):
        problems.append(f"shop.{extra}: unknown field")
    closed = _closed(data.get("closed", {}), problems)
    quiet_hours = _quiet_hours(data.get("reminders", {}), problems)

    hours = _hours_table(data.get("hours"), "hours", problems)
    if "hours" not in data:
        problems.append("hours: missing [hours] table")

    services: list[Service] = []
    raw_services = data.get("services")
    if not isinstance(raw_services, list) or not raw_services:
        problems.append("services: at least one [[services]] entry is required")
        raw_services = []
    seen_keys: set[str] = set()
    seen_names: dict[str, str] = {}
    for i, rs in enumerate(raw_services):
        where = f"services[{i}]"
        if not isinstance(rs, dict):
            problems.append(f"{where}: expected a table")
            continue
        key = _require_str(rs, "key", where, problems)
        if key and not _KEY_RE.match(key):
            problems.append(f'{where}.key: "{key}" must be lowercase letters, digits, - or _')
        if key in seen_keys:
            problems.append(f'{where}.key: duplicate service key "{key}"')
        seen_keys.add(key)
        sname = _require_str(rs, "name", where, problems)
        minutes = _require_int(rs, "minutes", where, problems, 5, 480)
        if minutes and slot and minutes % 5:
            problems.append(f"{where}.minutes: must be a multiple of 5, got {minutes}")
        price_raw = rs.get("price", "0")
        try:
            price = Decimal(str(price_raw))
            if price < 0 or not price.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            problems.append(f'{where}.price: expected an amount like "25.00", got "{price_raw}"')
            price = Decimal("0")
        aliases_raw = rs.get("aliases", [])
        aliases: list[str] = []
        if not isinstance(aliases_raw, list) or not all(isinstance(a, str) and a.strip() for a in aliases_raw):
            problems.append(f"{where}.aliases: expected a list of words")
        else:
            aliases = [a.strip().lower() for a in aliases_raw]
        for word in [sname.lower(), *aliases]:
            if word and word in seen_names and seen_names[word] != key:
                problems.append(f'{where}.aliases: "{word}" already names service "{seen_names[word]}"')
            seen_names.setdefault(word, key)
        for extra in sorted(set(rs) - {"key", "name", "minutes", "price", "aliases"}):
            problems.append(f"{where}.{extra}: unknown field")
        services.append(Service(key=key, name=sname, minutes=minutes, price=price, aliases=tuple(aliases)))

    barbers: list[Barber] = []
    raw_barbers = data.get("barbers")
    if not isinstance(raw_barbers, list) or not raw_barbers:
        problems.append("barbers: at least one [[barbers]] entry is required")
        raw_barbers = []
    seen_barbers: set[str] = set()
    seen_phones: set[str] = set()
    all_services = tuple(s.key for s in services)
    for i, rb in enumerate(raw_barbers):
        where = f"barbers[{i}]"
        if not isinstance(rb, dict):
            problems.append(f"{where}: expected a table")
            continue
        key = _require_str(rb, "key", where, problems)
        if key and not _KEY_RE.match(key):
            problems.append(f'{where}.key: "{key}" must be lowercase letters, digits, - or _')
        if key in seen_barbers:
            problems.append(f'{where}.key: duplicate barber key "{key}"')
        seen_barbers.add(key)
        bname = _require_str(rb, "name", where, problems)
        phone_raw = rb.get("phone")
        phone = ""
        try:
            phone = normalize_phone(phone_raw if isinstance(phone_raw, str) else "")
        except InvalidPhone:
            problems.append(f"{where}.phone: not an E.164 number")
        if phone and phone in seen_phones:
            problems.append(f"{where}.phone: {phone} is already another barber's phone")
        seen_phones.add(phone)
        svc_raw = rb.get("services")
        if svc_raw is None:
            svc = all_services
        elif not isinstance(svc_raw, list) or not all(isinstance(s, str) for s in svc_raw):
            problems.append(f"{where}.services: expected a list of service keys")
            svc = ()
        else:
            for s in svc_raw:
                if s not in all_services:
                    problems.append(f'{where}.services: unknown service "{s}"')
            if len(set(svc_raw)) != len(svc_raw):
                problems.append(f"{where}.services: lists a service twice")
            svc = tuple(dict.fromkeys(svc_raw))
            if not svc:
                problems.append(f"{where}.services: a barber must offer at least one service")
        bhours = _hours_table(rb.get("hours"), f"{where}.hours", problems)
        role = rb.get("role", "barber")
        if role not in ROLES:
            problems.append(f'{where}.role: expected "barber" or "owner", got "{role}"')
            role = "barber"
        for extra in sorted(set(rb) - {"key", "name", "phone", "services", "hours", "role"}):
            problems.append(f"{where}.{extra}: unknown field")
        barbers.append(Barber(key=key, name=bname, phone=phone, services=svc, hours=bhours, role=role))

    for extra in sorted(set(data) - {"shop", "hours", "services", "barbers", "closed", "reminders"}):
        problems.append(f"{extra}: unknown section")

    if problems:
        raise ShopFileError(problems)
    return Shop(
        name=name,
        timezone=tz_name,
        slot_minutes=slot,
        horizon_days=horizon,
        hours={d: hours.get(d) for d in range(7)},
        services=tuple(services),
        barbers=tuple(barbers),
        currency=currency,
        languages=languages,
        address=address,
        map_url=map_url,
        info=info,
        closed=closed,
        quiet_hours=quiet_hours,
    )


_SHOP_FIELDS = {"name", "timezone", "slot_minutes", "horizon_days", "currency", "languages", "address",
                "map_url", "info"}
_INFO_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_ -]{0,39}$")


def _currency(value: Any, problems: list[str]) -> str:
    from babel.numbers import get_currency_name

    code = value.strip().upper() if isinstance(value, str) else ""
    if len(code) != 3 or not code.isalpha() or get_currency_name(code) == code:
        problems.append(f'shop.currency: expected an ISO 4217 code like "GBP", got "{value}"')
        return "GBP"
    return code


def _text_list(value: Any, where: str, problems: list[str]) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        problems.append(f"{where}: expected a list of words")
        return ()
    return tuple(v.strip() for v in value)


def _optional_text(d: dict[str, Any], key: str, where: str, problems: list[str]) -> str | None:
    v = d.get(key)
    if v is None:
        return None
    if not isinstance(v, str) or not v.strip():
        problems.append(f"{where}.{key}: expected text")
        return None
    return v.strip()


def _info(value: Any, problems: list[str]) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        problems.append("shop.info: expected a table of short answers")
        return ()
    out = []
    for key, text in value.items():
        if not _INFO_KEY_RE.match(key):
            problems.append(f'shop.info.{key}: a key is letters, digits, "_", "-" or spaces')
        elif not isinstance(text, str) or not text.strip():
            problems.append(f"shop.info.{key}: expected text")
        else:
            out.append((key, text.strip()))
    return tuple(out)


def _closed(value: Any, problems: list[str]) -> frozenset[dt.date]:
    if not isinstance(value, dict):
        problems.append("closed: expected a table with dates = [...]")
        return frozenset()
    for extra in sorted(set(value) - {"dates"}):
        problems.append(f"closed.{extra}: unknown field")
    raw = value.get("dates", [])
    if not isinstance(raw, list):
        problems.append('closed.dates: expected a list of dates like "2026-12-25"')
        return frozenset()
    out = set()
    for i, d in enumerate(raw):
        if isinstance(d, dt.date) and not isinstance(d, dt.datetime):
            out.add(d)
            continue
        try:
            out.add(dt.date.fromisoformat(d))
        except (TypeError, ValueError):
            problems.append(f'closed.dates[{i}]: expected a date like "2026-12-25", got "{d}"')
    return frozenset(out)


def _quiet_hours(value: Any, problems: list[str]) -> DayHours | None:
    if not isinstance(value, dict):
        problems.append("reminders: expected a table")
        return None
    for extra in sorted(set(value) - {"quiet_hours"}):
        problems.append(f"reminders.{extra}: unknown field")
    raw = value.get("quiet_hours")
    if raw is None:
        return None
    m = _HOURS_RE.match(raw.strip()) if isinstance(raw, str) else None
    if not m:
        problems.append(f'reminders.quiet_hours: expected "HH:MM-HH:MM", got "{raw}"')
        return None
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2) or (h1 * 60 + m1 == h2 * 60 + m2):
        problems.append(f'reminders.quiet_hours: "{raw}" is not a valid time range')
        return None
    return (h1 * 60 + m1, h2 * 60 + m2)


def shop_to_dict(shop: Shop) -> dict[str, Any]:
    """The inverse of shop_from_dict: a plain dict that round-trips (stored in the database)."""
    head: dict[str, Any] = {
        "name": shop.name,
        "timezone": shop.timezone,
        "slot_minutes": shop.slot_minutes,
        "horizon_days": shop.horizon_days,
    }
    # the optional fields only when they differ from a file without them (older stored shops match)
    if shop.currency != "GBP":
        head["currency"] = shop.currency
    if shop.languages != ("en",):
        head["languages"] = list(shop.languages)
    for key in ("address", "map_url"):
        if getattr(shop, key) is not None:
            head[key] = getattr(shop, key)
    if shop.info:
        head["info"] = dict(shop.info)
    extra: dict[str, Any] = {}
    if shop.closed:
        extra["closed"] = {"dates": sorted(d.isoformat() for d in shop.closed)}
    if shop.quiet_hours is not None:
        extra["reminders"] = {"quiet_hours": format_hours(shop.quiet_hours)}
    return {
        "shop": head,
        **extra,
        "hours": {WEEKDAYS[d]: format_hours(h) for d, h in shop.hours.items()},
        "services": [
            {"key": s.key, "name": s.name, "minutes": s.minutes, "price": str(s.price), "aliases": list(s.aliases)}
            for s in shop.services
        ],
        "barbers": [
            {
                "key": b.key,
                "name": b.name,
                "phone": b.phone,
                "services": list(b.services),
                "hours": {WEEKDAYS[d]: format_hours(h) for d, h in b.hours.items()},
                **({"role": b.role} if b.role != "barber" else {}),
            }
            for b in shop.barbers
        ],
    }
