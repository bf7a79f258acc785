"""Twilio's X-Twilio-Signature: which URL it was computed over, and whether it matches."""

from __future__ import annotations

from collections.abc import Mapping

from twilio.request_validator import RequestValidator


def signed_url(public_base_url: str | None, request_url: str, path: str, query: str) -> str:
    """PUBLIC_BASE_URL + path + query when set (ngrok, proxies), else the URL the request came to."""
    if public_base_url:
        return public_base_url.rstrip("/") + path + (f"?{query}" if query else "")
    return request_url


def is_valid(auth_token: str, url: str, params: Mapping[str, str], signature: str | None) -> bool:
    if not signature or not auth_token:
        return False
    return bool(RequestValidator(auth_token).validate(url, dict(params), signature))


def sign(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """The signature Twilio would send (tests, the bench and `barberbot chat` use this)."""
    return str(RequestValidator(auth_token).compute_signature(url, dict(params)))
