"""Twilio's webhooks: incoming messages (ours) and delivery status callbacks (the reminder engine's)."""

from __future__ import annotations

from starlette.routing import Route

from bot.services import Services


def routes(services: Services) -> list[Route]:
    from webhooks.status import status_routes
    from webhooks.twilio import twilio_routes

    return twilio_routes(services) + status_routes(services)
