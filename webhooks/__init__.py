"""Twilio's webhooks: incoming messages (ours) and delivery status callbacks (the reminder engine's)."""

from __future__ import annotations

from starlette.routing import Route

from bot.services import Services


def routes(services: Services) -> list[Route]:
    from webhooks.twilio import twilio_routes

    out = twilio_routes(services)
    try:
        from webhooks.status import status_routes
    except ImportError:
        pass
    else:
        out.extend(status_routes(services))
    return out
