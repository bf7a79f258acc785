"""Twilio's X-Twilio-Signature: which URL it was computed over, and whether it matches.

`is_valid` accepts exactly what `twilio.request_validator.RequestValidator.validate` accepts
for a form (HMAC-SHA1 of the URL with or without its port, then the sorted fields), at a third
of its cost: the port variants of a URL are worked out once per URL, the fields are joined once
for both, and the second HMAC runs only when the first does not match. `sign` stays Twilio's own
code, so the tests, the bench and `barberbot chat` check ours against theirs.
"""

from __future__ import annotations

import base64
import functools
import hmac
from collections.abc import Mapping
from urllib.parse import urlparse

from twilio.request_validator import RequestValidator, add_port, remove_port


def signed_url(public_base_url: str | None, request_url: str, path: str, query: str) -> str:
    """PUBLIC_BASE_URL + path + query when set (ngrok, proxies), else the URL the request came to."""
    if public_base_url:
        return public_base_url.rstrip("/") + path + (f"?{query}" if query else "")
    return request_url


@functools.lru_cache(maxsize=64)
def _url_variants(url: str) -> tuple[str, ...]:
    """The URL without and with its port, as Twilio's validator tries them (one when they agree);
    the URL as it came first, as Twilio signs the URL it calls: one HMAC a request, not two."""
    parsed = urlparse(url)
    without, with_port = remove_port(parsed), add_port(parsed)
    if without == with_port:
        return (without,)
    return (with_port, without) if with_port == url else (without, with_port)


@functools.lru_cache(maxsize=8)
def _key(auth_token: str) -> bytes:
    return auth_token.encode("utf-8")


def is_valid(auth_token: str, url: str, params: Mapping[str, str], signature: str | None) -> bool:
    if not signature or not auth_token:
        return False
    try:
        variants = _url_variants(url)
    except ValueError:  # a port that is not a number: Twilio's validator raises too
        return False
    fields = "".join(name + params[name] for name in sorted(params))
    expected = signature.encode("utf-8", "surrogateescape")
    key = _key(auth_token)
    for variant in variants:
        mac = hmac.digest(key, (variant + fields).encode("utf-8"), "sha1")  # one C call, not an HMAC object
        if hmac.compare_digest(base64.b64encode(mac), expected):
            return True
    return False


def sign(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """The signature Twilio would send (tests, the bench and `barberbot chat` use this)."""
    return str(RequestValidator(auth_token).compute_signature(url, dict(params)))
