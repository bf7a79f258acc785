"""Phone numbers: E.164 in, E.164 out, masked in logs."""

from __future__ import annotations

import phonenumbers


class InvalidPhone(ValueError):
    pass


def normalize_phone(raw: str) -> str:
    """Return the E.164 form of a possible number written with a leading +.

    Accepts "whatsapp:+44 7700 900123" too (Twilio's From field).
    """
    text = (raw or "").strip()
    if text.lower().startswith("whatsapp:"):
        text = text[len("whatsapp:"):].strip()
    if not text.startswith("+") or len(text) > 32:
        raise InvalidPhone(f"not an E.164 number: {raw!r}")
    try:
        num = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"not an E.164 number: {raw!r}") from exc
    if not phonenumbers.is_possible_number(num):
        raise InvalidPhone(f"not an E.164 number: {raw!r}")
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(phone: str | None) -> str:
    """+447700900123 -> +44******0123, for logs."""
    if not phone:
        return "-"
    p = phone.removeprefix("whatsapp:")
    if len(p) <= 7:
        return "*" * len(p)
    return p[:3] + "*" * (len(p) - 7) + p[-4:]
